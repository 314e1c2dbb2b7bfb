#!/usr/bin/python3
"""Many-group aggregates under a small work_mem: hash aggregation must spill, not grow.

For every dmine aggregate, GROUP BY over many groups of a few rows with work_mem = 4MB and a
forced hash aggregate (enable_sort = off), in a fresh backend each. The table has no statistics,
so the planner expects 200 groups: memory must be held by what the hash aggregate counts at run
time, not by the estimate. Checks, per aggregate:
  - the HashAggregate spilled (Batches > 1 or disk used): PostgreSQL saw the states' memory;
  - the backend's peak resident memory grew by at most 4 x work_mem + 4 MB (executor, spill
    buffers, allocator slack) + the largest single group's state (small here), read from
    /proc/<backend pid>/status (VmHWM, and RssAnon sampled): run as root or as the server's owner;
  - the results equal those of the sorted plan (GroupAggregate), compared by per-group hashes on
    a share of the groups.

Usage: memory_fuzz.py [--quick | --long] [--groups N] [--only NAME,...] [--seed N]
  --quick (default): 150,000 groups (40,000 for dm_approx_distinct, whose 16 KB states make
  a thousand batches), about 2 minutes; --long: 1,000,000 groups for every aggregate.
Connection from the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE); the database gets
the dmine extension if missing. Prints one line per aggregate; exits 1 on any failure (2 when
the backend's memory cannot be read). Under test/fuzz/run.sh: DMINE_FUZZ_DB is the database,
DMINE_FUZZ_SEED the seed, DMINE_FUZZ_LONG=1 the long mode, and a DMINE_FUZZ_BUDGET below 120
seconds scales the quick mode down (never below 60,000 groups).
"""
import argparse
import json
import os
import random
import sys
import threading
import time

import psycopg2

WORK_MEM_MB = 4
SLACK_MB = 4
LARGEST_STATE_MB = 1  # a group of this table holds a few KB (HyperLogLog: 16 KB)
ROWS_PER_GROUP = 4
COMPARE_SHARE = 4  # the sorted plan recomputes one group in COMPARE_SHARE
QUICK_GROUPS = 150_000
COSTLY_QUICK_GROUPS = 40_000

MODEL_HASH = "hashtextextended(md5(dmine.{type}_send(r)), 7)"
# name, aggregate call over columns g, x, f; hash of its result r; costly (fewer groups in
# the quick mode)
AGGREGATES = [
    ("dm_stats", "dmine.dm_stats(x)", "hash_record_extended(r, 7)", False),
    ("dm_quantiles", "dmine.dm_quantiles(x, ARRAY[0.1, 0.5, 0.9])",
     "hash_array_extended(r, 7)", False),
    ("dm_histogram", "dmine.dm_histogram(x, 10)", "hash_record_extended(r, 7)", False),
    ("dm_histogram_fixed", "dmine.dm_histogram(x, 100, 0, 1)", "hash_record_extended(r, 7)", False),
    ("dm_corr", "dmine.dm_corr(f || f)", "hash_array_extended(r, 7)", False),
    ("dm_cov", "dmine.dm_cov(f || f)", "hash_array_extended(r, 7)", False),
    ("dm_approx_distinct", "dmine.dm_approx_distinct(x)", "hashint8extended(r, 7)", True),
    ("dm_kmeans", """dmine.dm_kmeans(f, 2, '{"n_init": 1}')""",
     MODEL_HASH.format(type="kmeans_model"), False),
    ("dm_kmeans_auto", """dmine.dm_kmeans_auto(f, 2, 3, '{"n_init": 1}')""",
     MODEL_HASH.format(type="kmeans_model"), False),
    ("dm_kmeans_refine", "dmine.dm_kmeans_refine((SELECT model FROM memfuzz_model), f)",
     MODEL_HASH.format(type="kmeans_model"), False),
    ("dm_iforest", """dmine.dm_iforest(f, '{"n_trees": 2}')""",
     MODEL_HASH.format(type="iforest_model"), False),
]


def log(msg):
    print(msg, flush=True)


def connect():
    db = os.environ.get("DMINE_FUZZ_DB")
    conn = psycopg2.connect(dbname=db) if db else psycopg2.connect("")
    conn.autocommit = True
    return conn


