"""Forecast accuracy on public series: dmine's dm_forecast against R's forecast::ets, auto.arima
and thetaf, in one run, on the same training data and the same held-out points.

The series are the ones Debian ships: gas, gold, taylor, wineind and woolyrnq of r-cran-forecast
(read through Rscript), and co2, elnino, elec_equip, macrodata and sunspots of
python3-statsmodels. Each loses its last season(s) (the horizon); every method forecasts them
from the rest. Gaps: gold's missing trading days are interpolated linearly (as forecast::na.interp
does for a series without season); co2 (weekly, with missing weeks) becomes monthly means, a month
without any measure taking the previous month's mean; taylor (half-hourly electricity demand over
12 weeks) becomes daily totals with a weekly season (period 336 is beyond every ETS).

MASE per series: mean absolute error over the horizon / in-sample mean absolute error of the
seasonal naive forecast (lag = period; 1 without a season), as forecast::accuracy computes it.
Coverage: the share of held-out points inside the 95% (and 80%) intervals, over all series.

Run as a module (`main(check=True)`, exit status 1 when a bar is missed) by scripts/test.sh, and
as the benchmark test/bench/forecast_accuracy_bench.py (the full table)."""
import csv
import io
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

import benchlib

SM = "/usr/lib/python3/dist-packages/statsmodels/datasets"

# R datasets of the forecast package: name -> (horizon, how to shape it).
R_SERIES = {"gas": 12, "wineind": 12, "woolyrnq": 8, "gold": 20, "taylor": 14}

R_EXPORT = r"""
suppressPackageStartupMessages(library(forecast))
out <- commandArgs(TRUE)[1]
rows <- list()
for (name in c("gas", "wineind", "woolyrnq", "gold", "taylor")) {
  x <- get(name)
  rows[[name]] <- data.frame(series = name, frequency = frequency(x), i = seq_along(x), y = as.numeric(x))
}
write.csv(do.call(rbind, rows), out, row.names = FALSE, na = "")
"""

R_FIT = r"""
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
methods <- strsplit(args[3], ",")[[1]]
res <- list()
for (s in unique(d$series)) {
  r <- d[d$series == s, ]
  y <- ts(r$y, frequency = r$m[1])
  h <- r$h[1]
  fits <- list(
    ets = function() forecast(ets(y), h = h, level = c(80, 95)),
    auto.arima = function() forecast(auto.arima(y), h = h, level = c(80, 95)),
    thetaf = function() thetaf(y, h = h, level = c(80, 95)))
  for (m in methods) {
    t0 <- proc.time()[["elapsed"]]
    f <- fits[[m]]()
    secs <- proc.time()[["elapsed"]] - t0
    res[[paste(s, m)]] <- data.frame(series = s, method = m, step = seq_len(h), point = as.numeric(f$mean),
                                     lo80 = as.numeric(f$lower[, 1]), hi80 = as.numeric(f$upper[, 1]),
                                     lo95 = as.numeric(f$lower[, 2]), hi95 = as.numeric(f$upper[, 2]),
                                     seconds = secs)
  }
}
write.csv(do.call(rbind, res), args[2], row.names = FALSE)
"""


