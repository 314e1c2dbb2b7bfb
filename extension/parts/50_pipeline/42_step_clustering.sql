-- Step: clustering. K-Means with automatic k (highest silhouette in [k_min, k_max]) on the
-- standardised feature vectors; every customer's cluster and distance.
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
    names jsonb;
    n bigint;
BEGIN
    SELECT count(*) INTO customers FROM @extschema@.result_customer_features WHERE run_id = run;
    IF customers < 3 THEN
        RAISE EXCEPTION 'clustering needs at least 3 customers, the features step found %', customers
            USING ERRCODE = 'insufficient_resources';
    END IF;
    SELECT @extschema@.dm_kmeans_auto(features, (o->>'k_min')::int, least((o->>'k_max')::int, customers - 1)::int,
                                      jsonb_build_object('seed', (o->>'seed')::int, 'scale', true,
                                                         'silhouette_sample', (o->>'silhouette_sample')::int))
    INTO model
    FROM @extschema@.result_customer_features WHERE run_id = run;
    IF model IS NULL THEN
        RAISE EXCEPTION 'clustering found no customer feature vectors' USING ERRCODE = 'no_data_found';
    END IF;
    info := @extschema@.dm_kmeans_info(model);
    SELECT details->'feature_names' INTO names FROM @extschema@.run_steps WHERE run_id = run AND step = 'features';
    INSERT INTO @extschema@.result_models (run_id, step, kmeans, feature_names)
    VALUES (run, 'clustering', model, ARRAY(SELECT jsonb_array_elements_text(names)));
    INSERT INTO @extschema@.result_kmeans_scores (run_id, k, inertia, silhouette, chosen)
    SELECT run, (s->>'k')::int, (s->>'inertia')::float8, (s->>'silhouette')::float8, (s->>'k')::int = (info->>'k')::int
    FROM jsonb_array_elements(info->'scores') AS s;
    INSERT INTO @extschema@.result_clusters (run_id, customer_key, cluster, distance)
    SELECT run, customer_key, @extschema@.dm_kmeans_assign(model, features), @extschema@.dm_kmeans_distance(model, features)
    FROM @extschema@.result_customer_features WHERE run_id = run;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_clusters;  -- fresh statistics for the queries that join on run_id
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'k', info->'k', 'silhouette', info->'silhouette', 'inertia', info->'inertia',
        'k_min', (o->>'k_min')::int, 'k_max', least((o->>'k_max')::int, customers - 1),
        'feature_names', names, 'transform', 'sign(x) * ln(1 + |x|)', 'scaled', true,
        'sampled', info->'sampled', 'iterations', info->'iterations'));
END
$$;

