"""Benchmark: 10,000 monthly series x 60 points forecast 12 months ahead in one GROUP BY, dmine's
dm_forecast (automatic model choice) serial and with 2 workers, against statsmodels' ETSModel and
R's forecast::ets fitted per series on a sample of the same series (time extrapolated to all).

statsmodels has no automatic choice: it fits one model per series, ETS(A,Ad,A) (additive error,
damped trend, additive season), a lower bound of what a choice among models would cost. R's ets
chooses among its models by AICc as dm_forecast does. DMINE_BENCH_ROWS sets the series count;
DMINE_BENCH_SAMPLE the sample per baseline (default 200)."""
import csv
import os
import subprocess
import tempfile
import time
import warnings

import numpy as np

import benchlib

SERIES = benchlib.scale(10000)
SAMPLE = int(os.environ.get("DMINE_BENCH_SAMPLE", 200))
POINTS = 60
HORIZON = 12

# Trend, a season whose shape and strength vary by series, noise; every value positive.
MAKE = f"""
DROP TABLE IF EXISTS fc_speed;
CREATE TABLE fc_speed AS
SELECT s AS series_id, t::bigint AS t,
       (100 + (s % 7) * t * 0.5
        + (10 + s % 13) * sin(2 * pi() * (t + s % 12) / 12.0)
        + 5 * (s % 3) * cos(4 * pi() * t / 12.0)
        + 8 * (dmine.dm_demo_uniform(s::bigint * 1000 + t, 7) - 0.5))::float8 AS y
FROM generate_series(1, {SERIES}) AS s, generate_series(1, {POINTS}) AS t;
ALTER TABLE fc_speed SET (parallel_workers = 2);
ANALYZE fc_speed;
"""

QUERY = f"""
SELECT count(*), count(dmine.dm_forecast_info(fc)->>'model')
FROM (SELECT series_id, dmine.dm_forecast(t, y, {HORIZON}, '{{"period": 12}}') AS fc
      FROM fc_speed GROUP BY series_id) f
"""

R_ETS = r"""
suppressPackageStartupMessages(library(forecast))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
t0 <- proc.time()[["elapsed"]]
for (s in unique(d$series_id)) {
  f <- forecast(ets(ts(d$y[d$series_id == s], frequency = 12)), h = as.integer(args[2]))
}
cat(proc.time()[["elapsed"]] - t0, "\n")
"""


def sample(conn):
    rows = benchlib.execute(conn, f"SELECT series_id, array_agg(y ORDER BY t) FROM fc_speed "
                                  f"WHERE series_id <= {SAMPLE} GROUP BY 1 ORDER BY 1")
    return [(sid, np.array(y, dtype=float)) for sid, y in rows]


def statsmodels_seconds(series):
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    warnings.simplefilter("ignore")
    index = pd.date_range("2015-01-01", periods=POINTS, freq="MS")
    start = time.perf_counter()
    for _, y in series:
        fit = ETSModel(pd.Series(y, index=index), error="add", trend="add", damped_trend=True, seasonal="add",
                       seasonal_periods=12).fit(disp=False)
        fit.get_prediction(start=POINTS, end=POINTS + HORIZON - 1).summary_frame(alpha=0.05)
    return time.perf_counter() - start


def r_seconds(series):
    with tempfile.TemporaryDirectory() as tmp:
        data, script = os.path.join(tmp, "s.csv"), os.path.join(tmp, "ets.R")
        with open(data, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["series_id", "y"])
            for sid, y in series:
                w.writerows([sid, repr(float(v))] for v in y)
        with open(script, "w") as f:
            f.write(R_ETS)
        out = subprocess.run(["Rscript", "--vanilla", script, data, str(HORIZON)], check=True,
                             capture_output=True, text=True).stdout
    return float(out.split()[-1])


def main():
    conn = benchlib.connect()
    benchlib.execute(conn, MAKE)
    serial = benchlib.time_sql(conn, QUERY, repeat=1, settings=benchlib.SERIAL)
    parallel = benchlib.time_sql(conn, QUERY, repeat=1, settings=benchlib.PARALLEL_2)
    series = sample(conn)
    n = len(series)
    sm = statsmodels_seconds(series) * SERIES / n
    r = r_seconds(series) * SERIES / n
    rows = [
        (f"dm_forecast serial, {SERIES} series (vs statsmodels)", serial, sm, "<= 0.02x (50x faster)"),
        (f"dm_forecast 2 workers (vs statsmodels)", parallel, sm, "<= 0.02x"),
        (f"dm_forecast serial (vs R forecast::ets)", serial, r, "<= 0.1x (10x faster)"),
        (f"dm_forecast 2 workers (vs R forecast::ets)", parallel, r, "<= 0.1x"),
    ]
    benchlib.report(f"Forecasting {SERIES} monthly series x {POINTS} points, horizon {HORIZON} "
                    f"(baselines: {n} series timed, extrapolated x{SERIES / n:.0f})", rows)
    print(f"\nper series: dm_forecast {1000 * serial / SERIES:.2f} ms serial, "
          f"statsmodels ETSModel {1000 * sm / SERIES:.1f} ms, R ets {1000 * r / SERIES:.1f} ms; "
          f"speed-ups: {sm / serial:.2f}x / {sm / parallel:.2f}x statsmodels, {r / serial:.2f}x / {r / parallel:.2f}x R")
    benchlib.execute(conn, "DROP TABLE fc_speed")


if __name__ == "__main__":
    main()
