-- fcpipe: the forecast step of the pipeline (result_forecasts, latest_forecasts, the options
-- forecast_horizon, forecast_grain and forecast_series), from 0.1.0. Needs dm_forecast.

CREATE TABLE result_forecasts (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    dimension text NOT NULL,          -- total, product or store
    attribute text NOT NULL,          -- revenue (total), the product attribute (family) or the store column
    value text NOT NULL,              -- the value of the attribute ('' for the total)
    grain text NOT NULL CHECK (grain IN ('week', 'month', 'quarter')),
    period_start date NOT NULL,
    step int NOT NULL,                -- 1..horizon: forecast; 0, -1, ...: history (0 = the last period observed)
    actual float8,                    -- history: the revenue of the period
    point float8,                     -- forecast: the point forecast and its 80% and 95% intervals
    lo80 float8,
    hi80 float8,
    lo95 float8,
    hi95 float8,
    model text,                       -- the model chosen for the series (dm_forecast_info)
    PRIMARY KEY (run_id, dimension, attribute, value, period_start)
);
COMMENT ON TABLE result_forecasts IS
    'forecast step: revenue per period, history (step <= 0, actual) and forecast (step 1..horizon, point and 80%/95% intervals), overall, per product family and per store';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.result_forecasts', '');
