-- Context summaries as values (one row per day, say): the states of dm_context_fit,
-- dm_context_fit_time and dm_context_top, to store, roll up with dm_rollup (the same summary as
-- one scan of all the rows behind them) and read with dm_summary_context and dm_summary_top.
-- See docs/summaries.md.
CREATE AGGREGATE dm_context_fit_summary(key text, value float8) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_summary(text, float8) IS
    'the state of dm_context_fit(key, value), to store and roll up with dm_rollup; dm_summary_context reads it';
CREATE AGGREGATE dm_context_fit_summary(key text, value float8, options jsonb) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_summary(text, float8, jsonb) IS
    'the state of dm_context_fit(key, value, options), to store and roll up with dm_rollup; dm_summary_context reads it';
CREATE AGGREGATE dm_context_fit_time_summary(key text, at timestamp) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time_summary(text, timestamp) IS
    'the state of dm_context_fit_time(key, at), to store and roll up with dm_rollup; dm_summary_context reads it';
CREATE AGGREGATE dm_context_fit_time_summary(key text, at timestamp, options jsonb) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time_summary(text, timestamp, jsonb) IS
    'the state of dm_context_fit_time(key, at, options), to store and roll up with dm_rollup; dm_summary_context reads it';
CREATE AGGREGATE dm_context_top_summary(score float8, line jsonb, k bigint) (
    SFUNC = dm_context_top_accum, STYPE = context_top_summary, SSPACE = 10000,
    COMBINEFUNC = context_top_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_top_summary(float8, jsonb, bigint) IS
    'the state of dm_context_top(score, line, k), to store and roll up with dm_rollup; dm_summary_top reads it';

CREATE AGGREGATE dm_rollup(s context_fit_summary) (
    SFUNC = context_fit_summary_combine, STYPE = context_fit_summary, SSPACE = 20000,
    COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(context_fit_summary) IS
    'the context fitting state of all the rows behind the given summaries (fitted with the same options, else 22023)';
CREATE AGGREGATE dm_rollup(s context_top_summary) (
    SFUNC = context_top_summary_combine, STYPE = context_top_summary, SSPACE = 10000,
    COMBINEFUNC = context_top_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(context_top_summary) IS
    'the top lines of all the rows behind the given summaries (k: the largest of theirs)';

CREATE FUNCTION dm_summary_context(s context_fit_summary) RETURNS context_summary
    AS 'MODULE_PATHNAME', 'dm_context_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_context(context_fit_summary) IS
    'the context_summary of a fitting state, as dm_context_fit or dm_context_fit_time over the same rows (NULL when no line)';
CREATE FUNCTION dm_summary_top(s context_top_summary) RETURNS jsonb[]
    AS 'MODULE_PATHNAME', 'dm_context_top_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_top(context_top_summary) IS
    'the kept lines of a top-lines state, highest score first, as dm_context_top over the same rows';
