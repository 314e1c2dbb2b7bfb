-- 0.1.0 -> 0.2.0: dm_forecast over its state type, forecast_summary (after the forecast type of
-- piece forecast): the type, its support functions, dm_summary_forecast and the aggregates, as in
-- extension/parts/19_forecast.sql.

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
