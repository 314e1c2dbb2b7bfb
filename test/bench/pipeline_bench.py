"""The whole mining pipeline against the same analyses in pandas + scikit-learn over psycopg2.

On the demo warehouse (default scale: about 1 million sales lines, 5,000 customers), measured in
one run:
  dmine     CALL dmine.run_mining(...): profile, customer features, K-Means with automatic k,
            cluster profiles, Isolation Forest on every sales line with the anomaly type, RFM;
            results written to the result tables.
  baseline  the same steps the way the seed's run_mining.py did them: read the fact table with
            psycopg2 into pandas, profile, features, scikit-learn KMeans (k = 2..8, silhouette),
            Isolation Forest (same trees, sample size, contamination) on per-line context features
            comparable to the pipeline's (unit price vs the product's lines, quantity vs the product's
            and the customer's, amount vs the customer's, hour vs the depot's), RFM; results written back.

Goals: at least 10x faster, at most a tenth of the memory, equal or better quality: silhouette of
the chosen k (both computed by scikit-learn on the same standardised feature matrix) and the AUC
of the anomaly scores of every line against the planted anomalies.

Memory: the server side is the peak private memory (RssAnon) of the backend running the CALL plus
its parallel workers, sampled every 10 ms from /proc (VmHWM, which also counts the shared buffers
it touched, is printed too); the baseline is the Python process's peak RSS (getrusage) minus its
RSS before reading (the interpreter with pandas and scikit-learn loaded).

Warehouse: by default a generated one of another shape than the demo's (test/bench/warehouse_gen.py:
DMINE_BENCH_LINES sales lines, default 2,000,000, 20,000 customers, 3,000 products, numeric amounts);
DMINE_BENCH_WAREHOUSE=demo uses the demo warehouse at DMINE_BENCH_SCALE (default 1) instead.

Settings: DMINE_BENCH_SETTINGS, a comma list of `default` (Debian's: shared_buffers 128MB, work_mem
4MB, maintenance_work_mem 64MB, fsync on) and `tuned` (the throwaway cluster's: 512MB, 64MB, 256MB,
fsync off); each is applied with ALTER SYSTEM and a restart of the benchmark's own cluster
(DMINE_CLUSTER), default `default,tuned`. Without DMINE_CLUSTER the server's settings are used as
they are. DMINE_BENCH_BASELINE=0 skips the baseline (scaling runs).

Scan floors: every step's time is divided by a plain scan of the columns it reads
(count() of each, the median of 3 warm runs), printed as "x floor".
"""
import os
import resource
import subprocess
import threading
import time

import numpy as np
import pandas as pd
from psycopg2.extras import execute_values
from sklearn.cluster import KMeans
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from benchlib import connect, execute, time_sql
from warehouse_gen import generate

SCALE = float(os.environ.get("DMINE_BENCH_SCALE", 1))
WAREHOUSE = os.environ.get("DMINE_BENCH_WAREHOUSE", "generated")
LINES = int(os.environ.get("DMINE_BENCH_LINES", 2000000))
SETTINGS = [x for x in os.environ.get("DMINE_BENCH_SETTINGS", "default,tuned").split(",") if x]
BASELINE = os.environ.get("DMINE_BENCH_BASELINE", "1") != "0"
SCHEMA = "bench_erp"
SERVER_SETTINGS = {
    "default": {"shared_buffers": "128MB", "work_mem": "4MB", "maintenance_work_mem": "64MB", "fsync": "on",
                "synchronous_commit": "on", "full_page_writes": "on", "max_worker_processes": "8"},
    "tuned": {"shared_buffers": "512MB", "work_mem": "64MB", "maintenance_work_mem": "256MB", "fsync": "off",
              "synchronous_commit": "off", "full_page_writes": "off", "max_worker_processes": "16"},
}
# The columns each step reads from the fact table (its scan floor); None: it reads result tables only.
LINE_COLUMNS = ["customer_id", "order_id", "sold_at", "amount", "quantity"]
STEP_COLUMNS = {
    "profile": "*", "features": LINE_COLUMNS, "clustering": None, "cluster_profiles": None,
    "anomalies": ["sold_at", "amount", "quantity", "unit_price", "customer_id", "product_id"], "rfm": None,
    "trends": LINE_COLUMNS + ["product_id", "depot_id", "unit_price"],
    "breakdowns": LINE_COLUMNS + ["product_id", "depot_id", "unit_price"],  # through the copy trends made
}
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


