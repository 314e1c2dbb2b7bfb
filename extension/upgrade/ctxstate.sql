-- ctxstate: the context aggregates over real state types (Citus pushdown), 0.1.0 -> 0.2.0 part.
-- Their internal-state definitions (piece context) are dropped and created again over
-- context_fit_summary and context_top_summary, with their support functions.

DROP AGGREGATE dm_context_fit(text, float8);
DROP AGGREGATE dm_context_fit(text, float8, jsonb);
DROP AGGREGATE dm_context_fit_time(text, timestamp);
DROP AGGREGATE dm_context_fit_time(text, timestamp, jsonb);
DROP AGGREGATE dm_context_top(float8, jsonb, bigint);
DROP FUNCTION dm_context_fit_accum(internal, text, float8);
DROP FUNCTION dm_context_fit_accum(internal, text, float8, jsonb);
DROP FUNCTION dm_context_fit_time_accum(internal, text, timestamp);
DROP FUNCTION dm_context_fit_time_accum(internal, text, timestamp, jsonb);
DROP FUNCTION dm_context_combine(internal, internal);
DROP FUNCTION dm_context_serialize(internal);
DROP FUNCTION dm_context_deserialize(bytea, internal);
DROP FUNCTION dm_context_final(internal);
DROP FUNCTION dm_context_top_accum(internal, float8, jsonb, bigint);
DROP FUNCTION dm_context_top_combine(internal, internal);
DROP FUNCTION dm_context_top_serialize(internal);
DROP FUNCTION dm_context_top_deserialize(bytea, internal);
DROP FUNCTION dm_context_top_final(internal);

CREATE TYPE context_fit_summary;
CREATE FUNCTION context_fit_summary_in(cstring) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_fit_summary_out(context_fit_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_fit_summary_recv(internal) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_fit_summary_send(context_fit_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE context_fit_summary (
    INPUT = context_fit_summary_in, OUTPUT = context_fit_summary_out,
    RECEIVE = context_fit_summary_recv, SEND = context_fit_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
CREATE FUNCTION context_fit_summary_combine(context_fit_summary, context_fit_summary) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_accum(context_fit_summary, text, float8) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_accum(context_fit_summary, text, float8, jsonb) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(context_fit_summary, text, timestamp) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(context_fit_summary, text, timestamp, jsonb) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_final(context_fit_summary) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dm_context_fit(key text, value float8) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_context_fit(key text, value float8, options jsonb) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp, options jsonb) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);

CREATE TYPE context_top_summary;
CREATE FUNCTION context_top_summary_in(cstring) RETURNS context_top_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_top_summary_out(context_top_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_top_summary_recv(internal) RETURNS context_top_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_top_summary_send(context_top_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE context_top_summary (
    INPUT = context_top_summary_in, OUTPUT = context_top_summary_out,
    RECEIVE = context_top_summary_recv, SEND = context_top_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
CREATE FUNCTION context_top_summary_combine(context_top_summary, context_top_summary) RETURNS context_top_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_accum(context_top_summary, float8, jsonb, bigint) RETURNS context_top_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_final(context_top_summary) RETURNS jsonb[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dm_context_top(score float8, line jsonb, k bigint) (
    SFUNC = dm_context_top_accum, STYPE = context_top_summary, SSPACE = 10000,
    FINALFUNC = dm_context_top_final, COMBINEFUNC = context_top_summary_combine, PARALLEL = SAFE
);

-- The states as values to store and roll up (extension/parts/33_context_summaries.sql).
CREATE AGGREGATE dm_context_fit_summary(key text, value float8) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_context_fit_summary(key text, value float8, options jsonb) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_context_fit_time_summary(key text, at timestamp) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_context_fit_time_summary(key text, at timestamp, options jsonb) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_context_top_summary(score float8, line jsonb, k bigint) (
    SFUNC = dm_context_top_accum, STYPE = context_top_summary, SSPACE = 10000,
    COMBINEFUNC = context_top_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_rollup(s context_fit_summary) (
    SFUNC = context_fit_summary_combine, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
CREATE AGGREGATE dm_rollup(s context_top_summary) (
    SFUNC = context_top_summary_combine, STYPE = context_top_summary, SSPACE = 10000,
    COMBINEFUNC = context_top_summary_combine, PARALLEL = SAFE
);

-- Comments of the new types and aggregates.
COMMENT ON TYPE context_fit_summary IS
    'state of dm_context_fit and dm_context_fit_time: per key bucket counts and the fitting options (mergeable); text form is base64';
COMMENT ON AGGREGATE dm_context_fit(text, float8) IS
    'context summary of a measure per key (log scale, min_rows 20, min_spread 0.05): median and Laplace spread per key and overall';
COMMENT ON AGGREGATE dm_context_fit(text, float8, jsonb) IS
    'context summary of a measure per key with options (read from the first row): scale (log, linear), min_rows, min_spread';
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp) IS
    'context summary of the times of the lines per key: counts per hour and per weekday (min_rows 100)';
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp, jsonb) IS
    'context summary of the times of the lines per key with options (read from the first row): min_rows';
COMMENT ON TYPE context_top_summary IS
    'state of dm_context_top: k and the kept lines with their scores (mergeable); text form is base64';
COMMENT ON AGGREGATE dm_context_top(float8, jsonb, bigint) IS
    'the k lines of highest score as jsonb[], highest first (k read from the first row, 0 to 1,000,000); NULL scores or lines are skipped';
COMMENT ON AGGREGATE dm_context_fit_summary(text, float8) IS
    'the state of dm_context_fit(key, value), to store and roll up with dm_rollup; dm_summary_context reads it';
COMMENT ON AGGREGATE dm_context_fit_summary(text, float8, jsonb) IS
    'the state of dm_context_fit(key, value, options), to store and roll up with dm_rollup; dm_summary_context reads it';
COMMENT ON AGGREGATE dm_context_fit_time_summary(text, timestamp) IS
    'the state of dm_context_fit_time(key, at), to store and roll up with dm_rollup; dm_summary_context reads it';
COMMENT ON AGGREGATE dm_context_fit_time_summary(text, timestamp, jsonb) IS
    'the state of dm_context_fit_time(key, at, options), to store and roll up with dm_rollup; dm_summary_context reads it';
COMMENT ON AGGREGATE dm_context_top_summary(float8, jsonb, bigint) IS
    'the state of dm_context_top(score, line, k), to store and roll up with dm_rollup; dm_summary_top reads it';
COMMENT ON AGGREGATE dm_rollup(context_fit_summary) IS
    'the context fitting state of all the rows behind the given summaries (fitted with the same options, else 22023)';
COMMENT ON AGGREGATE dm_rollup(context_top_summary) IS
    'the top lines of all the rows behind the given summaries (k: the largest of theirs)';
