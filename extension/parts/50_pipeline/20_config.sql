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
        "silhouette_sample": 5000, "breakdown_rows": 100, "histogram_rule": "auto", "currency": null,
        "min_cluster_size": 10, "forecast_horizon": 12, "forecast_grain": "month", "forecast_series": 20}';
    ranges constant jsonb := '{"k_min": [2, 50], "k_max": [2, 50], "n_trees": [1, 10000],
        "sample_size": [2, 100000], "seed": [0, 2147483647], "top_lines": [0, 100000],
        "histogram_bins": [1, 1000], "profile_top_n": [0, 1000], "silhouette_sample": [100, 100000],
        "breakdown_rows": [1, 1000000], "min_cluster_size": [1, 1000000], "forecast_horizon": [1, 120],
        "forecast_series": [1, 1000]}';
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
    IF NOT merged->>'histogram_rule' IN ('auto', 'log', 'fd', 'equal') THEN
        RAISE EXCEPTION 'mining option "histogram_rule" must be "auto", "log", "fd" or "equal", got %', merged->'histogram_rule'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The warehouse's currency, for the report's amounts: an ISO 4217 alphabetic code.
    IF merged ? 'currency' AND (jsonb_typeof(merged->'currency') <> 'string' OR merged->>'currency' !~ '^[A-Z]{3}$') THEN
        RAISE EXCEPTION 'mining option "currency" must be an ISO 4217 currency code (three capital letters), got %',
                        merged->'currency'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'For example {"currency": "EUR"} or {"currency": "USD"}.';
    END IF;
    IF NOT merged->>'forecast_grain' IN ('week', 'month', 'quarter') THEN
        RAISE EXCEPTION 'mining option "forecast_grain" must be "week", "month" or "quarter", got %', merged->'forecast_grain'
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

