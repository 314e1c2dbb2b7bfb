-- Isolation Forest: every bad input has a documented outcome (an error with its SQLSTATE, or
-- skipped and counted), corrupted models are refused, long fits and scans honour
-- statement_timeout, parallel plans work, and the backend survives.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(51);

CREATE TEMP TABLE pts (id int, v float8[]);
INSERT INTO pts SELECT i, ARRAY[i % 17, (i * 7) % 13]::float8[] FROM generate_series(1, 300) AS i;
INSERT INTO pts VALUES (301, '{50, 50}'), (302, NULL), (303, NULL);
CREATE TEMP TABLE m AS SELECT dm_iforest(v) AS model FROM pts;

-- Rows.
SELECT throws_ok($$SELECT dm_iforest(v) FROM pts WHERE id = 1$$, '22000',
                 'Isolation Forest needs at least 2 rows, got 1', 'one row');
SELECT throws_ok($$SELECT dm_iforest(v) FROM pts WHERE false$$, '22000',
                 'Isolation Forest needs at least 2 rows, got 0', 'no row');
SELECT throws_ok($$SELECT dm_iforest(v) FROM pts WHERE v IS NULL$$, '22000',
                 'Isolation Forest needs at least 2 rows, got 0', 'only NULL rows');
SELECT lives_ok($$SELECT dm_iforest(v) FROM pts WHERE id <= 2$$, 'two rows are enough');
SELECT is((SELECT (dm_iforest_info(model)->>'nulls_skipped')::int FROM m), 2, 'NULL arrays are skipped and counted');
SELECT is((SELECT (dm_iforest_info(model)->>'rows_seen')::int FROM m), 301, 'rows_seen counts the non-NULL arrays');
SELECT throws_ok($$SELECT dm_iforest(v) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) t(v)$$,
                 '2202E', 'all feature arrays must have the same length', 'ragged rows');
SELECT throws_ok($$SELECT dm_iforest(v) FROM (VALUES ('{}'::float8[]), ('{}')) t(v)$$, '2202E', NULL, 'empty arrays');
SELECT throws_ok($$SELECT dm_iforest(v) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) t(v)$$,
                 '2202E', NULL, 'two-dimensional array');
SELECT throws_ok($$SELECT dm_iforest(v) FROM (VALUES ('{1,2}'::float8[]), ('{1,NULL}')) t(v)$$,
                 '22004', NULL, 'NULL element');
SELECT throws_ok($$SELECT dm_iforest(v) FROM (VALUES ('{1,2}'::float8[]), ('{NaN,1}')) t(v)$$,
                 '22000', 'features must be finite, element 1 is NaN', 'NaN element');
SELECT throws_ok($$SELECT dm_iforest(v) FROM (VALUES ('{1,2}'::float8[]), ('{1,-Infinity}')) t(v)$$,
                 '22000', 'features must be finite, element 2 is infinite', 'infinite element');

-- Options.
SELECT throws_ok($$SELECT dm_iforest(v, '{"n_trees": 0}') FROM pts$$, '22023', NULL, 'n_trees 0');
SELECT throws_ok($$SELECT dm_iforest(v, '{"n_trees": 10001}') FROM pts$$, '22023', NULL, 'n_trees above 10000');
SELECT throws_ok($$SELECT dm_iforest(v, '{"sample_size": 1}') FROM pts$$, '22023', NULL, 'tiny sample_size');
SELECT throws_ok($$SELECT dm_iforest(v, '{"max_depth": 0}') FROM pts$$, '22023', NULL, 'max_depth 0');
SELECT throws_ok($$SELECT dm_iforest(v, '{"contamination": 0}') FROM pts$$, '22023', NULL, 'contamination 0');
SELECT throws_ok($$SELECT dm_iforest(v, '{"contamination": "high"}') FROM pts$$, '22023', NULL, 'contamination not a number');
SELECT throws_ok($$SELECT dm_iforest(v, '{"seed": -1}') FROM pts$$, '22023', NULL, 'negative seed');
SELECT throws_ok($$SELECT dm_iforest(v, '{"ntrees": 10}') FROM pts$$, '22023',
                 'invalid Isolation Forest option: unknown key "ntrees"', 'unknown option');
SELECT throws_ok($$SELECT dm_iforest(v, '[1]') FROM pts$$, '22023', NULL, 'options not an object');
SELECT throws_ok($$SELECT dm_iforest(v, '{"n_trees": 10000, "sample_size": 65536}') FROM pts$$, '22023', NULL,
                 'sample pool above its memory bound');
SELECT lives_ok($$SELECT dm_iforest(v, NULL) FROM pts$$, 'NULL options mean the defaults');

