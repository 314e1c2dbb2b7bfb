"""The whole mining pipeline against the same analyses in pandas + scikit-learn over psycopg2.

On the demo warehouse (default scale: about 1 million sales lines, 5,000 customers), measured in
one run:
  dmine     CALL dmine.run_mining(...): profile, customer features, K-Means with automatic k,
            cluster profiles, Isolation Forest on every sales line with the anomaly type, RFM;
            results written to the result tables.
  baseline  the same steps the way the seed's run_mining.py did them: read the fact table with
            psycopg2 into pandas, profile, features, scikit-learn KMeans (k = 2..8, silhouette),
            IsolationForest (same trees, sample size, contamination), RFM; results written back.

Goals: at least 10x faster, at most a tenth of the memory, equal or better quality: silhouette of
the chosen k (both computed by scikit-learn on the same standardised feature matrix) and the AUC
of the anomaly scores of every line against the planted anomalies.

Memory: the server side is the peak private memory (RssAnon) of the backend running the CALL plus
its parallel workers, sampled every 10 ms from /proc (VmHWM, which also counts the shared buffers
it touched, is printed too); the baseline is the Python process's peak RSS (getrusage) minus its
RSS before reading (the interpreter with pandas and scikit-learn loaded).

Environment: DMINE_BENCH_SCALE (default 1) sets the demo warehouse scale.
"""
import os
import resource
import threading
import time

import numpy as np
import pandas as pd
from psycopg2.extras import execute_values
from sklearn.cluster import KMeans
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from benchlib import connect, execute

SCALE = float(os.environ.get("DMINE_BENCH_SCALE", 1))
SCHEMA = "bench_erp"
K_MIN, K_MAX = 2, 8
SEED = 42
N_TREES, SAMPLE_SIZE, CONTAMINATION = 100, 1024, 0.002
CLUSTER_FEATURES = ["recency_days", "frequency", "monetary", "avg_basket", "avg_quantity"]


def status_kb(pid, field):
    """A field of /proc/<pid>/status in kB (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def parallel_workers(leader):
    """Pids of the parallel workers of a backend."""
    pids = []
    tag = f"parallel worker for PID {leader}".encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if tag in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


class ServerMemory(threading.Thread):
    """Samples the private memory of a backend and its parallel workers until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop = pid, 0, threading.Event()
        self.base_kb = status_kb(pid, "RssAnon")

    def run(self):
        tick = 0
        workers = []
        while not self.stop.is_set():
            if tick % 5 == 0:
                workers = parallel_workers(self.pid)
            total = status_kb(self.pid, "RssAnon") + sum(status_kb(w, "RssAnon") for w in workers)
            self.peak_kb = max(self.peak_kb, total)
            tick += 1
            time.sleep(0.01)


def run_dmine():
    conn = connect()
    pid = execute(conn, "SELECT pg_backend_pid()")[0][0]
    execute(conn, "SELECT 1 FROM dmine.runs LIMIT 1")  # load the library and catalogs first
    sampler = ServerMemory(pid)
    sampler.start()
    start = time.perf_counter()
    run_id = execute(conn, f"CALL dmine.run_mining('{SCHEMA}')")[0][0]
    seconds = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    hwm_kb = status_kb(pid, "VmHWM")
    conn.close()
    return run_id, seconds, sampler.peak_kb, hwm_kb


# The baseline ------------------------------------------------------------------------------------

SEGMENTS = {}
for r in range(1, 6):
    for fm in range(1, 6):
        if r == 2 and fm == 2:
            s = "Hibernating"
        elif r <= 2 and fm <= 2:
            s = "Lost"
        elif r == 1 and fm == 5:
            s = "Can't Lose Them"
        elif r <= 2:
            s = "At Risk"
        elif r == 3 and fm <= 2:
            s = "About to Sleep"
        elif r == 3 and fm == 3:
            s = "Need Attention"
        elif r == 5 and fm == 5:
            s = "Champions"
        elif fm >= 4:
            s = "Loyal"
        elif r == 4 and fm == 1:
            s = "Promising"
        elif r == 5 and fm == 1:
            s = "New Customers"
        else:
            s = "Potential Loyalist"
        SEGMENTS[(r, fm)] = s


