-- Anomalies in context: grouped context summaries (the context_summary type, dm_context_fit,
-- dm_context_fit_time), line by line surprise, typical value and explanation, the combined
-- context score, and dm_context_top (the k lines of highest score). See docs/anomaly.md.

-- A fitted context summary. Text form: a JSON object with every group; binary form: the
-- versioned, checksummed bytes. Both are validated on input.
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

-- Fitting: one scan, per key a sparse bucket count (bounded per key), merged across workers. The
-- state is a real type (context_fit_summary: an expanded object in memory, base64 text of its
-- sealed bytes), so the aggregates split across Citus workers; its options travel with it.
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
COMMENT ON TYPE context_fit_summary IS
    'state of dm_context_fit and dm_context_fit_time: per key bucket counts and the fitting options (mergeable); text form is base64';
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
CREATE FUNCTION dm_context_fit_accum(context_fit_summary, bigint, float8) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME', 'dm_context_fit_int_accum' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_accum(context_fit_summary, bigint, float8, jsonb) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME', 'dm_context_fit_int_accum' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(context_fit_summary, bigint, timestamp) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME', 'dm_context_fit_time_int_accum' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(context_fit_summary, bigint, timestamp, jsonb) RETURNS context_fit_summary
    AS 'MODULE_PATHNAME', 'dm_context_fit_time_int_accum' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_final(context_fit_summary) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_context_fit(key text, value float8) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(text, float8) IS
    'context summary of a measure per key (log scale, min_rows 20, min_spread 0.05): median and Laplace spread per key and overall';
CREATE AGGREGATE dm_context_fit(key text, value float8, options jsonb) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(text, float8, jsonb) IS
    'context summary of a measure per key with options (read from the first row): scale (log, linear), min_rows, min_spread';
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp) IS
    'context summary of the times of the lines per key: counts per hour and per weekday (min_rows 100)';
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp, options jsonb) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp, jsonb) IS
    'context summary of the times of the lines per key with options (read from the first row): min_rows';
-- The same keyed by integers (smallint, integer and bigint keys): the summary is the one key::text
-- gives, without a text cast a line.
CREATE AGGREGATE dm_context_fit(key bigint, value float8) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(bigint, float8) IS
    'dm_context_fit(text, float8) keyed by an integer (the same summary as key::text)';
