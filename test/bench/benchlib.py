"""Helpers shared by dmine's benchmarks: connections, timing, and ratio tables."""
import os
import statistics
import time

import psycopg2


def connect():
    """A connection from the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE)."""
    conn = psycopg2.connect("")
    conn.autocommit = True
    return conn


def execute(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def timed(fn, repeat=3):
    """Median wall time of fn() over `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_sql(conn, sql, repeat=3, settings=None):
    """Median time of a query under the given session settings."""
    for name, value in (settings or {}).items():
        execute(conn, f"SET {name} = {value}")
    try:
        return timed(lambda: execute(conn, sql), repeat)
    finally:
        for name in (settings or {}):
            execute(conn, f"RESET {name}")


def time_sql_pair(conn, sql, baseline, repeat=5, settings=None):
    """Median times of sql and of its baseline run alternately (a drifting load on a shared
    machine then weighs on both alike), and the median of the per-round ratios."""
    for name, value in (settings or {}).items():
        execute(conn, f"SET {name} = {value}")
    try:
        pairs = [(timed(lambda: execute(conn, sql), 1), timed(lambda: execute(conn, baseline), 1))
                 for _ in range(repeat)]
    finally:
        for name in (settings or {}):
            execute(conn, f"RESET {name}")
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs),
            statistics.median(p[0] / p[1] for p in pairs))


SERIAL = {"max_parallel_workers_per_gather": 0}
PARALLEL_2 = {
    "max_parallel_workers_per_gather": 2,
    "parallel_setup_cost": 0,
    "parallel_tuple_cost": 0,
    "min_parallel_table_scan_size": 0,
}


def parallel_plan(conn, sql, settings):
    """Workers planned for sql under the settings (0: a serial plan), from EXPLAIN."""
    for name, value in settings.items():
        execute(conn, f"SET {name} = {value}")
    try:
        lines = [r[0] for r in execute(conn, f"EXPLAIN {sql}")]
    finally:
        for name in settings:
            execute(conn, f"RESET {name}")
    planned = [int(l.split("Workers Planned:")[1]) for l in lines if "Workers Planned:" in l]
    return planned[0] if planned and any("Partial Aggregate" in l for l in lines) else 0


def check_parallel(conn, queries, settings=None):
    """Print whether each query gets a parallel partial aggregation (defaults: PARALLEL_2)."""
    for sql in queries:
        n = parallel_plan(conn, sql, PARALLEL_2 if settings is None else settings)
        print(f"plan: {'parallel, ' + str(n) + ' workers' if n else 'SERIAL (no partial aggregate)'}: {sql[:70]}")


def report(title, rows):
    """Print rows of (label, seconds, baseline seconds, goal text)."""
    print(f"\n{title}")
    print(f"{'measure':58} {'time':>9} {'baseline':>9} {'ratio':>7}  goal")
    for label, seconds, baseline, goal in rows:
        ratio = seconds / baseline if baseline else float("nan")
        print(f"{label:58} {seconds:8.3f}s {baseline:8.3f}s {ratio:6.2f}x  {goal}")


def scale(default):
    """Row count, overridable with DMINE_BENCH_ROWS for a quick run."""
    return int(os.environ.get("DMINE_BENCH_ROWS", default))
