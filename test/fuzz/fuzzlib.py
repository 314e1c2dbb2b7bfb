"""Shared plumbing of the fuzz suite: configuration, connections, oracles and reporting.

Every *_fuzz.py script builds SQL statements from SQL expressions (never bound parameters), so
each failure is printed as one self-contained statement that replays it in any database with
the extension. A script makes a Fuzz, runs cases through fz.sql() (or fz.case()), and ends with
fz.finish(), whose exit code run.sh counts.

Oracles: a crash (server log lines, or a lost connection when the log is not readable), a hang
(statement_timeout, then a client-side watchdog), SQLSTATE XX000, and — through fz.roundtrip()
— an extension value that cannot be cast to text and back or sent and received in binary.
"""
import io
import os
import random
import re
import sys
import threading
import time
import zlib

import psycopg2
import psycopg2.extensions

EXT = 'dmine'
# A worker that exits with code 1 has raised an ERROR; any other exit code is a crash.
CRASH_RE = re.compile(r'terminated by signal|was terminated by exception'
                      r'|exited with exit code (?!1\b)\d|PANIC:|terminating any other active')


def env_int(name, default):
    v = os.environ.get(name, '')
    return int(v) if v.strip() else default


class Config:
    def __init__(self):
        self.seed = env_int('DMINE_FUZZ_SEED', int(time.time()) % 1000000)
        self.long = os.environ.get('DMINE_FUZZ_LONG', '0') not in ('', '0')
        self.db = os.environ.get('DMINE_FUZZ_DB', 'dmine_fuzz')
        self.budget = env_int('DMINE_FUZZ_BUDGET', 600 if self.long else 60)
        self.stmt_timeout_ms = env_int('DMINE_FUZZ_STATEMENT_TIMEOUT', 10000)
        cluster = os.environ.get('DMINE_CLUSTER', '')
        self.log_path = os.environ.get('DMINE_FUZZ_LOG') or (
            os.path.join(cluster, 'server.log') if cluster else '')


def lit(s):
    """A SQL string literal for s (E'' with escapes when s holds control characters)."""
    if all(ch >= ' ' and ch != '\x7f' for ch in s):
        return "'" + s.replace("'", "''") + "'"
    out = []
    for ch in s:
        if ch == '\\':
            out.append('\\\\')
        elif ch == "'":
            out.append("''")
        elif ch < ' ' or ch == '\x7f':
            out.append('\\x%02x' % ord(ch))
        else:
            out.append(ch)
    return "E'" + ''.join(out) + "'"


def one_line(stmt):
    return ' '.join(stmt.split('\n'))


class ServerLog:
    """New lines of the server log since the last look, scanned for crash reports."""

    def __init__(self, path):
        self.path = path
        self.readable = bool(path) and os.access(path, os.R_OK)
        self.offset = os.path.getsize(path) if self.readable else 0

    def crash_lines(self):
        if not self.readable:
            return []
        size = os.path.getsize(self.path)
        if size < self.offset:
            self.offset = 0
        if size == self.offset:
            return []
        with open(self.path, 'rb') as f:
            f.seek(self.offset)
            chunk = f.read(size - self.offset)
        cut = chunk.rfind(b'\n') + 1
        self.offset += cut
        lines = chunk[:cut].decode('utf-8', 'replace').splitlines()
        return [ln for ln in lines if CRASH_RE.search(ln)]


class Result:
    def __init__(self, ok, rows=None, sqlstate=None, message=None):
        self.ok, self.rows, self.sqlstate, self.message = ok, rows, sqlstate, message

    def first(self):
        return self.rows[0][0] if self.ok and self.rows else None


