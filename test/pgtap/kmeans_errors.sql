-- K-Means: every bad input has a documented outcome (an error with its SQLSTATE, or skipped and
-- counted), long fits honour statement_timeout, and the backend survives.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(39);

CREATE TEMP TABLE pts (id int, v float8[]);
INSERT INTO pts VALUES (1, '{0,0}'), (2, '{0,1}'), (3, '{1,0}'), (4, '{10,10}'), (5, '{10,11}'),
                       (6, '{11,10}'), (7, '{11,10}'), (8, NULL), (9, NULL);
CREATE TEMP TABLE m AS SELECT dm_kmeans(v, 2) AS model FROM pts;

-- k and its range.
SELECT throws_ok($$SELECT dm_kmeans(v, 0) FROM pts$$, '22023', 'k must be at least 1', 'k < 1');
SELECT throws_ok($$SELECT dm_kmeans(v, -3) FROM pts$$, '22023', 'k must be at least 1', 'negative k');
SELECT throws_ok($$SELECT dm_kmeans(v, 7) FROM pts$$, '22023',
                 'k is larger than the number of distinct points', 'k > distinct points (6 distinct of 7 rows)');
SELECT lives_ok($$SELECT dm_kmeans(v, 6) FROM pts$$, 'k = distinct points');
SELECT throws_ok($$SELECT dm_kmeans(v, NULL) FROM pts$$, '22004', 'k must not be NULL', 'NULL k');
SELECT throws_ok($$SELECT dm_kmeans_auto(v, 1, 4) FROM pts$$, '22023', 'k_min must be at least 2', 'k_min < 2');
SELECT throws_ok($$SELECT dm_kmeans_auto(v, 4, 3) FROM pts$$, '22023', 'k_max must be at least k_min', 'k_max < k_min');
SELECT throws_ok($$SELECT dm_kmeans_auto(v, 7, 9) FROM pts$$, '22023',
                 'k is larger than the number of distinct points', 'k_min > distinct points');
SELECT is((SELECT jsonb_array_length(dm_kmeans_info(dm_kmeans_auto(v, 2, 50))->'scores') FROM pts), 5,
          'k_max above the distinct points is capped (k = 2..6 tried)');

-- Options.
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"n_iter": 5}') FROM pts$$, '22023', 'unknown option "n_iter"', 'unknown option');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"n_init": 0}') FROM pts$$, '22023', NULL, 'n_init out of range');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"scale": "yes"}') FROM pts$$, '22023', NULL, 'scale not a boolean');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '[1]') FROM pts$$, '22023', 'options must be a JSON object', 'options not an object');
SELECT lives_ok($$SELECT dm_kmeans(v, 2, NULL) FROM pts$$, 'NULL options mean the defaults');

-- Rows.
SELECT throws_ok($$SELECT dm_kmeans(v, 2) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) t(v)$$,
                 '2202E', 'feature arrays have different lengths', 'ragged rows');
SELECT throws_ok($$SELECT dm_kmeans(v, 1) FROM (VALUES ('{}'::float8[])) t(v)$$, '2202E', 'feature array is empty', 'empty array');
SELECT throws_ok($$SELECT dm_kmeans(v, 1) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) t(v)$$,
                 '2202E', NULL, 'two-dimensional array');
SELECT throws_ok($$SELECT dm_kmeans(v, 2) FROM (VALUES ('{1,2}'::float8[]), ('{1,NULL}')) t(v)$$,
                 '22004', NULL, 'NULL element');
SELECT throws_ok($$SELECT dm_kmeans(v, 2) FROM (VALUES ('{1,2}'::float8[]), ('{NaN,1}')) t(v)$$,
                 '22000', 'features must be finite numbers', 'NaN element');
SELECT throws_ok($$SELECT dm_kmeans(v, 2) FROM (VALUES ('{1,2}'::float8[]), ('{-Infinity,1}')) t(v)$$,
                 '22000', 'features must be finite numbers', 'infinite element');
