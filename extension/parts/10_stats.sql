-- Exploratory statistics: dm_stats, dm_quantiles, dm_histogram, dm_corr, dm_cov,
-- dm_approx_distinct, dm_profile.

CREATE TYPE stats AS (
    count bigint,           -- finite values
    null_count bigint,
    nan_count bigint,
    infinity_count bigint,  -- +Infinity and -Infinity
    mean float8,
    stddev float8,          -- sample (n - 1), as pandas
    variance float8,
    min float8,
    max float8,
    skewness float8,        -- adjusted Fisher-Pearson (G1), as pandas
    kurtosis float8,        -- bias-corrected excess kurtosis (G2), as pandas
    p01 float8, p05 float8, p25 float8, p50 float8, p75 float8, p95 float8, p99 float8,
    exact_quantiles boolean -- true while every value was kept (up to 10,000)
);
COMMENT ON TYPE stats IS 'Result of dm_stats(): counts, moments and quantiles of a float8 column';

CREATE TYPE histogram AS (
    edges float8[],   -- bins + 1 edges; bin i is [edges[i], edges[i+1]), the last one closed
    counts bigint[],  -- values per bin
    below bigint,     -- values under the first edge
    above bigint,     -- values over the last edge
    exact boolean     -- false when counts come from the quantile sketch
);
COMMENT ON TYPE histogram IS 'Result of dm_histogram(): equal-width bins and their counts';

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