def run_r(script, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(script)
    try:
        subprocess.run(["Rscript", "--vanilla", f.name, *args], check=True)
    finally:
        os.unlink(f.name)


def r_series(tmp):
    """gas, wineind, woolyrnq, gold (gaps interpolated), taylor (daily totals)."""
    path = os.path.join(tmp, "r_data.csv")
    run_r(R_EXPORT, path)
    d = pd.read_csv(path)
    out = []
    for name, h in R_SERIES.items():
        r = d[d.series == name]
        y = r.y.to_numpy(dtype=float)
        m = int(round(r.frequency.iloc[0]))
        if name == "gold":
            y = pd.Series(y).interpolate(limit_direction="both").to_numpy()
            m = 1
        if name == "taylor":
            y = y.reshape(-1, 48).sum(axis=1)
            m = 7
        out.append((name, m, h, y))
    return out


def sm_series():
    """co2 (monthly means), elnino, elec_equip, realgdp/cpi/unemp of macrodata, sunspots."""
    out = []
    co2 = pd.read_csv(f"{SM}/co2/co2.csv")
    co2.index = pd.to_datetime(co2.date.astype(str), format="%Y%m%d")
    monthly = co2.co2.resample("MS").mean().ffill()
    out.append(("co2", 12, 12, monthly.to_numpy()))
    nino = pd.read_csv(f"{SM}/elnino/elnino.csv")
    out.append(("elnino", 12, 12, nino.drop(columns="YEAR").to_numpy().ravel()))
    elec = pd.read_csv(f"{SM}/elec_equip/elec_equip.csv")
    out.append(("elec_equip", 12, 12, elec.iloc[:, 1].to_numpy(dtype=float)))
    macro = pd.read_csv(f"{SM}/macrodata/macrodata.csv")
    for col in ("realgdp", "cpi", "unemp"):
        out.append((col, 4, 8, macro[col].to_numpy(dtype=float)))
    spots = pd.read_csv(f"{SM}/sunspots/sunspots.csv")
    out.append(("sunspots", 1, 11, spots.SUNACTIVITY.to_numpy(dtype=float)))
    return out


def load_series(tmp):
    return r_series(tmp) + sm_series()


def r_forecasts(series, tmp, methods=("ets", "auto.arima", "thetaf")):
    """R's forecasts (ets, auto.arima, thetaf), by (series, method) -> DataFrame of steps (with
    the seconds of the fit and forecast)."""
    train = os.path.join(tmp, "train.csv")
    with open(train, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series", "m", "h", "y"])
        for name, m, h, y in series:
            for v in y[:-h]:
                w.writerow([name, m, h, repr(float(v))])
    out = os.path.join(tmp, "r_fc.csv")
    run_r(R_FIT, train, out, ",".join(methods))
    d = pd.read_csv(out)
    return {k: g.sort_values("step") for k, g in d.groupby(["series", "method"])}


def dmine_forecasts(conn, series, options=None):
    """dm_forecast of every series in one GROUP BY; by series -> DataFrame of steps."""
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS fc_accuracy (series text, m int, h int, t bigint, y float8)")
    cur.execute("TRUNCATE fc_accuracy")
    buf = io.StringIO()
    for name, m, h, y in series:
        for i, v in enumerate(y[:-h], start=1):
            buf.write(f"{name}\t{m}\t{h}\t{i}\t{float(v)!r}\n")
    buf.seek(0)
    cur.copy_from(buf, "fc_accuracy")
    cur.execute("""
        WITH f AS (
            SELECT series, dmine.dm_forecast(t, y, h, jsonb_build_object('period', m) || %s::jsonb) AS fc
            FROM fc_accuracy GROUP BY series)
        SELECT f.series, p.step, p.point, p.lo80, p.hi80, p.lo95, p.hi95, dmine.dm_forecast_info(f.fc)->>'method'
        FROM f, dmine.dm_forecast_points(f.fc) AS p""", [json_text(options or {})])
    cols = ["series", "step", "point", "lo80", "hi80", "lo95", "hi95", "model"]
    d = pd.DataFrame(cur.fetchall(), columns=cols)
    return {k: g.sort_values("step") for k, g in d.groupby("series")}


def json_text(obj):
    import json
    return json.dumps(obj)


def mase(train, test, point, m):
    lag = m if m > 1 and len(train) > m else 1
    scale = np.mean(np.abs(train[lag:] - train[:-lag]))
    return float(np.mean(np.abs(test - point)) / scale)


def evaluate(series, forecasts):
    """Per method: {series: mase}, and interval hits (80, 95) over all points."""
    table = {}
    for method, by_series in forecasts.items():
        scores, hits80, hits95, n = {}, 0, 0, 0
        for name, m, h, y in series:
            f = by_series.get(name)
            if f is None or len(f) != h:
                scores[name] = math.nan
                continue
            train, test = y[:-h], y[-h:]
            scores[name] = mase(train, test, f.point.to_numpy(dtype=float), m)
            hits80 += int(np.sum((test >= f.lo80.to_numpy(dtype=float)) & (test <= f.hi80.to_numpy(dtype=float))))
            hits95 += int(np.sum((test >= f.lo95.to_numpy(dtype=float)) & (test <= f.hi95.to_numpy(dtype=float))))
            n += h
        table[method] = {"mase": scores, "cover80": hits80 / n if n else math.nan,
                         "cover95": hits95 / n if n else math.nan}
    return table


def print_table(series, table, models):
    methods = list(table)
    print(f"\n{'series':12} {'m':>3} {'h':>3} {'n':>5}  " + " ".join(f"{m:>10}" for m in methods) + "  dmine model")
    for name, m, h, y in series:
        row = " ".join(f"{table[meth]['mase'][name]:10.3f}" for meth in methods)
        print(f"{name:12} {m:3} {h:3} {len(y) - h:5}  {row}  {models.get(name, '')}")
    print(f"{'mean MASE':27}  " + " ".join(f"{np.nanmean(list(table[m]['mase'].values())):10.3f}" for m in methods))
    print(f"{'95% coverage':27}  " + " ".join(f"{table[m]['cover95']:10.1%}" for m in methods))
    print(f"{'80% coverage':27}  " + " ".join(f"{table[m]['cover80']:10.1%}" for m in methods))


def main(check=False, methods=("ets", "auto.arima", "thetaf")):
    """check: the quality bars. The quick test runs R's ets and thetaf only (auto.arima
    takes minutes on the long monthly series)."""
    with tempfile.TemporaryDirectory() as tmp:
        series = load_series(tmp)
        forecasts = {}
        conn = benchlib.connect()
        t0 = time.perf_counter()
        forecasts["dmine"] = dmine_forecasts(conn, series)
        dmine_seconds = time.perf_counter() - t0
        models = {k: v.model.iloc[0] for k, v in forecasts["dmine"].items()}
        r = r_forecasts(series, tmp, methods)
        for meth in methods:
            forecasts[meth] = {s: g for (s, mm), g in r.items() if mm == meth}
    print(f"seconds (all {len(series)} series): dmine {dmine_seconds:.2f}, "
          + ", ".join(f"{m} {sum(g.seconds.iloc[0] for (s, mm), g in r.items() if mm == m):.2f}" for m in methods))
    table = evaluate(series, forecasts)
    print_table(series, table, models)
    mean = {m: float(np.nanmean(list(t["mase"].values()))) for m, t in table.items()}
    ok = True
    if check:
        cover = table["dmine"]["cover95"]
        bars = [(mean["dmine"] <= mean["ets"], f"dmine's mean MASE {mean['dmine']:.3f} <= ets's {mean['ets']:.3f}"),
                (0.90 <= cover <= 0.98, f"dmine's 95% intervals cover {cover:.1%} of held-out points (90% to 98%)"),
                (not any(math.isnan(v) for v in table["dmine"]["mase"].values()), "dmine forecasts every series")]
        for passed, text in bars:
            print(("ok     " if passed else "FAILED ") + text)
            ok = ok and passed
        if "auto.arima" in mean:
            print(("note   " if mean["dmine"] <= mean["auto.arima"] else "note   not ")
                  + f"at most auto.arima's mean MASE ({mean['auto.arima']:.3f})")
    return ok, table, mean


if __name__ == "__main__":
    quick = "--check" in sys.argv
    passed, _, _ = main(check=quick, methods=("ets", "thetaf") if quick else ("ets", "auto.arima", "thetaf"))
    sys.exit(0 if passed else 1)
