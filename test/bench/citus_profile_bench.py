"""dm_profile on a Citus distributed table: its one-scan summary pushed down to the workers
(dm_profile_summary(top_n, spec, ROW(...)), states shipped as text) against the rows gathered
on the coordinator (the VARIADIC form over (SELECT * FROM t OFFSET 0), what dm_profile did before
the record form), on a table of 8 mixed columns (DMINE_CITUS_PROFILE_ROWS, default 1000000).
Also, on a local copy, the VARIADIC form against the record form on one node (why dm_profile
keeps the VARIADIC form there).

Needs a Citus coordinator with workers in PGHOST/PGPORT (`eval "$(bash scripts/citus.sh start)"`);
prints a note and exits 0 on a server without Citus.
"""
import os
import sys

from benchlib import connect, execute, timed

ROWS = [int(n) for n in os.environ.get("DMINE_CITUS_PROFILE_ROWS", "1000000").split()]
COLUMNS = "id, amount, label, day, seen, flag, k, f"
SPEC = "vvVvvvvv"
RANGES = ", ".join(f"min({c}), max({c})" for c in ("id", "amount", "label", "day", "seen", "k", "f"))


def load(conn, n):
    execute(conn, "DROP TABLE IF EXISTS bench_profile, bench_profile_local")
    execute(conn, """CREATE TABLE bench_profile (id bigint, amount numeric(12, 2), label text, day date,
                                                 seen timestamptz, flag boolean, k int, f float8)""")
    execute(conn, "SELECT create_distributed_table('bench_profile', 'id')")
    execute(conn, f"""INSERT INTO bench_profile
                      SELECT i, round((dmine.dm_demo_uniform(i, 1) * 1000)::numeric, 2),
                             CASE WHEN i % 11 <> 0 THEN 'label ' || (i % 13) END,
                             date '2024-01-01' + (i % 400)::int, timestamptz '2024-01-01 00:00+00' + i * interval '1 minute',
                             CASE WHEN i % 4 <> 0 THEN i % 3 = 0 END, ((i * 7919) % 20000)::int, dmine.dm_demo_uniform(i, 2)
                      FROM generate_series(1::bigint, {n}) AS i""")
    execute(conn, "CREATE TABLE bench_profile_local AS SELECT * FROM bench_profile")
    execute(conn, "ANALYZE bench_profile")
    execute(conn, "ANALYZE bench_profile_local")
    return execute(conn, "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'bench_profile'::regclass")[0][0]


def main():
    conn = connect()
    if not execute(conn, "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')")[0][0]:
        print("citus_profile_bench: no Citus on this server (start one with scripts/citus.sh); skipped")
        return 0
    workers = execute(conn, "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0")[0][0]
    execute(conn, "SET max_parallel_workers_per_gather = 0")
    execute(conn, "SET jit = off")
    for n in ROWS:
        shards = load(conn, n)
        print(f"\n{n:,} rows x 8 columns, {shards} shards on {workers} workers")
        states = [r[0] for r in execute(conn, f"""SELECT result FROM run_command_on_shards('bench_profile',
                  $$SELECT dmine.dm_profile_summary(5, '{SPEC}', ROW({COLUMNS}))::text FROM %s$$)""")]
        shipped = sum(len(s) for s in states)
        rows_shipped = execute(conn, "SELECT sum(octet_length(b::text) + 1) FROM bench_profile AS b")[0][0]
        values = ", ".join(f"($${s}$$)" for s in states)
        coord = timed(lambda: execute(conn, f"""SELECT dmine.dm_summary_profile(dmine.dm_rollup(s::dmine.profile_summary))
                                               FROM (VALUES {values}) AS v(s)"""))
        pushed = timed(lambda: execute(conn, f"""SELECT dmine.dm_summary_profile(dmine.dm_profile_summary(5, '{SPEC}', ROW({COLUMNS}))),
                                                {RANGES} FROM bench_profile"""))
        gathered = timed(lambda: execute(conn, f"""SELECT dmine.dm_summary_profile(dmine.dm_profile_summary(5, '{SPEC}', {COLUMNS})),
                                                  {RANGES} FROM (SELECT * FROM bench_profile OFFSET 0) AS gathered"""), repeat=1)
        profile = timed(lambda: execute(conn, "SELECT * FROM dmine.dm_profile('bench_profile')"), repeat=1)
        local = timed(lambda: execute(conn, "SELECT * FROM dmine.dm_profile('bench_profile_local')"), repeat=1)
        print(f"one scan, states shipped {shipped:,d} B against {rows_shipped:,d} B of rows gathered")
        print(f"one scan, coordinator (combining the {len(states)} states, final) {coord:.3f} s")
        print(f"one scan, total: pushed down {pushed:.3f} s, gathered {gathered:.3f} s, ratio {gathered / pushed:.1f}x")
        print(f"dm_profile: distributed table {profile:.3f} s, the local copy on the coordinator {local:.3f} s")
        variadic = timed(lambda: execute(conn, f"""SELECT dmine.dm_profile_summary(5, '{SPEC}', {COLUMNS}) IS NOT NULL
                                                  FROM bench_profile_local"""))
        record = timed(lambda: execute(conn, f"""SELECT dmine.dm_profile_summary(5, '{SPEC}', ROW({COLUMNS})) IS NOT NULL
                                                FROM bench_profile_local"""))
        print(f"one node: VARIADIC form {variadic:.3f} s, record form {record:.3f} s, ratio {record / variadic:.2f}x")
    execute(conn, "DROP TABLE IF EXISTS bench_profile, bench_profile_local")
    return 0


if __name__ == "__main__":
    sys.exit(main())
