"""Citus scale-out benchmark: each aggregate pushed down to the workers (worker_partial_agg,
states shipped as text) against the rows pulled to the coordinator (row-gather), at 1 and 10
million rows (DMINE_CITUS_BENCH_ROWS="1000000 10000000"; DMINE_CITUS_BENCH_ONLY="dm_stats ..." for
a subset).

Needs a Citus coordinator with workers in PGHOST/PGPORT (`eval "$(bash scripts/citus.sh start)"`);
prints a note and exits 0 on a server without Citus. Reports, per aggregate: bytes shipped to
the coordinator (the states' text, against the rows' text), coordinator time (combining the
shipped states; aggregating the pulled rows) and total time; ratio = row-gather / pushed down.
"""
import os
import sys

from benchlib import connect, execute, timed

ROWS = [int(n) for n in os.environ.get("DMINE_CITUS_BENCH_ROWS", "1000000 10000000").split()]
# A subset of the aggregates (names, space-separated), e.g. DMINE_CITUS_BENCH_ONLY="dm_stats dm_corr".
ONLY = os.environ.get("DMINE_CITUS_BENCH_ONLY", "").split()

# name, aggregate over the facts, partial state of one shard, final over states, rows pulled
CASES = [
    ("dm_stats", "dmine.dm_stats(x)", "dmine.dm_stats_summary(x)",
     "dmine.dm_summary_stats(dmine.dm_rollup(s::dmine.stats_summary))", "x"),
    ("dm_quantiles", "dmine.dm_quantiles(x, '{0.01,0.5,0.99}')", "dmine.dm_stats_summary(x)",
     "dmine.dm_summary_quantiles(dmine.dm_rollup(s::dmine.stats_summary), '{0.01,0.5,0.99}')", "x"),
    ("dm_histogram", "dmine.dm_histogram(x, 50)", "dmine.dm_stats_summary(x)",
     "dmine.dm_summary_histogram(dmine.dm_rollup(s::dmine.stats_summary), 50)", "x"),
    ("dm_corr", "dmine.dm_corr(ARRAY[x, y, z])", "dmine.dm_comoments_summary(ARRAY[x, y, z])",
     "dmine.dm_summary_corr(dmine.dm_rollup(s::dmine.comoments_summary))", "ARRAY[x, y, z]"),
    ("dm_approx_distinct", "dmine.dm_approx_distinct(k)", "dmine.dm_distinct_summary(k)",
     "dmine.dm_summary_distinct(dmine.dm_rollup(s::dmine.distinct_summary))", "k"),
    ("dm_kmeans k=4", "dmine.dm_kmeans(ARRAY[x, y, z], 4)", "dmine.dm_kmeans_summary(ARRAY[x, y, z])",
     "dmine.dm_summary_kmeans(dmine.dm_rollup(s::dmine.kmeans_summary), 4)", "ARRAY[x, y, z]"),
    ("dm_iforest", "dmine.dm_iforest(ARRAY[x, y, z])", "dmine.dm_iforest_summary(ARRAY[x, y, z])",
     "dmine.dm_summary_iforest(dmine.dm_rollup(s::dmine.iforest_summary))", "ARRAY[x, y, z]"),
]
# Aggregates pulled as rows when their state type is internal (an older dmine).
ROW_GATHER_ONLY = [(c[0], c[1], c[4]) for c in CASES]


def real_state(conn, agg):
    return execute(conn, """SELECT coalesce(bool_and(t.typtype <> 'p'), false) FROM pg_aggregate a
                            JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_type t ON t.oid = a.aggtranstype
                            WHERE p.pronamespace = 'dmine'::regnamespace AND p.proname = %s""", (agg,))[0][0]


def load(conn, n):
    execute(conn, "DROP TABLE IF EXISTS bench_facts")
    execute(conn, "CREATE TABLE bench_facts (id bigint, k int, x float8, y float8, z float8)")
    execute(conn, "SELECT create_distributed_table('bench_facts', 'id')")
    # Generated on the workers: one INSERT ... SELECT per shard.
    execute(conn, f"""INSERT INTO bench_facts
                      SELECT i, ((i * 7919) % 200000)::int, dmine.dm_demo_uniform(i, 1) * 100 + (i % 4) * 50,
                             dmine.dm_demo_uniform(i, 2), dmine.dm_demo_uniform(i, 3) + (i % 4)
                      FROM generate_series(1::bigint, {n}) AS i""")
    execute(conn, "ANALYZE bench_facts")
    return execute(conn, "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'bench_facts'::regclass")[0][0]


def shard_states(conn, state):
    rows = execute(conn, f"""SELECT result FROM run_command_on_shards('bench_facts',
                             $$SELECT {state}::text FROM %s$$)""")
    return [r[0] for r in rows]


def row_bytes(conn, expr):
    return execute(conn, f"SELECT sum(octet_length(({expr})::text) + 1) FROM bench_facts")[0][0]


def main():
    conn = connect()
    if not execute(conn, "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')")[0][0]:
        print("citus_bench: no Citus on this server (start one with scripts/citus.sh); skipped")
        return 0
    workers = execute(conn, "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0")[0][0]
    for n in ROWS:
        shards = load(conn, n)
        print(f"\n{n:,} rows, {shards} shards on {workers} workers")
        print(f"{'aggregate':22} {'shipped':>12} {'rows shipped':>13} {'coord':>8} {'coord rg':>9} "
              f"{'total':>8} {'total rg':>9} {'ratio':>6}")
        for name, agg, state, final, pulled in CASES:
            agg_name = name.split()[0]
            if (ONLY and agg_name not in ONLY) or not real_state(conn, agg_name):
                continue
            states = shard_states(conn, state)
            shipped = sum(len(s) for s in states)
            values = ", ".join(f"($${s}$$)" for s in states)
            coord = timed(lambda: execute(conn, f"SELECT {final} FROM (VALUES {values}) AS v(s)"))
            total = timed(lambda: execute(conn, f"SELECT {agg} FROM bench_facts"))
            # Row-gather: the rows pulled to the coordinator (a subquery Citus cannot push down).
            total_rg = timed(lambda: execute(conn, f"SELECT {agg} FROM (SELECT x, y, z, k FROM bench_facts OFFSET 0) t"),
                             repeat=1)
            execute(conn, "DROP TABLE IF EXISTS pg_temp.bench_rows")
            execute(conn, "CREATE TEMP TABLE bench_rows AS SELECT x, y, z, k FROM bench_facts")
            coord_rg = timed(lambda: execute(conn, f"SELECT {agg} FROM bench_rows"), repeat=1)
            rb = row_bytes(conn, pulled)
            print(f"{name:22} {shipped:11,d}B {rb:12,d}B {coord:7.3f}s {coord_rg:8.3f}s {total:7.3f}s "
                  f"{total_rg:8.3f}s {total_rg / total:5.1f}x")
        for name, agg, pulled in ROW_GATHER_ONLY:
            if real_state(conn, name.split()[0]) or name.startswith("dm_stats"):
                continue
            total_rg = timed(lambda: execute(conn, f"SELECT {agg} FROM bench_facts"), repeat=1)
            rb = row_bytes(conn, pulled)
            print(f"{name:22} {'(internal)':>12} {rb:12,d}B {'':>8} {'':>9} {'':>8} {total_rg:8.3f}s   row-gather only")
    execute(conn, "DROP TABLE IF EXISTS bench_facts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
