"""Benchmark: forecast accuracy on Debian's public series, dmine's dm_forecast against R's
forecast::ets, auto.arima and thetaf in one run (the table of docs/forecasting.md); see
forecast_accuracy.py for the series, the hold-out and the measures."""
import sys

import forecast_accuracy

if __name__ == "__main__":
    passed, _, _ = forecast_accuracy.main(check=True)
    sys.exit(0 if passed else 1)