-- Whether a column name looks like a key: its first or last word (split at _, -, space or a
-- lower-to-upper case change) is id, key, sk, pk, fk, code, num, no, nr, ref, uuid, guid or cle.
CREATE FUNCTION dm_key_like_name(column_name text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH w AS (
        SELECT array_remove(regexp_split_to_array(lower(regexp_replace(column_name, '([a-z0-9])([A-Z])', '\1_\2', 'g')),
                                                  '[^a-z0-9]+'), '') AS words
    )
    SELECT cardinality(words) > 0
           AND (words[1] = ANY (k) OR words[cardinality(words)] = ANY (k))
    FROM w, (SELECT ARRAY['id', 'key', 'sk', 'pk', 'fk', 'code', 'num', 'no', 'nr', 'ref', 'uuid', 'guid', 'cle']) AS kw(k)
$$;
COMMENT ON FUNCTION dm_key_like_name(text) IS
    'whether a column name looks like a key: first or last word id, key, sk, pk, fk, code, num, no, nr, ref, uuid, guid or cle (order_id, id_client, date_key, customer_sk, OrderNo)';

-- The attributes of a dimension table to break down by, when none are declared: its text,
-- enum and boolean columns (not the key, not key-like names) with 2 to 50 distinct values and
-- fewer distinct values than rows (a name per row is a label, not a category); at most 5, in
-- column order.
CREATE FUNCTION dm_dimension_attributes(dim regclass, key text) RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col record;
    n_rows bigint;
    n_distinct bigint;
    picked text[] := '{}';
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', dim) INTO n_rows;
    FOR col IN
        SELECT a.attname FROM pg_attribute a JOIN pg_type t ON t.oid = @extschema@.dm_base_type(a.atttypid)
        WHERE a.attrelid = dim AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> key
          AND t.typcategory IN ('S', 'E', 'B') AND NOT @extschema@.dm_key_like_name(a.attname)
        ORDER BY a.attnum
    LOOP
        EXECUTE format('SELECT count(*) FROM (SELECT DISTINCT %I FROM %s WHERE %1$I IS NOT NULL LIMIT 51) s', col.attname, dim)
            INTO n_distinct;
        IF n_distinct BETWEEN 2 AND 50 AND n_distinct < n_rows THEN
            picked := picked || col.attname::text;
        END IF;
        EXIT WHEN cardinality(picked) = 5;
    END LOOP;
    RETURN picked;
END
$$;
COMMENT ON FUNCTION dm_dimension_attributes(regclass, text) IS
    'pipeline internal: the attributes chosen for a dimension with none declared: text, enum or boolean columns, not key-like, with 2 to 50 distinct values and fewer than its rows (at most 5)';

-- The dimensions of a mapping: the declared ones checked (fact column, table, key, attributes),
-- then one per single-column foreign key of the fact table on a column not declared (attributes
-- by dm_dimension_attributes). Each: {column, table, key, attributes, name, source}; the name is
-- product, store or customer for the mapped columns, else the dimension table's name.
CREATE FUNCTION dm_mapping_dimensions(rel regclass, declared jsonb, names jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d jsonb;
    dim regclass;
    key text;
    attrs text[];
    a text;
    i int := 0;
    result jsonb := '[]';
    fk record;
BEGIN
    IF declared IS NULL THEN
        declared := '[]';
    END IF;
    IF jsonb_typeof(declared) <> 'array' THEN
        RAISE EXCEPTION 'dimensions must be a JSON array of {"column", "table", "key", "attributes"}'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example ''[{"column": "product_id", "table": "products", "key": "product_id", "attributes": ["family"]}]''.';
    END IF;
    FOR d IN SELECT e FROM jsonb_array_elements(declared) AS e LOOP
        i := i + 1;
        IF jsonb_typeof(d) <> 'object' OR jsonb_typeof(d->'column') IS DISTINCT FROM 'string'
           OR jsonb_typeof(d->'table') IS DISTINCT FROM 'string' THEN
            RAISE EXCEPTION 'dimension % must be an object with a "column" of the fact table and a "table"', i
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM @extschema@.dm_mapping_column(rel, d->>'column', format('column of dimension %s', i));
        dim := @extschema@.dm_mapping_relation(d->>'table', 'dimension table');
        key := COALESCE(d->>'key', d->>'column');
        PERFORM @extschema@.dm_mapping_column(dim, key, 'dimension key');
        IF d ? 'attributes' THEN
            IF jsonb_typeof(d->'attributes') <> 'array' THEN
                RAISE EXCEPTION 'the attributes of dimension % must be a JSON array of column names', i
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            attrs := ARRAY(SELECT jsonb_array_elements_text(d->'attributes'));
            FOREACH a IN ARRAY attrs LOOP
                PERFORM @extschema@.dm_mapping_column(dim, a, 'dimension attribute');
            END LOOP;
        ELSE
            attrs := @extschema@.dm_dimension_attributes(dim, key);
        END IF;
        result := result || jsonb_build_object('column', d->>'column', 'table', (SELECT format('%I.%I', n.nspname, c.relname)
                                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = dim),
                                'key', key, 'attributes', to_jsonb(attrs),
                                'name', COALESCE(d->>'name', names->>(d->>'column'), (SELECT relname FROM pg_class WHERE oid = dim)),
                                'source', 'declared');
    END LOOP;
    FOR fk IN
        SELECT a.attname AS fact_column, c.confrelid::regclass AS dim, ka.attname AS key_column,
               n.nspname, r.relname
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        JOIN pg_attribute ka ON ka.attrelid = c.confrelid AND ka.attnum = c.confkey[1]
        JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE c.conrelid = rel AND c.contype = 'f' AND cardinality(c.conkey) = 1
        ORDER BY a.attnum, c.conname
    LOOP
        CONTINUE WHEN EXISTS (SELECT FROM jsonb_array_elements(result) AS e WHERE e->>'column' = fk.fact_column);
        result := result || jsonb_build_object('column', fk.fact_column, 'table', format('%I.%I', fk.nspname, fk.relname),
                                'key', fk.key_column, 'attributes', to_jsonb(@extschema@.dm_dimension_attributes(fk.dim, fk.key_column)),
                                'name', COALESCE(names->>fk.fact_column, fk.relname::text), 'source', 'foreign key');
    END LOOP;
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_mapping_dimensions(regclass, jsonb, jsonb) IS
    'pipeline internal: the declared dimensions checked and the ones discovered from the fact table''s foreign keys, as a JSON array';

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
    time_key text;
    extra text;
    names jsonb := '{}';
    dimensions jsonb;
BEGIN
    rel := @extschema@.dm_mapping_relation(config.fact_table);
    SELECT c.relkind, c.relpages, c.reltuples, n.nspname, c.relname INTO info
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
    PERFORM @extschema@.dm_mapping_column(rel, config.customer_column, 'customer key');
    PERFORM @extschema@.dm_mapping_column(rel, config.order_column, 'order key');
    time_type := @extschema@.dm_mapping_column(rel, config.time_column, 'timestamp');
    -- An integer time column is a yyyymmdd date key (read as a date).
    IF time_type IN ('smallint', 'integer', 'bigint') THEN
        time_key := 'yyyymmdd';
        time_type := 'date';
    ELSE
        time_type := @extschema@.dm_mapping_column(rel, config.time_column, 'timestamp', 'temporal');
    END IF;
    PERFORM @extschema@.dm_mapping_column(rel, config.amount_column, 'amount', 'numeric');
    IF config.quantity_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.quantity_column, 'quantity', 'numeric');
    END IF;
    IF config.line_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.line_column, 'line key');
    END IF;
    IF config.product_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.product_column, 'product key');
        names := names || jsonb_build_object(config.product_column, 'product');
    END IF;
    IF config.store_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.store_column, 'store key');
        names := names || jsonb_build_object(config.store_column, 'store');
    END IF;
    IF config.unit_price_column IS NOT NULL THEN
        PERFORM @extschema@.dm_mapping_column(rel, config.unit_price_column, 'unit price', 'numeric');
    END IF;
    names := jsonb_build_object(config.customer_column, 'customer') || names;
    dimensions := @extschema@.dm_mapping_dimensions(rel, config.dimensions, names);
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
        'line_column', config.line_column, 'extra_features', to_jsonb(COALESCE(config.extra_features, '{}')))
        || jsonb_build_object('time_key', time_key, 'product_column', config.product_column,
                              'store_column', config.store_column, 'unit_price_column', config.unit_price_column,
                              'dimensions', dimensions);
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
                                    extra_features text[], options jsonb, caller_search_path text,
                                    product_column text DEFAULT NULL, store_column text DEFAULT NULL,
                                    unit_price_column text DEFAULT NULL, dimensions jsonb DEFAULT NULL)
