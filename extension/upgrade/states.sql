-- 0.1.0 -> 0.2.0: real state types (Citus pushdown) and storable summaries.
--
-- An aggregate's state type cannot be altered: the aggregates whose state was `internal` are
-- dropped and created again over their new state type, with their support functions. A user
-- view or SQL-standard function body that calls one of these aggregates depends on it and
-- stops this script; drop such views first and create them again after the update.

-- dm_stats, dm_quantiles, dm_histogram(x, bins): stats_summary.
DROP AGGREGATE dm_stats(float8);
DROP AGGREGATE dm_quantiles(float8, float8[]);
DROP AGGREGATE dm_histogram(float8, int);
DROP FUNCTION dm_summary_accum(internal, float8);
DROP FUNCTION dm_quantiles_accum(internal, float8, float8[]);
DROP FUNCTION dm_histogram_accum(internal, float8, int);
DROP FUNCTION dm_summary_combine(internal, internal);
DROP FUNCTION dm_summary_serialize(internal);
DROP FUNCTION dm_summary_deserialize(bytea, internal);
DROP FUNCTION dm_stats_final(internal);
DROP FUNCTION dm_quantiles_final(internal);
DROP FUNCTION dm_histogram_final(internal);

-- Column summary state (moments + KLL sketch), shared by dm_stats, dm_quantiles, dm_histogram:
-- a real type, so that the aggregates split across Citus workers and summaries can be stored.
CREATE TYPE stats_summary;
CREATE FUNCTION stats_summary_in(cstring) RETURNS stats_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stats_summary_out(stats_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stats_summary_recv(internal) RETURNS stats_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION stats_summary_send(stats_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE stats_summary (
    INPUT = stats_summary_in, OUTPUT = stats_summary_out,
    RECEIVE = stats_summary_recv, SEND = stats_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE stats_summary IS
    'summary of a float8 column (counts, moments, KLL quantile sketch): store it, roll it up with dm_rollup, read it with dm_summary_stats/dm_summary_quantiles/dm_summary_histogram';

CREATE FUNCTION stats_summary_add(stats_summary, float8) RETURNS stats_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION stats_summary_add(stats_summary, float8, float8[]) RETURNS stats_summary
    AS 'MODULE_PATHNAME', 'stats_summary_add_quantiles'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION stats_summary_add(stats_summary, float8, int) RETURNS stats_summary
    AS 'MODULE_PATHNAME', 'stats_summary_add_histogram'
    LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION stats_summary_combine(stats_summary, stats_summary) RETURNS stats_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION stats_summary_quantiles(stats_summary) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION stats_summary_histogram(stats_summary) RETURNS histogram
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

-- Accessors (also the final function of dm_stats).
CREATE FUNCTION dm_summary_stats(s stats_summary) RETURNS stats
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_stats(stats_summary) IS
    'the dm_stats row of a stats summary';
CREATE FUNCTION dm_summary_quantiles(s stats_summary, probabilities float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_quantiles(stats_summary, float8[]) IS
    'quantiles of a stats summary at the given probabilities, as dm_quantiles';
CREATE FUNCTION dm_summary_histogram(s stats_summary, bins int) RETURNS histogram
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_histogram(stats_summary, int) IS
    'equal-width histogram of a stats summary over its observed range, as dm_histogram(x, bins)';

-- The state is an expanded object in the aggregate's memory context, where hash aggregation
-- counts it against work_mem; SSPACE is the planner's estimate of one group's state.
CREATE AGGREGATE dm_stats(x float8) (
    SFUNC = stats_summary_add, STYPE = stats_summary,
    SSPACE = 11000, -- bytes: a state after about 1,000 rows (exact sketch)
    FINALFUNC = dm_summary_stats,
    COMBINEFUNC = stats_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_stats(float8) IS
    'count, nulls, NaN/Infinity counts, mean, stddev, variance, min, max, skewness, kurtosis and p01..p99 of x, in one scan';

CREATE AGGREGATE dm_quantiles(x float8, probabilities float8[]) (
    SFUNC = stats_summary_add, STYPE = stats_summary,
    SSPACE = 11000, -- bytes: a state after about 1,000 rows (exact sketch)
    FINALFUNC = stats_summary_quantiles,
    COMBINEFUNC = stats_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_quantiles(float8, float8[]) IS
    'quantiles of x at the given probabilities (exact up to 10,000 values, then KLL sketch)';

CREATE AGGREGATE dm_histogram(x float8, bins int) (
    SFUNC = stats_summary_add, STYPE = stats_summary,
    SSPACE = 11000, -- bytes: a state after about 1,000 rows (exact sketch)
    FINALFUNC = stats_summary_histogram,
    COMBINEFUNC = stats_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_histogram(float8, int) IS
    'equal-width histogram of x over its observed range (exact up to 10,000 values, then from the sketch)';

-- Summaries: the state as a value, and its rollup.
CREATE AGGREGATE dm_stats_summary(x float8) (
    SFUNC = stats_summary_add, STYPE = stats_summary,
    SSPACE = 11000, -- bytes: a state after about 1,000 rows (exact sketch)
    COMBINEFUNC = stats_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_stats_summary(float8) IS
    'stats summary of x (counts, moments, KLL sketch), to store and roll up with dm_rollup';

CREATE AGGREGATE dm_rollup(s stats_summary) (
    SFUNC = stats_summary_combine, STYPE = stats_summary,
    SSPACE = 11000, -- bytes: a summary of about 1,000 rows
    COMBINEFUNC = stats_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(stats_summary) IS
    'the stats summary of all the rows behind the given summaries';

