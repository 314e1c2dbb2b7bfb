"""The pipeline's trends, breakdowns and forecast steps in pandas + statsmodels, for the baseline of
pipeline_bench.py: the same analyses as dm_trends, dm_breakdowns and the forecast step, vectorised.

trends(df)               series per day, week and month (revenue, lines, orders, customers, quantity,
                         trend, growth on the previous period and on the year before), weekday and
                         month seasonality indices of every measure with their strength, weekday x
                         hour heatmap.
breakdowns(df, dims)     per product, store, customer, product family and customer region: revenue,
                         lines, distinct customers, share, Pareto rank, growth of the last month, ABC
                         class; concentration (Gini, top 20% share, ABC counts).
forecasts(df, dims)      monthly revenue of the next 12 months with 80% and 95% intervals: total, the
                         20 families and the 20 stores with the most revenue; ETS chosen by AICc among
                         R's default candidates (statsmodels ETSModel has no automatic choice).
"""
import itertools
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.seasonal import seasonal_decompose

MEASURES = ["revenue", "lines", "orders", "customers", "quantity"]
HORIZON, TOP_SERIES, KEEP_ROWS = 12, 20, 100


def period_table(df, key):
    """The sums and distinct counts of the lines per period key."""
    g = df.groupby(key)
    return pd.DataFrame({"days": g["day"].nunique(), "revenue": g["amount"].sum(), "lines": g.size(),
                         "orders": g["order_id"].nunique(), "customers": g["customer_id"].nunique(),
                         "quantity": g["quantity"].sum()})


def decompose(values, period):
    """Multiplicative decomposition: trend, seasonal indices of one cycle, strength (Hyndman's F_s)."""
    y = pd.Series(np.asarray(values, dtype=float)).clip(lower=1e-9)
    if len(y) < 2 * period:
        return pd.Series(np.nan, index=y.index), None, None
    d = seasonal_decompose(y, model="multiplicative", period=period, extrapolate_trend="freq")
    ratio = y / d.trend
    remainder = ratio - d.seasonal
    strength = max(0.0, 1 - remainder.var() / ratio.var()) if ratio.var() > 0 else 0.0
    return d.trend, d.seasonal.iloc[:period].values, strength


def trends(df):
    day = df["day"]
    grains = {"day": (day, 7, 364), "week": (day.dt.to_period("W-SUN").dt.start_time, 52, 52),
              "month": (day.dt.to_period("M").dt.start_time, 12, 12)}
    series = []
    for grain, (key, period, year) in grains.items():
        s = period_table(df, key)
        per_day = s["revenue"] / s["days"]
        trend, _, _ = decompose(per_day, period)
        s["trend"] = trend.values * s["days"].values
        s["growth_prev"] = per_day / per_day.shift(1) - 1
        s["growth_year"] = per_day / per_day.shift(year) - 1
        series.append(s.assign(grain=grain))
    daily = series[0].reindex(pd.date_range(day.min(), day.max(), freq="D"), fill_value=0)
    monthly = series[2]
    seasonality = []
    for measure in MEASURES:
        _, weekday, w_strength = decompose(daily[measure], 7)
        _, month, m_strength = decompose(monthly[measure] / monthly["days"], 12)
        seasonality.append((measure, weekday, w_strength, month, m_strength))
    hour = df["sold_at"].dt.hour.rename("hour")
    isodow = df["sold_at"].dt.isocalendar().day.rename("isodow")
    g = df.groupby([isodow, hour])
    heatmap = pd.DataFrame({"revenue": g["amount"].sum(), "lines": g.size(), "orders": g["order_id"].nunique()})
    heatmap["revenue_share"] = heatmap["revenue"] / heatmap["revenue"].sum()
    return pd.concat(series), seasonality, heatmap


def gini(x):
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    return 2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n if n and x.sum() else 0.0


def breakdown(df, key, last_month, prev_month, days_last, days_prev):
    """One breakdown: per value revenue, lines, customers, share, rank, growth, ABC."""
    g = df.groupby(key, dropna=False)
    b = pd.DataFrame({"revenue": g["amount"].sum(), "lines": g.size(), "customers": g["customer_id"].nunique()})
    month = df["day"].dt.to_period("M")
    last = df["amount"].where(month == last_month, 0).groupby(df[key], dropna=False).sum() / days_last
    prev = df["amount"].where(month == prev_month, 0).groupby(df[key], dropna=False).sum() / days_prev
    b["growth"] = (last / prev.where(prev != 0)) - 1
    b = b.sort_values(["revenue"], ascending=False, kind="stable")
    b["share"] = b["revenue"] / b["revenue"].sum()
    b["cumulative_share"] = b["share"].cumsum()
    b["rank"] = np.arange(1, len(b) + 1)
    before = b["cumulative_share"] - b["share"]
    b["abc_class"] = np.where(before < 0.8, "A", np.where(before < 0.95, "B", "C"))
    concentration = {"items": len(b), "revenue": b["revenue"].sum(), "gini": gini(b["revenue"]),
                     "top20_share": b["revenue"].head(max(1, int(np.ceil(0.2 * len(b))))).sum() / b["revenue"].sum(),
                     "a_items": int((b["abc_class"] == "A").sum())}
    return b.head(KEEP_ROWS), concentration


