"""The baseline of pipeline_bench.py: the pipeline's analyses in pandas + scikit-learn (+ statsmodels
for the forecasts) over psycopg2, vectorised, with the pipeline's parameters, results written back.

Steps, timed one by one: read the fact table (and the product and customer dimensions), profile,
customer features, K-Means for k = 2..8 chosen by the silhouette (on a sample of 5,000 customers,
as the pipeline's `silhouette_sample`), cluster profiles, Isolation Forest on per-line context
features (each line scored once: flagged lines are those under the forest's offset, as
`predict` would give), RFM, trends, breakdowns, forecasts (baseline_exploration.py), write back.
"""
import time

import numpy as np
import pandas as pd
from psycopg2.extras import execute_values
from sklearn.cluster import KMeans
from sklearn.ensemble import IsolationForest
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

import baseline_exploration as explore

SCHEMA = "bench_erp"
K_MIN, K_MAX = 2, 8
SEED = 42
N_TREES, SAMPLE_SIZE, CONTAMINATION = 100, 1024, 0.002
SILHOUETTE_SAMPLE = 5000
CLUSTER_FEATURES = ["recency_days", "frequency", "monetary", "avg_basket", "avg_quantity"]
# The steps the pipeline has and the baseline of earlier figures did not (trends, breakdowns, forecast).
EXPLORATION_STEPS = ("trends", "breakdowns", "forecast")
RESULT_TABLES = ["bench_py_customers", "bench_py_anomalies"] + explore.RESULT_TABLES

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
        cur.execute(f"SELECT product_id, family FROM {SCHEMA}.products")
        products = pd.DataFrame(cur.fetchall(), columns=["product_id", "family"])
        cur.execute(f"SELECT customer_id, region FROM {SCHEMA}.customers")
        customers = pd.DataFrame(cur.fetchall(), columns=["customer_id", "region"])
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
        sil = silhouette_score(X, km.labels_, sample_size=min(SILHOUETTE_SAMPLE, len(X)), random_state=SEED)
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
    raw = forest.score_samples(ctx.values)
    scores = -raw
    flagged = np.flatnonzero(raw < forest.offset_)  # predict()'s rule, without scoring twice
    kinds = ctx.iloc[flagged].idxmax(axis=1)
    marks.append(("anomalies", time.perf_counter()))

    # RFM.
    rfm = pd.DataFrame({"r": quintile(feats["recency_days"], ascending=False), "f": quintile(feats["frequency"]),
                        "m": quintile(feats["monetary"])})
    rfm["fm"] = (rfm["f"] + rfm["m"]) // 2
    rfm["segment"] = [SEGMENTS[(r, fm)] for r, fm in zip(rfm["r"], rfm["fm"])]
    marks.append(("rfm", time.perf_counter()))

    # Trends, breakdowns and forecasts, over the lines with a time and an amount.
    sales = df.loc[df["sold_at"].notna() & df["amount"].notna(),
                   ["sold_at", "order_id", "customer_id", "product_id", "depot_id", "amount", "quantity"]]
    sales = sales.assign(day=sales["sold_at"].dt.normalize())
    series, seasonality, heatmap = explore.trends(sales)
    marks.append(("trends", time.perf_counter()))
    tables, family = explore.breakdowns(sales, products, customers)
    marks.append(("breakdowns", time.perf_counter()))
    fcs = explore.forecasts(sales, family)
    marks.append(("forecast", time.perf_counter()))

    # Results written back, as the pipeline does.
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS " + ", ".join(RESULT_TABLES))
        cur.execute("""CREATE TABLE bench_py_customers (customer_key text, recency_days float8, frequency float8,
                       monetary float8, avg_basket float8, avg_quantity float8, night_share float8, cluster int,
                       r int, f int, m int, segment text)""")
        cols = ["recency_days", "frequency", "monetary", "avg_basket", "avg_quantity", "night_share"]
        rows = feats[cols].astype(float).assign(cluster=feats["cluster"], r=rfm["r"], f=rfm["f"], m=rfm["m"],
                                                segment=rfm["segment"])
        execute_values(cur, "INSERT INTO bench_py_customers VALUES %s",
                       [(str(c), *(v.item() if hasattr(v, "item") else v for v in row))
                        for c, *row in rows.itertuples()], page_size=1000)
        cur.execute("""CREATE TABLE bench_py_anomalies (line_key text, score float8, anomaly_type text)""")
        execute_values(cur, "INSERT INTO bench_py_anomalies VALUES %s",
                       [(str(df["line_id"].iat[i]), float(scores[i]), kinds.iat[j]) for j, i in enumerate(flagged)],
                       page_size=1000)
        explore.write_back(cur, series, tables, fcs)
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