def log_surprise(df, value, group, high=False, min_spread=0.05, min_rows=20):
    """Surprise of ln(value) against its group's median and mean absolute deviation (vectorised)."""
    t = np.log(df[value].where(df[value] > 0))
    overall_c = t.median()
    overall_b = max((t - overall_c).abs().mean(), min_spread)
    g = t.groupby(df[group])
    c = g.transform("median")
    b = (t - c).abs().groupby(df[group]).transform("mean").clip(lower=min_spread)
    small = g.transform("size") < min_rows
    c = c.where(~small, overall_c)
    b = b.where(~small, overall_b)
    d = (t - c) / b
    return (d.clip(lower=0) + np.log(2)) if high else d.abs()


def context_features(df):
    """The context surprises of every line (price, quantity, amount, time), NaN as 0."""
    hour = df["sold_at"].dt.hour
    per_hour = df.groupby([df["depot_id"], hour]).size().rename("n").reset_index()
    per_hour["share"] = per_hour.groupby("depot_id")["n"].transform(
        lambda n: n.rank(method="max") / len(n))  # 24 values per depot: cheap
    share = df[["depot_id"]].assign(sold_hour=hour).merge(
        per_hour.rename(columns={"sold_at": "sold_hour"}), on=["depot_id", "sold_hour"], how="left")["share"]
    out = pd.DataFrame({
        "price": log_surprise(df, "unit_price", "product_id"),
        "quantity": np.maximum(log_surprise(df, "quantity", "product_id", True, 0.3),
                               log_surprise(df, "quantity", "customer_id", True, 0.3)),
        "amount": log_surprise(df, "amount", "customer_id", True),
        "time": -np.log(share.values)}, index=df.index)
    return out.fillna(0.0)


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

    # Anomalies in context, as the pipeline's step: per line the surprise of its unit price among
    # its product's lines, of its quantity among its product's and its customer's lines, of its
    # amount among its customer's lines (log scale, median and mean absolute deviation, groups of
    # fewer than 20 lines fall back to all lines), of its hour among its depot's lines (share of
    # lines at hours at most as frequent); then the Isolation Forest on these context features,
    # the type from the largest surprise.
    ctx = context_features(df)
    forest = IsolationForest(n_estimators=N_TREES, max_samples=SAMPLE_SIZE, contamination=CONTAMINATION,
                             random_state=SEED).fit(ctx.values)
    scores = -forest.score_samples(ctx.values)
    flagged = np.flatnonzero(forest.predict(ctx.values) == -1)
    kinds = ctx.iloc[flagged].idxmax(axis=1)
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


def apply_settings(name):
    """ALTER SYSTEM the named settings and restart the benchmark's cluster; False without one."""
    cluster = os.environ.get("DMINE_CLUSTER")
    if not cluster:
        return False
    conn = connect()
    for key, value in SERVER_SETTINGS[name].items():
        execute(conn, f"ALTER SYSTEM SET {key} = '{value}'")
    conn.close()
    ctl = [os.path.join(os.environ["PG_BIN"], "pg_ctl"), "-D", f"{cluster}/data", "-l", f"{cluster}/server.log",
           "-w", "-t", "120", "restart"]
    if os.getuid() == 0:
        ctl = ["runuser", "-u", "dmine", "--"] + ctl
    subprocess.run(ctl, check=True, stdout=subprocess.DEVNULL)
    return True


def scan_floor(conn, columns):
    """Median of 3 warm plain scans of the fact table reading the given columns (count of each)."""
    if columns == "*":
        columns = [r[0] for r in execute(conn, f"""SELECT attname FROM pg_attribute
            WHERE attrelid = '{SCHEMA}.sales_lines'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum""")]
    sql = f"SELECT {', '.join(f'count({c})' for c in columns)} FROM {SCHEMA}.sales_lines"
    return time_sql(conn, sql, repeat=3)


def build_warehouse(conn):
    t = time.perf_counter()
    if WAREHOUSE == "demo":
        execute(conn, f"SELECT count(*) FROM dmine.create_demo_warehouse('{SCHEMA}', scale => {SCALE})")
    else:
        generate(conn, SCHEMA, LINES)
    build = time.perf_counter() - t
    execute(conn, f"""SELECT dmine.configure_mining('{SCHEMA}', '{SCHEMA}.sales_lines', 'customer_id', 'order_id',
                      'sold_at', 'amount', 'quantity', 'line_id', '{{}}',
                      '{{"k_min": {K_MIN}, "k_max": {K_MAX}, "seed": {SEED}, "n_trees": {N_TREES},
                        "sample_size": {SAMPLE_SIZE}, "contamination": {CONTAMINATION}}}',
                      product_column => 'product_id', store_column => 'depot_id')""")
    return build


