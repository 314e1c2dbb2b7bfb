"""Every SQL-callable routine of the extension with edge arguments: NULL and edge values in each
position (others at a valid baseline), every model against every argument of the per-row
functions, aggregates over generated row sets (zero rows, all-NULL rows, one hostile row, a
hostile constant) serially and in parallel, then random combinations until the budget ends.
Every value of an extension type a routine returns must read back (fz.roundtrip)."""
import sys

import fuzzvalues as V
from catalog import Catalog, rt_table
from fuzzlib import Fuzz, lit

# the latest successful run of every configuration (never to be deleted)
KEPT = ("SELECT config_name, max(run_id) FROM dmine.runs WHERE status = 'succeeded' "
        "GROUP BY config_name")
PARALLEL = ('SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; '
            'SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2; ')


def is_big(expr):
    return str(V.BIG) in expr


class Runner:
    def __init__(self, fz, cat=None):
        self.fz = fz
        self.cat = cat or Catalog(fz)

    def call(self, r, args):
        """One call of r; values of an extension type go through the round-trip oracle."""
        fz = self.fz
        if r.kind != 'p' and not r.retset and r.rettype in self.cat.value_types:
            tab = rt_table(r.rettype)
            fz.sql('TRUNCATE %s' % tab)
            sel = r.value_select(args)
            res = fz.sql('INSERT INTO %s %s' % (tab, sel), replay=sel)
            if res.ok:
                fz.roundtrip(r.rettype, tab, sel)
            return res
        if r.volatility != 'v':
            return self.judge_rows(r, args, fz.sql(r.call(args)))
        before = dict(fz.sql(KEPT).rows or [])
        res = self.judge_rows(r, args, fz.sql(r.call(args)))
        after = fz.sql(KEPT)
        lost = {c: i for c, i in before.items() if dict(after.rows).get(c, 0) < i}
        if after.ok and lost:
            fz.fail('data loss', r.call(args), 'the latest successful run of a configuration is '
                    'gone: %s' % lost, signature='lost ' + r.name)
            for c in lost:
                fz.sql("CALL dmine.run_mining(%s, steps => '{rfm}')" % lit(c))
        return res

    def judge_rows(self, r, args, res):
        """Negative sizes or counts out of values the extension made (not of hand-made rows)."""
        handmade = any('ROW(' in a for a in args)
        if r.retset and res.ok and res.rows and res.rows[0][2] and not handmade:
            self.fz.fail('negative count', res.stmt,
                         '%s returned %s negative sizes or counts' % (r.name, res.rows[0][2]),
                         signature='negative ' + r.name)
        return res

    # --- plain functions and procedures ------------------------------------------------------
    def plain(self, r):
        cat = self.cat
        base = [cat.baseline(r, i) for i in range(len(r.types))]
        self.call(r, base)
        if r.ndefaults and not V.COSTLY & set(r.names[len(base) - r.ndefaults:]):
            self.call(r, base[:len(base) - r.ndefaults])
        for i in range(len(base)):
            for v in cat.pool(r, i):
                self.call(r, base[:i] + [v] + base[i + 1:])
        # every model against every edge value of each other argument
        for i, t in enumerate(r.types):
            if t not in cat.models:
                continue
            for m in cat.models[t]:
                for j in range(len(base)):
                    if j == i:
                        continue
                    for v in cat.pool(r, j):
                        args = list(base)
                        args[i], args[j] = m, v
                        self.call(r, args)

    # --- aggregates: a row set is one SQL expression in g per argument ----------------------
    def varying(self, r, i):
        return i == 0 or r.names[i] in ('', 'x', 'features')

    def column(self, r, i):
        """The clean value of argument i in row g."""
        typ = r.types[i]
        if not self.varying(r, i):
            return self.cat.baseline(r, i)
        return {'double precision': '(g * 37 % 101 - 50)::float8',
                'double precision[]': 'ARRAY[g % 10, g % 7]::float8[]',
                'jsonb': "jsonb_build_object('g', g)",
                'anyelement': 'g % 13'}.get(typ, self.cat.baseline(r, i))

    def agg_sql(self, r, cols, rows):
        names = ', '.join('c%d' % i for i in range(len(cols)))
        return ('SELECT %s(%s) AS v FROM (SELECT %s FROM generate_series(1, %d) g) t(%s)' %
                (r.fn, names, ', '.join(cols), rows, names))

    def agg_call(self, r, cols, rows):
        sel = self.agg_sql(r, cols, rows)
        if r.rettype in self.cat.value_types:
            tab = rt_table(r.rettype)
            self.fz.sql('TRUNCATE %s' % tab)
            if self.fz.sql('INSERT INTO %s %s' % (tab, sel), replay=sel).ok:
                self.fz.roundtrip(r.rettype, tab, sel)
        else:
            self.fz.sql('SELECT length(v::text) FROM (%s) s' % sel)

    def aggregate(self, r):
        n = len(r.types)
        good = [self.column(r, i) for i in range(n)]
        nulls = [('NULL::%s' % r.types[i] if r.types[i] != 'anyelement' else 'NULL::int')
                 if self.varying(r, i) else good[i] for i in range(n)]
        for cols, rows in ((good, 0), (nulls, 1), (nulls, 5), (good, 1), (good, 30)):
            self.agg_call(r, cols, rows)
        for i in range(n):
            for v in self.cat.pool(r, i):
                # the edge value in every row, then in one row of clean ones
                self.agg_call(r, good[:i] + [v] + good[i + 1:], 3 if is_big(v) else 30)
                if r.types[i] != 'anyelement':
                    one = 'CASE WHEN g = 8 THEN %s ELSE %s END' % (v, good[i])
                    self.agg_call(r, good[:i] + [one] + good[i + 1:], 30)

    def parallel(self, r):
        """Partial aggregation in parallel workers: serialize, combine, deserialize."""
        columns = {'double precision': ['f'], 'double precision[]': ['a', 'ax'],
                   'jsonb': ['j'], 'anyelement': ['t', 'f', 'a', 'j', 'id']}
        for col in columns.get(r.types[0], []):
            for where in ('', ' WHERE id % 1000 = 0', ' WHERE false', ' WHERE id > 39990'):
                args = [col] + [self.cat.baseline(r, i) for i in range(1, len(r.types))]
                self.fz.sql(PARALLEL + 'SELECT length(%s(%s)::text) FROM fuzz.par%s' %
                            (r.fn, ', '.join(args), where))
        self.fz.reconnect()

    # --- random combinations -----------------------------------------------------------------
    def random_case(self, routines):
        rng, cat = self.fz.rng, self.cat
        r = rng.choice(routines)
        n = len(r.types)
        if r.kind != 'a':
            args = [rng.choice(cat.pool(r, i)) if rng.random() < 0.4 else cat.baseline(r, i)
                    for i in range(n)]
            self.call(r, args)
            return
        cols = []
        for i in range(n):
            hostile = [rng.choice(cat.pool(r, i)) for _ in range(rng.choice([0, 0, 1, 2, 3]))]
            if r.types[i] == 'anyelement' or not hostile:
                cols.append(hostile[0] if hostile else self.column(r, i))
                continue
            whens = ' '.join('WHEN %d THEN %s' % (rng.randint(1, 20), v) for v in hostile)
            cols.append('CASE g %s ELSE %s END' % (whens, self.column(r, i)))
        if sum(is_big(c) for c in cols) <= 1:
            self.agg_call(r, cols, rng.choice([0, 1, 2, 5, 20, 60]))

    def run(self):
        fz = self.fz
        routines = [r for r in self.cat.routines if r.callable()]
        print('fuzz routines: %d routines (%d callable from SQL), types %s' %
              (len(self.cat.routines), len(routines), ', '.join(self.cat.value_types)))
        for r in routines:
            before = fz.cases
            if r.kind == 'a':
                self.aggregate(r)
                self.parallel(r)
            else:
                self.plain(r)
            print('  %-70s %5d cases' % (r.signature, fz.cases - before))
            sys.stdout.flush()
        random_cases = 0
        while fz.time_left() > 0:
            self.random_case(routines)
            random_cases += 1
        print('  random combinations: %d' % random_cases)


if __name__ == '__main__':
    fz = Fuzz('routines')
    Runner(fz).run()
    sys.exit(fz.finish())
