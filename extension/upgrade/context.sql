-- context: anomalies in context (0.1.0 -> 0.2.0 part). Plain SQL run inside the upgrade script.

CREATE TYPE context_summary;
CREATE FUNCTION context_summary_in(cstring) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_summary_out(context_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_summary_recv(internal) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_summary_send(context_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE context_summary (
    INPUT = context_summary_in, OUTPUT = context_summary_out,
    RECEIVE = context_summary_recv, SEND = context_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE context_summary IS
    'typical value and spread of a measure per group key (or hour and weekday counts per group), with an overall group; text form is JSON';

-- Fitting: one scan, per key a sparse bucket count (bounded per key), merged across workers.
CREATE FUNCTION dm_context_fit_accum(internal, text, float8) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_accum(internal, text, float8, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(internal, text, timestamp) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(internal, text, timestamp, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_final(internal) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_context_fit(key text, value float8) (
    SFUNC = dm_context_fit_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(text, float8) IS
    'context summary of a measure per key (log scale, min_rows 20, min_spread 0.05): median and Laplace spread per key and overall';
CREATE AGGREGATE dm_context_fit(key text, value float8, options jsonb) (
    SFUNC = dm_context_fit_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(text, float8, jsonb) IS
    'context summary of a measure per key with options (read from the first row): scale (log, linear), min_rows, min_spread';
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp) (
    SFUNC = dm_context_fit_time_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp) IS
    'context summary of the times of the lines per key: counts per hour and per weekday (min_rows 100)';
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp, options jsonb) (
    SFUNC = dm_context_fit_time_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp, jsonb) IS
    'context summary of the times of the lines per key with options (read from the first row): min_rows';

-- Using a summary.
CREATE FUNCTION dm_context_surprise(summary context_summary, key text, value float8, side text DEFAULT 'both',
                                    leave_out boolean DEFAULT true) RETURNS float8
    AS 'MODULE_PATHNAME', 'dm_context_surprise' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION dm_context_surprise(summary context_summary, key text, at timestamp,
                                    leave_out boolean DEFAULT true) RETURNS float8
    AS 'MODULE_PATHNAME', 'dm_context_surprise_time' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION dm_context_explain(summary context_summary, key text, value float8, side text DEFAULT 'both',
                                   leave_out boolean DEFAULT true) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dm_context_explain' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION dm_context_explain(summary context_summary, key text, at timestamp,
                                   leave_out boolean DEFAULT true) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dm_context_explain_time' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION dm_context_typical(summary context_summary, key text) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION dm_context_info(summary context_summary) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_score(surprises float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The k lines of highest score (ties by the line's bytes), in bounded memory, parallel.
CREATE FUNCTION dm_context_top_accum(internal, float8, jsonb, bigint) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_final(internal) RETURNS jsonb[]
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dm_context_top(score float8, line jsonb, k bigint) (
    SFUNC = dm_context_top_accum, STYPE = internal, SSPACE = 10000,
    FINALFUNC = dm_context_top_final, COMBINEFUNC = dm_context_top_combine,
    SERIALFUNC = dm_context_top_serialize, DESERIALFUNC = dm_context_top_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_top(float8, jsonb, bigint) IS
    'the k lines of highest score as jsonb[], highest first (k read from the first row, 0 to 1,000,000); NULL scores or lines are skipped';

-- Two surprises of one line taken together (the product's and the customer's view of a
-- quantity): -ln P(E1 + E2 >= s) for independent unit exponentials, s - ln(1 + s) with s their
-- sum; one of them alone when the other is NULL.
CREATE FUNCTION dm_context_joint(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE (a + b) - ln(1 + a + b) END $$;
-- The sum of two surprises, one alone when the other is NULL (the pipeline's quantity: unusual for
-- the product and for the customer).
CREATE FUNCTION dm_context_sum(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT COALESCE(a + b, a, b) $$;

-- Result tables: the reason of every kept line, the context summaries of a run.
ALTER TABLE @extschema@.result_anomalies ADD COLUMN reason text;
ALTER TABLE @extschema@.result_models ADD COLUMN context @extschema@.context_summary[];

-- As every routine of the extension (99_search_path.sql).
ALTER FUNCTION @extschema@.dm_context_joint(float8, float8) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.dm_context_sum(float8, float8) SET search_path = pg_catalog, pg_temp;