def measure(settings_name, build):
    conn = connect()
    lines = execute(conn, f"SELECT count(*) FROM {SCHEMA}.sales_lines")[0][0]
    shown = execute(conn, "SELECT current_setting('shared_buffers'), current_setting('work_mem')")[0]
    execute(conn, f"SELECT count(*) FROM {SCHEMA}.sales_lines")  # warm the cache for both sides
    floors = {step: scan_floor(conn, cols) for step, cols in STEP_COLUMNS.items() if cols}
    floor_all = scan_floor(conn, "*")

    run_id, dm_seconds, dm_private_kb, dm_hwm_kb = run_dmine()
    steps = execute(conn, f"SELECT step, duration_ms FROM dmine.run_steps WHERE run_id = {run_id} ORDER BY position")
    what = "generated warehouse" if WAREHOUSE != "demo" else f"demo warehouse (scale {SCALE})"
    print(f"\nMining pipeline, {what}: {lines:,} sales lines (built in {build:.1f} s); settings {settings_name} "
          f"(shared_buffers {shown[0]}, work_mem {shown[1]})")
    print(f"plain scan of every column: {floor_all:.2f}s; pipeline ÷ that scan: {dm_seconds / floor_all:.1f}x")
    print(f"{'step':18} {'time':>8} {'floor':>8} {'x floor':>8}")
    for step, ms in steps:
        floor = floors.get(step)
        ratio = f"{ms / 1000 / floor:7.1f}x" if floor else "  (result tables)" if STEP_COLUMNS.get(step, 1) is None else ""
        print(f"{step:18} {ms / 1000:7.2f}s {floor or 0:7.2f}s {ratio}")
    if not BASELINE:
        print(f"{'dmine time':34} {dm_seconds:13.2f}s; peak memory (private) {dm_private_kb / 1024:.0f}MB")
        return

    py_base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base = run_baseline(conn)
    py_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # Quality, measured the same way for both.
    planted = pd.Series(1, index=[r[0] for r in execute(conn, f"SELECT line_id FROM {SCHEMA}.planted_anomalies")])
    truth = planted.reindex(base["scores"].index, fill_value=0).values
    # The anomaly step in context keeps its flagged and top lines with their scores (not every
    # line's): both sides are ranked the same way, their kept lines by score, every other line
    # tied below them (the baseline keeps as many lines, its highest scores).
    kept = {int(k): s for k, s in execute(conn, f"""SELECT line_key, score FROM dmine.result_anomalies
        WHERE run_id = {run_id} AND line_key ~ '^[0-9]+$'""")}
    top_py = base["scores"].nlargest(max(len(kept), 1))
    py_auc = roc_auc_score(truth, [top_py.get(i, -1.0) for i in base["scores"].index])
    dm_auc = roc_auc_score(truth, [kept.get(i, -1.0) for i in base["scores"].index]) if kept else float("nan")
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
    print(f"{'':34} {'dmine':>14} {'pandas+sklearn':>16} {'ratio':>8}  goal")
    print(f"{'time':34} {dm_seconds:13.2f}s {base['seconds']:15.2f}s {base['seconds'] / dm_seconds:7.1f}x  >= 20x faster")
    print(f"{'  of which reading the lines':34} {'':>14} {base['read']:15.2f}s")
    print(f"{'peak memory (private)':34} {dm_private_kb / 1024:12.0f}MB {py_mem_kb / 1024:14.0f}MB "
          f"{py_mem_kb / max(dm_private_kb, 1):7.1f}x  >= 10x less")
    print(f"{'  server VmHWM / Python peak RSS':34} {dm_hwm_kb / 1024:12.0f}MB {py_peak_kb / 1024:14.0f}MB")
    print(f"{'chosen k':34} {dm_k:>14} {base['k']:>16}")
    print(f"{'silhouette of the chosen k':34} {dm_sil:14.4f} {py_sil:16.4f} {dm_sil - py_sil:+8.4f}  >= 0")
    print(f"{'AUC (kept lines ranked)':34} {dm_auc:14.4f} {py_auc:16.4f} {dm_auc - py_auc:+8.4f}  >= 0")
    dm_flags, py_flags = f"{dm_flagged} ({dm_hits})", f"{base['flagged']} ({py_hits})"
    print(f"{'flagged lines (planted among them)':34} {dm_flags:>14} {py_flags:>16}")
    print("dmine steps: " + ", ".join(f"{s} {ms / 1000:.2f}s" for s, ms in steps))
    print("baseline steps: " + ", ".join(f"{s} {t:.2f}s" for s, t in base["steps"]))
    execute(conn, "DROP TABLE IF EXISTS bench_py_customers, bench_py_anomalies")
    conn.close()


def main():
    conn = connect()
    execute(conn, "CREATE EXTENSION IF NOT EXISTS dmine")
    build = build_warehouse(conn)
    conn.close()
    restarted = False
    for name in SETTINGS:
        restarted = apply_settings(name)
        measure(name if restarted else "as the server has them", build)
        if not restarted:
            break
    if restarted:
        apply_settings("tuned")  # the throwaway cluster's own settings again


if __name__ == "__main__":
    main()
