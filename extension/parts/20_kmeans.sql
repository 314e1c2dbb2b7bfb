-- K-Means clustering: the kmeans_model type, dm_kmeans, dm_kmeans_auto, dm_kmeans_refine,
-- dm_kmeans_assign, dm_kmeans_distance, dm_kmeans_centroids, dm_kmeans_info.

-- A fitted model. Text form: a JSON object (what dm_kmeans_info shows); binary form: the
-- versioned, checksummed bytes. Both are validated on input.
CREATE TYPE kmeans_model;
CREATE FUNCTION kmeans_model_in(cstring) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_model_out(kmeans_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_model_recv(internal) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION kmeans_model_send(kmeans_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE kmeans_model (
    INPUT = kmeans_model_in, OUTPUT = kmeans_model_out,
    RECEIVE = kmeans_model_recv, SEND = kmeans_model_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE kmeans_model IS
    'a fitted K-Means model (centroids, scaling, sizes, SSE, scores); text form is JSON';

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
COMMENT ON FUNCTION dm_summary_kmeans(kmeans_summary, int, jsonb) IS
    'K-Means model with k clusters fitted on the point sample of a summary (options: those of the summary unless given)';
CREATE FUNCTION dm_summary_kmeans_auto(s kmeans_summary, k_min int, k_max int, options jsonb DEFAULT NULL) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dm_summary_kmeans_auto(kmeans_summary, int, int, jsonb) IS
    'K-Means model with the best silhouette for k in [k_min, k_max], fitted on the point sample of a summary';

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

-- Using a model.
CREATE FUNCTION dm_kmeans_assign(model kmeans_model, features float8[]) RETURNS int
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_assign(kmeans_model, float8[]) IS
    'cluster (1..k) of the nearest centroid';

CREATE FUNCTION dm_kmeans_distance(model kmeans_model, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_distance(kmeans_model, float8[]) IS
    'distance to the nearest centroid (on standardised features when the model scales them)';

CREATE FUNCTION dm_kmeans_distance(model kmeans_model, features float8[], cluster int) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_distance(kmeans_model, float8[], int) IS
    'distance to the centroid of cluster (1..k)';

CREATE FUNCTION dm_kmeans_centroids(model kmeans_model)
RETURNS TABLE (cluster int, size bigint, sse float8, centroid float8[])
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION dm_kmeans_centroids(kmeans_model) IS
    'one row per cluster: size (estimated when fitted on a sample), within-cluster SSE, centroid in original units';

CREATE FUNCTION dm_kmeans_info(model kmeans_model) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_kmeans_info(kmeans_model) IS
    'the model as JSON: k, rows, inertia, silhouette, iterations, converged, per-k scores, scaling, sampled';

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'kmeans_model_in(cstring)', 'kmeans_model_out(kmeans_model)', 'kmeans_model_recv(internal)', 'kmeans_model_send(kmeans_model)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       'input/output function of kmeans_model');
    END LOOP;
END
$comments$;
