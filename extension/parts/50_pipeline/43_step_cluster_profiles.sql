-- Step: cluster profiles. Size, share, mean features, centroid in original units, and a label
-- from the two features that set the cluster most apart (z-score of its mean log feature).
CREATE FUNCTION dm_step_cluster_profiles(ctx jsonb) RETURNS jsonb
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
        SELECT name, avg(lx) AS mu, stddev_pop(lx) AS sd FROM logged GROUP BY name
    ), z AS (
        SELECT l.cluster, l.name, (avg(l.lx) - o.mu) / nullif(o.sd, 0) AS z
        FROM logged l JOIN overall o USING (name) GROUP BY l.cluster, l.name, o.mu, o.sd
    ), words AS (
        SELECT cluster, name, z,
               CASE name
                   WHEN 'recency_days' THEN CASE WHEN z > 0 THEN 'lapsed' ELSE 'recent' END
                   WHEN 'frequency' THEN CASE WHEN z > 0 THEN 'frequent' ELSE 'infrequent' END
                   WHEN 'monetary' THEN CASE WHEN z > 0 THEN 'high spend' ELSE 'low spend' END
                   WHEN 'avg_basket' THEN CASE WHEN z > 0 THEN 'large baskets' ELSE 'small baskets' END
                   WHEN 'avg_quantity' THEN CASE WHEN z > 0 THEN 'bulk quantities' ELSE 'small quantities' END
                   WHEN 'night_share' THEN CASE WHEN z > 0 THEN 'night buyers' ELSE 'daytime buyers' END
               END AS word,
               row_number() OVER (PARTITION BY cluster ORDER BY abs(z) DESC NULLS LAST, name) AS rn
        FROM z
        WHERE name = ANY (names) OR name IN ('recency_days', 'frequency', 'monetary')
    ), labels AS (
        SELECT cluster,
               COALESCE(string_agg(word, ', ' ORDER BY rn) FILTER (WHERE rn <= 2 AND abs(z) >= 0.5), 'average') AS short_label,
               string_agg(word, ', ' ORDER BY rn) FILTER (WHERE rn <= 3 AND abs(z) >= 0.25) AS long_label
        FROM words GROUP BY cluster
    ), unique_labels AS (
        SELECT cluster,
               CASE WHEN count(*) OVER (PARTITION BY short_label) = 1 THEN short_label
                    WHEN long_label IS NOT NULL AND count(*) OVER (PARTITION BY long_label) = 1 THEN long_label
                    ELSE short_label || ' (' || cluster || ')' END AS label
        FROM labels
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
        'label_rule', 'the two features whose cluster mean (log scale) is furthest from the overall mean, in standard deviations (at least 0.5)'));
END
$$;

