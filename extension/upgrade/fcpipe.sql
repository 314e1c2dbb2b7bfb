-- fcpipe: the forecast step of the pipeline (result_forecasts, latest_forecasts, the options
-- forecast_horizon, forecast_grain and forecast_series), from 0.1.0. Needs dm_forecast.

-- @install CREATE TABLE result_forecasts (
-- @install COMMENT ON TABLE result_forecasts IS

SELECT pg_catalog.pg_extension_config_dump('@extschema@.result_forecasts', '');
