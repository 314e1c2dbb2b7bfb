-- K-Means: exact outputs on small deterministic inputs.
SET search_path = dmine, public;
SET extra_float_digits = 0;

-- Two groups of four points, and a NULL row (skipped and counted).
CREATE TEMP TABLE pts (id int, v float8[]);
INSERT INTO pts VALUES
    (1, '{0,0}'), (2, '{0,1}'), (3, '{1,0}'), (4, '{1,1}'),
    (5, '{10,10}'), (6, '{10,11}'), (7, '{11,10}'), (8, '{11,11}'), (9, NULL);

-- The model's text form, in raw units.
SELECT dm_kmeans(v, 2, '{"scale": false}') FROM pts;

-- Standardised (the default): centroids are still reported in original units.
CREATE TEMP TABLE m AS SELECT dm_kmeans(v, 2) AS model FROM pts;
SELECT * FROM dm_kmeans_centroids((SELECT model FROM m));
SELECT id, dm_kmeans_assign(model, v) AS cluster, round(dm_kmeans_distance(model, v)::numeric, 6) AS distance,
       round(dm_kmeans_distance(model, v, 1)::numeric, 6) AS to_cluster_1
FROM pts, m ORDER BY id;
SELECT i->'k' AS k, i->'rows' AS rows, i->'nulls_skipped' AS nulls, i->'sampled' AS sampled,
       i->'converged' AS converged, i->'scaling'->'mean' AS mean
FROM (SELECT dm_kmeans_info(model) AS i FROM m) AS t;

-- Exact text round trip (what pg_dump and COPY do).
SELECT model::text::kmeans_model::text = model::text AS text_round_trip FROM m;

-- Options, read from the first row.
SELECT (dm_kmeans_info(dm_kmeans(v, 2, '{"n_init": 1, "seed": 7, "max_iter": 5}')))->'options' FROM pts;

-- Automatic k: three groups; silhouette and inertia of every k tried.
CREATE TEMP TABLE three AS
SELECT ARRAY[(i % 3) * 10 + (i / 3) % 2, (i % 3) * 5 + (i / 6) % 2]::float8[] AS v
FROM generate_series(0, 23) AS i;
SELECT s->'k' AS k, round((s->>'silhouette')::numeric, 4) AS silhouette
FROM (SELECT dm_kmeans_info(dm_kmeans_auto(v, 2, 5)) AS i FROM three) AS t,
     jsonb_array_elements(i->'scores') AS s;
SELECT (dm_kmeans_info(dm_kmeans_auto(v, 2, 5)))->'k' AS chosen_k FROM three;

-- Refinement: one exact pass; the converged fit does not move.
SELECT (dm_kmeans_info(dm_kmeans_refine(model, v)))->'refinements' AS refinements,
       (dm_kmeans_info(dm_kmeans_refine(model, v)))->'cluster_sizes' AS sizes
FROM pts, m;

-- Empty input gives NULL, like other aggregates; so do only NULL rows.
SELECT dm_kmeans(v, 2) IS NULL AS empty FROM pts WHERE false;
SELECT dm_kmeans(NULL::float8[], 2) IS NULL AS only_nulls;

-- Errors.
SELECT dm_kmeans(v, 0) FROM pts;
SELECT dm_kmeans(v, 9) FROM pts;
SELECT dm_kmeans(v, NULL) FROM pts;
SELECT dm_kmeans(v, 2, '{"n_init": 0}') FROM pts;
SELECT dm_kmeans(v, 2, '{"nint": 3}') FROM pts;
SELECT dm_kmeans_auto(v, 1, 3) FROM pts;
SELECT dm_kmeans_auto(v, 3, 2) FROM pts;
SELECT dm_kmeans(v, 2) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) AS t(v);
SELECT dm_kmeans(v, 2) FROM (VALUES ('{1,2}'::float8[]), ('{1,NULL}')) AS t(v);
SELECT dm_kmeans(v, 2) FROM (VALUES ('{1,2}'::float8[]), ('{1,NaN}')) AS t(v);
SELECT dm_kmeans(v, 1) FROM (VALUES ('{}'::float8[])) AS t(v);
SELECT dm_kmeans_assign(model, '{1,2,3}') FROM m;
SELECT dm_kmeans_assign(model, '{1,Infinity}') FROM m;
SELECT dm_kmeans_distance(model, '{1,1}', 3) FROM m;
SELECT 'not a model'::kmeans_model;
SELECT '{"type": "dmine.kmeans_model", "version": 1}'::kmeans_model;
SELECT replace(model::text, '"k":2', '"k":3')::kmeans_model FROM m;
SELECT dm_kmeans_refine(model, v) FROM (SELECT model FROM m UNION ALL SELECT dm_kmeans(v, 1) FROM pts) AS two, pts;
