"""Hostile rows in a warehouse: a run of the pipeline over the demo warehouse plus a few bad rows
(a customer whose amounts and quantities are all NULL, a NaN amount, a money column) must
succeed in every step, skipping what it cannot use. In the long mode, random other bad values
too (infinite, huge, negative amounts, NULL customers and times)."""
import sys

from fuzzlib import Fuzz

SCHEMA = 'fzbad'
BAD = {
    'a customer whose amounts and quantities are all NULL':
        "UPDATE {t} SET quantity = NULL, amount = NULL "
        "WHERE customer_id = (SELECT min(customer_id) FROM {t})",
    'NaN amount': "UPDATE {t} SET amount = 'NaN' WHERE line_id = (SELECT max(line_id) FROM {t})",
    'money column': "ALTER TABLE {t} ADD COLUMN price_m money; UPDATE {t} SET price_m = 1.5",
}
EXTRA = ["UPDATE {t} SET amount = 'Infinity' WHERE line_id = (SELECT min(line_id) FROM {t})",
         "UPDATE {t} SET amount = -amount WHERE line_id %% 97 = 0",
         "UPDATE {t} SET amount = 1e300 WHERE line_id = (SELECT min(line_id) FROM {t})",
         "UPDATE {t} SET quantity = 0 WHERE line_id %% 89 = 0",
         "UPDATE {t} SET customer_id = NULL WHERE line_id %% 83 = 0",
         "UPDATE {t} SET sold_at = NULL WHERE line_id %% 79 = 0",
         "UPDATE {t} SET sold_at = '1900-01-01' WHERE line_id %% 101 = 0",
         "ALTER TABLE {t} ADD COLUMN j jsonb DEFAULT '{{\"a\": [1]}}'",
         "ALTER TABLE {t} ADD COLUMN p point DEFAULT '(1,2)'"]


class PipelineFuzz:
    def __init__(self, fz):
        self.fz = fz
        fz.sql('SET statement_timeout = 0')

    def run_over(self, label, statements):
        fz = self.fz
        t = '%s.lines' % SCHEMA
        fz.sql('DROP SCHEMA IF EXISTS %s CASCADE' % SCHEMA)
        fz.sql('CREATE SCHEMA %s' % SCHEMA)
        fz.sql('CREATE TABLE %s AS SELECT * FROM fz.sales_lines' % t)
        setup = ['CREATE TABLE %s AS SELECT * FROM fz.sales_lines' % t]
        for s in statements:
            s = s.format(t=t).replace('%%', '%')
            setup.append(s)
            r = fz.sql(s)
            if not r.ok:
                return
        cfg = ("SELECT dmine.configure_mining('fzbad', '%s', customer_column => 'customer_id', "
               "order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount', "
               "quantity_column => 'quantity', line_column => 'line_id')" % t)
        fz.sql(cfg)
        call = "CALL dmine.run_mining('fzbad')"
        replay = '; '.join(['CREATE SCHEMA %s' % SCHEMA] + setup + [cfg, call])
        r = fz.sql(call, replay=replay)
        steps = fz.sql("SELECT step, status, left(error, 160) FROM dmine.run_steps WHERE run_id = "
                       "(SELECT max(run_id) FROM dmine.runs WHERE config_name = 'fzbad') "
                       "AND status <> 'succeeded' ORDER BY 1")
        if not r.ok or (steps.ok and steps.rows):
            rows = steps.rows or []
            detail = '; '.join(['%s failed: %s' % (st, e) for st, s, e in rows if s == 'failed'] +
                               ['skipped: ' + ', '.join(st for st, s, e in rows if s != 'failed')])
            detail = detail if rows else r.message
            fz.fail('bad rows fail the run', replay, '%s: %s' % (label, detail),
                    signature='%s %s' % (label, ' '.join(row[0] for row in steps.rows or [])))

    def run(self):
        fz = self.fz
        for label, s in BAD.items():
            self.run_over(label, s.split('; '))
        self.run_over('all of them', [x for s in BAD.values() for x in s.split('; ')])
        n = len(BAD) + 1
        while fz.cfg.long and fz.time_left() > 0:
            picks = fz.rng.sample(EXTRA, fz.rng.randint(1, 3))
            self.run_over('extra: ' + ' / '.join(p[:40] for p in picks), picks)
            n += 1
        fz.sql('DROP SCHEMA IF EXISTS %s CASCADE' % SCHEMA)
        print('fuzz pipeline: %d runs over warehouses with bad rows' % n)


if __name__ == '__main__':
    fz = Fuzz('pipeline')
    PipelineFuzz(fz).run()
    sys.exit(fz.finish())