def quintile(values, ascending=True):
    """1 + floor(5 * customers strictly worse / customers), equal values equal scores."""
    worse = values.rank(method="min", ascending=ascending) - 1
    return (1 + (5 * worse.astype(np.int64)) // len(values)).astype(int)


def run_baseline(conn):
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(f"""SELECT line_id, order_id, sold_at, date_key, customer_id, product_id, depot_id, quantity,
                               unit_price::float8 AS unit_price, amount::float8 AS amount
                        FROM {SCHEMA}.sales_lines""")
        names = [d[0] for d in cur.description]
        df = pd.DataFrame(cur.fetchall(), columns=names)
    df["sold_at"] = pd.to_datetime(df["sold_at"])
    df["date_key"] = pd.to_datetime(df["date_key"])
    marks = [("read", time.perf_counter())]

    # Profile: counts, nulls, distinct, moments, quartiles, min/max, top values, histograms.
    profile = []
    for col in df.columns:
        s = df[col]
        row = {"column": col, "rows": len(s), "nulls": int(s.isna().sum()), "distinct": int(s.nunique())}
        if pd.api.types.is_numeric_dtype(s):
            q = s.quantile([0.25, 0.5, 0.75])
            row.update(mean=s.mean(), std=s.std(), p25=q[0.25], p50=q[0.5], p75=q[0.75], min=s.min(),
                       max=s.max(), skew=s.skew(), kurt=s.kurt(), hist=np.histogram(s, bins=20)[0].tolist())
        else:
            row.update(min=s.min(), max=s.max(), top=s.value_counts().head(5).to_dict())
        profile.append(row)
    df["hour"] = df["sold_at"].dt.hour + df["sold_at"].dt.minute / 60
    lines = df[["amount", "quantity", "hour"]].astype(float)
    corr = lines.corr()
    marks.append(("profile", time.perf_counter()))

    # Customer features (vectorised: no Python function per group).
    df["night"] = ((df["hour"] < 6) | (df["hour"] >= 22)).astype(int)
    orders = df.groupby(["customer_id", "order_id"]).agg(
        last=("sold_at", "max"), amount=("amount", "sum"), lines=("amount", "size"), qty=("quantity", "sum"),
        night=("night", "sum"))
    cust = orders.groupby(level=0).agg(last=("last", "max"), frequency=("amount", "size"), monetary=("amount", "sum"),
                                       lines=("lines", "sum"), qty=("qty", "sum"), night=("night", "sum"))
    as_of = cust["last"].max().normalize() + pd.Timedelta(days=1)
    feats = pd.DataFrame({
        "recency_days": (as_of - cust["last"].dt.normalize()).dt.days.astype(float),
        "frequency": cust["frequency"].astype(float), "monetary": cust["monetary"],
        "avg_basket": cust["monetary"] / cust["frequency"], "avg_quantity": cust["qty"] / cust["lines"],
        "night_share": cust["night"] / cust["lines"]}, index=cust.index)
    X = StandardScaler().fit_transform(np.sign(feats[CLUSTER_FEATURES]) * np.log1p(feats[CLUSTER_FEATURES].abs()))
    marks.append(("features", time.perf_counter()))

    # K-Means with automatic k by silhouette.
    best = None
    for k in range(K_MIN, K_MAX + 1):
        km = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(X)
        sil = silhouette_score(X, km.labels_)
        if best is None or sil > best[1]:
            best = (k, sil, km.labels_)
    feats["cluster"] = best[2] + 1
    cluster_profiles = feats.groupby("cluster").mean()
    cluster_profiles["size"] = feats.groupby("cluster").size()
    marks.append(("clustering", time.perf_counter()))

    # Isolation Forest on every line; the type from the most deviant feature.
    forest = IsolationForest(n_estimators=N_TREES, max_samples=SAMPLE_SIZE, contamination=CONTAMINATION,
                             random_state=SEED).fit(lines.values)
    scores = -forest.score_samples(lines.values)
    flagged = np.flatnonzero(forest.predict(lines.values) == -1)
    med, iqr = lines.median(), (lines.quantile(0.75) - lines.quantile(0.25)).replace(0, 1)
    deviation = ((lines.iloc[flagged] - med).abs() / iqr)
    kinds = deviation.idxmax(axis=1)
    marks.append(("anomalies", time.perf_counter()))

    # RFM.
    rfm = pd.DataFrame({"r": quintile(feats["recency_days"], ascending=False), "f": quintile(feats["frequency"]),
                        "m": quintile(feats["monetary"])})
    rfm["fm"] = (rfm["f"] + rfm["m"]) // 2
    rfm["segment"] = [SEGMENTS[(r, fm)] for r, fm in zip(rfm["r"], rfm["fm"])]
    marks.append(("rfm", time.perf_counter()))

    # Results written back, as the pipeline does.
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_py_customers, bench_py_anomalies")
        cur.execute("""CREATE TABLE bench_py_customers (customer_key text, recency_days float8, frequency float8,
                       monetary float8, avg_basket float8, avg_quantity float8, night_share float8, cluster int,
                       r int, f int, m int, segment text)""")
        execute_values(cur, "INSERT INTO bench_py_customers VALUES %s",
                       [(str(c), *map(float, feats.loc[c, ["recency_days", "frequency", "monetary", "avg_basket",
                                                               "avg_quantity", "night_share"]]),
                         int(feats.at[c, "cluster"]), int(rfm.at[c, "r"]), int(rfm.at[c, "f"]),
                         int(rfm.at[c, "m"]), rfm.at[c, "segment"]) for c in feats.index])
        cur.execute("""CREATE TABLE bench_py_anomalies (line_key text, score float8, anomaly_type text)""")
        execute_values(cur, "INSERT INTO bench_py_anomalies VALUES %s",
                       [(str(df["line_id"].iat[i]), float(scores[i]), kinds.iat[j]) for j, i in enumerate(flagged)])
    seconds = time.perf_counter() - start
    marks.append(("write", time.perf_counter()))
    steps, last = [], start
    for name, t in marks:
        steps.append((name, t - last))
        last = t
    result = {"seconds": seconds, "read": steps[0][1], "steps": steps, "k": best[0], "X": X, "labels": best[2],
              "scores": pd.Series(scores, index=df["line_id"].values), "flagged": len(flagged),
              "profile": profile, "corr": corr, "clusters": cluster_profiles}
    return result


def main():
    conn = connect()
    execute(conn, "CREATE EXTENSION IF NOT EXISTS dmine")
    t = time.perf_counter()
    execute(conn, f"SELECT count(*) FROM dmine.create_demo_warehouse('{SCHEMA}', scale => {SCALE})")
    build = time.perf_counter() - t
    lines = execute(conn, f"SELECT count(*) FROM {SCHEMA}.sales_lines")[0][0]
    execute(conn, f"SELECT count(*) FROM {SCHEMA}.sales_lines")  # warm the cache for both sides
    execute(conn, f"""SELECT dmine.configure_mining('{SCHEMA}', '{SCHEMA}.sales_lines', 'customer_id', 'order_id',
                      'sold_at', 'amount', 'quantity', 'line_id', '{{}}',
                      '{{"k_min": {K_MIN}, "k_max": {K_MAX}, "seed": {SEED}, "n_trees": {N_TREES},
                        "sample_size": {SAMPLE_SIZE}, "contamination": {CONTAMINATION}}}')""")

    run_id, dm_seconds, dm_private_kb, dm_hwm_kb = run_dmine()
    steps = execute(conn, f"SELECT step, duration_ms FROM dmine.run_steps WHERE run_id = {run_id} ORDER BY position")

    py_base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base = run_baseline(conn)
    py_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # Quality, measured the same way for both.
    planted = pd.Series(1, index=[r[0] for r in execute(conn, f"SELECT line_id FROM {SCHEMA}.planted_anomalies")])
    truth = planted.reindex(base["scores"].index, fill_value=0).values
    py_auc = roc_auc_score(truth, base["scores"].values)
    dm_scores = dict(execute(conn, f"""SELECT s.line_id, dmine.dm_iforest_score(m.iforest,
            ARRAY[s.amount::float8, s.quantity::float8,
                  date_part('hour', s.sold_at) + date_part('minute', s.sold_at) / 60])
        FROM {SCHEMA}.sales_lines s, dmine.result_models m WHERE m.run_id = {run_id} AND m.step = 'anomalies'"""))
    dm_auc = roc_auc_score(truth, [dm_scores[i] for i in base["scores"].index])
    rows = execute(conn, f"""SELECT f.features, c.cluster FROM dmine.result_customer_features f
        JOIN dmine.result_clusters c USING (run_id, customer_key) WHERE f.run_id = {run_id}""")
    dm_X = StandardScaler().fit_transform(np.array([r[0] for r in rows]))
    dm_sil = silhouette_score(dm_X, [r[1] for r in rows])
    py_sil = silhouette_score(base["X"], base["labels"])
    dm_k = execute(conn, f"SELECT k FROM dmine.result_kmeans_scores WHERE run_id = {run_id} AND chosen")[0][0]
    dm_flagged, dm_hits = execute(conn, f"""SELECT count(*), count(p.line_id) FROM dmine.result_anomalies a
        LEFT JOIN {SCHEMA}.planted_anomalies p ON p.line_id::text = a.line_key
        WHERE a.run_id = {run_id} AND a.is_anomaly""")[0]
    py_hits = execute(conn, f"""SELECT count(*) FROM bench_py_anomalies a
        JOIN {SCHEMA}.planted_anomalies p ON p.line_id::text = a.line_key""")[0][0]

    py_mem_kb = py_peak_kb - py_base_kb
    print(f"\nMining pipeline on the demo warehouse: {lines:,} sales lines (scale {SCALE}, built in {build:.1f} s)")
    print(f"{'':34} {'dmine':>14} {'pandas+sklearn':>16} {'ratio':>8}  goal")
    print(f"{'time':34} {dm_seconds:13.2f}s {base['seconds']:15.2f}s {base['seconds'] / dm_seconds:7.1f}x  >= 10x faster")
    print(f"{'  of which reading the lines':34} {'':>14} {base['read']:15.2f}s")
    print(f"{'peak memory (private)':34} {dm_private_kb / 1024:12.0f}MB {py_mem_kb / 1024:14.0f}MB "
          f"{py_mem_kb / max(dm_private_kb, 1):7.1f}x  >= 10x less")
    print(f"{'  server VmHWM / Python peak RSS':34} {dm_hwm_kb / 1024:12.0f}MB {py_peak_kb / 1024:14.0f}MB")
    print(f"{'chosen k':34} {dm_k:>14} {base['k']:>16}")
    print(f"{'silhouette of the chosen k':34} {dm_sil:14.4f} {py_sil:16.4f} {dm_sil - py_sil:+8.4f}  >= 0")
    print(f"{'AUC of the anomaly scores':34} {dm_auc:14.4f} {py_auc:16.4f} {dm_auc - py_auc:+8.4f}  >= 0")
    dm_flags, py_flags = f"{dm_flagged} ({dm_hits})", f"{base['flagged']} ({py_hits})"
    print(f"{'flagged lines (planted among them)':34} {dm_flags:>14} {py_flags:>16}")
    print("dmine steps: " + ", ".join(f"{s} {ms / 1000:.2f}s" for s, ms in steps))
    print("baseline steps: " + ", ".join(f"{s} {t:.2f}s" for s, t in base["steps"]))
    execute(conn, "DROP TABLE IF EXISTS bench_py_customers, bench_py_anomalies")


if __name__ == "__main__":
    main()