SELECT is((SELECT (dm_kmeans_info(model)->>'nulls_skipped')::int FROM m), 2, 'NULL arrays are skipped and counted');
SELECT is((SELECT (dm_kmeans_info(model)->>'rows')::int FROM m), 7, 'rows counts the non-NULL arrays');
SELECT ok((SELECT dm_kmeans(v, 2) IS NULL FROM pts WHERE false), 'no rows: NULL');
SELECT ok((SELECT dm_kmeans(v, 2) IS NULL FROM pts WHERE v IS NULL), 'only NULL arrays: NULL');

-- Using a model.
SELECT throws_ok($$SELECT dm_kmeans_assign(model, '{1,2,3}') FROM m$$, '2202E',
                 'feature array does not match the model', 'model and vector dimensions differ');
SELECT throws_ok($$SELECT dm_kmeans_distance(model, '{1,NaN}') FROM m$$, '22000', NULL, 'NaN in assignment');
SELECT throws_ok($$SELECT dm_kmeans_distance(model, '{1,1}', 0) FROM m$$, '22023', 'cluster out of range', 'cluster 0');
SELECT is((SELECT dm_kmeans_assign(model, NULL) FROM m), NULL, 'NULL features: NULL cluster');
SELECT throws_ok($$SELECT dm_kmeans_refine(NULL::kmeans_model, v) FROM pts$$, '22004', NULL, 'refine with a NULL model');
SELECT throws_ok($$SELECT dm_kmeans_refine(model, '{1,2,3}') FROM m$$, '2202E', NULL, 'refine with another dimension');
SELECT throws_ok(
    $$SELECT dm_kmeans_refine(model, v) FROM (SELECT model FROM m UNION ALL SELECT dm_kmeans(v, 3) FROM pts) two, pts$$,
    '22023', 'dm_kmeans_refine needs the same model on every row', 'refine with two models');

-- statement_timeout cancels a long fit (the final step, after the scan) and the session goes on.
CREATE TEMP TABLE timeout_probe (sqlstate text, seconds float8);
CREATE TEMP TABLE wide AS
SELECT ARRAY[sin(i), cos(i * 1.3), sin(i * 0.7), cos(i * 2.1)]::float8[] AS v FROM generate_series(1, 60000) i;
SET LOCAL statement_timeout = '1500ms';
DO $$
DECLARE started timestamptz := clock_timestamp();
BEGIN
    PERFORM dmine.dm_kmeans(v, 300, '{"n_init": 200}') FROM wide;
EXCEPTION WHEN query_canceled THEN
    INSERT INTO timeout_probe VALUES ('57014', extract(epoch FROM clock_timestamp() - started));
END
$$;
SET LOCAL statement_timeout = 0;
SELECT is((SELECT sqlstate FROM timeout_probe), '57014', 'statement_timeout cancels a long fit');
SELECT ok((SELECT seconds < 5 FROM timeout_probe), 'the fit stopped promptly');

-- JIT compilation with inlining reads the installed bitcode: the backend must survive.
SET LOCAL jit = on;
SET LOCAL jit_above_cost = 0;
SET LOCAL jit_optimize_above_cost = 0;
SET LOCAL jit_inline_above_cost = 0;
SELECT ok((SELECT dm_kmeans(v, 2) FROM pts) IS NOT NULL, 'dm_kmeans under JIT inlining');
SELECT ok((SELECT dm_kmeans_auto(v, 2, 3) FROM pts) IS NOT NULL, 'dm_kmeans_auto under JIT inlining');
SELECT ok((SELECT dm_kmeans_refine(model, v) FROM pts, m) IS NOT NULL, 'dm_kmeans_refine under JIT inlining');
SELECT ok((SELECT sum(dm_kmeans_assign(model, v)) FROM pts, m) > 0, 'dm_kmeans_assign under JIT inlining');
SELECT ok((SELECT sum(dm_kmeans_distance(model, v)) FROM pts, m) > 0, 'dm_kmeans_distance under JIT inlining');
RESET jit;

SELECT is((SELECT 1), 1, 'the backend survived every error');

SELECT * FROM finish();
ROLLBACK;
