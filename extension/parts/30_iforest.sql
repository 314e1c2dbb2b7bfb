-- Anomaly detection with Isolation Forest (Liu, Ting & Zhou 2008): the iforest_model type,
-- dm_iforest, dm_iforest_score, dm_iforest_is_anomaly, dm_iforest_explain,
-- dm_iforest_contributions, dm_iforest_info.

-- A fitted forest. Text form: a JSON object with every tree; binary form: the versioned,
-- checksummed bytes. Both are validated on input.
CREATE TYPE iforest_model;
CREATE FUNCTION iforest_model_in(cstring) RETURNS iforest_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_model_out(iforest_model) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_model_recv(internal) RETURNS iforest_model
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION iforest_model_send(iforest_model) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE iforest_model (
    INPUT = iforest_model_in, OUTPUT = iforest_model_out,
    RECEIVE = iforest_model_recv, SEND = iforest_model_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE iforest_model IS
    'a fitted Isolation Forest (trees, sample size, rows seen, features, threshold); text form is JSON';

-- Fitting: the rows go into a bounded sample pool; the final function grows the trees.
CREATE FUNCTION dm_iforest_accum(internal, float8[]) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_accum(internal, float8[], jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_iforest_final(internal) RETURNS iforest_model
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_iforest(features float8[]) (
    SFUNC = dm_iforest_accum, STYPE = internal,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_iforest_final,
    COMBINEFUNC = dm_iforest_combine, SERIALFUNC = dm_iforest_serialize,
    DESERIALFUNC = dm_iforest_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest(float8[]) IS
    'Isolation Forest of the feature vectors: 100 trees of min(256, rows) rows each, height limit ceil(log2 of that), seed 0; NULL rows are skipped';

CREATE AGGREGATE dm_iforest(features float8[], options jsonb) (
    SFUNC = dm_iforest_accum, STYPE = internal,
    SSPACE = 50000, -- bytes: about 1,000 rows of 4 features
    FINALFUNC = dm_iforest_final,
    COMBINEFUNC = dm_iforest_combine, SERIALFUNC = dm_iforest_serialize,
    DESERIALFUNC = dm_iforest_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_iforest(float8[], jsonb) IS
    'Isolation Forest with options (read from the first row): n_trees, sample_size, max_depth, contamination (''auto'' or a share), seed';

-- Using a model.
CREATE FUNCTION dm_iforest_score(model iforest_model, features float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_score(iforest_model, float8[]) IS
    'anomaly score 2^(-E[h(x)]/c(psi)) in (0, 1]: near 1 anomalous, 0.5 or less ordinary (scikit-learn''s score_samples is its negative)';

CREATE FUNCTION dm_iforest_is_anomaly(model iforest_model, features float8[]) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_is_anomaly(iforest_model, float8[]) IS
    'true when the score exceeds the model''s threshold: 0.5 for contamination ''auto'', else the (1 - contamination) quantile of the training scores';

CREATE FUNCTION dm_iforest_contributions(model iforest_model, features float8[]) RETURNS float8[]
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_contributions(iforest_model, float8[]) IS
    'each feature''s contribution to isolating the row (bits: mean over the trees of log2(node rows / child rows) of its splits on the path), in feature order';

CREATE FUNCTION dm_iforest_explain(model iforest_model, features float8[])
RETURNS TABLE (rank int, feature int, name text, contribution float8, share float8)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION dm_iforest_explain(iforest_model, float8[]) IS
    'one row per feature, most important first: rank, feature (1-based), name (NULL), contribution in bits, share of the total';

CREATE FUNCTION dm_iforest_explain(model iforest_model, features float8[], names text[])
RETURNS TABLE (rank int, feature int, name text, contribution float8, share float8)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION dm_iforest_explain(iforest_model, float8[], text[]) IS
    'one row per feature, most important first, named from names (one per feature): rank, feature, name, contribution in bits, share';

CREATE FUNCTION dm_iforest_info(model iforest_model) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_iforest_info(iforest_model) IS
    'the model without its trees as JSON: features, n_trees, sample_size, max_depth, rows_seen, seed, contamination, threshold, nodes, leaves';

DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'iforest_model_in(cstring)', 'iforest_model_out(iforest_model)',
        'iforest_model_recv(internal)', 'iforest_model_send(iforest_model)',
        'dm_iforest_accum(internal, float8[])', 'dm_iforest_accum(internal, float8[], jsonb)',
        'dm_iforest_combine(internal, internal)', 'dm_iforest_serialize(internal)',
        'dm_iforest_deserialize(bytea, internal)', 'dm_iforest_final(internal)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       CASE WHEN f LIKE 'iforest_model_%' THEN 'input/output function of iforest_model'
                            ELSE 'support function of a dmine aggregate (internal)' END);
    END LOOP;
END
$comments$;
