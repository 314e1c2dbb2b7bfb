-- 0.1.0 -> 0.2.0: forecasting (the forecast type, dm_forecast and its accessors), as in
-- extension/parts/19_forecast.sql.
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

-- Support functions: one transition function per time type, shared combine/serial/final.
CREATE FUNCTION dm_forecast_accum_index(internal, bigint, float8, int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_accum_index(internal, bigint, float8, int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_accum_date(internal, date, float8, int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_accum_date(internal, date, float8, int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_accum_timestamp(internal, timestamp, float8, int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_accum_timestamp(internal, timestamp, float8, int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_accum_timestamptz(internal, timestamptz, float8, int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_accum_timestamptz(internal, timestamptz, float8, int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_forecast_final(internal) RETURNS forecast
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

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
            EXECUTE format(
                'CREATE AGGREGATE @extschema@.dm_forecast(t %s, y float8, horizon int%s) (
                     SFUNC = @extschema@.dm_forecast_accum_%s, STYPE = internal,
                     SSPACE = 2000, -- bytes: about 100 points
                     FINALFUNC = @extschema@.dm_forecast_final,
                     COMBINEFUNC = @extschema@.dm_forecast_combine,
                     SERIALFUNC = @extschema@.dm_forecast_serialize,
                     DESERIALFUNC = @extschema@.dm_forecast_deserialize, PARALLEL = SAFE)',
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
            EXECUTE format('COMMENT ON FUNCTION @extschema@.dm_forecast_accum_%s(internal, %s, float8, int%s) IS %L',
                t.suffix, t.sqltype, CASE WHEN with_options THEN ', jsonb' ELSE '' END,
                'support function of a dmine aggregate (internal)');
        END LOOP;
    END LOOP;
END
$aggregates$;

-- Reading a forecast.
CREATE FUNCTION dm_forecast_points(fc forecast)
RETURNS TABLE (step int, period_start timestamptz, point float8,
               lo80 float8, hi80 float8, lo95 float8, hi95 float8, period_index bigint)
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 12;

CREATE FUNCTION dm_forecast_intervals(fc forecast)
RETURNS TABLE (step int, level float8, lo float8, hi float8)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;

CREATE FUNCTION dm_forecast_fitted(fc forecast)
RETURNS TABLE (pos int, period_start timestamptz, actual float8, fitted float8,
               residual float8, period_index bigint)
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 60;

CREATE FUNCTION dm_forecast_info(fc forecast) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'forecast_in(cstring)', 'forecast_out(forecast)',
        'forecast_recv(internal)', 'forecast_send(forecast)',
        'dm_forecast_combine(internal, internal)', 'dm_forecast_serialize(internal)',
        'dm_forecast_deserialize(bytea, internal)', 'dm_forecast_final(internal)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       CASE WHEN f LIKE 'forecast_%' THEN 'input/output function of forecast'
                            ELSE 'support function of a dmine aggregate (internal)' END);
    END LOOP;
END
$comments$;