-- Fixed-bounds histogram: exact counts in one pass, over the histogram_summary type.
CREATE TYPE histogram_summary;
CREATE FUNCTION histogram_summary_in(cstring) RETURNS histogram_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION histogram_summary_out(histogram_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION histogram_summary_recv(internal) RETURNS histogram_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION histogram_summary_send(histogram_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE histogram_summary (
    INPUT = histogram_summary_in, OUTPUT = histogram_summary_out, RECEIVE = histogram_summary_recv, SEND = histogram_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE histogram_summary IS
    'equal-width bin counts over fixed bounds: store it, roll it up with dm_rollup, read it with dm_summary_histogram';
CREATE FUNCTION histogram_summary_combine(histogram_summary, histogram_summary) RETURNS histogram_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION histogram_summary_add(histogram_summary, float8, int, float8, float8) RETURNS histogram_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_histogram(s histogram_summary) RETURNS histogram
    AS 'MODULE_PATHNAME', 'dm_summary_histogram_fixed' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_histogram(histogram_summary) IS
    'the histogram of a histogram summary, as dm_histogram(x, bins, lower, upper)';

CREATE AGGREGATE dm_histogram(x float8, bins int, lower float8, upper float8) (
    SFUNC = histogram_summary_add, STYPE = histogram_summary,
    SSPACE = 1100, -- bytes: about 100 bins
    FINALFUNC = dm_summary_histogram,
    COMBINEFUNC = histogram_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_histogram(float8, int, float8, float8) IS
    'equal-width histogram of x over [lower, upper], exact; values outside are counted in below/above';

CREATE AGGREGATE dm_histogram_summary(x float8, bins int, lower float8, upper float8) (
    SFUNC = histogram_summary_add, STYPE = histogram_summary,
    SSPACE = 1100, -- bytes: about 100 bins
    COMBINEFUNC = histogram_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_histogram_summary(float8, int, float8, float8) IS
    'histogram summary of x over [lower, upper], to store and roll up with dm_rollup';

CREATE AGGREGATE dm_rollup(s histogram_summary) (
    SFUNC = histogram_summary_combine, STYPE = histogram_summary,
    SSPACE = 1100, -- bytes: about 100 bins
    COMBINEFUNC = histogram_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(histogram_summary) IS
    'the histogram summary of all the rows behind the given summaries (same bins and bounds)';

CREATE FUNCTION dm_histogram_bins(h histogram)
RETURNS TABLE (bin int, lower float8, upper float8, count bigint)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT i, h.edges[i], h.edges[i + 1], h.counts[i]
    FROM generate_subscripts(h.counts, 1) AS i
    ORDER BY i
$$;
COMMENT ON FUNCTION dm_histogram_bins(histogram) IS 'one row per bin of a histogram';

-- Correlation and covariance matrices of feature vectors, over the comoments_summary type.
CREATE TYPE comoments_summary;
CREATE FUNCTION comoments_summary_in(cstring) RETURNS comoments_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comoments_summary_out(comoments_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comoments_summary_recv(internal) RETURNS comoments_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION comoments_summary_send(comoments_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE comoments_summary (
    INPUT = comoments_summary_in, OUTPUT = comoments_summary_out, RECEIVE = comoments_summary_recv, SEND = comoments_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE comoments_summary IS
    'co-moments of feature vectors (count, means, co-moment matrix): store it, roll it up with dm_rollup, read it with dm_summary_corr/dm_summary_cov';
CREATE FUNCTION comoments_summary_combine(comoments_summary, comoments_summary) RETURNS comoments_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION comoments_summary_add(comoments_summary, float8[]) RETURNS comoments_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_corr(s comoments_summary) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_corr(comoments_summary) IS
    'the correlation matrix of a co-moments summary, as dm_corr';
CREATE FUNCTION dm_summary_cov(s comoments_summary) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_cov(comoments_summary) IS
    'the covariance matrix of a co-moments summary, as dm_cov';

CREATE AGGREGATE dm_corr(x float8[]) (
    SFUNC = comoments_summary_add, STYPE = comoments_summary,
    SSPACE = 1000, -- bytes: about 8 features
    FINALFUNC = dm_summary_corr,
    COMBINEFUNC = comoments_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_corr(float8[]) IS
    'Pearson correlation matrix (float8[][]) of feature vectors; NULL entries for constant features';

CREATE AGGREGATE dm_cov(x float8[]) (
    SFUNC = comoments_summary_add, STYPE = comoments_summary,
    SSPACE = 1000, -- bytes: about 8 features
    FINALFUNC = dm_summary_cov,
    COMBINEFUNC = comoments_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_cov(float8[]) IS
    'sample covariance matrix (float8[][]) of feature vectors';

CREATE AGGREGATE dm_comoments_summary(x float8[]) (
    SFUNC = comoments_summary_add, STYPE = comoments_summary,
    SSPACE = 1000, -- bytes: about 8 features
    COMBINEFUNC = comoments_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_comoments_summary(float8[]) IS
    'co-moments summary of feature vectors, to store and roll up with dm_rollup';

CREATE AGGREGATE dm_rollup(s comoments_summary) (
    SFUNC = comoments_summary_combine, STYPE = comoments_summary,
    SSPACE = 1000, -- bytes: about 8 features
    COMBINEFUNC = comoments_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(comoments_summary) IS
    'the co-moments summary of all the rows behind the given summaries';

-- Approximate distinct count, over the distinct_summary type (HyperLogLog).
CREATE TYPE distinct_summary;
CREATE FUNCTION distinct_summary_in(cstring) RETURNS distinct_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION distinct_summary_out(distinct_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION distinct_summary_recv(internal) RETURNS distinct_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION distinct_summary_send(distinct_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE distinct_summary (
    INPUT = distinct_summary_in, OUTPUT = distinct_summary_out, RECEIVE = distinct_summary_recv, SEND = distinct_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE distinct_summary IS
    'HyperLogLog sketch of distinct values: store it, roll it up with dm_rollup, read it with dm_summary_distinct';
CREATE FUNCTION distinct_summary_combine(distinct_summary, distinct_summary) RETURNS distinct_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION distinct_summary_add(distinct_summary, anyelement) RETURNS distinct_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_distinct(s distinct_summary) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_distinct(distinct_summary) IS
    'the distinct count estimate of a HyperLogLog summary, as dm_approx_distinct';

CREATE AGGREGATE dm_approx_distinct(x anyelement) (
    SFUNC = distinct_summary_add, STYPE = distinct_summary,
    SSPACE = 16500, -- bytes: 2^14 registers
    FINALFUNC = dm_summary_distinct,
    COMBINEFUNC = distinct_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_approx_distinct(anyelement) IS
    'HyperLogLog estimate of the number of distinct non-NULL values (standard error about 0.8%)';

CREATE AGGREGATE dm_distinct_summary(x anyelement) (
    SFUNC = distinct_summary_add, STYPE = distinct_summary,
    SSPACE = 16500, -- bytes: 2^14 registers
    COMBINEFUNC = distinct_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_distinct_summary(anyelement) IS
    'HyperLogLog summary of the distinct non-NULL values of x, to store and roll up with dm_rollup';

CREATE AGGREGATE dm_rollup(s distinct_summary) (
    SFUNC = distinct_summary_combine, STYPE = distinct_summary,
    SSPACE = 16500, -- bytes: 2^14 registers
    COMBINEFUNC = distinct_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(distinct_summary) IS
    'the HyperLogLog summary of all the rows behind the given summaries';
