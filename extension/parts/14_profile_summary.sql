-- Whole-row column profile in one pass (dm_profile's scan): per column the non-NULL count, a
-- HyperLogLog distinct estimate, exact distinct counts and top values while the values are at
-- most 12,288 (a bounded table, dropped past that), dm_stats of numbers (numeric decoded from
-- its digits) and the counts of values that read as dates. A real state type: the aggregate
-- splits across parallel workers, and summaries can be stored and rolled up.
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
CREATE FUNCTION profile_summary_add_row(profile_summary, top_n int, spec text, columns record) RETURNS profile_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION profile_summary_combine(profile_summary, profile_summary) RETURNS profile_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE FUNCTION dm_summary_profile(s profile_summary) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_profile(profile_summary) IS
    'the figures of a profile summary as jsonb: rows, and per column n, nd, exact, dk, tk, stats, top (docs/statistics.md)';

CREATE AGGREGATE dm_profile_summary(top_n int, spec text, VARIADIC "any") (
    SFUNC = profile_summary_add, STYPE = profile_summary,
    SSPACE = 60000, -- bytes: a state of a few columns after about 1,000 rows
    COMBINEFUNC = profile_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_profile_summary(int, text, "any") IS
    'one-pass profile of the given columns (spec: one letter per column, v/t = hash the value/its text, upper case = also count ISO date texts); read it with dm_summary_profile';

-- The same profile with the columns as one row, ROW(a, b, c): fixed argument types (integer,
-- text, record), which Citus's worker_partial_agg accepts, so it runs on the workers.
CREATE AGGREGATE dm_profile_summary(top_n int, spec text, columns record) (
    SFUNC = profile_summary_add_row, STYPE = profile_summary,
    SSPACE = 60000, -- bytes: a state of a few columns after about 1,000 rows
    COMBINEFUNC = profile_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_profile_summary(int, text, record) IS
    'dm_profile_summary with the columns as one row, ROW(a, b, c) (the form Citus pushes down to its workers); a NULL row is skipped';

CREATE AGGREGATE dm_rollup(s profile_summary) (
    SFUNC = profile_summary_combine, STYPE = profile_summary,
    SSPACE = 60000, -- bytes: a summary of a few columns
    COMBINEFUNC = profile_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(profile_summary) IS
    'the profile summary of all the rows behind the given summaries (same columns)';