class Fuzz:
    """One fuzz script: its seed, connection, case counter and failures."""

    MAX_SHOWN = 3  # failures printed per distinct signature; the rest are counted

    def __init__(self, name):
        self.name = name
        self.cfg = Config()
        self.rng = random.Random(self.cfg.seed * 1000003 + zlib.crc32(name.encode()))
        self.started = time.time()
        self.cases = 0
        self.failures = 0
        self.signatures = {}
        self.log = ServerLog(self.cfg.log_path)
        self.setup_sql = []  # session settings replayed after a reconnect
        self.wrap = None  # turns a statement into the replay line printed (e.g. a shell line)
        self.label = None  # what the current case is, printed with a failure
        self.case_class = None  # the kind of case: after 3 crashes, its other cases are skipped
        self.crashes = {}
        self.skipped = 0
        print('fuzz %s: seed %d, %s mode, budget %d s' %
              (name, self.cfg.seed, 'long' if self.cfg.long else 'default', self.cfg.budget))
        if not self.log.readable:
            print('fuzz %s: server log not readable (%s): crashes are detected from lost '
                  'connections only' % (name, self.cfg.log_path or 'DMINE_CLUSTER not set'))
        self.conn = self.connect()

    # --- connections -------------------------------------------------------------------------
    def connect(self, wait=90):
        deadline = time.time() + wait
        while True:
            try:
                conn = psycopg2.connect(dbname=self.cfg.db, application_name='dmine_fuzz')
                conn.autocommit = True
                with conn.cursor() as cur:
                    cur.execute('SET statement_timeout = %d' % self.cfg.stmt_timeout_ms)
                    cur.execute("SET lock_timeout = '5s'")
                    cur.execute('SET client_min_messages = error')
                    cur.execute('SET search_path = public, %s' % EXT)
                    for s in self.setup_sql:
                        cur.execute(s)
                return conn
            except psycopg2.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def side_connection(self):
        conn = psycopg2.connect(dbname=self.cfg.db, application_name='dmine_fuzz_side')
        conn.autocommit = True
        return conn

    def reconnect(self):
        try:
            self.conn.close()
        except Exception:
            pass
        self.conn = self.connect()

    def time_left(self):
        if sum(self.crashes.values()) >= (200 if self.cfg.long else 25):
            return -1  # each crash costs a recovery of the server: enough has been shown
        return self.cfg.budget - (time.time() - self.started)

    def skip_class(self, cls):
        """True (and counted) when cases of class cls crashed the server 3 times already."""
        if self.crashes.get(cls, 0) >= 3:
            self.skipped += 1
            return True
        return False

    # --- reporting ---------------------------------------------------------------------------
    def fail(self, kind, replay, detail, signature=None):
        """Record a failure; replay is a one-line SQL statement (or shell line) reproducing it."""
        self.failures += 1
        sig = '%s|%s' % (kind, signature or re.sub(r'\d+', 'N', detail or '')[:100])
        if self.wrap:
            replay = self.wrap(replay)
        if self.label:
            detail = '%s [%s]' % (detail, self.label)
        n = self.signatures.get(sig, 0) + 1
        self.signatures[sig] = n
        if n <= self.MAX_SHOWN:
            print('FAIL [%s] %s: %s (seed %d)' % (self.name, kind, one_line(detail or '')[:400],
                                                   self.cfg.seed))
            print('  replay: %s' % one_line(replay))
            sys.stdout.flush()

    def finish(self):
        for sig, n in sorted(self.signatures.items()):
            if n > self.MAX_SHOWN:
                print('  (%d more failures like: %s)' % (n - self.MAX_SHOWN, sig[:150]))
        crash = self.log.crash_lines()
        if crash:
            self.fail('crash', '(see the server log)', crash[0])
        if self.skipped:
            print('fuzz %s: %d cases skipped: their kind had crashed the server 3 times' %
                  (self.name, self.skipped))
        print('fuzz %s: %d cases, %d failures (%d distinct), seed %d, %.0f s' %
              (self.name, self.cases, self.failures, len(self.signatures), self.cfg.seed,
               time.time() - self.started))
        sys.stdout.flush()
        return 1 if self.failures else 0

    # --- running statements ------------------------------------------------------------------
    def _watchdog(self, pid, replay, fired):
        fired.append(True)
        self.fail('hang', replay, 'statement still running %d s after statement_timeout' %
                  (self.cfg.stmt_timeout_ms // 1000 + 20), signature='watchdog')
        try:
            side = self.side_connection()
            with side.cursor() as cur:
                cur.execute('SELECT pg_terminate_backend(%d)' % pid)
            side.close()
        except Exception:
            pass

    def sql(self, stmt, replay=None, copy_in=None, copy_out=False, expect_error=False):
        """Run stmt and apply the oracles. replay: what to print on failure (default stmt)."""
        self.cases += 1
        replay = replay or stmt
        fired = []
        pid = self.conn.get_backend_pid()
        dog = threading.Timer(self.cfg.stmt_timeout_ms / 1000 + 20, self._watchdog,
                              (pid, replay, fired))
        dog.daemon = True
        dog.start()
        try:
            with self.conn.cursor() as cur:
                if copy_in is not None:
                    cur.copy_expert(stmt, io.BytesIO(copy_in))
                    res = Result(True, [])
                elif copy_out:
                    buf = io.BytesIO()
                    cur.copy_expert(stmt, buf)
                    res = Result(True, [(buf.getvalue(),)])
                else:
                    cur.execute(stmt)
                    res = Result(True, cur.fetchall() if cur.description else [])
        except psycopg2.Error as e:
            res = Result(False, sqlstate=e.pgcode, message=(e.pgerror or str(e)).strip())
        finally:
            dog.cancel()
        res.stmt = replay
        if fired:
            self.reconnect()
            return res
        self._judge(res, replay)
        res.stmt = replay
        return res

    def _judge(self, res, replay):
        crash = self.log.crash_lines()
        lost = not res.ok and (res.sqlstate is None or res.sqlstate.startswith('57P'))
        if lost and self.conn.closed == 0:
            try:
                with self.conn.cursor() as cur:
                    cur.execute('SELECT 1')
                lost = False
            except psycopg2.Error:
                pass
        if lost or crash:
            if lost and not crash:
                time.sleep(1.0)
                crash = self.log.crash_lines()
            cls = self.case_class or ''
            self.crashes[cls] = self.crashes.get(cls, 0) + 1
            if crash:
                self.fail('crash', replay, crash[0], signature='%s %s' % (
                    re.sub(r'\d+', 'N', crash[0])[-40:], re.sub(r'\d+', 'N', self.label or '')))
            else:
                self.fail('connection lost', replay, res.message or 'connection lost')
            self.reconnect()
            return
        if res.ok:
            return
        if res.sqlstate == 'XX000':
            self.fail('XX000', replay, res.message)
        elif res.sqlstate == '57014' and 'statement timeout' in (res.message or ''):
            self.fail('hang', replay, 'no answer within statement_timeout (%d ms)' %
                      self.cfg.stmt_timeout_ms, signature='timeout ' + replay[:60])

    # --- the round-trip oracle ---------------------------------------------------------------
    def roundtrip(self, typ, table, select_sql, replay_select=None):
        """table holds one column v of type typ, just filled by select_sql (one row or none).
        Its values must print as text, parse back to the same text, and survive binary COPY."""
        rs = replay_select or select_sql
        r = self.sql('SELECT v::text FROM %s' % table, replay='SELECT v::text FROM (%s) s(v)' % rs)
        if not r.ok:
            if r.sqlstate not in (None, 'XX000') and not r.sqlstate.startswith('57'):
                self.fail('unreadable value', 'SELECT v::text FROM (%s) s(v)' % rs,
                          '%s produced a value its ::text refuses: %s %s' %
                          (typ, r.sqlstate, r.message), signature='unreadable %s %s %s' %
                          (typ, r.sqlstate, re.sub(r'[-\d.e+]+', 'N', r.message or '')[:60]))
            return
        if not r.rows or r.rows[0][0] is None:
            return
        r = self.sql('SELECT v::text = v::text::%s::text FROM %s' % (typ, table),
                     replay='SELECT v::text = v::text::%s::text FROM (%s) s(v)' % (typ, rs))
        if not r.ok or r.first() is not True:
            if r.ok or r.sqlstate not in ('XX000',):
                self.fail('text round trip', 'SELECT v::text::%s::text FROM (%s) s(v)' % (typ, rs),
                          '%s text does not read back: %s %s' %
                          (typ, r.sqlstate or 'different text', r.message or ''),
                          signature='text rt %s %s' % (typ, r.sqlstate))
            return
        out = self.sql('COPY %s TO STDOUT (FORMAT binary)' % table, copy_out=True,
                       replay='-- binary COPY out of: %s' % rs)
        if not out.ok:
            self.fail('binary send', rs, '%s: %s' % (out.sqlstate, out.message))
            return
        back = table + '_back'
        self.sql('TRUNCATE %s' % back)
        r = self.sql('COPY %s FROM STDIN (FORMAT binary)' % back, copy_in=out.first(),
                     replay='-- binary COPY in of the value of: %s' % rs)
        if not r.ok:
            if r.sqlstate != 'XX000':
                self.fail('binary round trip', 'SELECT (%s)' % rs,
                          '%s sent in binary is refused by its receive function: %s %s' %
                          (typ, r.sqlstate, r.message), signature='bin rt %s %s' %
                          (typ, r.sqlstate))
            return
        r = self.sql('SELECT a.v::text = b.v::text FROM %s a, %s b' % (table, back))
        if not r.ok or r.first() is not True:
            self.fail('binary round trip', 'SELECT (%s)' % rs,
                      '%s differs after binary send/receive' % typ, signature='bin diff ' + typ)


def copy_binary_file(value_bytes):
    """A PGCOPY binary stream holding one row of one field."""
    import struct
    head = b'PGCOPY\n\xff\r\n\0' + struct.pack('!ii', 0, 0)
    return head + struct.pack('!hi', 1, len(value_bytes)) + value_bytes + struct.pack('!h', -1)


def copy_binary_value(stream):
    """The first field of the first row of a PGCOPY binary stream (None for NULL or no row)."""
    import struct
    pos = 11 + 4
    ext = struct.unpack('!i', stream[pos:pos + 4])[0]
    pos += 4 + ext
    nfields = struct.unpack('!h', stream[pos:pos + 2])[0]
    if nfields < 1:
        return None
    n = struct.unpack('!i', stream[pos + 2:pos + 6])[0]
    return None if n < 0 else stream[pos + 6:pos + 6 + n]
