"""Cancels and terminations during long work: every aggregate of the extension over a million
rows, dm_profile, and CALL run_mining on the demo warehouse, interrupted by pg_cancel_backend or
pg_terminate_backend after a random delay. Afterwards: no crash, the server and (after a cancel)
the session still answer, the session holds no run lock and leaves no run 'running', and a new
run of the configuration can start."""
import sys
import threading
import time

import psycopg2

from catalog import Catalog
from fuzzlib import Fuzz

BIG = 'fuzz.big'
PARALLEL = ('SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; '
            'SET min_parallel_table_scan_size = 0; ')
# the column of fuzz.big an aggregate reads, by the type of its first argument
COLUMN = {'double precision': 'f', 'double precision[]': 'a', 'anyelement': 'f'}


def workloads(cat):
    out = ["SELECT count(*) FROM dmine.dm_profile('%s')" % BIG, "CALL dmine.run_mining('fz')",
           "SELECT dmine.dm_kmeans_auto(a, 2, 8) FROM %s" % BIG]
    for r in cat.routines:
        col = COLUMN.get(r.types[0]) if r.kind == 'a' and r.types else None
        if col is None or not r.callable():
            continue
        args = [col] + [cat.baseline(r, i) for i in range(1, len(r.types))]
        out.append('SELECT length(%s(%s)::text) FROM %s' % (r.fn, ', '.join(args), BIG))
    out.append(PARALLEL + out[-1])
    return out


class Worker(threading.Thread):
    def __init__(self, fz, sql, settings=()):
        super().__init__(daemon=True)
        self.sql, self.error, self.sqlstate = sql, None, None
        self.conn = psycopg2.connect(dbname=fz.cfg.db, application_name='dmine_fuzz_work')
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            for s in ("SET statement_timeout = '120s'",) + tuple(settings):
                cur.execute(s)
        self.pid = self.conn.get_backend_pid()

    def run(self):
        try:
            with self.conn.cursor() as cur:
                cur.execute(self.sql)
        except psycopg2.Error as e:
            self.error, self.sqlstate = (e.pgerror or str(e)).strip(), e.pgcode


def replay_line(sql, delay, action):
    return ('psql -X -c %s & sleep %.2f; psql -X -c "SELECT %s(pid) FROM pg_stat_activity '
            'WHERE application_name = \'psql\' AND state = \'active\' AND pid <> pg_backend_pid()"'
            '; wait' % (shell_quote(sql), delay, action))


def shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


