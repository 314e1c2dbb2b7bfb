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
-- @install CREATE TYPE stats_summary;
-- @install CREATE FUNCTION stats_summary_in(cstring) RETURNS stats_summary
-- @install CREATE FUNCTION stats_summary_out(stats_summary) RETURNS cstring
-- @install CREATE FUNCTION stats_summary_recv(internal) RETURNS stats_summary
-- @install CREATE FUNCTION stats_summary_send(stats_summary) RETURNS bytea
-- @install CREATE TYPE stats_summary (
-- @install COMMENT ON TYPE stats_summary IS

-- @install CREATE FUNCTION stats_summary_add(stats_summary, float8) RETURNS stats_summary
-- @install CREATE FUNCTION stats_summary_add(stats_summary, float8, float8[]) RETURNS stats_summary
-- @install CREATE FUNCTION stats_summary_add(stats_summary, float8, int) RETURNS stats_summary
-- @install CREATE FUNCTION stats_summary_combine(stats_summary, stats_summary) RETURNS stats_summary
-- @install CREATE FUNCTION stats_summary_quantiles(stats_summary) RETURNS float8[]
-- @install CREATE FUNCTION stats_summary_histogram(stats_summary) RETURNS histogram

-- Accessors (also the final function of dm_stats).
-- @install CREATE FUNCTION dm_summary_stats(s stats_summary) RETURNS stats
-- @install CREATE FUNCTION dm_summary_quantiles(s stats_summary, probabilities float8[]) RETURNS float8[]
-- @install CREATE FUNCTION dm_summary_histogram(s stats_summary, bins int) RETURNS histogram

-- The state is an expanded object in the aggregate's memory context, where hash aggregation
-- counts it against work_mem; SSPACE is the planner's estimate of one group's state.
-- @install CREATE AGGREGATE dm_stats(x float8) (
-- @install COMMENT ON AGGREGATE dm_stats(float8) IS

-- @install CREATE AGGREGATE dm_quantiles(x float8, probabilities float8[]) (
-- @install COMMENT ON AGGREGATE dm_quantiles(float8, float8[]) IS

-- @install CREATE AGGREGATE dm_histogram(x float8, bins int) (
-- @install COMMENT ON AGGREGATE dm_histogram(float8, int) IS

-- Summaries: the state as a value, and its rollup.
-- @install CREATE AGGREGATE dm_stats_summary(x float8) (
-- @install COMMENT ON AGGREGATE dm_stats_summary(float8) IS

-- @install CREATE AGGREGATE dm_rollup(s stats_summary) (
-- @install COMMENT ON AGGREGATE dm_rollup(stats_summary) IS

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
-- @install CREATE TYPE histogram_summary;
-- @install CREATE FUNCTION histogram_summary_in(cstring) RETURNS histogram_summary
-- @install CREATE FUNCTION histogram_summary_out(histogram_summary) RETURNS cstring
-- @install CREATE FUNCTION histogram_summary_recv(internal) RETURNS histogram_summary
-- @install CREATE FUNCTION histogram_summary_send(histogram_summary) RETURNS bytea
-- @install CREATE TYPE histogram_summary (
-- @install COMMENT ON TYPE histogram_summary IS
-- @install CREATE FUNCTION histogram_summary_combine(histogram_summary, histogram_summary) RETURNS histogram_summary
-- @install CREATE FUNCTION histogram_summary_add(histogram_summary, float8, int, float8, float8) RETURNS histogram_summary
-- @install CREATE FUNCTION dm_summary_histogram(s histogram_summary) RETURNS histogram

-- @install CREATE AGGREGATE dm_histogram(x float8, bins int, lower float8, upper float8) (
-- @install COMMENT ON AGGREGATE dm_histogram(float8, int, float8, float8) IS

-- @install CREATE AGGREGATE dm_histogram_summary(x float8, bins int, lower float8, upper float8) (
-- @install COMMENT ON AGGREGATE dm_histogram_summary(float8, int, float8, float8) IS

-- @install CREATE AGGREGATE dm_rollup(s histogram_summary) (
-- @install COMMENT ON AGGREGATE dm_rollup(histogram_summary) IS

-- Correlation and covariance matrices of feature vectors, over the comoments_summary type.
-- @install CREATE TYPE comoments_summary;
-- @install CREATE FUNCTION comoments_summary_in(cstring) RETURNS comoments_summary
-- @install CREATE FUNCTION comoments_summary_out(comoments_summary) RETURNS cstring
-- @install CREATE FUNCTION comoments_summary_recv(internal) RETURNS comoments_summary
-- @install CREATE FUNCTION comoments_summary_send(comoments_summary) RETURNS bytea
-- @install CREATE TYPE comoments_summary (
-- @install COMMENT ON TYPE comoments_summary IS
-- @install CREATE FUNCTION comoments_summary_combine(comoments_summary, comoments_summary) RETURNS comoments_summary
-- @install CREATE FUNCTION comoments_summary_add(comoments_summary, float8[]) RETURNS comoments_summary
-- @install CREATE FUNCTION dm_summary_corr(s comoments_summary) RETURNS float8[]
-- @install CREATE FUNCTION dm_summary_cov(s comoments_summary) RETURNS float8[]

-- @install CREATE AGGREGATE dm_corr(x float8[]) (
-- @install COMMENT ON AGGREGATE dm_corr(float8[]) IS

-- @install CREATE AGGREGATE dm_cov(x float8[]) (
-- @install COMMENT ON AGGREGATE dm_cov(float8[]) IS

-- @install CREATE AGGREGATE dm_comoments_summary(x float8[]) (
-- @install COMMENT ON AGGREGATE dm_comoments_summary(float8[]) IS

-- @install CREATE AGGREGATE dm_rollup(s comoments_summary) (
-- @install COMMENT ON AGGREGATE dm_rollup(comoments_summary) IS

-- Approximate distinct count, over the distinct_summary type (HyperLogLog).
-- @install CREATE TYPE distinct_summary;
-- @install CREATE FUNCTION distinct_summary_in(cstring) RETURNS distinct_summary
-- @install CREATE FUNCTION distinct_summary_out(distinct_summary) RETURNS cstring
-- @install CREATE FUNCTION distinct_summary_recv(internal) RETURNS distinct_summary
-- @install CREATE FUNCTION distinct_summary_send(distinct_summary) RETURNS bytea
-- @install CREATE TYPE distinct_summary (
-- @install COMMENT ON TYPE distinct_summary IS
-- @install CREATE FUNCTION distinct_summary_combine(distinct_summary, distinct_summary) RETURNS distinct_summary
-- @install CREATE FUNCTION distinct_summary_add(distinct_summary, anyelement) RETURNS distinct_summary
-- @install CREATE FUNCTION dm_summary_distinct(s distinct_summary) RETURNS bigint

-- @install CREATE AGGREGATE dm_approx_distinct(x anyelement) (
-- @install COMMENT ON AGGREGATE dm_approx_distinct(anyelement) IS

-- @install CREATE AGGREGATE dm_distinct_summary(x anyelement) (
-- @install COMMENT ON AGGREGATE dm_distinct_summary(anyelement) IS

-- @install CREATE AGGREGATE dm_rollup(s distinct_summary) (
-- @install COMMENT ON AGGREGATE dm_rollup(distinct_summary) IS

-- Fitting: the points go into a bounded sample (the kmeans_summary type); the final function fits.
-- @install CREATE TYPE kmeans_summary;
-- @install CREATE FUNCTION kmeans_summary_in(cstring) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_out(kmeans_summary) RETURNS cstring
-- @install CREATE FUNCTION kmeans_summary_recv(internal) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_send(kmeans_summary) RETURNS bytea
-- @install CREATE TYPE kmeans_summary (
-- @install COMMENT ON TYPE kmeans_summary IS
-- @install CREATE FUNCTION kmeans_summary_combine(kmeans_summary, kmeans_summary) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_add(kmeans_summary, float8[], int) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_add(kmeans_summary, float8[], int, jsonb) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_add_auto(kmeans_summary, float8[], int, int) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_add_auto(kmeans_summary, float8[], int, int, jsonb) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_add_sample(kmeans_summary, float8[]) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_add_sample(kmeans_summary, float8[], jsonb) RETURNS kmeans_summary
-- @install CREATE FUNCTION kmeans_summary_fit(kmeans_summary) RETURNS kmeans_model
-- @install CREATE FUNCTION dm_summary_kmeans(s kmeans_summary, k int, options jsonb DEFAULT NULL) RETURNS kmeans_model
-- @install CREATE FUNCTION dm_summary_kmeans_auto(s kmeans_summary, k_min int, k_max int, options jsonb DEFAULT NULL) RETURNS kmeans_model

-- @install CREATE AGGREGATE dm_kmeans(features float8[], k int) (
-- @install COMMENT ON AGGREGATE dm_kmeans(float8[], int) IS

-- @install CREATE AGGREGATE dm_kmeans(features float8[], k int, options jsonb) (
-- @install COMMENT ON AGGREGATE dm_kmeans(float8[], int, jsonb) IS

-- @install CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int) (
-- @install COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int) IS

-- @install CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int, options jsonb) (
-- @install COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int, jsonb) IS

-- @install CREATE AGGREGATE dm_kmeans_summary(features float8[]) (
-- @install COMMENT ON AGGREGATE dm_kmeans_summary(float8[]) IS

-- @install CREATE AGGREGATE dm_kmeans_summary(features float8[], options jsonb) (
-- @install COMMENT ON AGGREGATE dm_kmeans_summary(float8[], jsonb) IS

-- @install CREATE AGGREGATE dm_rollup(s kmeans_summary) (
-- @install COMMENT ON AGGREGATE dm_rollup(kmeans_summary) IS

-- Refinement: one exact Lloyd pass over every row (the kmeans_refine_summary type).
-- @install CREATE TYPE kmeans_refine_summary;
-- @install CREATE FUNCTION kmeans_refine_summary_in(cstring) RETURNS kmeans_refine_summary
-- @install CREATE FUNCTION kmeans_refine_summary_out(kmeans_refine_summary) RETURNS cstring
-- @install CREATE FUNCTION kmeans_refine_summary_recv(internal) RETURNS kmeans_refine_summary
-- @install CREATE FUNCTION kmeans_refine_summary_send(kmeans_refine_summary) RETURNS bytea
-- @install CREATE TYPE kmeans_refine_summary (
-- @install COMMENT ON TYPE kmeans_refine_summary IS
-- @install CREATE FUNCTION kmeans_refine_summary_combine(kmeans_refine_summary, kmeans_refine_summary) RETURNS kmeans_refine_summary
-- @install CREATE FUNCTION kmeans_refine_summary_add(kmeans_refine_summary, kmeans_model, float8[]) RETURNS kmeans_refine_summary
-- @install CREATE FUNCTION kmeans_refine_summary_final(kmeans_refine_summary) RETURNS kmeans_model

-- @install CREATE AGGREGATE dm_kmeans_refine(model kmeans_model, features float8[]) (
-- @install COMMENT ON AGGREGATE dm_kmeans_refine(kmeans_model, float8[]) IS

-- Fitting: one scan into a bounded sample pool (the iforest_summary type); the final function grows the trees.
-- @install CREATE TYPE iforest_summary;
-- @install CREATE FUNCTION iforest_summary_in(cstring) RETURNS iforest_summary
-- @install CREATE FUNCTION iforest_summary_out(iforest_summary) RETURNS cstring
-- @install CREATE FUNCTION iforest_summary_recv(internal) RETURNS iforest_summary
-- @install CREATE FUNCTION iforest_summary_send(iforest_summary) RETURNS bytea
-- @install CREATE TYPE iforest_summary (
-- @install COMMENT ON TYPE iforest_summary IS
-- @install CREATE FUNCTION iforest_summary_combine(iforest_summary, iforest_summary) RETURNS iforest_summary
-- @install CREATE FUNCTION iforest_summary_add(iforest_summary, float8[]) RETURNS iforest_summary
-- @install CREATE FUNCTION iforest_summary_add(iforest_summary, float8[], jsonb) RETURNS iforest_summary
-- @install CREATE FUNCTION dm_summary_iforest(s iforest_summary) RETURNS iforest_model

-- @install CREATE AGGREGATE dm_iforest(features float8[]) (
-- @install COMMENT ON AGGREGATE dm_iforest(float8[]) IS

-- @install CREATE AGGREGATE dm_iforest(features float8[], options jsonb) (
-- @install COMMENT ON AGGREGATE dm_iforest(float8[], jsonb) IS

-- @install CREATE AGGREGATE dm_iforest_summary(features float8[]) (
-- @install COMMENT ON AGGREGATE dm_iforest_summary(float8[]) IS

-- @install CREATE AGGREGATE dm_iforest_summary(features float8[], options jsonb) (
-- @install COMMENT ON AGGREGATE dm_iforest_summary(float8[], jsonb) IS

-- @install CREATE AGGREGATE dm_rollup(s iforest_summary) (
-- @install COMMENT ON AGGREGATE dm_rollup(iforest_summary) IS
