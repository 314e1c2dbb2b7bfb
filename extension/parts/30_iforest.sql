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
COMMENT ON FUNCTION dm_summary_iforest(iforest_summary) IS
    'the Isolation Forest grown from the sample pool of a summary, as dm_iforest';

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
        'iforest_model_in(cstring)', 'iforest_model_out(iforest_model)', 'iforest_model_recv(internal)', 'iforest_model_send(iforest_model)']
    LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.%s IS %L', f,
                       'input/output function of iforest_model');
    END LOOP;
END
$comments$;
