"""dm_kmeans against a plain scan building the same arrays, and against scikit-learn.

Goals (1,000,000 rows x 8 features, k = 8, 10 restarts on both sides):
  - fit at most 3x a plain scan building the same float8[] arrays, serial and with 2 workers;
  - fit faster than scikit-learn's KMeans fit alone (data already in memory);
  - dm_kmeans_assign over every row at most 2x the plain scan.
"""
import time

import numpy as np
from sklearn.cluster import KMeans

from benchlib import (PARALLEL_2, SERIAL, check_parallel, connect, execute, report, scale, time_sql,
                      time_sql_pair)

ROWS = scale(1_000_000)
K = 8
N_INIT = 10
COLUMNS = ", ".join(f"f{j}" for j in range(1, 9))
FEATURES = f"ARRAY[{COLUMNS}]"


def make_table(conn):
    """Eight clusters in 8 dimensions, roughly normal noise of unequal spread."""
    execute(conn, "DROP TABLE IF EXISTS bench_kmeans")
    execute(conn, "SELECT setseed(0.42)")
    noise = "(random() + random() + random() - 1.5)"
    columns = ", ".join(f"c.centre[{j}] + {noise} * (1 + c.g % 3) AS f{j}" for j in range(1, 9))
    execute(conn, f"""CREATE TABLE bench_kmeans AS
        WITH c AS (SELECT g, array_agg(random() * 20 ORDER BY j) AS centre
                   FROM generate_series(0, {K - 1}) g, generate_series(1, 8) j GROUP BY g)
        SELECT i AS id, {columns}
        FROM generate_series(1, {ROWS}) i JOIN c ON c.g = i % {K}""")
    execute(conn, "VACUUM ANALYZE bench_kmeans")


def export(conn):
    """The rows as a numpy matrix, through psycopg2 (what an analyst's script does)."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {COLUMNS} FROM bench_kmeans")
        return np.array(cur.fetchall(), dtype=np.float64)


def sklearn_fit(x):
    return KMeans(n_clusters=K, n_init=N_INIT, random_state=0).fit(x)


def main():
    conn = connect()
    make_table(conn)
    scan = f"SELECT count({FEATURES}) FROM bench_kmeans"
    fit = f"SELECT dmine.dm_kmeans({FEATURES}, {K}) FROM bench_kmeans"
    fit_raw = f"""SELECT dmine.dm_kmeans({FEATURES}, {K}, '{{"scale": false}}') FROM bench_kmeans"""
    time_sql(conn, scan, repeat=1)  # warm the cache
    check_parallel(conn, [scan, fit])
    check_parallel(conn, [fit], settings={})  # the server's own settings
    rows = []
    ratios = []
    for label, settings in (("serial", SERIAL), ("2 parallel workers", PARALLEL_2)):
        t_fit, t_scan, paired = time_sql_pair(conn, fit, scan, settings=settings)
        rows.append((f"dm_kmeans vs plain scan building the arrays, {label}", t_fit, t_scan, "<= 3x"))
        ratios.append(f"{label} {paired:.2f}x")

    execute(conn, "DROP TABLE IF EXISTS bench_kmeans_model")
    execute(conn, f"CREATE TABLE bench_kmeans_model AS {fit_raw.replace('SELECT ', 'SELECT 1 AS id, ', 1)}")
    model = "(SELECT m.dm_kmeans FROM bench_kmeans_model m)"
    t_scan = time_sql(conn, scan, settings=SERIAL)
    assign = f"SELECT sum(dmine.dm_kmeans_assign({model}, {FEATURES})) FROM bench_kmeans"
    refine = f"SELECT dmine.dm_kmeans_refine({model}, {FEATURES}) FROM bench_kmeans"
    rows.append(("dm_kmeans_assign over every row vs plain scan, serial",
                 time_sql(conn, assign, settings=SERIAL), t_scan, "<= 2x"))
    rows.append(("dm_kmeans_refine (exact Lloyd pass) vs plain scan, serial",
                 time_sql(conn, refine, settings=SERIAL), t_scan, "-"))

    # scikit-learn on the same rows, raw units as dm_kmeans with scale = false.
    t_fit_raw = time_sql(conn, fit_raw, settings=SERIAL)
    start = time.perf_counter()
    x = export(conn)
    t_export = time.perf_counter() - start
    start = time.perf_counter()
    km = sklearn_fit(x)
    t_sklearn = time.perf_counter() - start
    rows.append((f"scikit-learn KMeans(n_init={N_INIT}) fit only vs dm_kmeans (scale off)", t_sklearn, t_fit_raw,
                 ">= 1x"))
    rows.append(("scikit-learn export (psycopg2) + fit vs dm_kmeans (scale off)", t_export + t_sklearn, t_fit_raw,
                 ">= 1x"))
    report(f"K-Means over {ROWS:,} rows x 8 features, k = {K}", rows)
    print("fit / scan, median of 5 alternating rounds: " + ", ".join(ratios))

    # Quality: the SSE of each model over every row (dm_kmeans fits on a 100,000-row sample).
    ours = execute(conn, f"SELECT sum(dmine.dm_kmeans_distance({model}, {FEATURES}) ^ 2) FROM bench_kmeans")[0][0]
    info = execute(conn, f"SELECT dmine.dm_kmeans_info({model})->>'points_used'")[0][0]
    print(f"\nSSE over all rows: dm_kmeans {ours:.6e} (fitted on {int(info):,} sampled rows), "
          f"scikit-learn {km.inertia_:.6e} (all rows): ratio {ours / km.inertia_:.5f}")
    execute(conn, "DROP TABLE bench_kmeans_model")
    execute(conn, "DROP TABLE bench_kmeans")


if __name__ == "__main__":
    main()