def query(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall() if cur.description else None


def make_table(conn, groups, seed):
    """groups x ROWS_PER_GROUP rows, interleaved (row i in group i % groups): every group
    exists before any grows. No statistics: the planner expects 200 groups."""
    query(conn, "CREATE EXTENSION IF NOT EXISTS dmine")
    query(conn, "DROP TABLE IF EXISTS public.memfuzz_t, public.memfuzz_model")
    query(conn, f"SELECT setseed({(seed % 1000) / 1000.0})")
    query(conn, f"""CREATE UNLOGGED TABLE public.memfuzz_t WITH (autovacuum_enabled = off) AS
        SELECT i AS id, i % {groups} AS g, x, ARRAY[x, y, x * y, x + y, x - y, x * x] AS f
        FROM (SELECT i, random() AS x, random() AS y
              FROM generate_series(0, {groups * ROWS_PER_GROUP - 1}) i) s""")
    query(conn, """CREATE UNLOGGED TABLE public.memfuzz_model AS
        SELECT dmine.dm_kmeans(f, 2, '{"n_init": 1}') AS model FROM public.memfuzz_t""")


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0]) * 1024
    return fields


def reset_peak(pid):
    """Reset VmHWM to the current RSS (Linux >= 4.0); harmless when not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


class Sampler:
    """Samples the backend's anonymous resident memory while a query runs."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, proc_status(self.pid).get("RssAnon", 0))
            except OSError:
                return
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def checksum_sql(call, hash_expr, groups, share_only):
    """Count, non-NULL count and hash sum over all groups below `groups` and over the share
    compared with the sorted plan; the sorted plan reads its rows in (g, id) order, as the
    hashed plan does from the table."""
    where = f"g < {groups}" + (f" AND g % {COMPARE_SHARE} = 0" if share_only else "")
    source = (f"(SELECT * FROM memfuzz_t WHERE {where} ORDER BY g, id) s" if share_only
              else f"memfuzz_t WHERE {where}")
    h = f"coalesce({hash_expr}, 0)::numeric"
    share = f"g % {COMPARE_SHARE} = 0"
    return f"""SELECT count(*) FILTER (WHERE {share}), count(r) FILTER (WHERE {share}),
                      sum({h}) FILTER (WHERE {share}), count(*), count(r)
               FROM (SELECT g, {call} AS r FROM {source} GROUP BY g) q"""


def hash_node(plan):
    """The hashed Aggregate node of a JSON plan (None when there is none)."""
    if plan.get("Node Type") == "Aggregate" and plan.get("Strategy") == "Hashed":
        return plan
    for child in plan.get("Plans", []):
        node = hash_node(child)
        if node:
            return node
    return None


def setup_session(conn):
    for setting in ("search_path = public", f"work_mem = '{WORK_MEM_MB}MB'",
                    "max_parallel_workers_per_gather = 0", "jit = off"):
        query(conn, f"SET {setting}")