RETURNS @extschema@.mining_config
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    config @extschema@.mining_config;
    e_message text;
    e_state text;
    e_detail text;
    e_hint text;
BEGIN
    -- Errors raised as one message with its detail and hint, without the context lines of the
    -- checks (the block's body is not indented).
    BEGIN
    IF config_name IS NULL OR config_name = '' THEN
        RAISE EXCEPTION 'config_name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    fact_table := @extschema@.dm_resolve_relation(fact_table, caller_search_path);
    -- Dimension tables resolved with the caller's path too, stored schema-qualified.
    IF jsonb_typeof(dimensions) = 'array' THEN
        dimensions := (SELECT COALESCE(jsonb_agg(CASE WHEN jsonb_typeof(d->'table') = 'string'
                                                      THEN d || jsonb_build_object('table', @extschema@.dm_resolve_relation(d->>'table', caller_search_path))
                                                      ELSE d END ORDER BY i), '[]')
                       FROM jsonb_array_elements(dimensions) WITH ORDINALITY AS e(d, i));
    END IF;
    config := ROW(config_name, fact_table, customer_column, order_column, time_column, amount_column,
                  quantity_column, line_column, COALESCE(extra_features, '{}'), COALESCE(options, '{}'),
                  now(), now(), product_column, store_column, unit_price_column, COALESCE(dimensions, '[]'));
    PERFORM @extschema@.dm_mining_mapping(config);
    PERFORM @extschema@.dm_mining_options(config.options);
    INSERT INTO @extschema@.mining_config AS c VALUES (config.*)
    ON CONFLICT ON CONSTRAINT mining_config_pkey DO UPDATE
        SET fact_table = EXCLUDED.fact_table, customer_column = EXCLUDED.customer_column,
            order_column = EXCLUDED.order_column, time_column = EXCLUDED.time_column,
            amount_column = EXCLUDED.amount_column, quantity_column = EXCLUDED.quantity_column,
            line_column = EXCLUDED.line_column, extra_features = EXCLUDED.extra_features,
            options = EXCLUDED.options, updated_at = now(), product_column = EXCLUDED.product_column,
            store_column = EXCLUDED.store_column, unit_price_column = EXCLUDED.unit_price_column,
            dimensions = EXCLUDED.dimensions
    RETURNING c.* INTO config;
    RETURN config;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.dm_run_raise(e_message, e_state, e_detail, e_hint);
        RETURN NULL;
    END;
END
$$;
COMMENT ON FUNCTION dm_configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, text, jsonb) IS
    'pipeline internal: configure_mining with the caller''s search_path';

-- Left without a pinned search_path (see 99_search_path.sql) to pass the caller's on: its body
-- names nothing unqualified.
CREATE FUNCTION configure_mining(config_name text, fact_table text, customer_column text,
                                 order_column text, time_column text, amount_column text,
                                 quantity_column text DEFAULT NULL, line_column text DEFAULT NULL,
                                 extra_features text[] DEFAULT '{}', options jsonb DEFAULT '{}',
                                 product_column text DEFAULT NULL, store_column text DEFAULT NULL,
                                 unit_price_column text DEFAULT NULL, dimensions jsonb DEFAULT '[]')
RETURNS @extschema@.mining_config
LANGUAGE sql
AS $$
    SELECT @extschema@.dm_configure_mining($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                                           pg_catalog.current_setting('search_path'), $11, $12, $13, $14)
$$;
COMMENT ON FUNCTION configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, jsonb) IS
    'creates or replaces a mining configuration: the fact table (or view), its customer, order, time, amount, quantity, line-key and extra feature columns, options, and the star schema (product, store and unit-price columns, declared dimension tables; others discovered from foreign keys); names are checked now';

