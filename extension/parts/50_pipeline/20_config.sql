-- Pipeline: options, the checked mapping, and configure_mining.
-- Options ---------------------------------------------------------------------------------------
-- The options of a configuration or a run, checked and completed with the defaults.
CREATE FUNCTION dm_mining_options(options jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    defaults constant jsonb := '{"k_min": 2, "k_max": 8, "quick_percent": 10, "contamination": 0.002,
        "n_trees": 100, "sample_size": 1024, "seed": 42, "top_lines": 100, "rfm_scheme": "default",
        "as_of": null, "cluster_features": null, "histogram_bins": 20, "profile_top_n": 5,
        "silhouette_sample": 10000}';
    ranges constant jsonb := '{"k_min": [2, 50], "k_max": [2, 50], "n_trees": [1, 10000],
        "sample_size": [2, 100000], "seed": [0, 2147483647], "top_lines": [0, 100000],
        "histogram_bins": [1, 1000], "profile_top_n": [0, 1000], "silhouette_sample": [100, 100000]}';
    merged jsonb;
    key text;
    v jsonb;
    names text[];
BEGIN
    IF options IS NULL THEN
        options := '{}';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'mining options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR key IN SELECT jsonb_object_keys(options) LOOP
        IF NOT defaults ? key THEN
            RAISE EXCEPTION 'unknown mining option "%"', key
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Options: ' || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(defaults) AS k) || '.';
        END IF;
    END LOOP;
    merged := jsonb_strip_nulls(defaults || options);
    -- Integers within ranges.
    FOR key, v IN SELECT e.key, e.value FROM jsonb_each(merged) AS e WHERE ranges ? e.key LOOP
        IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
           OR v::text::numeric < (ranges->key->>0)::numeric OR v::text::numeric > (ranges->key->>1)::numeric THEN
            RAISE EXCEPTION 'mining option "%" must be an integer from % to %, got %', key,
                            ranges->key->>0, ranges->key->>1, v
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF (merged->>'k_min')::int > (merged->>'k_max')::int THEN
        RAISE EXCEPTION 'mining option k_min (%) is greater than k_max (%)', merged->>'k_min', merged->>'k_max'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v := merged->'quick_percent';
    IF jsonb_typeof(v) <> 'number' OR NOT (v::text::float8 > 0 AND v::text::float8 <= 100) THEN
        RAISE EXCEPTION 'mining option "quick_percent" must be a number in (0, 100], got %', v
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v := merged->'contamination';
    IF NOT (v = '"auto"' OR (jsonb_typeof(v) = 'number' AND v::text::float8 > 0 AND v::text::float8 <= 0.5)) THEN
        RAISE EXCEPTION 'mining option "contamination" must be "auto" or a share in (0, 0.5], got %', v
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT merged->>'rfm_scheme' IN ('default', 'coarse') THEN
        RAISE EXCEPTION 'mining option "rfm_scheme" must be "default" or "coarse", got %', merged->'rfm_scheme'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF merged ? 'as_of' THEN
        BEGIN
            PERFORM (merged->>'as_of')::date;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'mining option "as_of" must be a date, got %', merged->'as_of'
                USING ERRCODE = 'invalid_parameter_value';
        END;
    END IF;
    IF merged ? 'cluster_features' THEN
        IF jsonb_typeof(merged->'cluster_features') <> 'array' OR jsonb_array_length(merged->'cluster_features') = 0 THEN
            RAISE EXCEPTION 'mining option "cluster_features" must be a non-empty array of feature names'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT array_agg(x) INTO names FROM jsonb_array_elements_text(merged->'cluster_features') AS x;
        IF NOT names <@ ARRAY['recency_days', 'frequency', 'monetary', 'avg_basket', 'avg_quantity', 'night_share'] THEN
            RAISE EXCEPTION 'mining option "cluster_features" has an unknown feature in %', merged->'cluster_features'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Features: recency_days, frequency, monetary, avg_basket, avg_quantity, night_share.';
        END IF;
    END IF;
    RETURN merged;
END
$$;
COMMENT ON FUNCTION dm_mining_options(jsonb) IS
    'checks mining options and completes them with the defaults; errors name the option';

-- The mapping of a configuration, checked against the catalog: every name resolved now, so that
-- a missing table or column fails at once with a message naming it.
CREATE FUNCTION dm_mining_mapping(config @extschema@.mining_config) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
    info record;
    time_type text;
    extra text;
