-- 0.1.0 -> 0.2.0: forecasting (the forecast type, dm_forecast and its accessors), as in
-- extension/parts/19_forecast.sql.
-- Forecasting: the forecast type, the dm_forecast aggregate (ETS chosen by AICc, Theta, Croston,
-- SBA, TSB, naive, a combination) and its accessors dm_forecast_points, dm_forecast_intervals,
-- dm_forecast_fitted, dm_forecast_info.

-- A forecast of one series. Text form: a JSON object (method, parameters, statistics, points,
-- bounds, history and fitted values); binary form: versioned, checksummed bytes. Both are
-- validated on input.
-- @install CREATE TYPE forecast;
-- @install CREATE FUNCTION forecast_in(cstring) RETURNS forecast
-- @install CREATE FUNCTION forecast_out(forecast) RETURNS cstring
-- @install CREATE FUNCTION forecast_recv(internal) RETURNS forecast
-- @install CREATE FUNCTION forecast_send(forecast) RETURNS bytea
-- @install CREATE TYPE forecast (
-- @install COMMENT ON TYPE forecast IS

-- dm_forecast itself comes over its state type, forecast_summary (piece fcfast).
