-- Forecasting: the forecast type, the dm_forecast aggregate (ETS chosen by AICc, Theta, Croston,
-- SBA, TSB, naive, a combination) and its accessors dm_forecast_points, dm_forecast_intervals,
-- dm_forecast_fitted, dm_forecast_info.

-- A forecast of one series. Text form: a JSON object (method, parameters, statistics, points,
-- bounds, history and fitted values); binary form: versioned, checksummed bytes. Both are
-- validated on input.
CREATE TYPE forecast;
CREATE FUNCTION forecast_in(cstring) RETURNS forecast
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_out(forecast) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_recv(internal) RETURNS forecast
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_send(forecast) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE forecast (
    INPUT = forecast_in, OUTPUT = forecast_out,
    RECEIVE = forecast_recv, SEND = forecast_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE forecast IS
    'a forecast of one series (method, parameters, AICc, points, prediction intervals, history and fitted values); text form is JSON';

-- The state of dm_forecast: the points of one series (any order) with the options and horizon of
-- the first row, so the final function needs only the state. A real type, so that dm_forecast
-- splits across Citus workers and runs in parallel; text form: base64 of checksummed bytes, both
-- forms validated on input.
CREATE TYPE forecast_summary;
CREATE FUNCTION forecast_summary_in(cstring) RETURNS forecast_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_summary_out(forecast_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_summary_recv(internal) RETURNS forecast_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION forecast_summary_send(forecast_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE forecast_summary (
    INPUT = forecast_summary_in, OUTPUT = forecast_summary_out,
    RECEIVE = forecast_summary_recv, SEND = forecast_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE forecast_summary IS
    'the points of one series with the forecast options and horizon (state of dm_forecast); dm_summary_forecast forecasts it';
CREATE FUNCTION forecast_summary_combine(forecast_summary, forecast_summary) RETURNS forecast_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

-- Final function and accessor.
CREATE FUNCTION dm_summary_forecast(s forecast_summary) RETURNS forecast
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_forecast(forecast_summary) IS
    'the forecast of a forecast summary (its options and horizon), as dm_forecast; NULL when it holds no point';

-- One transition function per time type, each with and without options.
DO $aggregates$
DECLARE
    t record;
    with_options boolean;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('bigint', 'index'), ('date', 'date'),
                                   ('timestamp', 'timestamp'), ('timestamptz', 'timestamptz'))
             AS v(sqltype, suffix)
    LOOP
        FOREACH with_options IN ARRAY ARRAY[false, true] LOOP
            -- STABLE: timestamptz times are read in the session's time zone.
            EXECUTE format(
                'CREATE FUNCTION @extschema@.forecast_summary_add_%s(@extschema@.forecast_summary, %s, float8, int%s)
                 RETURNS @extschema@.forecast_summary
                 AS %L LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE',
                t.suffix, t.sqltype, CASE WHEN with_options THEN ', jsonb' ELSE '' END,
                'MODULE_PATHNAME');
            EXECUTE format(
                'CREATE AGGREGATE @extschema@.dm_forecast(t %s, y float8, horizon int%s) (
                     SFUNC = @extschema@.forecast_summary_add_%s, STYPE = @extschema@.forecast_summary,
                     SSPACE = 2000, -- bytes: about 100 points
                     FINALFUNC = @extschema@.dm_summary_forecast,
                     COMBINEFUNC = @extschema@.forecast_summary_combine, PARALLEL = SAFE)',
                t.sqltype, CASE WHEN with_options THEN ', options jsonb' ELSE '' END, t.suffix);
            EXECUTE format('COMMENT ON AGGREGATE @extschema@.dm_forecast(%s, float8, int%s) IS %L',
                t.sqltype, CASE WHEN with_options THEN ', jsonb' ELSE '' END,
                'forecast of the series (time, value) horizon periods ahead' ||
                CASE WHEN t.sqltype = 'bigint' THEN ' (time: a period number)'
                     ELSE ' (times bucketed by grain, missing periods 0)' END ||
                CASE WHEN with_options
                     THEN '; options: period, grain, model, levels, nonnegative, max_history, min_history, paths, seed, alpha, beta'
                     ELSE '; model auto, 80% and 95% intervals' END ||
                '; rows with a NULL time or value are skipped');
        END LOOP;
    END LOOP;
END
$aggregates$;

-- Reading a forecast.
CREATE FUNCTION dm_forecast_points(fc forecast)
RETURNS TABLE (step int, period_start timestamptz, point float8,
               lo80 float8, hi80 float8, lo95 float8, hi95 float8, period_index bigint)
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 12;
COMMENT ON FUNCTION dm_forecast_points(forecast) IS
    'one row per forecast step: step (1 = the period after the last), period_start (NULL for a bigint time), point, 80% and 95% bounds (NULL when not among the levels), period_index (bigint time only)';

CREATE FUNCTION dm_forecast_intervals(fc forecast)
RETURNS TABLE (step int, level float8, lo float8, hi float8)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;
COMMENT ON FUNCTION dm_forecast_intervals(forecast) IS
    'one row per forecast step and level of the levels option: the lower and upper bounds';

CREATE FUNCTION dm_forecast_fitted(fc forecast)
RETURNS TABLE (pos int, period_start timestamptz, actual float8, fitted float8,
               residual float8, period_index bigint)
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 60;
COMMENT ON FUNCTION dm_forecast_fitted(forecast) IS
    'one row per period of the fitted history: pos (1-based), period_start, actual value (0 for a filled period), one-step fitted value, residual, period_index (bigint time only)';

CREATE FUNCTION dm_forecast_info(fc forecast) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_forecast_info(forecast) IS
    'the forecast without its series as JSON: model, method, params, aicc, aic, bic, loglik, sigma, sigma2, mase, fitted_length, horizon, period, time, grain, levels, intervals, counts, states';

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'forecast_in(cstring)', 'forecast_out(forecast)',
        'forecast_recv(internal)', 'forecast_send(forecast)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       'input/output function of forecast');
    END LOOP;
END
$comments$;
