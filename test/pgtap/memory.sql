-- Aggregate state memory: PostgreSQL counts it, hash aggregation spills, results do not change.
-- (The backend's resident memory itself is measured by test/fuzz/memory_fuzz.py.)
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(16);

SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL jit = off;

-- The hashed Aggregate node of a query's EXPLAIN ANALYZE (memory in kB, batches).
CREATE FUNCTION pg_temp.hash_agg(query text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || query INTO plan;
    RETURN jsonb_path_query_first(plan, '$.**? (@."Strategy" == "Hashed")');
END $$;

-- Groups of 4 rows, interleaved (every group exists before any grows), and no statistics:
-- the planner expects 200 groups.
CREATE TABLE mem_probe WITH (autovacuum_enabled = off) AS
SELECT i AS id, i % 20000 AS g, x, ARRAY[x, y, x * y] AS f
FROM (SELECT i, sin(i * 0.7) AS x, cos(i * 1.3) AS y FROM generate_series(0, 79999) i) s;

SELECT is(count(*)::int, 0, 'every dmine aggregate declares the size of its state (SSPACE)')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'dmine'::regnamespace AND a.aggtranstype = 'internal'::regtype
  AND a.aggtransspace <= 0;

-- PostgreSQL sees the states: the hash table's memory includes them (work_mem large: no spill).
SET LOCAL enable_sort = off;
SET LOCAL work_mem = '512MB';
SELECT cmp_ok((pg_temp.hash_agg($$SELECT g, dm_kmeans(f, 2, '{"n_init": 1}') FROM mem_probe
                                  WHERE g < 2000 GROUP BY g$$)->>'Peak Memory Usage')::bigint * 1024,
              '>=', 2000::bigint * 2500, 'dm_kmeans states count in the hash table memory');
SELECT cmp_ok((pg_temp.hash_agg($$SELECT g, dm_approx_distinct(x) FROM mem_probe
                                  WHERE g < 1000 GROUP BY g$$)->>'Peak Memory Usage')::bigint * 1024,
              '>=', 1000::bigint * 16384, 'dm_approx_distinct states count in the hash table memory');
SELECT cmp_ok((pg_temp.hash_agg($$SELECT g, dm_corr(f || f) FROM mem_probe
                                  GROUP BY g$$)->>'Peak Memory Usage')::bigint * 1024,
              '>=', 20000::bigint * 500, 'dm_corr states count in the hash table memory');
SELECT cmp_ok((pg_temp.hash_agg($$SELECT g, dm_stats(x) FROM mem_probe
                                  GROUP BY g$$)->>'Peak Memory Usage')::bigint * 1024,
              '>=', 20000::bigint * 300, 'dm_stats states count in the hash table memory');

-- Under a small work_mem the hash aggregate spills as the states grow (before, it saw only its
-- own entries and kept every group of a batch in memory).
SET LOCAL work_mem = '1MB';
SELECT cmp_ok((pg_temp.hash_agg($$SELECT g, dm_kmeans(f, 2, '{"n_init": 1}') FROM mem_probe
                                  WHERE g < 5000 GROUP BY g$$)->>'HashAgg Batches')::int,
              '>', 20, 'dm_kmeans: the hash aggregate spills in many batches');
SELECT cmp_ok((pg_temp.hash_agg($$SELECT g, dm_stats(x) FROM mem_probe
                                  GROUP BY g$$)->>'HashAgg Batches')::int,
              '>', 8, 'dm_stats: the hash aggregate spills in many batches');

-- A spilled hash aggregate gives the results of the sorted plan (rows in the same order).
CREATE TEMP TABLE hashed AS
SELECT g, dm_stats(x)::text AS s, dm_quantiles(x, '{0.1, 0.9}')::text AS q,
       dm_histogram(x, 4)::text AS h, dm_histogram(x, 4, -1, 1)::text AS hf,
       dm_corr(f)::text AS c, dm_approx_distinct(x) AS d
FROM mem_probe GROUP BY g;
CREATE TEMP TABLE hashed_models AS
SELECT g, dm_kmeans(f, 2, '{"n_init": 1}')::text AS k, dm_iforest(f, '{"n_trees": 3}')::text AS i
FROM mem_probe WHERE g < 3000 GROUP BY g;
SET LOCAL enable_sort = on;
SET LOCAL enable_hashagg = off;
SELECT set_eq($$SELECT * FROM hashed$$,
              $$SELECT g, dm_stats(x)::text AS s, dm_quantiles(x, '{0.1, 0.9}')::text AS q,
                       dm_histogram(x, 4)::text AS h, dm_histogram(x, 4, -1, 1)::text AS hf,
                       dm_corr(f)::text AS c, dm_approx_distinct(x) AS d
                FROM (SELECT * FROM mem_probe ORDER BY g, id) s GROUP BY g$$,
              'statistics: spilled hash aggregate = sorted plan');
SELECT set_eq($$SELECT * FROM hashed_models$$,
              $$SELECT g, dm_kmeans(f, 2, '{"n_init": 1}')::text AS k,
                       dm_iforest(f, '{"n_trees": 3}')::text AS i
                FROM (SELECT * FROM mem_probe WHERE g < 3000 ORDER BY g, id) s GROUP BY g$$,
              'models: spilled hash aggregate = sorted plan');
RESET enable_hashagg;

-- Parallel partial hash aggregation: worker states are serialized, deserialized in the leader
-- (per-input-tuple memory) and combined into the leader's spilled hash table.
CREATE TABLE mem_serial AS
SELECT g % 500 AS g, dm_stats(x) AS s, dm_corr(f) AS c FROM mem_probe GROUP BY 1;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL enable_sort = off;
SELECT ok(pg_temp.hash_agg($$SELECT g % 500, dm_stats(x), dm_corr(f) FROM mem_probe GROUP BY 1$$)
          ->>'Partial Mode' = 'Finalize',
          'the planner combines partial hash aggregates');
SELECT is((SELECT count(*)::int
           FROM (SELECT g % 500 AS g, dm_stats(x) AS s, dm_corr(f) AS c FROM mem_probe GROUP BY 1) p
           JOIN mem_serial m USING (g)
           WHERE (p.s).count <> (m.s).count OR (p.s).p50 <> (m.s).p50
              OR abs((p.s).mean - (m.s).mean) > 1e-12 OR abs(p.c[1][2] - m.c[1][2]) > 1e-12),
          0, 'parallel partial hash aggregation = serial');
SET LOCAL max_parallel_workers_per_gather = 0;

-- Window aggregates restart their states as the frame moves.
SELECT is((SELECT array_agg((s).count ORDER BY id)
           FROM (SELECT id, dm_stats(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s
                 FROM mem_probe WHERE id < 6) w),
          '{1,2,3,3,3,3}'::bigint[], 'dm_stats as a window aggregate over a moving frame');

-- JIT-compiled transition calls (inlined from the bitcode) use the same state memory.
SET LOCAL jit = on;
SET LOCAL jit_above_cost = 0;
SET LOCAL jit_inline_above_cost = 0;
SET LOCAL jit_optimize_above_cost = 0;
SELECT set_eq($$SELECT g, dm_stats(x)::text AS s, dm_corr(f)::text AS c
                FROM mem_probe WHERE g < 500 GROUP BY g$$,
              $$SELECT g, s, c FROM hashed WHERE g < 500$$,
              'JIT-inlined transitions give the same results');
SET LOCAL jit = off;

-- An error in a transition frees the states of every group; the backend goes on.
SELECT throws_ok($$SELECT g, dm_corr(CASE WHEN id = 70000 THEN ARRAY[1.0]::float8[] ELSE f END)
                   FROM mem_probe GROUP BY g$$,
                 '2202E', NULL, 'an error in the middle of a spilled hash aggregate');
SELECT is((SELECT count(*)::int FROM (SELECT g, dm_stats(x) FROM mem_probe GROUP BY g) t), 20000,
          'the next aggregate runs');
SELECT is((SELECT (dm_stats(x)).count FROM mem_probe), 80000::bigint, 'a plain aggregate too');

SELECT * FROM finish();
ROLLBACK;
