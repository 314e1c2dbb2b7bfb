"""The whole mining pipeline against the same analyses in pandas + scikit-learn over psycopg2.

On a generated warehouse (2 million sales lines, 20,000 customers, 3,000 products by default),
measured in one run:
  dmine     CALL dmine.run_mining(...): profile, customer features, K-Means with automatic k,
            cluster profiles, anomalies in context with their type and reason, RFM, trends,
            breakdowns, forecasts; results written to the result tables.
  baseline  the same analyses with the same parameters (pipeline_baseline.py): read the fact
            table with psycopg2 into pandas, profile, features, scikit-learn KMeans (k = 2..8,
            silhouette on 5,000 customers as the pipeline's), Isolation Forest (same trees, sample
            size, contamination) on per-line context features comparable to the pipeline's (unit
            price vs the product's lines, quantity vs the product's and the customer's, amount vs
            the customer's, hour vs the depot's), RFM, trends, breakdowns and statsmodels ETS
            forecasts chosen by AICc (baseline_exploration.py); results written back.
  The ratio is printed for the whole pipeline and for the steps before trends (the analyses the
  baseline of earlier figures had).

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
from sklearn.metrics import roc_auc_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from benchlib import connect, execute, time_sql
from pipeline_baseline import (CONTAMINATION, EXPLORATION_STEPS, K_MAX, K_MIN, N_TREES, RESULT_TABLES,
                               SAMPLE_SIZE, SCHEMA, SEED, run_baseline)
from warehouse_gen import generate

SCALE = float(os.environ.get("DMINE_BENCH_SCALE", 1))
WAREHOUSE = os.environ.get("DMINE_BENCH_WAREHOUSE", "generated")
LINES = int(os.environ.get("DMINE_BENCH_LINES", 2000000))
SETTINGS = [x for x in os.environ.get("DMINE_BENCH_SETTINGS", "default,tuned").split(",") if x]
BASELINE = os.environ.get("DMINE_BENCH_BASELINE", "1") != "0"
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
    "breakdowns": LINE_COLUMNS + ["product_id", "depot_id", "unit_price"],
    "forecast": ["sold_at", "amount", "product_id", "depot_id"],
}


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
    dm_core = dm_seconds - sum(ms for st, ms in steps if st in EXPLORATION_STEPS) / 1000
    py_core = base["seconds"] - sum(t for st, t in base["steps"] if st in EXPLORATION_STEPS)
    print(f"{'  steps before trends':34} {dm_core:13.2f}s {py_core:15.2f}s {py_core / dm_core:7.1f}x")
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
    execute(conn, "DROP TABLE IF EXISTS " + ", ".join(RESULT_TABLES))
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