def breakdowns(df, products, customers):
    """Every breakdown of the pipeline's step, the dimension attributes joined."""
    df = df.assign(family=df["product_id"].map(products.set_index("product_id")["family"]),
                   region=df["customer_id"].map(customers.set_index("customer_id")["region"]))
    month = df["day"].dt.to_period("M")
    last_month = month.max()
    prev_month = last_month - 1
    days_last = df.loc[month == last_month, "day"].nunique()
    days_prev = max(df.loc[month == prev_month, "day"].nunique(), 1)
    return {key: breakdown(df, key, last_month, prev_month, days_last, days_prev)
            for key in ["product_id", "depot_id", "customer_id", "family", "region"]}, df["family"]


def monthly_points(df, by):
    """Monthly revenue per value of `by` (None: the total) over the whole months, 0 when no sale."""
    month = df["day"].dt.to_period("M")
    first, last = df["day"].min(), df["day"].max()
    p0 = first.to_period("M") + (1 if first.day > 2 else 0)
    p1 = last.to_period("M") - (1 if last < (last.to_period("M") + 1).start_time - pd.Timedelta(days=2) else 0)
    keep = (month >= p0) & (month <= p1)
    periods = pd.period_range(p0, p1, freq="M")
    if by is None:
        return {"": df.loc[keep, "amount"].groupby(month[keep]).sum().reindex(periods, fill_value=0)}
    top = df.groupby(by)["amount"].sum().nlargest(TOP_SERIES).index
    table = (df.loc[keep].groupby([df.loc[keep, by], month[keep]])["amount"].sum()
             .unstack(fill_value=0).reindex(columns=periods, fill_value=0))
    return {v: table.loc[v] if v in table.index else pd.Series(0.0, index=periods) for v in top}


def candidates(y):
    """R's default ETS candidates for a monthly series (no multiplicative part with values <= 0)."""
    positive = (y > 0).all()
    for error, (trend, damped), season in itertools.product(
            ["add", "mul"], [(None, False), ("add", False), ("add", True)], [None, "add", "mul"]):
        if (error == "mul" or season == "mul") and not positive:
            continue
        if error == "add" and season == "mul":
            continue
        params = 2 + (trend is not None) * 2 + damped + (season is not None) * 12
        if season is not None and len(y) <= 12 or len(y) <= params + 4:
            continue
        yield error, trend, damped, season


def forecast(y):
    """The ETS model with the lowest AICc, its forecasts and 80% / 95% intervals."""
    y = pd.Series(y.values.astype(float), index=y.index.to_timestamp())
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for error, trend, damped, season in candidates(y):
            try:
                fit = ETSModel(y, error=error, trend=trend, damped_trend=damped, seasonal=season,
                               seasonal_periods=12 if season else None).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fit.aicc) and (best is None or fit.aicc < best.aicc):
                best = fit
        if best is None:
            return None
        pred = best.get_prediction(start=len(y), end=len(y) + HORIZON - 1)
        return pd.concat([pred.summary_frame(alpha=0.2)[["mean", "pi_lower", "pi_upper"]],
                          pred.summary_frame(alpha=0.05)[["pi_lower", "pi_upper"]]], axis=1)


def forecasts(df, family):
    """Forecasts of the total, the top families and the top stores."""
    df = df.assign(family=family)
    series = {("total", v): y for v, y in monthly_points(df, None).items()}
    series.update({("product", v): y for v, y in monthly_points(df, "family").items()})
    series.update({("store", v): y for v, y in monthly_points(df, "depot_id").items()})
    return {k: forecast(y) for k, y in series.items()}


RESULT_TABLES = ["bench_py_trends", "bench_py_breakdowns", "bench_py_forecasts"]


def write_back(cur, series, tables, fcs):
    """The series, the kept breakdown rows and the forecasts in tables, as the pipeline writes them."""
    from psycopg2.extras import execute_values
    cur.execute("""CREATE TABLE bench_py_trends (grain text, period_start date, days int, revenue float8,
                   lines bigint, orders bigint, customers bigint, quantity float8, trend float8,
                   growth_prev float8, growth_year float8)""")
    cols = ["grain", "days", "revenue", "lines", "orders", "customers", "quantity", "trend", "growth_prev",
            "growth_year"]
    execute_values(cur, "INSERT INTO bench_py_trends VALUES %s",
                   [(g, p.date(), *(None if pd.isna(v) else float(v) for v in rest))
                    for p, g, *rest in series[cols].itertuples()], page_size=1000)
    cur.execute("""CREATE TABLE bench_py_breakdowns (attribute text, value text, revenue float8, lines bigint,
                   customers bigint, share float8, cumulative_share float8, rank int, growth float8, abc text)""")
    execute_values(cur, "INSERT INTO bench_py_breakdowns VALUES %s",
                   [(key, str(v), float(r.revenue), int(r.lines), int(r.customers), float(r.share),
                     float(r.cumulative_share), int(r.rank), None if pd.isna(r.growth) else float(r.growth),
                     r.abc_class)
                    for key, (b, _) in tables.items() for v, r in zip(b.index, b.itertuples())], page_size=1000)
    cur.execute("""CREATE TABLE bench_py_forecasts (dimension text, value text, step int, point float8,
                   lo80 float8, hi80 float8, lo95 float8, hi95 float8)""")
    execute_values(cur, "INSERT INTO bench_py_forecasts VALUES %s",
                   [(dim, str(v), i + 1, *map(float, row)) for (dim, v), f in fcs.items() if f is not None
                    for i, row in enumerate(f.values)], page_size=1000)