BEGIN
    rel := @extschema@.dm_mapping_relation(config.fact_table);
    SELECT c.relkind, c.relpages, c.reltuples, n.nspname, c.relname INTO info
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
    PERFORM @extschema@.dm_mapping_column(rel, config.customer_column, 'customer key');
    PERFORM @extschema@.dm_mapping_column(rel, config.order_column, 'order key');
    time_type := @extschema@.dm_mapping_column(rel, config.time_column, 'timestamp', 'temporal');
    PERFORM @extschema@.dm_mapping_column(rel, config.amount_column, 'amount', 'numeric');
    IF config.quantity_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.quantity_column, 'quantity', 'numeric');
    END IF;
    IF config.line_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.line_column, 'line key');
    END IF;
    FOREACH extra IN ARRAY COALESCE(config.extra_features, '{}') LOOP
        PERFORM @extschema@.dm_mapping_column(rel, extra, 'extra feature', 'numeric');
        IF extra IN ('amount', 'quantity', 'hour') THEN
            RAISE EXCEPTION 'extra feature "%" has the name of a built-in line feature', extra
                USING ERRCODE = 'invalid_parameter_value', HINT = 'Map it through a view with another column name.';
        END IF;
    END LOOP;
    RETURN jsonb_build_object(
        'fact_table', format('%I.%I', info.nspname, info.relname),
        'relkind', info.relkind, 'relpages', info.relpages, 'reltuples', info.reltuples,
        'customer_column', config.customer_column, 'order_column', config.order_column,
        'time_column', config.time_column, 'time_type', time_type,
        'amount_column', config.amount_column, 'quantity_column', config.quantity_column,
        'line_column', config.line_column, 'extra_features', to_jsonb(COALESCE(config.extra_features, '{}')));
END
$$;
COMMENT ON FUNCTION dm_mining_mapping(mining_config) IS
    'the mapping of a configuration checked against the catalog (errors name the missing table or column), as JSON';

-- A table or view name resolved with the caller's search_path (the routines that take one pin
-- their own), as a qualified name; the name as given when it does not resolve, so that
-- dm_mapping_relation reports it. Only the name lookup runs under the caller's path.
CREATE FUNCTION dm_resolve_relation(relation_name text, caller_search_path text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rel regclass;
BEGIN
    IF relation_name IS NULL OR caller_search_path IS NULL THEN
        RETURN relation_name;
    END IF;
    PERFORM pg_catalog.set_config('search_path', caller_search_path, true);
    BEGIN
        rel := pg_catalog.to_regclass(relation_name);
    EXCEPTION WHEN invalid_name OR syntax_error OR invalid_schema_name OR feature_not_supported THEN
        rel := NULL;
    END;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF rel IS NULL THEN
        RETURN relation_name;
    END IF;
    RETURN (SELECT format('%I.%I', n.nspname, c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel);
END
$$;
COMMENT ON FUNCTION dm_resolve_relation(text, text) IS
    'pipeline internal: a table or view name resolved with the given search_path, schema-qualified';

-- Create or replace a configuration. Every name is checked now; the fact table is resolved with
-- the caller's search_path and stored schema-qualified.
CREATE FUNCTION dm_configure_mining(config_name text, fact_table text, customer_column text,
                                    order_column text, time_column text, amount_column text,
                                    quantity_column text, line_column text,
                                    extra_features text[], options jsonb, caller_search_path text)
RETURNS @extschema@.mining_config
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config @extschema@.mining_config;
BEGIN
    IF config_name IS NULL OR config_name = '' THEN
        RAISE EXCEPTION 'config_name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    fact_table := @extschema@.dm_resolve_relation(fact_table, caller_search_path);
    config := ROW(config_name, fact_table, customer_column, order_column, time_column, amount_column,
                  quantity_column, line_column, COALESCE(extra_features, '{}'), COALESCE(options, '{}'),
                  now(), now());
    PERFORM @extschema@.dm_mining_mapping(config);
    PERFORM @extschema@.dm_mining_options(config.options);
    INSERT INTO @extschema@.mining_config AS c VALUES (config.*)
    ON CONFLICT ON CONSTRAINT mining_config_pkey DO UPDATE
        SET fact_table = EXCLUDED.fact_table, customer_column = EXCLUDED.customer_column,
            order_column = EXCLUDED.order_column, time_column = EXCLUDED.time_column,
            amount_column = EXCLUDED.amount_column, quantity_column = EXCLUDED.quantity_column,
            line_column = EXCLUDED.line_column, extra_features = EXCLUDED.extra_features,
            options = EXCLUDED.options, updated_at = now()
    RETURNING c.* INTO config;
    RETURN config;
END
$$;
COMMENT ON FUNCTION dm_configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text) IS
    'pipeline internal: configure_mining with the caller''s search_path';

-- Left without a pinned search_path (see 99_search_path.sql) to pass the caller's on: its body
-- names nothing unqualified.
CREATE FUNCTION configure_mining(config_name text, fact_table text, customer_column text,
                                 order_column text, time_column text, amount_column text,
                                 quantity_column text DEFAULT NULL, line_column text DEFAULT NULL,
                                 extra_features text[] DEFAULT '{}', options jsonb DEFAULT '{}')
RETURNS @extschema@.mining_config
LANGUAGE sql
AS $$
    SELECT @extschema@.dm_configure_mining($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                                           pg_catalog.current_setting('search_path'))
$$;
COMMENT ON FUNCTION configure_mining(text, text, text, text, text, text, text, text, text[], jsonb) IS
    'creates or replaces a mining configuration: the fact table (or view), its customer, order, time, amount, quantity, line-key and extra feature columns, and options; names are checked now';

