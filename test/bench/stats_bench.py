"""dm_stats against the built-in aggregates and exact percentile_cont, serial and parallel.

Goals: dm_stats at most 1.3x count/avg/stddev/min/max over the same scan, and at least 5x
faster than percentile_cont for the same seven quantiles.
"""
from benchlib import PARALLEL_2, SERIAL, check_parallel, connect, execute, report, scale, time_sql

ROWS = scale(10_000_000)
QUANTILES = "ARRAY[0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]"


def main():
    conn = connect()
    execute(conn, "DROP TABLE IF EXISTS bench_stats")
    execute(conn, f"""CREATE TABLE bench_stats AS
        SELECT (random() * 1000 + exp(random() * 8))::float8 AS x FROM generate_series(1, {ROWS})""")
    execute(conn, "VACUUM ANALYZE bench_stats")
    builtin = "SELECT count(x), avg(x), stddev(x), min(x), max(x) FROM bench_stats"
    dmine = "SELECT dmine.dm_stats(x) FROM bench_stats"
    exact = f"SELECT percentile_cont({QUANTILES}) WITHIN GROUP (ORDER BY x) FROM bench_stats"
    time_sql(conn, builtin, repeat=1)  # warm the cache
    check_parallel(conn, [builtin, dmine])
    check_parallel(conn, [dmine], settings={})  # the server's own settings
    rows = []
    for label, settings in (("serial", SERIAL), ("2 parallel workers", PARALLEL_2)):
        t_builtin = time_sql(conn, builtin, settings=settings)
        t_dmine = time_sql(conn, dmine, settings=settings)
        t_exact = time_sql(conn, exact, repeat=1, settings=settings)
        rows.append((f"dm_stats vs count/avg/stddev/min/max, {label}", t_dmine, t_builtin, "<= 1.3x"))
        rows.append((f"percentile_cont (7 quantiles) vs dm_stats, {label}", t_exact, t_dmine, ">= 5x"))
    report(f"Exploratory statistics over {ROWS:,} rows", rows)
    execute(conn, "DROP TABLE bench_stats")


if __name__ == "__main__":
    main()
