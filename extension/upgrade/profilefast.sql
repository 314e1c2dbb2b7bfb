-- 0.1.0 -> profilefast: the one-pass column profile.
-- The profile_summary state type and its aggregates dm_profile_summary(top_n, spec, VARIADIC
-- "any") and dm_rollup(profile_summary); dm_profile reads the table once through it. The new
-- plain functions (dm_summary_profile, dm_numeric_float8, dm_pipeline_float8,
-- dm_profile_same_key_type) come with the refresh of every routine.
CREATE TYPE profile_summary;
CREATE FUNCTION profile_summary_in(cstring) RETURNS profile_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION profile_summary_out(profile_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION profile_summary_recv(internal) RETURNS profile_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION profile_summary_send(profile_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE profile_summary (
    INPUT = profile_summary_in, OUTPUT = profile_summary_out,
    RECEIVE = profile_summary_recv, SEND = profile_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE profile_summary IS
    'one-pass profile of a list of columns (counts, distinct values, statistics, top values): read it with dm_summary_profile, roll it up with dm_rollup';
CREATE FUNCTION profile_summary_add(profile_summary, top_n int, spec text, VARIADIC "any") RETURNS profile_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION profile_summary_combine(profile_summary, profile_summary) RETURNS profile_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dm_profile_summary(top_n int, spec text, VARIADIC "any") (
    SFUNC = profile_summary_add, STYPE = profile_summary,
    SSPACE = 60000, -- bytes: a state of a few columns after about 1,000 rows
    COMBINEFUNC = profile_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_profile_summary(int, text, "any") IS
    'one-pass profile of the given columns (spec: one letter per column, v/t = hash the value/its text, upper case = also count ISO date texts); read it with dm_summary_profile';
CREATE AGGREGATE dm_rollup(s profile_summary) (
    SFUNC = profile_summary_combine, STYPE = profile_summary,
    SSPACE = 60000, -- bytes: a summary of a few columns
    COMBINEFUNC = profile_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(profile_summary) IS
    'the profile summary of all the rows behind the given summaries (same columns)';
