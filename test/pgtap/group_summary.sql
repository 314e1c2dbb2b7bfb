-- group_summary (dm_breakdown_summary, dm_sales_summary, dm_group_rows): exact counts against
-- plain SQL on the demo warehouse and on the French test warehouse (a view, integer keys, text
-- values), parallel partial summaries merged equal to one process, text round trip, corrupted
-- values and bad arguments rejected with their SQLSTATE.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(20);
SELECT count(*) FROM create_demo_warehouse('gs_demo', scale => 0.02) \g /dev/null
\set schema gs_fr
\set lignes 30000
\set produits 2000
\set clients 500
\ir ../warehouses/entrepot_fr.sql
SET search_path = dmine, public;
SET client_min_messages = warning;

-- 1. Breakdowns: per value, lines and distinct customers as GROUP BY --------------------------
CREATE TEMP TABLE bd AS
SELECT r.* FROM (SELECT dm_breakdown_summary(ARRAY[product_id::text, depot_id::text], amount::float8, customer_id::text,
                                             sold_at::date, 'month') AS s
                 FROM gs_demo.sales_lines) a, dm_group_rows(a.s) r;
SELECT results_eq($$SELECT key, lines, customers, round(revenue::numeric, 2) FROM bd WHERE family = 1 ORDER BY key$$,
                  $$SELECT product_id::text, count(*), count(DISTINCT customer_id), sum(amount) FROM gs_demo.sales_lines
                    GROUP BY 1 ORDER BY 1$$,
                  'demo: per product, lines, distinct customers and revenue as GROUP BY');
SELECT results_eq($$SELECT key, lines, customers FROM bd WHERE family = 2 ORDER BY key$$,
                  $$SELECT depot_id::text, count(*), count(DISTINCT customer_id) FROM gs_demo.sales_lines GROUP BY 1 ORDER BY 1$$,
                  'demo: the second breakdown of the same summary');
CREATE TEMP TABLE bd_fr AS
SELECT r.* FROM (SELECT dm_breakdown_summary(ARRAY[d.ville, v.id_depot::text], v.montant::float8, v.id_client::text,
                                             dm_date_key(v.date_cle), 'quarter') AS s
                 FROM gs_fr.lignes_vente v LEFT JOIN gs_fr.depots d USING (id_depot)) a, dm_group_rows(a.s) r;
SELECT results_eq($$SELECT key, lines, customers FROM bd_fr WHERE family = 1 ORDER BY key$$,
                  $$SELECT d.ville, count(*), count(DISTINCT v.id_client) FROM gs_fr.lignes_vente v
                    LEFT JOIN gs_fr.depots d USING (id_depot) GROUP BY 1 ORDER BY 1$$,
                  'French warehouse (a view, text attribute joined): lines and distinct customers per city');
SELECT is((SELECT round(growth::numeric, 9) FROM bd_fr WHERE family = 2 AND key = '1'),
          (WITH x AS (SELECT dm_date_key(date_cle) AS d, montant, id_depot FROM gs_fr.lignes_vente),
                r AS (SELECT min(d) AS lo, max(d) AS hi, date_trunc('quarter', max(d))::date AS ls FROM x),
                p AS (SELECT ls, (ls - interval '3 months')::date AS ps, hi - ls + 1 AS dl,
                             ls - greatest(lo, (ls - interval '3 months')::date) AS dp FROM r)
           SELECT round(((SELECT sum(montant) FROM x WHERE id_depot = 1 AND d >= p.ls) / p.dl
                         / ((SELECT sum(montant) FROM x WHERE id_depot = 1 AND d >= p.ps AND d < p.ls) / p.dp) - 1)::numeric, 9)
           FROM p),
          'growth of the last quarter''s daily average over the one before');
SELECT results_eq($$SELECT r.family, r.key, r.lines, r.customers
                    FROM (SELECT dm_breakdown_summary(ARRAY[product_id::text, depot_id::text], amount::float8,
                                                      customer_id::bigint, sold_at::date, 'month') AS s
                          FROM gs_demo.sales_lines) a, dm_group_rows(a.s) r ORDER BY 1, 2$$,
                  $$SELECT family, key, lines, customers FROM bd ORDER BY 1, 2$$,
                  'integer customer keys (bigint overload): the same groups as their text');
-- 2. Calendar: days, weeks, months and cells with exact distinct orders and customers ---------
CREATE TEMP TABLE cal AS
SELECT r.* FROM (SELECT dm_sales_summary(sold_at::date, extract(hour FROM sold_at)::int, amount::float8,
                                         quantity::float8, customer_id::text, order_id::text) AS s
                 FROM gs_demo.sales_lines) a, dm_group_rows(a.s) r;
