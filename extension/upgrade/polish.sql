-- Upgrade 0.1.0 -> 0.2.0, part "polish": what a new user meets first.
--  - run_mining says up front that it cannot run inside a transaction block (25001, with a
--    hint); its errors and configure_mining's are raised as one message without context lines
--    (dm_run_raise becomes a C function; dm_run_can_commit is new);
--  - a mapped column not found is shown as given, the hint names the column meant or lists the
--    table's columns (dm_mapping_column_missing is new);
--  - options currency (ISO 4217, kept in the run's mapping for the report) and min_cluster_size
--    (caps k; the clustering step's details record it);
--  - cluster labels against the other customers, in a fixed word order, unique;
--  - latest_rfm_segments ordered by segment_order.
-- Columns of the mapping ------------------------------------------------------------------------
CREATE FUNCTION dm_mapping_column_missing(rel regclass, column_name text, role text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bare text := CASE WHEN column_name ~ '^".+"$' THEN replace(substr(column_name, 2, length(column_name) - 2), '""', '"')
                      ELSE column_name END;
    meant text;
    columns text;
BEGIN
    SELECT a.attname INTO meant FROM pg_attribute a
    WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND lower(a.attname) = lower(bare)
    ORDER BY a.attname = bare DESC, a.attnum LIMIT 1;
    SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY a.attnum) INTO columns
    FROM (SELECT * FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 30) a;
    RAISE EXCEPTION 'column % (the %) does not exist in %',
                    CASE WHEN strpos(column_name, '"') > 0 THEN quote_literal(column_name) ELSE '"' || column_name || '"' END, role, rel
        USING ERRCODE = 'undefined_column',
              HINT = CASE WHEN meant IS NOT NULL
                          THEN format('Column names are given as stored (case-sensitive), without double quotes: %s.', quote_literal(meant))
                          ELSE format('The columns of %s: %s.', rel, COALESCE(columns, 'none')) END;
END
$$;
COMMENT ON FUNCTION dm_mapping_column_missing(regclass, text, text) IS
    'pipeline internal: raises the error for a mapped column that does not exist, with the column meant or the table''s columns as hint';

CREATE OR REPLACE FUNCTION dm_mapping_column(rel regclass, column_name text, role text, kind text DEFAULT 'any')
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    type_oid oid;
    category "char";
BEGIN
    IF column_name IS NULL OR column_name = '' THEN
        RAISE EXCEPTION 'no column given for the % of %', role, rel
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT a.atttypid, t.typcategory INTO type_oid, category
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = rel AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
    IF NOT FOUND THEN
        PERFORM @extschema@.dm_mapping_column_missing(rel, column_name, role);
    END IF;
    IF kind = 'numeric' AND (category <> 'N' OR type_oid = 'money'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, a number type is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    ELSIF kind = 'temporal' AND type_oid NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, a date, timestamp or timestamptz is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    ELSIF kind = 'integer' AND type_oid NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, an integer type is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    ELSIF kind = 'time' AND type_oid NOT IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                                             'smallint'::regtype, 'integer'::regtype, 'bigint'::regtype,
                                             'numeric'::regtype, 'text'::regtype, 'varchar'::regtype,
                                             'bpchar'::regtype) THEN
        RAISE EXCEPTION 'column "%" of % (the %) has type %, a date, timestamp, timestamptz, or an integer or text yyyymmdd date key is needed',
                        column_name, rel, role, format_type(type_oid, NULL)
            USING ERRCODE = 'datatype_mismatch';
    END IF;
    RETURN format_type(type_oid, NULL);
END
$$;

-- Options and configure_mining ----------------------------------------------------------------
CREATE OR REPLACE FUNCTION dm_mining_options(options jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    defaults constant jsonb := '{"k_min": 2, "k_max": 8, "quick_percent": 10, "contamination": 0.002,
        "n_trees": 100, "sample_size": 1024, "seed": 42, "top_lines": 100, "rfm_scheme": "default",
        "as_of": null, "cluster_features": null, "histogram_bins": 20, "profile_top_n": 5,
        "silhouette_sample": 10000, "breakdown_rows": 100, "histogram_rule": "auto", "currency": null,
        "min_cluster_size": 10}';
    ranges constant jsonb := '{"k_min": [2, 50], "k_max": [2, 50], "n_trees": [1, 10000],
        "sample_size": [2, 100000], "seed": [0, 2147483647], "top_lines": [0, 100000],
        "histogram_bins": [1, 1000], "profile_top_n": [0, 1000], "silhouette_sample": [100, 100000],
        "breakdown_rows": [1, 1000000], "min_cluster_size": [1, 1000000]}';
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

CREATE OR REPLACE FUNCTION dm_configure_mining(config_name text, fact_table text, customer_column text,
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

-- Clustering -----------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION dm_step_clustering(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    o jsonb := ctx->'options';
    model @extschema@.kmeans_model;
    info jsonb;
    customers bigint;
    skipped bigint;
    points bigint;
    k_max int;
    k_min int;
    names jsonb;
    n bigint;
    min_size int := (o->>'min_cluster_size')::int;
    k_cap bigint;
    smallest bigint;
    small int;
BEGIN
    -- Customers without a complete vector (see the features step) are skipped and counted.
    SELECT count(*) FILTER (WHERE features IS NOT NULL), count(*) FILTER (WHERE features IS NULL)
    INTO customers, skipped
    FROM @extschema@.result_customer_features WHERE run_id = run;
    IF customers < 3 THEN
        RAISE EXCEPTION 'no data: clustering needs at least 3 customers with a feature vector, the features step has %', customers
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('%s customers without a complete feature vector', skipped);
    END IF;
    -- k stays below the number of customers (silhouettes need it): fewer narrow the range. A
    -- minimum cluster size caps it too: at most customers / min_cluster_size clusters (at least 2).
    k_cap := greatest(2, customers / min_size);
    k_max := least((o->>'k_max')::int, customers - 1, k_cap);
    k_min := least((o->>'k_min')::int, k_max);
    BEGIN
        model := @extschema@.dm_pipeline_kmeans(run, k_min, k_max, o);
    EXCEPTION WHEN invalid_parameter_value THEN
        -- k above the number of distinct vectors (customers alike): counted only on this path,
        -- the range narrowed to it; all alike make one cluster.
        SELECT count(DISTINCT features) INTO points
        FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
        IF points >= k_max THEN
            RAISE;
        END IF;
        k_max := points;
        k_min := least(k_min, k_max);
        IF k_max < 2 THEN
            k_min := 1;
            k_max := 1;
        END IF;
        model := @extschema@.dm_pipeline_kmeans(run, k_min, k_max, o);
    END;
    IF model IS NULL THEN
        RAISE EXCEPTION 'clustering found no customer feature vectors' USING ERRCODE = 'no_data_found';
    END IF;
    -- Clusters below the minimum size (K-Means may still make some: a few distinct customers),
    -- counted in the details.
    SELECT min(c.size), count(*) FILTER (WHERE c.size < min_size) INTO smallest, small
    FROM @extschema@.dm_kmeans_centroids(model) AS c;
    info := @extschema@.dm_kmeans_info(model);
    SELECT details->'feature_names' INTO names FROM @extschema@.run_steps WHERE run_id = run AND step = 'features';
    INSERT INTO @extschema@.result_models (run_id, step, kmeans, feature_names)
    VALUES (run, 'clustering', model, ARRAY(SELECT jsonb_array_elements_text(names)));
    INSERT INTO @extschema@.result_kmeans_scores (run_id, k, inertia, silhouette, chosen)
    SELECT run, (s->>'k')::int, (s->>'inertia')::float8, (s->>'silhouette')::float8, (s->>'k')::int = (info->>'k')::int
    FROM jsonb_array_elements(info->'scores') AS s;
    INSERT INTO @extschema@.result_clusters (run_id, customer_key, cluster, distance)
    SELECT run, customer_key, @extschema@.dm_kmeans_assign(model, features), @extschema@.dm_kmeans_distance(model, features)
    FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_clusters;  -- fresh statistics for the queries that join on run_id
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'k', info->'k', 'silhouette', info->'silhouette', 'inertia', info->'inertia',
        'k_min', k_min, 'k_max', k_max, 'customers', customers,
        'min_cluster_size', min_size, 'k_cap', k_cap, 'k_capped', k_cap < (o->>'k_max')::int,
        'smallest_cluster', smallest, 'small_clusters', small,
        'k_requested', jsonb_build_object('k_min', o->'k_min', 'k_max', o->'k_max'),
        'skipped', jsonb_build_object('customers', skipped),
        'feature_names', names, 'transform', 'sign(x) * ln(1 + |x|)', 'scaled', true,
        'sampled', info->'sampled', 'iterations', info->'iterations'));
END
$$;

CREATE OR REPLACE FUNCTION dm_step_cluster_profiles(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    model @extschema@.kmeans_model;
    names text[];
    n bigint;
BEGIN
    SELECT kmeans, feature_names INTO model, names FROM @extschema@.result_models WHERE run_id = run AND step = 'clustering';
    IF model IS NULL THEN
        RAISE EXCEPTION 'cluster profiles need the clustering step of the same run' USING ERRCODE = 'no_data_found';
    END IF;
    WITH joined AS (
        -- The cluster again from the model (cheaper and safer than a join on fresh rows).
        SELECT @extschema@.dm_kmeans_assign(model, f.features) AS cluster, f.*
        FROM @extschema@.result_customer_features f
        WHERE f.run_id = run AND f.features IS NOT NULL  -- the customers the clustering step skipped have none
    ), logged AS (
        -- Each feature on the clustered scale (signed log1p).
        SELECT j.cluster, v.name, sign(v.x) * ln(1 + abs(v.x)) AS lx
        FROM joined j,
             LATERAL (VALUES ('recency_days', j.recency_days), ('frequency', j.frequency), ('monetary', j.monetary),
                             ('avg_basket', j.avg_basket), ('avg_quantity', j.avg_quantity),
                             ('night_share', j.night_share)) AS v(name, x)
        WHERE v.x IS NOT NULL
    ), overall AS (
        SELECT name, sum(lx) AS total, count(*) AS cnt, stddev_pop(lx) AS sd FROM logged GROUP BY name
    ), z AS (
        -- The cluster's mean against the mean of the other customers: a cluster of most customers
        -- differs from the rest even where it is close to the overall mean.
        SELECT l.cluster, l.name,
               (avg(l.lx) - COALESCE((o.total - sum(l.lx)) / nullif(o.cnt - count(*), 0), avg(l.lx))) / nullif(o.sd, 0) AS z
        FROM logged l JOIN overall o USING (name) GROUP BY l.cluster, l.name, o.total, o.cnt, o.sd
    ), words AS (
        SELECT cluster, z,
               CASE name
                   WHEN 'recency_days' THEN CASE WHEN z > 0 THEN 'lapsed' ELSE 'recent' END
                   WHEN 'frequency' THEN CASE WHEN z > 0 THEN 'frequent' ELSE 'infrequent' END
                   WHEN 'monetary' THEN CASE WHEN z > 0 THEN 'high spend' ELSE 'low spend' END
                   WHEN 'avg_basket' THEN CASE WHEN z > 0 THEN 'large baskets' ELSE 'small baskets' END
                   WHEN 'avg_quantity' THEN CASE WHEN z > 0 THEN 'bulk quantities' ELSE 'small quantities' END
                   WHEN 'night_share' THEN CASE WHEN z > 0 THEN 'night buyers' ELSE 'daytime buyers' END
               END AS word,
               array_position(ARRAY['recency_days', 'frequency', 'monetary', 'avg_basket', 'avg_quantity', 'night_share'],
                              name) AS fpos
        FROM z
        WHERE abs(z) >= 0.25 AND (name = ANY (names) OR name IN ('recency_days', 'frequency', 'monetary'))
    ), lists AS (
        -- Words by distance from the rest; a label takes the two at 0.5 standard deviations or more.
        SELECT s.cluster, s.share, COALESCE(w.ws, '{}') AS ws, COALESCE(w.ps, '{}') AS ps, COALESCE(w.base, 0) AS base
        FROM (SELECT cluster, count(*)::float8 / sum(count(*)) OVER () AS share FROM joined GROUP BY cluster) s
        LEFT JOIN (SELECT cluster, array_agg(word ORDER BY abs(z) DESC, fpos) AS ws, array_agg(fpos ORDER BY abs(z) DESC, fpos) AS ps,
                          least(count(*) FILTER (WHERE abs(z) >= 0.5), 2)::int AS base
                   FROM words GROUP BY cluster) w USING (cluster)
    ), levels AS (
        -- The label of each cluster with its first nw words (nw >= its base), written in a fixed
        -- feature order so that the same words always read the same; none: average (typical for
        -- a cluster of most customers).
        SELECT l.cluster, lv.nw, l.base,
               COALESCE((SELECT string_agg(u.w, ', ' ORDER BY u.p)
                         FROM unnest(l.ws[1:greatest(lv.nw, l.base)], l.ps[1:greatest(lv.nw, l.base)]) AS u(w, p)),
                        CASE WHEN l.share >= 0.5 THEN 'typical' ELSE 'average' END) AS label
        FROM lists l, generate_series(0, 6) AS lv(nw)
    ), chosen AS (
        -- The fewest words that no other cluster has at the same level, else the base label.
        SELECT DISTINCT ON (cluster) cluster, label
        FROM (SELECT v.*, count(*) OVER (PARTITION BY v.nw, v.label) AS same FROM levels v) v
        WHERE nw >= base
        ORDER BY cluster, same = 1 DESC, nw
    ), unique_labels AS (
        SELECT cluster,
               CASE WHEN count(*) OVER (PARTITION BY label) = 1 THEN label
                    ELSE label || ' (' || row_number() OVER (PARTITION BY label ORDER BY cluster) || ')' END AS label
        FROM chosen
    ), centroids AS (
        SELECT c.cluster,
               jsonb_object_agg(names[i], sign(c.centroid[i]) * (exp(abs(c.centroid[i])) - 1)) AS centroid
        FROM @extschema@.dm_kmeans_centroids(model) AS c, generate_subscripts(c.centroid, 1) AS i
        GROUP BY c.cluster
    )
    INSERT INTO @extschema@.result_cluster_profiles
        (run_id, cluster, size, share, label, recency_days, frequency, monetary, avg_basket, avg_quantity,
         night_share, centroid)
    SELECT run, j.cluster, count(*), count(*)::float8 / sum(count(*)) OVER (),
           upper(left(u.label, 1)) || substr(u.label, 2),
           -- Means in numeric: a float8 mean's sum of squares overflows on amounts past 1e154.
           avg(j.recency_days::numeric)::float8, avg(j.frequency::numeric)::float8, avg(j.monetary::numeric)::float8,
           avg(j.avg_basket::numeric)::float8, avg(j.avg_quantity::numeric)::float8, avg(j.night_share::numeric)::float8,
           ce.centroid
    FROM joined j
    LEFT JOIN unique_labels u USING (cluster)
    LEFT JOIN centroids ce USING (cluster)
    GROUP BY j.cluster, u.label, ce.centroid;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object('clusters', n,
        'label_rule', 'the two features whose cluster mean (log scale) is furthest from the mean of the other customers, in standard deviations (at least 0.5), in a fixed feature order; more features (at least 0.25) while two clusters would read the same'));
END
$$;

-- The run --------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION dm_run_raise(message text, sqlstate text, detail text, hint text) RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'dm_run_raise';

CREATE FUNCTION dm_run_can_commit() RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'dm_run_can_commit';

CREATE OR REPLACE PROCEDURE run_mining(
    config_name text DEFAULT NULL,
    mode text DEFAULT 'full',
    steps text[] DEFAULT NULL,
    fact_table text DEFAULT NULL,
    customer_column text DEFAULT NULL,
    order_column text DEFAULT NULL,
    time_column text DEFAULT NULL,
    amount_column text DEFAULT NULL,
    quantity_column text DEFAULT NULL,
    line_column text DEFAULT NULL,
    extra_features text[] DEFAULT NULL,
    options jsonb DEFAULT NULL,
    INOUT run_id bigint DEFAULT NULL,
    product_column text DEFAULT NULL,
    store_column text DEFAULT NULL,
    unit_price_column text DEFAULT NULL,
    dimensions jsonb DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    all_steps constant text[] := ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends',
                                       'breakdowns'];
    caller_path text;
    pinned text;
    v_config text;
    v_mode text;
    v_steps text[];
    v_options jsonb;
    v_run bigint;
    cfg @extschema@.mining_config;
    mapping jsonb;
    ctx jsonb;
    lock_key bigint;
    step_name text;
    needed text;
    pos int;
    n_steps int;
    t0 timestamptz;
    result jsonb;
    unavailable text[] := '{}';  -- steps failed, or skipped because of a failure
    failures text[] := '{}';
    failed_steps text[] := '{}';
    stop boolean := false;       -- cancelled, or the log cannot be written: no more steps
    e_message text;
    e_state text;
    e_detail text;
    e_hint text;
    f_message text;              -- the first failure, raised at the end
    f_state text;
    f_detail text;
    f_hint text;
BEGIN
    -- Inside a transaction block the first COMMIT would fail with only "invalid transaction
    -- termination": said up front, with what to do. (No operator here: the path is the caller's.)
    IF NOT @extschema@.dm_run_can_commit() THEN
        PERFORM @extschema@.dm_run_raise(
            'run_mining cannot run inside a transaction block',
            '25001',
            'It commits after every step, which a transaction block does not allow: BEGIN ... COMMIT, a driver in '
            'non-autocommit mode, a function, or several statements sent as one query.',
            'Run CALL dmine.run_mining(...) as a statement of its own, outside BEGIN ... COMMIT; with a driver, turn '
            'autocommit on first (psycopg2: connection.autocommit = True; JDBC: setAutoCommit(true)).');
    END IF;
    COMMIT;
    caller_path := pg_catalog.current_setting('search_path');
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    v_config := config_name;
    v_mode := COALESCE(mode, 'full');
    n_steps := cardinality(all_steps);

    -- The configuration and the run's arguments checked, in a block that raises an error as one
    -- message (no context lines) with its detail and hint (the block's body is not indented).
    BEGIN
    -- The configuration: given by name, or by a mapping (saved under config_name, by default the
    -- fact table's name).
    IF fact_table IS NOT NULL THEN
        v_config := COALESCE(v_config, fact_table);
        PERFORM @extschema@.dm_configure_mining(v_config, fact_table, customer_column, order_column, time_column,
                                                amount_column, quantity_column, line_column,
                                                COALESCE(extra_features, '{}'), COALESCE(options, '{}'), caller_path,
                                                product_column, store_column, unit_price_column, dimensions);
        options := NULL;
    ELSIF customer_column IS NOT NULL OR order_column IS NOT NULL OR time_column IS NOT NULL
          OR amount_column IS NOT NULL OR quantity_column IS NOT NULL OR line_column IS NOT NULL
          OR extra_features IS NOT NULL OR product_column IS NOT NULL OR store_column IS NOT NULL
          OR unit_price_column IS NOT NULL OR dimensions IS NOT NULL THEN
        RAISE EXCEPTION 'a column mapping needs fact_table'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give fact_table with the columns, or only the name of a configuration.';
    END IF;
    IF v_config IS NULL THEN
        RAISE EXCEPTION 'run_mining needs a configuration name or a fact_table with its columns'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'CALL dmine.run_mining(''name'') runs a configuration made with dmine.configure_mining(...).';
    END IF;
    SELECT * INTO cfg FROM @extschema@.mining_config c WHERE c.config_name = v_config;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'mining configuration "%" does not exist', v_config
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create it with dmine.configure_mining(...) or pass fact_table and its columns; see dmine.mining_config.';
    END IF;
    mapping := @extschema@.dm_mining_mapping(cfg);
    v_options := @extschema@.dm_mining_options(cfg.options || COALESCE(options, '{}'));
    mapping := mapping || jsonb_build_object('currency', v_options->'currency');  -- the report's unit of amounts

    IF v_mode NOT IN ('full', 'quick') THEN
        RAISE EXCEPTION 'mode must be ''full'' or ''quick'', got "%"', v_mode USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF steps IS NULL THEN
        v_steps := all_steps;
    ELSE
        IF cardinality(steps) = 0 THEN
            RAISE EXCEPTION 'steps must not be empty' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOREACH step_name IN ARRAY steps LOOP
            IF step_name IS NULL OR NOT step_name = ANY (all_steps) THEN
                RAISE EXCEPTION 'unknown step "%"', step_name
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Steps: ' || array_to_string(all_steps, ', ') || '.';
            END IF;
        END LOOP;
        v_steps := ARRAY(SELECT s FROM unnest(all_steps) WITH ORDINALITY AS a(s, i) WHERE s = ANY (steps) ORDER BY i);
        IF 'clustering' = ANY (v_steps) AND NOT 'features' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "clustering" needs step "features" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF 'cluster_profiles' = ANY (v_steps) AND NOT 'clustering' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "cluster_profiles" needs step "clustering" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.dm_run_raise(e_message, e_state, e_detail, e_hint);
    END;

    -- Claim the configuration (a session advisory lock, kept across the commits) and log the run.
    BEGIN
        lock_key := @extschema@.dm_run_claim(v_config);
        INSERT INTO @extschema@.runs (config_name, mode, steps, status, warehouse, parameters, backend_pid)
        VALUES (v_config, v_mode, v_steps, 'running', mapping,
                v_options || jsonb_build_object('sample_percent',
                                                CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END),
                pg_backend_pid())
        RETURNING runs.run_id INTO v_run;
        UPDATE @extschema@.run_claims c SET run_id = v_run WHERE c.config_name = v_config;
        ctx := jsonb_build_object('run_id', v_run, 'mapping', mapping, 'options', v_options, 'mode', v_mode, 'steps', v_steps,
                                  'sample_percent', CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END);
        ctx := ctx || jsonb_build_object('source', @extschema@.dm_pipeline_source(ctx));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.dm_run_unlock(lock_key);
        PERFORM @extschema@.dm_run_raise(e_message, e_state, e_detail, e_hint);
    END;
    COMMIT;

    -- search_path is pinned again first thing after every COMMIT. PL/pgSQL serves interrupts at
    -- the start of every statement, so a cancel that comes during a COMMIT ends the CALL at the
    -- next statement, outside any exception block: that session is then idle, which ends its
    -- claim (dm_run_claim_alive), and its next claim releases its lock (dmine_run.lock_key).
    FOR i IN 1 .. n_steps LOOP  -- (no expression here: it runs before the path is pinned)
        BEGIN
            pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            pos := i;
            step_name := all_steps[pos];
            e_message := NULL;
            t0 := NULL;
            -- clustering needs features, cluster_profiles needs clustering; the others stand alone.
            needed := CASE step_name WHEN 'clustering' THEN 'features' WHEN 'cluster_profiles' THEN 'clustering' END;
            IF NOT step_name = ANY (v_steps) OR needed = ANY (unavailable) THEN
                IF step_name = ANY (v_steps) THEN
                    unavailable := unavailable || step_name;
                END IF;
                PERFORM @extschema@.dm_run_steps_skipped(v_run, ARRAY[step_name], pos,
                    CASE WHEN step_name = ANY (v_steps) THEN format('step %s failed', needed) ELSE 'not selected' END);
            ELSE
                t0 := clock_timestamp();
                INSERT INTO @extschema@.run_steps (run_id, step, position, status, started_at)
                VALUES (v_run, step_name, pos, 'running', t0);
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            pos := i;
            step_name := all_steps[i];
        END;
        IF e_message IS NULL AND t0 IS NOT NULL THEN
            COMMIT;
            BEGIN
                pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
                -- The step's as_of may have been set by the features step.
                ctx := jsonb_set(ctx, '{options,as_of}',
                                 COALESCE((SELECT r.parameters->'as_of' FROM @extschema@.runs r WHERE r.run_id = v_run), 'null'));
                EXECUTE format('SELECT @extschema@.dm_step_%s($1)', step_name) INTO result USING ctx;
                UPDATE @extschema@.run_steps s
                SET status = 'succeeded', finished_at = clock_timestamp(),
                    duration_ms = 1000 * extract(epoch FROM clock_timestamp() - t0),
                    rows = (result->>'rows')::bigint, details = result->'details'
                WHERE s.run_id = v_run AND s.step = step_name;
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                        e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            END;
        END IF;
        IF e_message IS NOT NULL THEN
            -- The step failed (its work is rolled back) or could not be logged.
            BEGIN
                failed_steps := failed_steps || step_name;
                unavailable := unavailable || step_name;
                failures := failures || format('step %s failed: %s', step_name, e_message);
                IF f_message IS NULL THEN
                    f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
                END IF;
                stop := e_state = '57014';  -- a cancel or statement_timeout stops the run
                PERFORM @extschema@.dm_run_step_failed(v_run, step_name, pos, t0, e_message, e_state, e_detail);
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                stop := true;  -- the log cannot be written (a lock_timeout, a cancel): give up
            END;
        END IF;
        EXIT WHEN stop;
        COMMIT;
    END LOOP;

    -- The outcome, then the claim released: each guarded on its own.
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_finished(v_run, CASE WHEN cardinality(failures) = 0 THEN 'succeeded' ELSE 'failed' END,
                                           NULLIF(array_to_string(failures, '; '), ''));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        IF f_message IS NULL THEN
            f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
            failed_steps := ARRAY['(the run log)'];
        END IF;
    END;
    IF stop THEN
        BEGIN
            PERFORM @extschema@.dm_run_steps_skipped(v_run, all_steps[pos + 1:], pos + 1, 'the run was stopped');
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            NULL;  -- the run's status says it; the steps stay as they are
        END;
    END IF;
    COMMIT;
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_release(v_config, lock_key);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.dm_run_unlock(lock_key);  -- the claim row stays, and is dead without the lock
    END;
    COMMIT;
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

    IF f_message IS NOT NULL THEN
        IF COALESCE(f_hint, '') = '' AND f_state <> '57014' THEN
            f_hint := format('The steps that succeeded kept their results; the log of each step: '
                             'SELECT step, status, error FROM dmine.run_steps WHERE run_id = %s ORDER BY position;', v_run);
        END IF;
        PERFORM @extschema@.dm_run_raise(
            format('mining run %s (configuration "%s") failed at step%s %s: %s', v_run, v_config,
                   CASE WHEN cardinality(failed_steps) > 1 THEN 's' ELSE '' END, array_to_string(failed_steps, ', '),
                   CASE WHEN cardinality(failures) > 1 THEN array_to_string(failures, '; ') ELSE f_message END),
            f_state, f_detail, f_hint);
    END IF;
    run_id := v_run;
END
$$;

COMMENT ON FUNCTION dm_run_raise(text, text, text, text) IS
    'pipeline internal: raises an error with a message, SQLSTATE, detail and hint (the last two may be empty), without context lines';
COMMENT ON FUNCTION dm_run_can_commit() IS
    'pipeline internal: whether the calling procedure may COMMIT (a CALL of its own, outside a transaction block)';

-- Views ----------------------------------------------------------------------------------------
CREATE OR REPLACE VIEW latest_rfm_segments WITH (security_barrier) AS
SELECT t.segment,
       count(*) AS customers,
       count(*)::float8 / sum(count(*)) OVER () AS share,
       sum(t.monetary) AS monetary,
       avg(t.recency_days)::float8 AS avg_recency_days,
       avg(t.frequency)::float8 AS avg_frequency,
       avg(t.monetary) AS avg_monetary,
       (SELECT min(m.segment_order)
        FROM @extschema@.dm_rfm_segment_map(COALESCE((SELECT l.parameters->>'rfm_scheme' FROM @extschema@.latest_run l),
                                                      'default')) AS m
        WHERE m.segment = t.segment) AS segment_order
FROM @extschema@.result_rfm t
WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run)
GROUP BY t.segment
ORDER BY segment_order, t.segment;  -- best segment first
COMMENT ON VIEW latest_rfm_segments IS
    'RFM segments of the latest successful run: customers, share, monetary, average recency/frequency/monetary, segment_order (1 = best), in segment_order';