-- Using a model.
SELECT throws_ok($$SELECT dm_iforest_score(model, '{1,2,3}') FROM m$$, '2202E',
                 'the model expects 2 features, got 3', 'score with another dimension');
SELECT throws_ok($$SELECT dm_iforest_is_anomaly(model, '{1}') FROM m$$, '2202E', NULL, 'flag with another dimension');
SELECT throws_ok($$SELECT * FROM dm_iforest_explain((SELECT model FROM m), '{1,2,3}')$$, '2202E', NULL,
                 'explain with another dimension');
SELECT throws_ok($$SELECT * FROM dm_iforest_explain((SELECT model FROM m), '{1,2}', '{a,b,c}')$$, '2202E', NULL,
                 'explain with another number of names');
SELECT throws_ok($$SELECT dm_iforest_score(model, '{NaN,2}') FROM m$$, '22000', NULL, 'score a NaN');
SELECT throws_ok($$SELECT dm_iforest_score(model, '{1,NULL}') FROM m$$, '22004', NULL, 'score a NULL element');
SELECT is((SELECT dm_iforest_score(model, NULL) FROM m), NULL, 'NULL features: NULL score');
SELECT is((SELECT name FROM dm_iforest_explain((SELECT model FROM m), '{50,1}', ARRAY[NULL, 'b']) WHERE feature = 1),
          NULL, 'a NULL name stays NULL');

-- Corrupted models: text (22P02) and binary (22P03) values are refused.
SELECT throws_ok($$SELECT 'garbage'::iforest_model$$, '22P02', NULL, 'text that is not JSON');
SELECT throws_ok($$SELECT '{"format": "dmine.kmeans", "version": 1}'::iforest_model$$, '22P02', NULL, 'another format');
SELECT throws_ok($$SELECT replace(model::text, '"left":[1,', '"left":[0,')::iforest_model FROM m$$, '22P02', NULL,
                 'a child pointing back to its parent (a loop)');
SELECT throws_ok($$SELECT replace(model::text, '"feature":[0,', '"feature":[7,')::iforest_model FROM m$$, '22P02', NULL,
                 'a split on a feature the model does not have');
SELECT throws_ok($$SELECT replace(model::text, '"threshold":0.5', '"threshold":2')::iforest_model FROM m$$, '22P02', NULL,
                 'a threshold out of (0, 1]');