def explained(conn, sql):
    """Run `sql` and return (rows, JSON plan with actual figures): through auto_explain at
    NOTICE level when allowed (one run), else a second run under EXPLAIN ANALYZE."""
    try:
        query(conn, "LOAD 'auto_explain'")
        for setting in ("log_min_duration = 0", "log_analyze = on", "log_timing = off",
                        "log_format = json", "log_level = notice"):
            query(conn, f"SET auto_explain.{setting}")
    except psycopg2.Error:
        rows = query(conn, sql)
        return rows, query(conn, "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql)[0][0][0]
    del conn.notices[:]
    rows = query(conn, sql)
    query(conn, "SET auto_explain.log_min_duration = -1")
    for notice in conn.notices:
        if '"Plan"' in notice:
            return rows, json.loads(notice[notice.index("{"):])
    return rows, {}


def run_one(name, call, hash_expr, groups):
    """Measure one aggregate in a fresh backend; returns (ok, line)."""
    conn = connect()
    try:
        setup_session(conn)
        pid = query(conn, "SELECT pg_backend_pid()")[0][0]
        # Warm up: load the library, read the tables (shared buffers count in RSS too).
        query(conn, "SELECT count(*), dmine.dm_stats(x) FROM memfuzz_t")
        query(conn, "SELECT count(*) FROM memfuzz_model")
        query(conn, "SET enable_sort = off")
        before = proc_status(pid)
        reset_peak(pid)
        with Sampler(pid) as sampler:
            rows, plan = explained(conn, checksum_sql(call, hash_expr, groups, False))
        after = proc_status(pid)
        hashed = rows[0]
        query(conn, "SET enable_sort = on")
        query(conn, "SET enable_hashagg = off")
        ordered = query(conn, checksum_sql(call, hash_expr, groups, True))[0]
    finally:
        conn.close()
    growth = max(after["VmHWM"] - before["VmRSS"], sampler.peak - before.get("RssAnon", 0))
    bound = (4 * WORK_MEM_MB + SLACK_MB + LARGEST_STATE_MB) << 20
    node = hash_node(plan.get("Plan", {}))
    batches = node.get("HashAgg Batches", 0) if node else 0
    problems = []
    if node is None:
        problems.append("no hash aggregate in the plan")
    elif batches <= 1 and not node.get("Disk Usage", 0):
        problems.append("did not spill")
    if growth > bound:
        problems.append("memory beyond bound")
    if hashed[3] != groups:
        problems.append(f"{hashed[3]} groups instead of {groups}")
    if tuple(hashed[:3]) != tuple(ordered[:3]):
        problems.append(f"hashed {tuple(hashed[:3])} != sorted {tuple(ordered[:3])}")
    verdict = "FAIL: " + "; ".join(problems) if problems else "ok"
    line = (f"{name:20} groups={groups:<8} batches={batches:<5} peak_rss_growth="
            f"{growth / 2**20:6.1f} MB  bound={bound >> 20} MB  {verdict}")
    return not problems, line


def quick_groups():
    """QUICK_GROUPS, scaled down to a runner's budget of less than 120 seconds."""
    budget = float(os.environ.get("DMINE_FUZZ_BUDGET") or 120)
    return max(60_000, min(QUICK_GROUPS, int(QUICK_GROUPS * budget / 120) // 1000 * 1000))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="150,000 groups (default)")
    mode.add_argument("--long", action="store_true", help="1,000,000 groups")
    parser.add_argument("--groups", type=int, help="groups for every aggregate")
    parser.add_argument("--only", help="comma-separated aggregate names")
    default_seed = os.environ.get("DMINE_FUZZ_SEED") or random.randrange(1 << 30)
    parser.add_argument("--seed", type=int, default=int(default_seed))
    args = parser.parse_args()
    args.long = args.long or os.environ.get("DMINE_FUZZ_LONG") == "1"
    groups = args.groups or (1_000_000 if args.long else quick_groups())
    names = set(args.only.split(",")) if args.only else None
    bound = 4 * WORK_MEM_MB + SLACK_MB + LARGEST_STATE_MB
    log(f"memory_fuzz: seed={args.seed} groups={groups} work_mem={WORK_MEM_MB}MB "
        f"bound={bound}MB (replay: test/fuzz/memory_fuzz.py --groups {groups} --seed {args.seed})")
    conn = connect()
    pid = query(conn, "SELECT pg_backend_pid()")[0][0]
    try:
        proc_status(pid)
    except OSError as e:
        log(f"memory_fuzz: cannot read /proc/{pid}/status ({e}): run on the server's machine "
            "as root or as the server's owner")
        return 2
    start = time.time()
    make_table(conn, groups, args.seed)
    log(f"memory_fuzz: table of {groups * ROWS_PER_GROUP} rows in {time.time() - start:.0f}s")
    failures = 0
    try:
        for name, call, hash_expr, costly in AGGREGATES:
            if names and name not in names:
                continue
            quick = costly and not (args.long or args.groups)
            n = min(groups, COSTLY_QUICK_GROUPS) if quick else groups
            start = time.time()
            ok, line = run_one(name, call, hash_expr, n)
            failures += not ok
            log(f"{line}  ({time.time() - start:.0f}s)")
    finally:
        query(conn, "DROP TABLE IF EXISTS public.memfuzz_t, public.memfuzz_model")
    log(f"memory_fuzz: {'FAILED' if failures else 'passed'} ({failures} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
