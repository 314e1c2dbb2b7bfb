-- dm_profile_summary: the one-pass profile behind dm_profile. Its figures equal the separate
-- SQL aggregates on two warehouses (the demo one, numeric amounts and date keys; entrepot_fr, a
-- view with French names), rollups and parallel plans equal one serial pass, numeric decoding
-- equals numeric::float8, bad arguments and corrupted values fail with their SQLSTATEs.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(24);

SELECT count(*) FROM create_demo_warehouse('ps_demo', scale => 0.02) \g /dev/null
\set schema ps_fr
\set lignes 20000
\set produits 2000
\set clients 400
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;

-- 1. The figures against the separate aggregates ---------------------------------------------------
CREATE TEMP TABLE demo_p AS
SELECT dm_summary_profile(dm_profile_summary(5, 'vvvV', customer_id, amount, to_char(date_key, 'YYYYMMDD')::int, product_id::text)) AS s
FROM ps_demo.sales_lines;
CREATE TEMP TABLE demo_ref AS
SELECT count(*) AS rows, count(customer_id) AS n, count(DISTINCT customer_id) AS nd_customer,
       dm_approx_distinct(customer_id) AS hll_customer, count(DISTINCT product_id) AS nd_product,
       dm_stats(amount::float8) AS st, count(*) FILTER (WHERE dm_date_key(to_char(date_key, 'YYYYMMDD')::int) IS NOT NULL) AS dk
FROM ps_demo.sales_lines;
SELECT results_eq($$SELECT (s->>'rows')::bigint, (s->'columns'->0->>'n')::bigint, (s->'columns'->0->>'exact')::bigint,
                           (s->'columns'->0->>'nd')::bigint, (s->'columns'->3->>'exact')::bigint FROM demo_p$$,
                  $$SELECT rows, n, nd_customer, hll_customer, nd_product FROM demo_ref$$,
                  'demo warehouse: rows, non-NULL count, exact distinct counts, the HyperLogLog estimate of dm_approx_distinct');
SELECT is((SELECT jsonb_populate_record(NULL::stats, s->'columns'->1->'stats') FROM demo_p), (SELECT st FROM demo_ref),
          '... dm_stats of a numeric column, decoded from its digits: the same figures');
SELECT is((SELECT (s->'columns'->2->>'dk')::bigint FROM demo_p), (SELECT dk FROM demo_ref), '... yyyymmdd keys counted');
SELECT results_eq($$SELECT e->>0, (e->>1)::bigint FROM demo_p, jsonb_array_elements(s->'columns'->3->'top') AS e ORDER BY 2 DESC, 1 LIMIT 5$$,
                  $$SELECT product_id::text, count(*) FROM ps_demo.sales_lines GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5$$,
                  '... top values by count');
SELECT ok((SELECT min((e->>1)::bigint) FROM demo_p, jsonb_array_elements(s->'columns'->3->'top') AS e)
          = (SELECT c FROM (SELECT count(*) AS c FROM ps_demo.sales_lines GROUP BY product_id ORDER BY 1 DESC LIMIT 1 OFFSET 4) x),
          '... with every value tied with the last one kept');

CREATE TEMP TABLE fr_p AS
SELECT dm_summary_profile(dm_profile_summary(3, 'vvvT', id_client, montant, date_cle, date_cle::text)) AS s
FROM ps_fr.lignes_vente;
SELECT results_eq($$SELECT (s->'columns'->0->>'exact')::bigint, (s->'columns'->2->>'dk')::bigint,
                           (s->'columns'->3->>'dk')::bigint, (s->'columns'->3->>'tk')::bigint,
                           (s->'columns'->1->'stats'->>'count')::bigint FROM fr_p$$,
                  $$SELECT count(DISTINCT id_client), count(date_cle), count(date_cle), 0::bigint, count(montant) FROM ps_fr.lignes_vente$$,
                  'entrepot_fr (a view): exact distinct counts, date keys, ISO date texts (yyyymmdd), no date-times');
SELECT is((SELECT (s->'columns'->1->'stats'->>'mean')::float8 FROM fr_p), (SELECT (dm_stats(montant::float8)).mean FROM ps_fr.lignes_vente),
          '... the mean of the amounts equals dm_stats');

-- 2. Bounds: past 12,288 values the exact count and texts are dropped ------------------------------
SELECT results_eq($$SELECT c->'exact', c->'top', (c->>'nd')::bigint BETWEEN 19000 AND 21000
                    FROM (SELECT dm_summary_profile(dm_profile_summary(5, 'v', i)) AS s FROM generate_series(1, 20000) AS i) p,
                         jsonb_array_elements(s->'columns') AS c$$,
                  $$VALUES ('null'::jsonb, 'null'::jsonb, true)$$,
                  '20,000 distinct values: no exact count nor top values, the estimate remains');
SELECT results_eq($$SELECT c->'exact', c->'top'
                    FROM (SELECT dm_summary_profile(dm_profile_summary(2, 't', repeat(i::text, 30000))) AS s FROM generate_series(1, 20) AS i) p,
                         jsonb_array_elements(s->'columns') AS c$$,
                  $$VALUES ('20'::jsonb, 'null'::jsonb)$$,
                  '... texts past 256 KB dropped, the exact count kept');