CREATE AGGREGATE dm_context_fit(key bigint, value float8, options jsonb) (
    SFUNC = dm_context_fit_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(bigint, float8, jsonb) IS
    'dm_context_fit(text, float8, jsonb) keyed by an integer (the same summary as key::text)';
CREATE AGGREGATE dm_context_fit_time(key bigint, at timestamp) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(bigint, timestamp) IS
    'dm_context_fit_time(text, timestamp) keyed by an integer (the same summary as key::text)';
CREATE AGGREGATE dm_context_fit_time(key bigint, at timestamp, options jsonb) (
    SFUNC = dm_context_fit_time_accum, STYPE = context_fit_summary, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = context_fit_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(bigint, timestamp, jsonb) IS
    'dm_context_fit_time(text, timestamp, jsonb) keyed by an integer (the same summary as key::text)';

-- Using a summary.
CREATE FUNCTION dm_context_surprise(summary context_summary, key text, value float8, side text DEFAULT 'both',
                                    leave_out boolean DEFAULT true) RETURNS float8
    AS 'MODULE_PATHNAME', 'dm_context_surprise' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_surprise(context_summary, text, float8, text, boolean) IS
    'surprise of a value in its group (-ln of its Laplace tail probability; side both, high or low); NULL when the group is unknown or has fewer than min_rows lines (key NULL: the overall group)';
CREATE FUNCTION dm_context_surprise(summary context_summary, key text, at timestamp,
                                    leave_out boolean DEFAULT true) RETURNS float8
    AS 'MODULE_PATHNAME', 'dm_context_surprise_time' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_surprise(context_summary, text, timestamp, boolean) IS
    'surprise of the hour and weekday of a line in its group (-ln of the share of lines at hours, or weekdays, at most as frequent); NULL when the group is unknown or too small';
CREATE FUNCTION dm_context_explain(summary context_summary, key text, value float8, side text DEFAULT 'both',
                                   leave_out boolean DEFAULT true) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dm_context_explain' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_explain(context_summary, text, float8, text, boolean) IS
    'the figures behind dm_context_surprise: level, key, lines, typical, spread, ratio, surprise, tail_probability';
CREATE FUNCTION dm_context_explain(summary context_summary, key text, at timestamp,
                                   leave_out boolean DEFAULT true) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dm_context_explain_time' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_explain(context_summary, text, timestamp, boolean) IS
    'the figures behind dm_context_surprise for a time: level, key, lines, hour, weekday, hour_share, weekday_share, part, surprise, tail_probability';
CREATE FUNCTION dm_context_typical(summary context_summary, key text) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_typical(context_summary, text) IS
    'the typical value (median) of a group; NULL when unknown or smaller than min_rows (key NULL: overall)';
CREATE FUNCTION dm_context_info(summary context_summary) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_info(context_summary) IS
    'the summary without its groups: kind, scale, min_rows, min_spread, rows_seen, skipped, lines, groups, groups_with_min_rows, typical';
CREATE FUNCTION dm_context_score(surprises float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_score(float8[]) IS
    'context score in [0, 1] from the surprises of a line''s features (NULLs ignored): R = max(0, (max - ln k) / ln 10), score = R / (R + 4); 0.5 = one ordinary line in 10,000';

-- The k lines of highest score (ties by the line's bytes), in bounded memory, parallel; the state
-- (context_top_summary) keeps k and the lines' jsonb bytes, checked when read back from bytes.
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
COMMENT ON TYPE context_top_summary IS
    'state of dm_context_top: k and the kept lines with their scores (mergeable); text form is base64';
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
COMMENT ON AGGREGATE dm_context_top(float8, jsonb, bigint) IS
    'the k lines of highest score as jsonb[], highest first (k read from the first row, 0 to 1,000,000); NULL scores or lines are skipped';

-- Two surprises of one line taken together (the product's and the customer's view of a
-- quantity): -ln P(E1 + E2 >= s) for independent unit exponentials, s - ln(1 + s) with s their
-- sum; one of them alone when the other is NULL.
CREATE FUNCTION dm_context_joint(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE (a + b) - ln(1 + a + b) END $$;
COMMENT ON FUNCTION dm_context_joint(float8, float8) IS
    'two surprises of one line together: s - ln(1 + s) with s their sum (both must be unusual); one alone when the other is NULL';
-- The sum of two surprises, one alone when the other is NULL (the pipeline's quantity: unusual for
-- the product and for the customer).
CREATE FUNCTION dm_context_sum(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT COALESCE(a + b, a, b) $$;
COMMENT ON FUNCTION dm_context_sum(float8, float8) IS
    'the sum of two surprises of one line; one alone when the other is NULL';

-- Support functions of the context aggregates (called by PostgreSQL, not by users); the state
-- types' input/output and combine functions get theirs from 96_state_comments.sql.
COMMENT ON FUNCTION dm_context_fit_accum(context_fit_summary, text, float8) IS 'transition function of dm_context_fit';
COMMENT ON FUNCTION dm_context_fit_accum(context_fit_summary, text, float8, jsonb) IS 'transition function of dm_context_fit';
COMMENT ON FUNCTION dm_context_fit_time_accum(context_fit_summary, text, timestamp) IS 'transition function of dm_context_fit_time';
COMMENT ON FUNCTION dm_context_fit_time_accum(context_fit_summary, text, timestamp, jsonb) IS 'transition function of dm_context_fit_time';
COMMENT ON FUNCTION dm_context_fit_accum(context_fit_summary, bigint, float8) IS 'transition function of dm_context_fit (integer key)';
COMMENT ON FUNCTION dm_context_fit_accum(context_fit_summary, bigint, float8, jsonb) IS 'transition function of dm_context_fit (integer key)';
COMMENT ON FUNCTION dm_context_fit_time_accum(context_fit_summary, bigint, timestamp) IS 'transition function of dm_context_fit_time (integer key)';
COMMENT ON FUNCTION dm_context_fit_time_accum(context_fit_summary, bigint, timestamp, jsonb) IS 'transition function of dm_context_fit_time (integer key)';
COMMENT ON FUNCTION dm_context_final(context_fit_summary) IS 'final function of dm_context_fit and dm_context_fit_time: the context_summary';
COMMENT ON FUNCTION dm_context_top_accum(context_top_summary, float8, jsonb, bigint) IS 'transition function of dm_context_top';
COMMENT ON FUNCTION dm_context_top_final(context_top_summary) IS 'final function of dm_context_top: the k lines of highest score';