SELECT results_eq($$SELECT key::date, orders, customers, lines FROM cal WHERE family = 2 ORDER BY 1$$,
                  $$SELECT date_trunc('week', sold_at)::date, count(DISTINCT order_id), count(DISTINCT customer_id), count(*)
                    FROM gs_demo.sales_lines GROUP BY 1 ORDER BY 1$$,
                  'demo: ISO weeks, distinct orders and customers');
SELECT results_eq($$SELECT key::int / 100, key::int % 100, orders, round(quantity::numeric) FROM cal WHERE family = 4 ORDER BY 1, 2$$,
                  $$SELECT extract(isodow FROM sold_at)::int, extract(hour FROM sold_at)::int, count(DISTINCT order_id),
                           sum(quantity)::numeric FROM gs_demo.sales_lines GROUP BY 1, 2 ORDER BY 1, 2$$,
                  'demo: weekday x hour cells');
SELECT results_eq($$SELECT r.key::date, r.orders, r.customers
                    FROM (SELECT dm_sales_summary(dm_date_key(date_cle), heure, montant::float8, NULL, id_client::text,
                                                  num_commande::text) AS s FROM gs_fr.lignes_vente) a,
                         dm_group_rows(a.s) r WHERE r.family = 3 ORDER BY 1$$,
                  $$SELECT date_trunc('month', dm_date_key(date_cle))::date, count(DISTINCT num_commande), count(DISTINCT id_client)
                    FROM gs_fr.lignes_vente GROUP BY 1 ORDER BY 1$$,
                  'French warehouse: months, distinct orders and customers');
SELECT results_eq($$SELECT r.family, r.key, r.orders, r.customers
                    FROM (SELECT dm_sales_summary(sold_at::date, NULL, amount::float8, NULL, customer_id::bigint,
                                                  order_id::bigint) AS s FROM gs_demo.sales_lines) a,
                         dm_group_rows(a.s) r ORDER BY 1, 2$$,
                  $$SELECT family, key, orders, customers FROM cal WHERE family < 4 ORDER BY 1, 2$$,
                  'integer order and customer keys (bigint overload): the same days, weeks and months');
-- 3. Parallel partial summaries merged equal one process; text round trip ----------------------
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE par AS
SELECT dm_breakdown_summary(ARRAY[product_id::text, depot_id::text], amount::float8, customer_id::text,
                            sold_at::date, 'month') AS s
FROM gs_demo.sales_lines;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT results_eq($$SELECT family, key, lines, customers, round(revenue::numeric, 6), round(growth::numeric, 9)
                    FROM par, dm_group_rows(par.s) ORDER BY 1, 2$$,
                  $$SELECT family, key, lines, customers, round(revenue::numeric, 6), round(growth::numeric, 9) FROM bd ORDER BY 1, 2$$,
                  'parallel workers'' summaries merged: the same groups');
SELECT ok((SELECT s::text::group_summary::text = s::text FROM par), 'group_summary text round trip');
SELECT is((SELECT count(*) FROM par, dm_group_rows(s::text::group_summary)), (SELECT count(*) FROM bd),
          'a summary read back from its text has every group');
-- 4. Bad values --------------------------------------------------------------------------------
SELECT throws_ok($$SELECT 'AAAA'::group_summary$$, '22P02', NULL, 'malformed text: 22P02');
SELECT throws_ok($$SELECT (SELECT dm_distinct_summary(1)::text)::group_summary$$, '22P02', NULL,
                 'another type''s state: 22P02');
SELECT throws_ok($$SELECT (left(s::text, 40) || CASE WHEN substr(s::text, 41, 1) = 'A' THEN 'B' ELSE 'A' END
                           || substr(s::text, 42))::group_summary FROM par$$, '22P02', NULL, 'one character changed: 22P02');
SELECT throws_ok($$SELECT dm_sales_summary(current_date, 24, 1, 1, NULL, NULL)$$, '22023',
                 'hour must be between 0 and 23, got 24', 'hour out of range: 22023');
SELECT throws_ok($$SELECT dm_breakdown_summary(ARRAY['a'], 1, NULL, current_date, 'week')$$, '22023',
                 'unknown growth_period "week"', 'unknown growth period: 22023');
SELECT throws_ok($$SELECT dm_breakdown_summary(array_fill('a'::text, ARRAY[65]), 1, NULL, NULL, NULL)$$, '22023',
                 'at most 64 values per line, got 65', 'more than 64 values: 22023');
SELECT throws_ok($$SELECT group_summary_combine(s, s) FROM par$$, '22023',
                 'a finished group summary cannot be merged or added to', 'final values are not merged again: 22023');
SELECT is((SELECT count(*) FROM dm_group_rows((SELECT dm_sales_summary(NULL::date, NULL, 1, 1, 'c', 'o')))), 0::bigint,
          'lines without a day are left out');
SELECT * FROM finish();
ROLLBACK;
