-- Step: cluster profiles. Size, share, mean features, centroid in original units, and a unique
-- label from the features that set the cluster most apart from the other customers (difference
-- of mean log feature in standard deviations).
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

