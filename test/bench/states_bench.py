"""Expanded-object states against the 0.1.0 `internal` states, in the same process.

The 0.1.0 aggregates are recreated in a scratch schema over the 0.1.0 C entry points that the
library keeps, so both run the same kernels: the ratio is the cost of the real state type
(expanded object, in-place updates), serial and with 2 parallel workers (states flattened by the
workers instead of SERIALFUNC). Goal: at most 1.1x. Each pair alternates new and old runs (median of 5 each). Also prints the bytes of each flattened state.
"""
import os
import statistics

from benchlib import PARALLEL_2, SERIAL, connect, execute, report, scale, time_sql

ROWS = scale(2_000_000)

LEGACY = """
DROP SCHEMA IF EXISTS bench_legacy CASCADE;
CREATE SCHEMA bench_legacy;
SET search_path = bench_legacy, dmine;
CREATE FUNCTION s_acc(internal, float8) RETURNS internal AS '$libdir/dmine', 'dm_summary_accum' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION s_comb(internal, internal) RETURNS internal AS '$libdir/dmine', 'dm_summary_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION s_ser(internal) RETURNS bytea AS '$libdir/dmine', 'dm_summary_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION s_des(bytea, internal) RETURNS internal AS '$libdir/dmine', 'dm_summary_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION s_fin(internal) RETURNS dmine.stats AS '$libdir/dmine', 'dm_stats_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE stats(float8) (SFUNC = s_acc, STYPE = internal, FINALFUNC = s_fin, COMBINEFUNC = s_comb,
    SERIALFUNC = s_ser, DESERIALFUNC = s_des, PARALLEL = SAFE);
CREATE FUNCTION d_acc(internal, anyelement) RETURNS internal AS '$libdir/dmine', 'dm_distinct_accum' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION d_comb(internal, internal) RETURNS internal AS '$libdir/dmine', 'dm_distinct_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION d_ser(internal) RETURNS bytea AS '$libdir/dmine', 'dm_distinct_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION d_des(bytea, internal) RETURNS internal AS '$libdir/dmine', 'dm_distinct_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION d_fin(internal) RETURNS bigint AS '$libdir/dmine', 'dm_distinct_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE distinct_count(anyelement) (SFUNC = d_acc, STYPE = internal, FINALFUNC = d_fin, COMBINEFUNC = d_comb,
    SERIALFUNC = d_ser, DESERIALFUNC = d_des, PARALLEL = SAFE);
CREATE FUNCTION c_acc(internal, float8[]) RETURNS internal AS '$libdir/dmine', 'dm_corr_accum' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION c_comb(internal, internal) RETURNS internal AS '$libdir/dmine', 'dm_corr_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION c_ser(internal) RETURNS bytea AS '$libdir/dmine', 'dm_corr_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION c_des(bytea, internal) RETURNS internal AS '$libdir/dmine', 'dm_corr_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION c_fin(internal) RETURNS float8[] AS '$libdir/dmine', 'dm_corr_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE corr(float8[]) (SFUNC = c_acc, STYPE = internal, FINALFUNC = c_fin, COMBINEFUNC = c_comb,
    SERIALFUNC = c_ser, DESERIALFUNC = c_des, PARALLEL = SAFE);
CREATE FUNCTION k_acc(internal, float8[], int) RETURNS internal AS '$libdir/dmine', 'dm_kmeans_accum' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION k_comb(internal, internal) RETURNS internal AS '$libdir/dmine', 'dm_kmeans_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION k_ser(internal) RETURNS bytea AS '$libdir/dmine', 'dm_kmeans_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION k_des(bytea, internal) RETURNS internal AS '$libdir/dmine', 'dm_kmeans_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION k_fin(internal) RETURNS dmine.kmeans_model AS '$libdir/dmine', 'dm_kmeans_final' LANGUAGE C PARALLEL SAFE;
CREATE AGGREGATE kmeans(float8[], int) (SFUNC = k_acc, STYPE = internal, FINALFUNC = k_fin, COMBINEFUNC = k_comb,
    SERIALFUNC = k_ser, DESERIALFUNC = k_des, PARALLEL = SAFE);
"""

CASES = [
    ("dm_stats", "dmine.dm_stats(x)", "bench_legacy.stats(x)"),
    ("dm_approx_distinct", "dmine.dm_approx_distinct(g)", "bench_legacy.distinct_count(g)"),
    ("dm_corr (3 features)", "dmine.dm_corr(ARRAY[x, y, z])", "bench_legacy.corr(ARRAY[x, y, z])"),
    ("dm_kmeans (3 features, k = 4)", "dmine.dm_kmeans(ARRAY[x, y, z], 4)", "bench_legacy.kmeans(ARRAY[x, y, z], 4)"),
]
# DMINE_BENCH_CASES=dm_kmeans,dm_corr runs only the cases whose name starts with one of these.
ONLY = [c for c in os.environ.get("DMINE_BENCH_CASES", "").split(",") if c]

SIZES = [
    ("stats_summary", "dmine.dm_stats_summary(x)"),
    ("distinct_summary", "dmine.dm_distinct_summary(g)"),
    ("comoments_summary", "dmine.dm_comoments_summary(ARRAY[x, y, z])"),
    ("histogram_summary (100 bins)", "dmine.dm_histogram_summary(x, 100, 0, 4000)"),
    ("kmeans_summary (3 features)", "dmine.dm_kmeans_summary(ARRAY[x, y, z])"),
    ("iforest_summary (3 features)", "dmine.dm_iforest_summary(ARRAY[x, y, z])"),
]


def alternating(conn, a, b, settings, runs=5):
    """Median times of a and b run in turn (a machine's load drifts between runs)."""
    ta, tb = [], []
    for _ in range(runs):
        ta.append(time_sql(conn, a, repeat=1, settings=settings))
        tb.append(time_sql(conn, b, repeat=1, settings=settings))
    return statistics.median(ta), statistics.median(tb)


def main():
    conn = connect()
    execute(conn, LEGACY)
    execute(conn, "DROP TABLE IF EXISTS bench_states")
    execute(conn, f"""CREATE TABLE bench_states AS
        SELECT g, (random() * 1000 + exp(random() * 8))::float8 AS x, random() AS y, random() AS z
        FROM generate_series(1, {ROWS}) g""")
    execute(conn, "VACUUM ANALYZE bench_states")
    time_sql(conn, "SELECT count(*) FROM bench_states", repeat=1)
    rows = []
    for label, settings in (("serial", SERIAL), ("2 parallel workers", PARALLEL_2)):
        for name, new, old in CASES:
            if ONLY and not any(name.startswith(c) for c in ONLY):
                continue
            t_new, t_old = alternating(conn, f"SELECT {new} FROM bench_states",
                                       f"SELECT {old} FROM bench_states", settings)
            rows.append((f"{name}: state type vs 0.1.0 internal state, {label}", t_new, t_old, "<= 1.1x"))
    report(f"State types over {ROWS:,} rows", rows)
    cur = conn.cursor()
    print("\nBytes of one flattened state over all rows:")
    for name, expr in SIZES:
        cur.execute(f"SELECT pg_column_size({expr}), length({expr}::text) FROM bench_states")
        size, text = cur.fetchone()
        print(f"  {name:32s} {size:>10,} bytes binary, {text:>10,} characters of text")
    execute(conn, "DROP TABLE bench_states")
    execute(conn, "DROP SCHEMA bench_legacy CASCADE")


if __name__ == "__main__":
    main()
