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

-- Fixed-bounds histogram: exact counts in one pass.
CREATE FUNCTION dm_histogram_fixed_accum(internal, float8, int, float8, float8) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_histogram_fixed_final(internal) RETURNS histogram
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_histogram(x float8, bins int, lower float8, upper float8) (
    SFUNC = dm_histogram_fixed_accum, STYPE = internal,
    SSPACE = 1100, -- bytes: about 100 bins
    FINALFUNC = dm_histogram_fixed_final,
    COMBINEFUNC = dm_histogram_fixed_combine, SERIALFUNC = dm_histogram_fixed_serialize,
    DESERIALFUNC = dm_histogram_fixed_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_histogram(float8, int, float8, float8) IS
    'equal-width histogram of x over [lower, upper], exact; values outside are counted in below/above';

CREATE FUNCTION dm_histogram_bins(h histogram)
RETURNS TABLE (bin int, lower float8, upper float8, count bigint)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT i, h.edges[i], h.edges[i + 1], h.counts[i]
    FROM generate_subscripts(h.counts, 1) AS i
    ORDER BY i
$$;
COMMENT ON FUNCTION dm_histogram_bins(histogram) IS 'one row per bin of a histogram';

-- Correlation and covariance matrices of feature vectors.
CREATE FUNCTION dm_corr_accum(internal, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_corr_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_corr_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_corr_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_corr_final(internal) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_cov_final(internal) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_corr(x float8[]) (
    SFUNC = dm_corr_accum, STYPE = internal,
    SSPACE = 1000, -- bytes: about 8 features
    FINALFUNC = dm_corr_final,
    COMBINEFUNC = dm_corr_combine, SERIALFUNC = dm_corr_serialize,
    DESERIALFUNC = dm_corr_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_corr(float8[]) IS
    'Pearson correlation matrix (float8[][]) of feature vectors; NULL entries for constant features';

CREATE AGGREGATE dm_cov(x float8[]) (
    SFUNC = dm_corr_accum, STYPE = internal,
    SSPACE = 1000, -- bytes: about 8 features
    FINALFUNC = dm_cov_final,
    COMBINEFUNC = dm_corr_combine, SERIALFUNC = dm_corr_serialize,
    DESERIALFUNC = dm_corr_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_cov(float8[]) IS 'sample covariance matrix (float8[][]) of feature vectors';

-- Approximate distinct count.
CREATE FUNCTION dm_distinct_accum(internal, anyelement) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_distinct_final(internal) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_approx_distinct(x anyelement) (
    SFUNC = dm_distinct_accum, STYPE = internal,
    SSPACE = 16500, -- bytes: 2^14 registers
    FINALFUNC = dm_distinct_final,
    COMBINEFUNC = dm_distinct_combine, SERIALFUNC = dm_distinct_serialize,
    DESERIALFUNC = dm_distinct_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_approx_distinct(anyelement) IS
    'HyperLogLog estimate of the number of distinct non-NULL values (standard error about 0.8%)';

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'dm_histogram_fixed_accum(internal, float8, int, float8, float8)',
        'dm_histogram_fixed_combine(internal, internal)', 'dm_histogram_fixed_serialize(internal)',
        'dm_histogram_fixed_deserialize(bytea, internal)', 'dm_histogram_fixed_final(internal)',
        'dm_corr_accum(internal, float8[])', 'dm_corr_combine(internal, internal)',
        'dm_corr_serialize(internal)', 'dm_corr_deserialize(bytea, internal)',
        'dm_corr_final(internal)', 'dm_cov_final(internal)',
        'dm_distinct_accum(internal, anyelement)', 'dm_distinct_combine(internal, internal)',
        'dm_distinct_serialize(internal)', 'dm_distinct_deserialize(bytea, internal)',
        'dm_distinct_final(internal)',
        'stats_summary_in(cstring)', 'stats_summary_out(stats_summary)',
        'stats_summary_recv(internal)', 'stats_summary_send(stats_summary)',
        'stats_summary_add(stats_summary, float8)',
        'stats_summary_add(stats_summary, float8, float8[])',
        'stats_summary_add(stats_summary, float8, int)',
        'stats_summary_combine(stats_summary, stats_summary)',
        'stats_summary_quantiles(stats_summary)', 'stats_summary_histogram(stats_summary)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       'support function of a dmine aggregate (internal)');
    END LOOP;
END
$comments$;
