-- Sampling aggregates (dm_kmeans's point sample, dm_iforest's pool): each partial state (a
-- parallel worker's, a Citus shard's, a stored daily summary) draws its own random stream, mixed
-- from the seed option and its first row, so partials of the same length keep different row
-- positions; the same rows in the same order still give the same state.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(9);

-- Two "shards" of the same length and order, B = A shifted: with one stream for every partial
-- they would keep the same positions, and B's sample would be A's shifted.
CREATE TEMP TABLE shard_a AS SELECT g, g::float8 AS x FROM generate_series(1, 5000) g;
CREATE TEMP TABLE shard_b AS SELECT g, g + 0.5::float8 AS x FROM generate_series(1, 5000) g;
CREATE TEMP TABLE km AS
SELECT (SELECT dm_kmeans_summary(ARRAY[x], '{"sample_size": 100}') FROM (SELECT x FROM shard_a ORDER BY g) s) AS a,
       (SELECT dm_kmeans_summary(ARRAY[x], '{"sample_size": 100}') FROM (SELECT x FROM shard_b ORDER BY g) s) AS b,
       (SELECT dm_kmeans_summary(ARRAY[x], '{"sample_size": 100}') FROM (SELECT x FROM shard_a ORDER BY g) s) AS a_again;
CREATE FUNCTION pg_temp.centre(s kmeans_summary) RETURNS float8 LANGUAGE sql AS $$
    SELECT c.centroid[1] FROM dm_kmeans_centroids(dm_summary_kmeans(s, 1, '{"scale": false}')) c $$;

SELECT ok(abs(pg_temp.centre(b) - pg_temp.centre(a) - 0.5) > 1,
          'kmeans: shards of equal length keep different positions (sample of B is not A''s shifted)') FROM km;
SELECT is(a::text, a_again::text, 'kmeans: the same rows in the same order give the same summary') FROM km;
SELECT is((dm_kmeans_info(dm_summary_kmeans(dm_rollup(s), 2)) ->> 'rows')::bigint, 10000::bigint,
          'kmeans: the two partials roll up over every row')
FROM (SELECT a AS s FROM km UNION ALL SELECT b FROM km) r;
SELECT ok(pg_temp.centre(a) BETWEEN 2500.5 - 600 AND 2500.5 + 600,
          'kmeans: each partial''s sample is still uniform (mean of 1..5000 within 4 sd)') FROM km;

-- Parallel workers: the summary over a parallel scan equals the serial one in rows and moments.
CREATE TABLE dmine_test.streams_par AS SELECT g, (g % 101)::float8 AS x FROM generate_series(1, 100000) g;
ANALYZE dmine_test.streams_par;
CREATE TEMP TABLE km_serial AS
SELECT dm_kmeans_info(dm_kmeans(ARRAY[x], 3, '{"sample_size": 500}')) AS info FROM dmine_test.streams_par;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT is((dm_kmeans_info(dm_kmeans(ARRAY[x], 3, '{"sample_size": 500}')) ->> 'rows')::bigint,
          (SELECT (info ->> 'rows')::bigint FROM km_serial), 'kmeans: a parallel fit counts every row')
FROM dmine_test.streams_par;
RESET max_parallel_workers_per_gather;

-- Isolation Forest: with one stream, B's pool would be A's shifted, and so would every tree.
CREATE TEMP TABLE ifs AS
SELECT (SELECT dm_iforest_summary(ARRAY[x], '{"sample_size": 16, "n_trees": 2}') FROM (SELECT x FROM shard_a ORDER BY g) s) AS a,
       (SELECT dm_iforest_summary(ARRAY[x + 9999.5], '{"sample_size": 16, "n_trees": 2}') FROM (SELECT x FROM shard_b ORDER BY g) s) AS b,
       (SELECT dm_iforest_summary(ARRAY[x], '{"sample_size": 16, "n_trees": 2}') FROM (SELECT x FROM shard_a ORDER BY g) s) AS a_again;
SELECT ok((SELECT sum(abs(dm_iforest_score(dm_summary_iforest(a), ARRAY[t::float8])
                          - dm_iforest_score(dm_summary_iforest(b), ARRAY[t + 10000::float8])))
           FROM generate_series(1, 5000, 50) t) > 0.01,
          'iforest: shards of equal length pool different positions (B''s forest is not A''s shifted)') FROM ifs;
SELECT is(a::text, a_again::text, 'iforest: the same rows in the same order give the same summary') FROM ifs;
SELECT is((dm_iforest_info(dm_summary_iforest(dm_rollup(s))) ->> 'rows_seen')::bigint, 10000::bigint,
          'iforest: the two partials roll up over every row')
FROM (SELECT a AS s FROM ifs UNION ALL SELECT b FROM ifs) r;

-- One node, serial: the same query twice gives the same model.
SELECT is((SELECT dm_iforest(ARRAY[x], '{"n_trees": 5}')::text FROM shard_a),
          (SELECT dm_iforest(ARRAY[x], '{"n_trees": 5}')::text FROM shard_a),
          'iforest: a serial fit is reproducible');

SELECT * FROM finish();
ROLLBACK;