-- Binary: the sealed bytes of a small model go through COPY BINARY, written by printf (no file).
CREATE FUNCTION pg_temp.copy_in(payload bytea) RETURNS text LANGUAGE sql AS $f$
    WITH copy_data AS (
        SELECT '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea || '\x0001'::bytea
               || int4send(length(payload)) || payload || '\xffff'::bytea AS b)
    SELECT format('COPY received FROM PROGRAM %L WITH (FORMAT binary)',
                  'printf ''' || string_agg('\' || (get_byte(b, i) >> 6) || ((get_byte(b, i) >> 3) & 7)
                                            || (get_byte(b, i) & 7), '' ORDER BY i) || '''')
    FROM copy_data, generate_series(0, length(b) - 1) AS i
$f$;
CREATE TEMP TABLE sent AS
SELECT iforest_model_send(dm_iforest(v, '{"n_trees": 3, "sample_size": 8}')) AS bytes FROM pts;
CREATE TEMP TABLE received (model iforest_model);
SELECT lives_ok((SELECT pg_temp.copy_in(bytes) FROM sent), 'binary receive of sent bytes');
SELECT is((SELECT iforest_model_send(model) FROM received), (SELECT bytes FROM sent), 'binary send/receive round trip');
SELECT throws_ok((SELECT pg_temp.copy_in(set_byte(bytes, 60, get_byte(bytes, 60) # 1)) FROM sent), '22P03', NULL,
                 'a flipped byte in the binary form');
SELECT throws_ok((SELECT pg_temp.copy_in(substring(bytes FROM 1 FOR 30)) FROM sent), '22P03', NULL,
                 'a truncated binary form');

-- statement_timeout cancels a long fit and a long scoring scan; the session goes on.
CREATE TEMP TABLE timeout_probe (what text, sqlstate text, seconds float8);
SET LOCAL statement_timeout = '1s';
DO $$
DECLARE started timestamptz := clock_timestamp();
BEGIN
    PERFORM dmine.dm_iforest(ARRAY[sin(i), cos(i)], '{"n_trees": 10000, "sample_size": 1600, "contamination": 0.1}')
    FROM generate_series(1, 40000) AS i;
EXCEPTION WHEN query_canceled THEN
    INSERT INTO timeout_probe VALUES ('fit', '57014', extract(epoch FROM clock_timestamp() - started));
END
$$;
SET LOCAL statement_timeout = 0;
CREATE TEMP TABLE big_model AS
SELECT dm_iforest(ARRAY[sin(i), cos(i)], '{"n_trees": 3000}') AS model FROM generate_series(1, 2000) AS i;
SET LOCAL statement_timeout = '1s';
DO $$
DECLARE started timestamptz := clock_timestamp();
BEGIN
    PERFORM sum(dmine.dm_iforest_score(model, ARRAY[sin(i), cos(i)])) FROM big_model, generate_series(1, 10000000) AS i;
EXCEPTION WHEN query_canceled THEN
    INSERT INTO timeout_probe VALUES ('score', '57014', extract(epoch FROM clock_timestamp() - started));
END
$$;
SET LOCAL statement_timeout = 0;
SELECT is((SELECT sqlstate FROM timeout_probe WHERE what = 'fit'), '57014', 'statement_timeout cancels a long fit');
SELECT ok((SELECT seconds < 4 FROM timeout_probe WHERE what = 'fit'), 'the fit stopped promptly');
SELECT is((SELECT sqlstate FROM timeout_probe WHERE what = 'score'), '57014', 'statement_timeout cancels a long scoring scan');

-- Parallel plans: a partial aggregate over workers whose pools merge; the parallel model
-- matches a serial one in quality, and parallel scoring gives the serial scores.
CREATE TABLE iforest_parallel_probe AS
SELECT i, ARRAY[sin(i) * 10, cos(i * 0.7) * 5, (i % 24)::float8]::float8[] AS v FROM generate_series(1, 200000) AS i;
INSERT INTO iforest_parallel_probe VALUES (0, '{100, 100, 100}');
ANALYZE iforest_parallel_probe;
-- 400 trees: which rows a parallel fit samples depends on how the blocks fall to the workers,
-- and with the default 100 trees the far point's score varies by about ±0.01 between runs.
CREATE TEMP TABLE serial_model AS SELECT dm_iforest(v, '{"n_trees": 400}') AS model FROM iforest_parallel_probe;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE plan_text (line text);
DO $$
DECLARE r record;
BEGIN
    FOR r IN EXPLAIN SELECT dmine.dm_iforest(v) FROM iforest_parallel_probe LOOP
        INSERT INTO plan_text VALUES (r."QUERY PLAN");
    END LOOP;
END $$;
SELECT ok(EXISTS (SELECT 1 FROM plan_text WHERE line LIKE '%Partial Aggregate%'),
          'the planner chooses a partial (parallel) aggregate for dm_iforest');
CREATE TEMP TABLE parallel_model AS SELECT dm_iforest(v, '{"n_trees": 400}') AS model FROM iforest_parallel_probe;
SELECT is((SELECT (dm_iforest_info(model)->>'rows_seen')::int FROM parallel_model), 200001,
          'the parallel fit saw every row');
SELECT ok((SELECT abs(avg(dm_iforest_score(p.model, v)) - avg(dm_iforest_score(s.model, v))) < 0.005
           FROM iforest_parallel_probe, parallel_model AS p, serial_model AS s),
          'parallel and serial models give the same mean score within 0.005');
SELECT ok((SELECT dm_iforest_score(model, '{100, 100, 100}') > 0.6 AND
                  dm_iforest_score(model, '{100, 100, 100}') >=
                  (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY dm_iforest_score(model, v))
                   FROM iforest_parallel_probe)
           FROM parallel_model),
          'the parallel model scores the far point in the top 1%');
-- (sums in another order: compared to 1e-9)
SELECT ok((SELECT abs((SELECT sum(dm_iforest_score(model, v)) FROM iforest_parallel_probe, parallel_model) -
                      (SELECT sum(s) FROM (SELECT dm_iforest_score(model, v) AS s
                                           FROM iforest_parallel_probe, parallel_model ORDER BY i) AS t)) < 1e-9),
          'parallel scoring gives the serial scores');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE iforest_parallel_probe;

-- JIT compilation with inlining reads the installed bitcode: the backend must survive.
SET LOCAL jit = on;
SET LOCAL jit_above_cost = 0;
SET LOCAL jit_optimize_above_cost = 0;
SET LOCAL jit_inline_above_cost = 0;
SELECT ok((SELECT dm_iforest(v) FROM pts) IS NOT NULL, 'dm_iforest under JIT inlining');
SELECT ok((SELECT sum(dm_iforest_score(model, v)) FROM pts, m) > 0, 'dm_iforest_score under JIT inlining');
RESET jit;

SELECT is((SELECT 1), 1, 'the backend survived every error');

SELECT * FROM finish();
ROLLBACK;
