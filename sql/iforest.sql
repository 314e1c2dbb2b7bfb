-- Isolation Forest: exact outputs on small deterministic data.
SET search_path = dmine, public;
SET extra_float_digits = 0;

-- A 20 x 20 grid of ordinary points, two far points and NULL rows (skipped, counted).
CREATE TEMP TABLE pts AS
SELECT i AS id, ARRAY[(i - 1) % 20, (i - 1) / 20]::float8[] AS x FROM generate_series(1, 400) AS i
UNION ALL SELECT 401, ARRAY[60, 60]::float8[]
UNION ALL SELECT 402, ARRAY[-30, 10]::float8[]
UNION ALL SELECT 403, NULL
UNION ALL SELECT 404, NULL;
CREATE TEMP TABLE m AS SELECT dm_iforest(x) AS model FROM pts;

-- Defaults: 100 trees of 256 rows, height limit 8, contamination 'auto' (threshold 0.5).
SELECT key, value FROM m, jsonb_each(dm_iforest_info(model))
WHERE key NOT IN ('mean_leaf_depth') ORDER BY key;

-- Scores: the far points first; is_anomaly is score > 0.5.
SELECT id, round(dm_iforest_score(model, x)::numeric, 4) AS score, dm_iforest_is_anomaly(model, x)
FROM pts, m WHERE x IS NOT NULL ORDER BY dm_iforest_score(model, x) DESC, id LIMIT 5;
SELECT count(*) FILTER (WHERE dm_iforest_is_anomaly(model, x)) AS flagged,
       round(min(dm_iforest_score(model, x))::numeric, 4) AS lowest
FROM pts, m WHERE x IS NOT NULL;
-- The grid's centre is ordinary.
SELECT round(dm_iforest_score(model, '{9.5, 9.5}')::numeric, 4) AS centre FROM m;
-- NULL features: NULL score (the functions are strict).
SELECT dm_iforest_score(model, NULL) IS NULL AS null_score FROM m;

-- Explanations: point 402 is far on the first feature only, point 401 on both.
SELECT e.rank, e.feature, e.name, round(e.contribution::numeric, 3) AS bits, round(e.share::numeric, 3) AS share
FROM pts, m, dm_iforest_explain(model, x, ARRAY['across', 'down']) AS e WHERE id = 402;
SELECT e.rank, e.feature, e.name FROM pts, m, dm_iforest_explain(model, x) AS e WHERE id = 401;
SELECT array_length(dm_iforest_contributions(model, x), 1) AS n,
       round((SELECT sum(c) FROM unnest(dm_iforest_contributions(model, x)) AS c)::numeric, 6) =
       round((SELECT sum(contribution) FROM dm_iforest_explain(model, x))::numeric, 6) AS same_total
FROM pts, m WHERE id = 402;

-- Options: a contamination share sets the threshold at the matching training quantile.
CREATE TEMP TABLE m5 AS
SELECT dm_iforest(x, '{"contamination": 0.05, "n_trees": 50, "sample_size": 128, "seed": 7}') AS model FROM pts;
SELECT dm_iforest_info(model)->>'contamination' AS contamination, dm_iforest_info(model)->>'n_trees' AS n_trees,
       dm_iforest_info(model)->>'sample_size' AS sample_size, dm_iforest_info(model)->>'max_depth' AS max_depth
FROM m5;
SELECT count(*) FILTER (WHERE dm_iforest_is_anomaly(model, x)) AS flagged FROM pts, m5 WHERE x IS NOT NULL;
-- Same data and seed: same model; another seed: another model.
SELECT (SELECT model::text FROM m) = (SELECT dm_iforest(x)::text FROM pts) AS same_seed_same_model;
SELECT (SELECT model::text FROM m) <> (SELECT dm_iforest(x, '{"seed": 1}')::text FROM pts) AS other_seed;
-- Fewer rows than 256: ψ = rows, height limit ceil(log2 ψ).
SELECT dm_iforest_info(dm_iforest(x))->>'sample_size' AS sample_size,
       dm_iforest_info(dm_iforest(x))->>'max_depth' AS max_depth
FROM pts WHERE id <= 100;

-- The text form is JSON with every tree, and reads back to the same model.
SELECT dm_iforest(x, '{"n_trees": 2, "sample_size": 4, "seed": 3}')::text AS tiny
FROM (VALUES ('{1, 10}'::float8[]), ('{2, 20}'), ('{3, 30}'), ('{40, 5}')) AS t(x);
SELECT model::text::iforest_model::text = model::text AS round_trip FROM m;
SELECT '{"format":"dmine.iforest","version":1,"features":1,"n_trees":1,"sample_size":2,"max_depth":1,"rows_seen":2,"nulls_skipped":0,"seed":0,"contamination":"auto","threshold":0.5,"trees":[{"feature":[0,-1,-1],"threshold":[1.5,null,null],"left":[1,-1,-1],"size":[2,1,1]}]}'::iforest_model AS hand_written;
SELECT round(dm_iforest_score('{"format":"dmine.iforest","version":1,"features":1,"n_trees":1,"sample_size":2,"max_depth":1,"rows_seen":2,"nulls_skipped":0,"seed":0,"contamination":"auto","threshold":0.5,"trees":[{"feature":[0,-1,-1],"threshold":[1.5,null,null],"left":[1,-1,-1],"size":[2,1,1]}]}', '{1}')::numeric, 4) AS hand_score;

-- Errors.
SELECT dm_iforest(x) FROM pts WHERE id = 1;
SELECT dm_iforest(x) FROM pts WHERE false;
SELECT dm_iforest(x) FROM pts WHERE x IS NULL;
SELECT dm_iforest(x) FROM (VALUES ('{1, 2}'::float8[]), ('{1, 2, 3}')) AS t(x);
SELECT dm_iforest(x) FROM (VALUES ('{1, 2}'::float8[]), ('{1, NULL}')) AS t(x);
SELECT dm_iforest(x) FROM (VALUES ('{1, 2}'::float8[]), ('{NaN, 2}')) AS t(x);
SELECT dm_iforest(x) FROM (VALUES ('{}'::float8[]), ('{}')) AS t(x);
SELECT dm_iforest(x, '{"n_trees": 0}') FROM pts;
SELECT dm_iforest(x, '{"sample_size": 1}') FROM pts;
SELECT dm_iforest(x, '{"contamination": 0.7}') FROM pts;
SELECT dm_iforest(x, '{"trees": 10}') FROM pts;
SELECT dm_iforest_score(model, '{1, 2, 3}') FROM m;
SELECT dm_iforest_score(model, '{1, Infinity}') FROM m;
SELECT * FROM dm_iforest_explain((SELECT model FROM m), '{1, 2}', ARRAY['only one']);
SELECT 'not a model'::iforest_model;
SELECT '{"format":"dmine.iforest","version":1,"features":1,"n_trees":1,"sample_size":2,"max_depth":1,"rows_seen":2,"nulls_skipped":0,"seed":0,"contamination":"auto","threshold":0.5,"trees":[{"feature":[0,-1,-1],"threshold":[1.5,null,null],"left":[0,-1,-1],"size":[2,1,1]}]}'::iforest_model;
SELECT '{"format":"dmine.iforest","version":2}'::iforest_model;
