-- The clustering model: dm_kmeans_auto over [k_min, k_max] (dm_kmeans when k_max is 1) on the
-- customers of the run that have a feature vector.
CREATE FUNCTION dm_pipeline_kmeans(run bigint, k_min int, k_max int, o jsonb) RETURNS @extschema@.kmeans_model
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    model @extschema@.kmeans_model;
BEGIN
    IF k_max >= 2 THEN
        SELECT @extschema@.dm_kmeans_auto(features, k_min, k_max,
                                          jsonb_build_object('seed', (o->>'seed')::int, 'scale', true,
                                                             'silhouette_sample', (o->>'silhouette_sample')::int))
        INTO model
        FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
    ELSE
        SELECT @extschema@.dm_kmeans(features, 1, jsonb_build_object('seed', (o->>'seed')::int, 'scale', true))
        INTO model
        FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NOT NULL;
    END IF;
    RETURN model;
END
$$;
COMMENT ON FUNCTION dm_pipeline_kmeans(bigint, int, int, jsonb) IS
    'pipeline internal: the K-Means model of the clustering step over a range of k';

-- Step: clustering. K-Means with automatic k (highest silhouette in [k_min, k_max], k at most
-- customers / min_cluster_size) on the standardised feature vectors; every customer's cluster
-- and distance.
CREATE FUNCTION dm_step_clustering(ctx jsonb) RETURNS jsonb
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