-- 3. Rollups, text round trip and parallel plans equal one serial pass ----------------------------
CREATE TEMP TABLE daily AS
SELECT date_key, dm_profile_summary(5, 'vvV', customer_id, amount, product_id::text) AS s
FROM ps_demo.sales_lines GROUP BY date_key;
CREATE FUNCTION pg_temp.core(p jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$ SELECT jsonb_agg(jsonb_build_object('n', c->'n', 'nd', c->'nd', 'exact', c->'exact', 'count', c->'stats'->'count',
                                          'top', CASE WHEN jsonb_typeof(c->'top') = 'array' THEN (SELECT jsonb_agg(e ORDER BY (e->>1)::bigint DESC, e->>0) FROM jsonb_array_elements(c->'top') e) END))
      FROM jsonb_array_elements(p->'columns') AS c $$;
SELECT is((SELECT pg_temp.core(dm_summary_profile(dm_rollup(s))) FROM daily),
          (SELECT pg_temp.core(dm_summary_profile(dm_profile_summary(5, 'vvV', customer_id, amount, product_id::text))) FROM ps_demo.sales_lines),
          'demo: the rollup of daily summaries has the counts, distinct values and top values of one pass');
SELECT is((SELECT count(*) FROM daily WHERE dm_summary_profile(s::text::profile_summary) = dm_summary_profile(s)), (SELECT count(*) FROM daily),
          '... every summary survives its text form');
CREATE TEMP TABLE stored AS SELECT date_key, s FROM daily;
SELECT is((SELECT count(*) FROM stored JOIN daily USING (date_key) WHERE dm_summary_profile(stored.s) = dm_summary_profile(daily.s)),
          (SELECT count(*) FROM daily), '... and its stored bytes');
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT is((SELECT pg_temp.core(dm_summary_profile(dm_profile_summary(3, 'vvvT', id_client, montant, date_cle, date_cle::text))) FROM ps_fr.lignes_vente),
          (SELECT pg_temp.core(s) FROM fr_p),
          'entrepot_fr: a parallel plan gives the counts, distinct values and top values of one serial pass');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- 4. numeric decoded from its digits equals numeric::float8 ----------------------------------------
SELECT is((SELECT count(*) FROM (VALUES (0::numeric), (1.5), (-2.25), (123456789012.34), (0.000123), (1e-20), (1e22), (1e23),
                                        (9007199254740993), (-0.1), (12345678901234567890.123), (1e-400), (3.14159265358979323846),
                                        (99999999.99), (1e300), (-1e308)) AS v(x)
           WHERE dm_numeric_float8(x) IS DISTINCT FROM x::float8 AND x <> 1e-400), 0::bigint,
          'dm_numeric_float8 equals numeric::float8 (short and long headers, negative weights, beyond 16 digits)');
SELECT is((SELECT count(*) FROM generate_series(1, 20000) AS i
           WHERE dm_numeric_float8(round((i * 7919 % 100003) / 7.0, 2 + i % 5)) IS DISTINCT FROM round((i * 7919 % 100003) / 7.0, 2 + i % 5)::float8), 0::bigint,
          '... on 20,000 decimals of several scales');
SELECT results_eq($$SELECT dm_numeric_float8('NaN'), dm_numeric_float8('Infinity'), dm_numeric_float8('-Infinity'), dm_numeric_float8(1e400), dm_numeric_float8(1e-400)$$,
                  $$VALUES ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8, 'Infinity'::float8, 0::float8)$$,
                  '... NaN, the infinities and beyond the range never fail');
SELECT results_eq($$SELECT dm_pipeline_float8(12.5), dm_pipeline_float8('NaN'), dm_pipeline_float8(1e300), dm_pipeline_float8(-1e301)$$,
                  $$VALUES (12.5::float8, NULL::float8, NULL::float8, NULL::float8)$$,
                  'dm_pipeline_float8: NULL when NaN or not within ±1e300');

-- 5. Errors ------------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT dm_profile_summary(5, 'vv', i) FROM generate_series(1, 3) AS i$$, '22023',
                 'the column spec must have one letter per column', 'a spec of another length: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'x', i) FROM generate_series(1, 3) AS i$$, '22023',
                 'the column spec letters are v, t, V or T', 'a bad spec letter: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(NULL, 'v', i) FROM generate_series(1, 3) AS i$$, '22004',
                 'top_n must not be NULL', 'a NULL top_n: 22004');
SELECT throws_ok($$SELECT dm_profile_summary(1001, 'v', i) FROM generate_series(1, 3) AS i$$, '22023',
                 'top_n must be between 0 and 1000', 'top_n out of range: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(5, NULL, i) FROM generate_series(1, 3) AS i$$, '22004',
                 'the column spec must not be NULL', 'a NULL spec: 22004');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'v', json_build_object('a', i)) FROM generate_series(1, 3) AS i$$, '42883',
                 NULL, 'a type without hash function hashed by value: 42883');
SELECT throws_ok($$SELECT dm_summary_profile('bm90IGEgc3VtbWFyeQ=='::profile_summary)$$, '22P02', NULL,
                 'a corrupted text value: 22P02');

SELECT * FROM finish();
ROLLBACK;
