#!/usr/bin/env python3
"""CALL dmine.run_mining(...) from a driver and from psql, as a new user would write it.

In non-autocommit mode (psycopg2's default, and psql inside BEGIN ... COMMIT) the call fails at
once with SQLSTATE 25001 and a hint to turn autocommit on; in autocommit mode it runs. Uses the
PG* variables of a running server; prints TAP.

    /usr/bin/python3 test/drivers/check.py
"""
import os
import subprocess
import sys

import psycopg2

DB = "dmine_drivers"
results = []


def check(ok, what):
    results.append(ok)
    print(("ok" if ok else "not ok") + f" {len(results)} - {what}")


def connect(dbname):
    return psycopg2.connect(dbname=dbname)


admin = connect(os.environ.get("PGDATABASE", "postgres"))
admin.autocommit = True
with admin.cursor() as cur:
    cur.execute(f"DROP DATABASE IF EXISTS {DB}")
    cur.execute(f"CREATE DATABASE {DB}")
try:
    setup = connect(DB)
    setup.autocommit = True
    with setup.cursor() as cur:
        cur.execute("CREATE EXTENSION dmine")
        cur.execute("SELECT count(*) FROM dmine.create_demo_warehouse('drv', 0.02)")
    setup.close()

    # psycopg2 in its default mode: a transaction is open before the CALL.
    conn = connect(DB)
    with conn.cursor() as cur:
        try:
            cur.execute("CALL dmine.run_mining('drv')")
            check(False, "psycopg2, autocommit off: the CALL fails")
        except psycopg2.Error as e:
            check(e.pgcode == "25001", f"psycopg2, autocommit off: SQLSTATE 25001 (got {e.pgcode})")
            check(e.diag.message_primary == "run_mining cannot run inside a transaction block",
                  "... the message says why")
            check("autocommit" in (e.diag.message_hint or "") and "psycopg2" in (e.diag.message_hint or ""),
                  "... the hint says to turn autocommit on")
            check(e.diag.context is None, "... no PL/pgSQL context lines")
    conn.rollback()
    # As the hint says.
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CALL dmine.run_mining('drv', 'quick', steps => '{profile,rfm}')")
        run_id = cur.fetchone()[0]
        cur.execute("SELECT status FROM dmine.runs WHERE run_id = %s", (run_id,))
        check(cur.fetchone()[0] == "succeeded", "psycopg2, autocommit on: the run succeeds")
    conn.close()

    # psql: inside BEGIN ... COMMIT, and on its own.
    def psql(sql):
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DB],
                              input=sql, capture_output=True, text=True)
    p = psql("BEGIN;\nCALL dmine.run_mining('drv');\nCOMMIT;\n")
    check(p.returncode != 0 and "run_mining cannot run inside a transaction block" in p.stderr
          and "HINT:  Run CALL dmine.run_mining(...) as a statement of its own" in p.stderr
          and "CONTEXT" not in p.stderr, "psql, BEGIN; CALL: the message and the hint, no context")
    p = psql("\\set VERBOSITY verbose\nBEGIN;\nCALL dmine.run_mining('drv');\n")
    check("25001" in p.stderr, "psql, verbose: SQLSTATE 25001")
    p = psql("CALL dmine.run_mining('drv', 'quick', steps => '{rfm}');\n")
    check(p.returncode == 0, "psql in autocommit: the run succeeds " + p.stderr.strip())
finally:
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB}")
    admin.close()

print(f"1..{len(results)}")
sys.exit(0 if all(results) else 1)
