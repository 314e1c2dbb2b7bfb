-- 0.1.0 -> 0.2.0: dm_forecast over its state type, forecast_summary (after the forecast type of
-- piece forecast): the type, its support functions, dm_summary_forecast and the aggregates, as in
-- extension/parts/19_forecast.sql.

-- The state of dm_forecast: the points of one series (any order) with the options and horizon of
-- the first row, so the final function needs only the state. A real type, so that dm_forecast
-- splits across Citus workers and runs in parallel; text form: base64 of checksummed bytes, both
-- forms validated on input.
-- @install CREATE TYPE forecast_summary;
-- @install CREATE FUNCTION forecast_summary_in(cstring) RETURNS forecast_summary
-- @install CREATE FUNCTION forecast_summary_out(forecast_summary) RETURNS cstring
-- @install CREATE FUNCTION forecast_summary_recv(internal) RETURNS forecast_summary
-- @install CREATE FUNCTION forecast_summary_send(forecast_summary) RETURNS bytea
-- @install CREATE TYPE forecast_summary (
-- @install COMMENT ON TYPE forecast_summary IS
-- @install CREATE FUNCTION forecast_summary_combine(forecast_summary, forecast_summary) RETURNS forecast_summary

-- Final function and accessor.
-- @install CREATE FUNCTION dm_summary_forecast(s forecast_summary) RETURNS forecast
-- @install COMMENT ON FUNCTION dm_summary_forecast(forecast_summary) IS

-- One transition function per time type, each with and without options.
-- @install DO $aggregates$
