"""dm_iforest against scikit-learn's IsolationForest, and scoring against a plain scan.

Goals (1,000,000 generated sales lines x 4 features, 100 trees, sample size 256 on both sides):
  - dm_iforest fit + dm_iforest_score of every row at least 5x faster than scikit-learn's
    IsolationForest fit + score_samples on the same rows (data already in memory);
  - dm_iforest_score over every row at most 4x a plain scan building the same float8[] arrays,
    with 2 parallel workers.
"""
import time

import numpy as np
from sklearn.ensemble import IsolationForest

from benchlib import PARALLEL_2, SERIAL, connect, execute, report, scale, time_sql

ROWS = scale(1_000_000)
COLUMNS = "amount, quantity, hour, weekday"
FEATURES = f"ARRAY[{COLUMNS}]"


def make_table(conn):
    """Sales lines (log-normal amounts, geometric quantities, daytime hours) and 0.3% planted
    anomalies: amount x 40, quantity x 60, or a sale at 3 a.m."""
    execute(conn, "DROP TABLE IF EXISTS bench_iforest")
    execute(conn, "SELECT setseed(0.42)")
    normal = "sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())"
    execute(conn, f"""CREATE TABLE bench_iforest AS
        SELECT i AS id,
               round(exp(3.5 + 0.6 * {normal})::numeric, 2)::float8 AS amount,
               1 + floor(-ln(1 - random()) * 3) AS quantity,
               least(21, greatest(8, round(14 + 2.5 * {normal}))) AS hour,
               floor(random() * 7) AS weekday,
               0 AS planted
        FROM generate_series(1, {ROWS}) i""")
    execute(conn, "UPDATE bench_iforest SET amount = amount * 40, planted = 1 WHERE id % 1000 = 1")
    execute(conn, "UPDATE bench_iforest SET quantity = quantity * 60, planted = 1 WHERE id % 1000 = 2")
    execute(conn, "UPDATE bench_iforest SET hour = 3, planted = 1 WHERE id % 1000 = 3")
    execute(conn, "VACUUM ANALYZE bench_iforest")


def export(conn):
    """The rows as a numpy matrix and labels, through psycopg2."""
    with conn.cursor() as cur:
        cur.execute(f"SELECT {COLUMNS}, planted FROM bench_iforest ORDER BY id")
        data = np.array(cur.fetchall(), dtype=np.float64)
    return data[:, :4], data[:, 4].astype(int)


def auc(scores, labels):
    """Area under the ROC curve, ties counted half."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j < len(scores) and sorted_scores[j] == sorted_scores[i]:
            j += 1
        ranks[order[i:j]] = (i + j - 1) / 2 + 1
        i = j
    pos = labels.sum()
    neg = len(labels) - pos
    return (ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg)


def main():
    conn = connect()
    make_table(conn)
    scan = f"SELECT count({FEATURES}) FROM bench_iforest"
    fit = f"SELECT dmine.dm_iforest({FEATURES}) FROM bench_iforest"
    execute(conn, "DROP TABLE IF EXISTS bench_iforest_model")
    execute(conn, f"CREATE TABLE bench_iforest_model AS SELECT dmine.dm_iforest({FEATURES}) AS model FROM bench_iforest")
    model = "(SELECT m.model FROM bench_iforest_model m)"
    score = f"SELECT sum(dmine.dm_iforest_score({model}, {FEATURES})) FROM bench_iforest"
    time_sql(conn, scan, repeat=1)  # warm the cache

    rows = []
    timings = {}
    for label, settings in (("serial", SERIAL), ("2 parallel workers", PARALLEL_2)):
        t_scan = time_sql(conn, scan, settings=settings)
        t_fit = time_sql(conn, fit, settings=settings)
        t_score = time_sql(conn, score, settings=settings)
        timings[label] = (t_fit, t_score)
        rows.append((f"dm_iforest_score, every row, vs plain scan ({label})", t_score, t_scan,
                     "<= 4x with 2 workers"))
        rows.append((f"dm_iforest fit vs plain scan ({label})", t_fit, t_scan, "-"))

    start = time.perf_counter()
    x, y = export(conn)
    t_export = time.perf_counter() - start
    start = time.perf_counter()
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(x)
    t_sk_fit = time.perf_counter() - start
    start = time.perf_counter()
    sk_scores = -forest.score_samples(x)
    t_sk_score = time.perf_counter() - start
    t_sklearn = t_sk_fit + t_sk_score
    for label, (t_fit, t_score) in timings.items():
        rows.append((f"scikit-learn fit+score_samples vs dm_iforest ({label})", t_sklearn,
                     t_fit + t_score, ">= 5x"))
    rows.append(("scikit-learn with export (psycopg2) vs dm_iforest (serial)",
                 t_export + t_sklearn, sum(timings["serial"]), ">= 5x"))
    report(f"Isolation Forest over {ROWS:,} rows x 4 features, 100 trees, sample size 256", rows)
    print(f"\nscikit-learn: fit {t_sk_fit:.3f}s, score_samples {t_sk_score:.3f}s")

    # Quality on the planted anomalies, both sides.
    with conn.cursor() as cur:
        cur.execute(f"SELECT dmine.dm_iforest_score({model}, {FEATURES}) FROM bench_iforest ORDER BY id")
        ours = np.array([r[0] for r in cur.fetchall()])
    print(f"AUC on the planted anomalies: dm_iforest {auc(ours, y):.4f}, scikit-learn {auc(sk_scores, y):.4f}")
    execute(conn, "DROP TABLE bench_iforest_model")
    execute(conn, "DROP TABLE bench_iforest")


if __name__ == "__main__":
    main()
