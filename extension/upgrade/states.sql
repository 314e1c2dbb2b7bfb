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
CREATE FUNCTION dm_summary_quantiles(s stats_summary, probabilities float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dm_summary_histogram(s stats_summary, bins int) RETURNS histogram
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

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

-- The other aggregates: histogram_summary, comoments_summary, distinct_summary, kmeans_summary,
-- kmeans_refine_summary, iforest_summary.
DROP AGGREGATE dm_histogram(float8, int, float8, float8);
DROP AGGREGATE dm_corr(float8[]);
DROP AGGREGATE dm_cov(float8[]);
DROP AGGREGATE dm_approx_distinct(anyelement);
DROP AGGREGATE dm_kmeans(float8[], int);
DROP AGGREGATE dm_kmeans(float8[], int, jsonb);
DROP AGGREGATE dm_kmeans_auto(float8[], int, int);
DROP AGGREGATE dm_kmeans_auto(float8[], int, int, jsonb);
DROP AGGREGATE dm_kmeans_refine(kmeans_model, float8[]);
DROP AGGREGATE dm_iforest(float8[]);
DROP AGGREGATE dm_iforest(float8[], jsonb);
DROP FUNCTION dm_histogram_fixed_accum(internal, float8, int, float8, float8);
DROP FUNCTION dm_histogram_fixed_combine(internal, internal);
DROP FUNCTION dm_histogram_fixed_serialize(internal);
DROP FUNCTION dm_histogram_fixed_deserialize(bytea, internal);
DROP FUNCTION dm_histogram_fixed_final(internal);
DROP FUNCTION dm_corr_accum(internal, float8[]);
DROP FUNCTION dm_corr_combine(internal, internal);
DROP FUNCTION dm_corr_serialize(internal);
DROP FUNCTION dm_corr_deserialize(bytea, internal);
DROP FUNCTION dm_corr_final(internal);
DROP FUNCTION dm_cov_final(internal);
DROP FUNCTION dm_distinct_accum(internal, anyelement);
DROP FUNCTION dm_distinct_combine(internal, internal);
DROP FUNCTION dm_distinct_serialize(internal);
DROP FUNCTION dm_distinct_deserialize(bytea, internal);
DROP FUNCTION dm_distinct_final(internal);
DROP FUNCTION dm_kmeans_accum(internal, float8[], int);
DROP FUNCTION dm_kmeans_accum(internal, float8[], int, jsonb);
DROP FUNCTION dm_kmeans_auto_accum(internal, float8[], int, int);
DROP FUNCTION dm_kmeans_auto_accum(internal, float8[], int, int, jsonb);
DROP FUNCTION dm_kmeans_combine(internal, internal);
DROP FUNCTION dm_kmeans_serialize(internal);
DROP FUNCTION dm_kmeans_deserialize(bytea, internal);
DROP FUNCTION dm_kmeans_final(internal);
DROP FUNCTION dm_kmeans_refine_accum(internal, kmeans_model, float8[]);
DROP FUNCTION dm_kmeans_refine_combine(internal, internal);
DROP FUNCTION dm_kmeans_refine_serialize(internal);
DROP FUNCTION dm_kmeans_refine_deserialize(bytea, internal);
DROP FUNCTION dm_kmeans_refine_final(internal);
DROP FUNCTION dm_iforest_accum(internal, float8[]);
DROP FUNCTION dm_iforest_accum(internal, float8[], jsonb);
DROP FUNCTION dm_iforest_combine(internal, internal);
DROP FUNCTION dm_iforest_serialize(internal);
DROP FUNCTION dm_iforest_deserialize(bytea, internal);
DROP FUNCTION dm_iforest_final(internal);

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
CREATE FUNCTION dm_summary_cov(s comoments_summary) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

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

-- Fitting: the points go into a bounded sample (the kmeans_summary type); the final function fits.
CREATE TYPE kmeans_summary;
CREATE FUNCTION kmeans_summary_in(cstring) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_out(kmeans_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_recv(internal) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_send(kmeans_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE kmeans_summary (
    INPUT = kmeans_summary_in, OUTPUT = kmeans_summary_out, RECEIVE = kmeans_summary_recv, SEND = kmeans_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE kmeans_summary IS
    'K-Means point sample (bottom-k sample, exact feature moments) with k and options: store it, roll it up with dm_rollup, fit it with dm_summary_kmeans';
CREATE FUNCTION kmeans_summary_combine(kmeans_summary, kmeans_summary) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_add(kmeans_summary, float8[], int) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_add(kmeans_summary, float8[], int, jsonb) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_add_auto(kmeans_summary, float8[], int, int) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_add_auto(kmeans_summary, float8[], int, int, jsonb) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_add_sample(kmeans_summary, float8[]) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_add_sample(kmeans_summary, float8[], jsonb) RETURNS kmeans_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_summary_fit(kmeans_summary) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_kmeans(s kmeans_summary, k int, options jsonb DEFAULT NULL) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_kmeans_auto(s kmeans_summary, k_min int, k_max int, options jsonb DEFAULT NULL) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_kmeans(features float8[], k int) (
    SFUNC = kmeans_summary_add, STYPE = kmeans_summary,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = kmeans_summary_fit,
    COMBINEFUNC = kmeans_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans(float8[], int) IS
    'K-Means model with k clusters (k-means++, 10 restarts, standardised features); NULL rows are skipped';

CREATE AGGREGATE dm_kmeans(features float8[], k int, options jsonb) (
    SFUNC = kmeans_summary_add, STYPE = kmeans_summary,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = kmeans_summary_fit,
    COMBINEFUNC = kmeans_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans(float8[], int, jsonb) IS
    'K-Means model with k clusters; options: max_iter, tol, n_init, seed, scale, sample_size, silhouette_sample, swap_trials';

CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int) (
    SFUNC = kmeans_summary_add_auto, STYPE = kmeans_summary,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = kmeans_summary_fit,
    COMBINEFUNC = kmeans_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int) IS
    'K-Means model whose k in [k_min, k_max] has the highest silhouette; inertia and silhouette of every k are kept';

CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int, options jsonb) (
    SFUNC = kmeans_summary_add_auto, STYPE = kmeans_summary,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = kmeans_summary_fit,
    COMBINEFUNC = kmeans_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int, jsonb) IS
    'K-Means model whose k in [k_min, k_max] has the highest silhouette, with options as dm_kmeans';

CREATE AGGREGATE dm_kmeans_summary(features float8[]) (
    SFUNC = kmeans_summary_add_sample, STYPE = kmeans_summary,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    COMBINEFUNC = kmeans_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_summary(float8[]) IS
    'K-Means point sample of the feature vectors, to store, roll up with dm_rollup and fit with dm_summary_kmeans';

CREATE AGGREGATE dm_kmeans_summary(features float8[], options jsonb) (
    SFUNC = kmeans_summary_add_sample, STYPE = kmeans_summary,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    COMBINEFUNC = kmeans_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_summary(float8[], jsonb) IS
    'K-Means point sample of the feature vectors with options (sample_size, seed)';

CREATE AGGREGATE dm_rollup(s kmeans_summary) (
    SFUNC = kmeans_summary_combine, STYPE = kmeans_summary,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    COMBINEFUNC = kmeans_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(kmeans_summary) IS
    'the K-Means point sample of all the rows behind the given summaries';

-- Refinement: one exact Lloyd pass over every row (the kmeans_refine_summary type).
CREATE TYPE kmeans_refine_summary;
CREATE FUNCTION kmeans_refine_summary_in(cstring) RETURNS kmeans_refine_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_refine_summary_out(kmeans_refine_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_refine_summary_recv(internal) RETURNS kmeans_refine_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_refine_summary_send(kmeans_refine_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE kmeans_refine_summary (
    INPUT = kmeans_refine_summary_in, OUTPUT = kmeans_refine_summary_out, RECEIVE = kmeans_refine_summary_recv, SEND = kmeans_refine_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE kmeans_refine_summary IS
    'state of dm_kmeans_refine: the model and the per-cluster sums of one Lloyd pass';
CREATE FUNCTION kmeans_refine_summary_combine(kmeans_refine_summary, kmeans_refine_summary) RETURNS kmeans_refine_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_refine_summary_add(kmeans_refine_summary, kmeans_model, float8[]) RETURNS kmeans_refine_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION kmeans_refine_summary_final(kmeans_refine_summary) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_kmeans_refine(model kmeans_model, features float8[]) (
    SFUNC = kmeans_refine_summary_add, STYPE = kmeans_refine_summary,
    SSPACE = 2000, -- bytes: a small model
    FINALFUNC = kmeans_refine_summary_final,
    COMBINEFUNC = kmeans_refine_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_refine(kmeans_model, float8[]) IS
    'the model after one exact Lloyd pass over every row: centroids moved to the means, exact sizes and SSE';

-- Fitting: one scan into a bounded sample pool (the iforest_summary type); the final function grows the trees.
CREATE TYPE iforest_summary;
CREATE FUNCTION iforest_summary_in(cstring) RETURNS iforest_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_summary_out(iforest_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_summary_recv(internal) RETURNS iforest_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_summary_send(iforest_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE iforest_summary (
    INPUT = iforest_summary_in, OUTPUT = iforest_summary_out, RECEIVE = iforest_summary_recv, SEND = iforest_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE iforest_summary IS
    'Isolation Forest sample pool with its options: store it, roll it up with dm_rollup, grow the forest with dm_summary_iforest';
CREATE FUNCTION iforest_summary_combine(iforest_summary, iforest_summary) RETURNS iforest_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION iforest_summary_add(iforest_summary, float8[]) RETURNS iforest_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION iforest_summary_add(iforest_summary, float8[], jsonb) RETURNS iforest_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_summary_iforest(s iforest_summary) RETURNS iforest_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_iforest(features float8[]) (
    SFUNC = iforest_summary_add, STYPE = iforest_summary,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_summary_iforest,
    COMBINEFUNC = iforest_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest(float8[]) IS
    'Isolation Forest of the feature vectors: 100 trees of min(256, rows) rows each, height limit ceil(log2 of that), seed 0; NULL rows are skipped';

CREATE AGGREGATE dm_iforest(features float8[], options jsonb) (
    SFUNC = iforest_summary_add, STYPE = iforest_summary,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_summary_iforest,
    COMBINEFUNC = iforest_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest(float8[], jsonb) IS
    'Isolation Forest with options (read from the first row): n_trees, sample_size, max_depth, contamination (''auto'' or a share), seed';

CREATE AGGREGATE dm_iforest_summary(features float8[]) (
    SFUNC = iforest_summary_add, STYPE = iforest_summary,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    COMBINEFUNC = iforest_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest_summary(float8[]) IS
    'Isolation Forest sample pool of the feature vectors, to store, roll up with dm_rollup and grow with dm_summary_iforest';

CREATE AGGREGATE dm_iforest_summary(features float8[], options jsonb) (
    SFUNC = iforest_summary_add, STYPE = iforest_summary,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    COMBINEFUNC = iforest_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest_summary(float8[], jsonb) IS
    'Isolation Forest sample pool with options (n_trees, sample_size, max_depth, contamination, seed)';

CREATE AGGREGATE dm_rollup(s iforest_summary) (
    SFUNC = iforest_summary_combine, STYPE = iforest_summary,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    COMBINEFUNC = iforest_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_rollup(iforest_summary) IS
    'the Isolation Forest sample pool of all the rows behind the given summaries';

-- Comments of the support functions of the state types (input/output, transition, combine and
-- final functions of the *_summary types); the accessors (dm_summary_*) have their own.
DO $comments$
DECLARE f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = '@extschema@'::regnamespace AND p.prokind = 'f'
          AND p.proname ~ '^[a-z_]+_summary_(in|out|recv|send|add|add_\w+|combine|fit|final|quantiles|histogram)$'
    LOOP
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f,
                       'support function of a dmine state type (aggregates, stored summaries)');
    END LOOP;
END
$comments$;
