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

-- Fitting: the points go into a bounded sample; the final function fits.
CREATE FUNCTION dm_kmeans_accum(internal, float8[], int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_accum(internal, float8[], int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_auto_accum(internal, float8[], int, int) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_auto_accum(internal, float8[], int, int, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_final(internal) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_kmeans(features float8[], k int) (
    SFUNC = dm_kmeans_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans(float8[], int) IS
    'K-Means model with k clusters (k-means++, 10 restarts, standardised features); NULL rows are skipped';

CREATE AGGREGATE dm_kmeans(features float8[], k int, options jsonb) (
    SFUNC = dm_kmeans_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans(float8[], int, jsonb) IS
    'K-Means model with k clusters; options: max_iter, tol, n_init, seed, scale, sample_size, silhouette_sample, swap_trials';

CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int) (
    SFUNC = dm_kmeans_auto_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int) IS
    'K-Means model whose k in [k_min, k_max] has the highest silhouette; inertia and silhouette of every k are kept';

CREATE AGGREGATE dm_kmeans_auto(features float8[], k_min int, k_max int, options jsonb) (
    SFUNC = dm_kmeans_auto_accum, STYPE = internal,
    SSPACE = 45000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_kmeans_final,
    COMBINEFUNC = dm_kmeans_combine, SERIALFUNC = dm_kmeans_serialize,
    DESERIALFUNC = dm_kmeans_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_kmeans_auto(float8[], int, int, jsonb) IS
    'K-Means model whose k in [k_min, k_max] has the highest silhouette, with options as dm_kmeans';

-- Refinement: one exact Lloyd pass over every row.
CREATE FUNCTION dm_kmeans_refine_accum(internal, kmeans_model, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_kmeans_refine_final(internal) RETURNS kmeans_model
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_kmeans_refine(model kmeans_model, features float8[]) (
    SFUNC = dm_kmeans_refine_accum, STYPE = internal,
    SSPACE = 2000, -- bytes: a small model
    FINALFUNC = dm_kmeans_refine_final,
    COMBINEFUNC = dm_kmeans_refine_combine, SERIALFUNC = dm_kmeans_refine_serialize,
    DESERIALFUNC = dm_kmeans_refine_deserialize, PARALLEL = SAFE
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
        'kmeans_model_in(cstring)', 'kmeans_model_out(kmeans_model)',
        'kmeans_model_recv(internal)', 'kmeans_model_send(kmeans_model)',
        'dm_kmeans_accum(internal, float8[], int)', 'dm_kmeans_accum(internal, float8[], int, jsonb)',
        'dm_kmeans_auto_accum(internal, float8[], int, int)',
        'dm_kmeans_auto_accum(internal, float8[], int, int, jsonb)',
        'dm_kmeans_combine(internal, internal)', 'dm_kmeans_serialize(internal)',
        'dm_kmeans_deserialize(bytea, internal)', 'dm_kmeans_final(internal)',
        'dm_kmeans_refine_accum(internal, kmeans_model, float8[])',
        'dm_kmeans_refine_combine(internal, internal)', 'dm_kmeans_refine_serialize(internal)',
        'dm_kmeans_refine_deserialize(bytea, internal)', 'dm_kmeans_refine_final(internal)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       CASE WHEN f LIKE 'kmeans_model_%' THEN 'input/output function of kmeans_model'
                            ELSE 'support function of a dmine aggregate (internal)' END);
    END LOOP;
END
$comments$;