class CancelFuzz:
    def __init__(self, fz):
        self.fz = fz
        self.cat = Catalog(fz)
        fz.sql('SET statement_timeout = 0')
        fz.sql('CREATE TABLE IF NOT EXISTS %s AS SELECT ARRAY[random(), random(), random()] a, '
               'random() * 100 f FROM generate_series(1, 1000000)' % BIG)
        fz.sql('ANALYZE %s' % BIG)
        fz.reconnect()
        self.work = workloads(self.cat)

    def one(self, sql, action, delay):
        fz = self.fz
        fz.cases += 1
        replay = replay_line(sql, delay, action)
        w = Worker(fz, sql)
        w.start()
        time.sleep(delay)
        side = fz.side_connection()
        with side.cursor() as cur:
            cur.execute('SELECT %s(%d)' % (action, w.pid))
        w.join(15)
        if w.is_alive():
            fz.fail('hang', replay, '%s did not stop the statement within 15 s' % action)
            with side.cursor() as cur:
                cur.execute('SELECT pg_terminate_backend(%d)' % w.pid)
            w.join(30)
        side.close()
        crash = fz.log.crash_lines()
        if crash:
            fz.fail('crash', replay, crash[0], signature='cancel crash ' + sql[:40])
        if w.sqlstate == 'XX000':
            fz.fail('XX000', replay, w.error)
        fz.reconnect()  # the server must still accept connections
        for _ in range(100 if action == 'pg_terminate_backend' else 0):
            # a terminated backend ends (and frees its locks) asynchronously
            if not fz.sql('SELECT count(*) FROM pg_stat_activity WHERE pid = %d' % w.pid).first():
                break
            time.sleep(0.1)
        if fz.sql('SELECT 1').first() != 1:
            fz.fail('server lost', replay, 'no answer after %s' % action)
        if action == 'pg_cancel_backend' and w.sqlstate == '57014':
            self.after_cancel(w, sql, replay)
        elif 'run_mining' in sql:
            r = fz.sql("CALL dmine.run_mining('fz', steps => '{rfm}')")
            if not r.ok:
                fz.fail('stuck run', replay, 'a new run after %s: %s %s' %
                        (action, r.sqlstate, r.message), signature='new run %s' % r.sqlstate)
        w.conn.close()

    def after_cancel(self, w, sql, replay):
        fz = self.fz
        try:
            with w.conn.cursor() as cur:
                cur.execute('SELECT 1')
        except psycopg2.Error as e:
            fz.fail('session lost', replay, 'the cancelled session does not answer: %s' % e)
            return
        if 'run_mining' not in sql:
            return
        locks = fz.sql("SELECT count(*) FROM pg_locks WHERE pid = %d AND locktype = 'advisory'"
                       % w.pid).first()
        running = fz.sql("SELECT count(*) FROM dmine.runs WHERE status = 'running' AND "
                         "backend_pid = %d" % w.pid).first()
        if locks or running:
            self.after_commit_cancel(w, replay, locks, running)

    def after_commit_cancel(self, w, replay, locks, running):
        """A cancel served during a COMMIT of the run ends the CALL before it can log (see
        docs/design.md): the claim must be over all the same (another session runs at once and
        marks the run abandoned), and the session's own next run releases the lock it kept."""
        fz = self.fz
        r = fz.sql("CALL dmine.run_mining('fz', steps => '{rfm}')")
        if not r.ok:
            fz.fail('stuck run', replay, 'after a cancel the idle session holds %s advisory '
                    'lock(s) and %s run(s) stay running, and another session cannot run: %s %s'
                    % (locks, running, r.sqlstate, r.message), signature='stuck after cancel')
            return
        try:
            with w.conn.cursor() as cur:
                cur.execute("CALL dmine.run_mining('fz', steps => '{rfm}')")
        except psycopg2.Error as e:
            fz.fail('stuck run', replay, 'the cancelled session cannot run again: %s' % e,
                    signature='rerun after cancel')
            return
        locks = fz.sql("SELECT count(*) FROM pg_locks WHERE pid = %d AND locktype = 'advisory'"
                       % w.pid).first()
        running = fz.sql("SELECT count(*) FROM dmine.runs WHERE status = 'running' AND "
                         "backend_pid = %d" % w.pid).first()
        if locks or running:
            fz.fail('stuck run', replay, 'after a cancel during a COMMIT and a new run, the session '
                    'still holds %s advisory lock(s) and %s run(s) stay running' % (locks, running),
                    signature='stuck after cancel')

    def blocked_run(self, table, mode, delay, timeout_ms):
        """A run whose session meets a lock_timeout: another session locks table after delay."""
        fz = self.fz
        fz.cases += 1
        replay = ('-- session B: BEGIN; LOCK TABLE %s IN %s MODE; (%.2f s into the run of '
                  "session A: SET lock_timeout = '%dms'; CALL dmine.run_mining('fz');) then "
                  "session B: ROLLBACK; session C: CALL dmine.run_mining('fz', steps => '{rfm}')"
                  % (table, mode, delay, timeout_ms))
        w = Worker(fz, "CALL dmine.run_mining('fz')", ["SET lock_timeout = '%dms'" % timeout_ms])
        blocker = fz.side_connection()
        blocker.autocommit = False
        w.start()
        time.sleep(delay)
        try:
            with blocker.cursor() as cur:
                cur.execute('LOCK TABLE %s IN %s MODE' % (table, mode))
            w.join(20)
        finally:
            blocker.rollback()
            blocker.close()
        w.join(20)
        if w.sqlstate == 'XX000':
            fz.fail('XX000', replay, w.error)
        r = fz.sql("CALL dmine.run_mining('fz', steps => '{rfm}')")
        if not r.ok:
            fz.fail('stuck run', replay, 'session A is idle after its run failed (%s), yet a new '
                    'run gets %s %s' % (w.sqlstate, r.sqlstate, r.message),
                    signature='blocked run %s' % r.sqlstate)
        w.conn.close()

    def run(self):
        fz, rng = self.fz, self.fz.rng
        actions = ['pg_cancel_backend', 'pg_terminate_backend']
        plan = [(s, a, rng.uniform(0.05, 1.5)) for s in self.work for a in actions]
        # a run of the small demo warehouse takes well under a second: more tries inside it
        plan += [("CALL dmine.run_mining('fz')", rng.choice(actions), rng.uniform(0, 0.5))
                 for _ in range(12)]
        for sql, action, delay in plan:
            self.one(sql, action, delay)
        tables = ['dmine.run_steps', 'dmine.runs', 'dmine.result_rfm', 'dmine.result_profile',
                  'dmine.result_clusters', 'dmine.result_anomalies']
        for table in tables[:2]:
            self.blocked_run(table, 'SHARE', 0, 300)
        n = len(plan) + 2
        while fz.time_left() > 0:
            if rng.random() < 0.2:
                self.blocked_run(rng.choice(tables), rng.choice(['SHARE', 'ACCESS EXCLUSIVE']),
                                 rng.uniform(0, 0.4), rng.choice([100, 300, 1000]))
            else:
                self.one(rng.choice(self.work), rng.choice(actions),
                         rng.choice([rng.uniform(0, 0.2), rng.uniform(0, 1), rng.uniform(0, 4)]))
            n += 1
        print('fuzz cancel: %d interruptions over %d workloads' % (n, len(self.work)))


if __name__ == '__main__':
    fz = Fuzz('cancel')
    CancelFuzz(fz).run()
    sys.exit(fz.finish())
