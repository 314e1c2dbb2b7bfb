-- Sales over time: series, seasonality, heatmap and the one-read dm_trends, on the demo warehouse
-- (planted monthly and weekday seasonality) and on the French test warehouse (integer yyyymmdd
-- date key, hour column, a view as fact table, other planted factors); checked against plain SQL.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;  -- scan counts of pg_stat_xact_user_tables: one process
BEGIN;
SELECT plan(40);

SELECT count(*) FROM create_demo_warehouse('tr_demo', scale => 0.05) \g /dev/null
\set schema tr_fr
\set lignes 150000
\set produits 20000
\set clients 2500
\ir ../warehouses/entrepot_fr.sql
SET search_path = dmine, public;
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;

-- 1. The demo warehouse -----------------------------------------------------------------------
CREATE TEMP TABLE demo_season AS
SELECT m, s.* FROM unnest(ARRAY['orders', 'lines']) AS m,
     dm_seasonality('tr_demo.sales_lines', 'sold_at', 'amount', m, order_column => 'order_id') s;
SELECT cmp_ok((SELECT corr(s.seasonal_index, p.factor) FROM demo_season s
               JOIN tr_demo.planted_seasonality p ON p.month = s.position WHERE s.m = 'orders' AND s.cycle = 'month'),
              '>=', 0.95::float8, 'demo: monthly indices of orders correlate >= 0.95 with the planted factors');
SELECT cmp_ok((SELECT corr(s.seasonal_index, p.factor) FROM demo_season s
               JOIN tr_demo.planted_seasonality p ON p.month = s.position WHERE s.m = 'lines' AND s.cycle = 'month'),
              '>=', 0.95::float8, 'demo: monthly indices of lines correlate >= 0.95 with the planted factors');
SELECT cmp_ok((SELECT corr(s.seasonal_index, p.f) FROM demo_season s
               JOIN (VALUES (1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 0.95), (6, 0.4), (7, 0.0)) AS p(d, f)
                    ON p.d = s.position WHERE s.m = 'orders' AND s.cycle = 'weekday'),
              '>=', 0.95::float8, 'demo: weekday indices correlate >= 0.95 with the planted weekday factors');
SELECT is((SELECT seasonal_index FROM demo_season WHERE m = 'orders' AND cycle = 'weekday' AND position = 7),
          0::float8, 'demo: no sale on Sundays, index 0');
SELECT ok((SELECT bool_and(abs(avg_index - 1) < 1e-9) FROM (SELECT avg(seasonal_index) AS avg_index FROM demo_season
                                                             GROUP BY m, cycle) t),
          'seasonal indices average 1 in every cycle');
SELECT ok((SELECT bool_and(strength BETWEEN 0.5 AND 1) FROM demo_season WHERE m = 'orders'),
          'demo: strength of the planted seasons above 0.5');
SELECT results_eq($$SELECT label, observations FROM demo_season WHERE m = 'orders'
                    AND position IN (1, CASE cycle WHEN 'month' THEN 12 ELSE 7 END) ORDER BY cycle, position$$,
                  $$VALUES ('January', 2), ('December', 2), ('Monday', 105), ('Sunday', 104)$$,
                  'labels and observations: two years of months, 104 or 105 of each weekday');

CREATE TEMP TABLE demo_series AS
SELECT * FROM dm_sales_series('tr_demo.sales_lines', 'sold_at', 'amount', 'all', 'order_id', 'customer_id', 'quantity');
SELECT results_eq($$SELECT period_grain, round(sum(revenue)::numeric, 2), sum(lines)::bigint, round(sum(quantity)::numeric)
                    FROM demo_series GROUP BY 1 ORDER BY 1$$,
                  $$SELECT g, sum(amount), count(*), sum(quantity)::numeric FROM tr_demo.sales_lines,
                           unnest(ARRAY['day', 'month', 'week']) AS g GROUP BY 1 ORDER BY 1$$,
                  'every grain: revenue, lines and quantity add up to the table''s');
SELECT results_eq($$SELECT period_start, orders, customers, round(revenue::numeric, 2) FROM demo_series
                    WHERE period_grain = 'month' ORDER BY 1$$,
                  $$SELECT date_trunc('month', sold_at)::date, count(DISTINCT order_id), count(DISTINCT customer_id), sum(amount)
                    FROM tr_demo.sales_lines GROUP BY 1 ORDER BY 1$$,
                  'months: orders, customers and revenue as GROUP BY date_trunc(''month'', ...)');
SELECT results_eq($$SELECT period_start, orders, customers FROM demo_series WHERE period_grain = 'week' ORDER BY 1$$,
                  $$SELECT date_trunc('week', sold_at)::date, count(DISTINCT order_id), count(DISTINCT customer_id)
                    FROM tr_demo.sales_lines GROUP BY 1 ORDER BY 1$$,
                  'weeks (ISO, from Monday): distinct orders and customers');
SELECT is((SELECT count(*) FROM demo_series WHERE period_grain = 'day'),
          (SELECT (max(sold_at)::date - min(sold_at)::date + 1)::bigint FROM tr_demo.sales_lines),
          'days: every day between the first and the last sale, empty ones included');
SELECT is((SELECT count(*) FROM demo_series WHERE period_grain = 'day' AND extract(isodow FROM period_start) = 7
           AND revenue = 0 AND lines = 0 AND orders = 0), 104::bigint, 'days: the 104 Sundays are there, as 0');
SELECT is((SELECT count(*) FROM demo_series WHERE trend IS NULL), 0::bigint, 'a trend for every period, ends included');
SELECT is((SELECT round(growth_prev::numeric, 9) FROM demo_series WHERE period_grain = 'month' AND period_start = '2024-03-01'),
          (SELECT round(((sum(amount) FILTER (WHERE sold_at >= '2024-03-01') / 31)
                         / (sum(amount) FILTER (WHERE sold_at < '2024-03-01') / 29) - 1)::numeric, 9)
           FROM tr_demo.sales_lines WHERE sold_at >= '2024-02-01' AND sold_at < '2024-04-01'),
          'growth on the previous month: of the daily average (March over February 2024)');
SELECT results_eq($$SELECT count(*) FILTER (WHERE growth_year IS NOT NULL), min(period_start) FILTER (WHERE growth_year IS NOT NULL)
                    FROM demo_series WHERE period_grain = 'month'$$,
                  $$VALUES (12::bigint, date '2024-01-01')$$, 'growth on a year before: from the second year on');

CREATE TEMP TABLE heat AS SELECT * FROM dm_sales_heatmap('tr_demo.sales_lines', 'sold_at', 'amount', 'order_id');
SELECT results_eq($$SELECT count(*), round(sum(revenue)::numeric, 2), sum(lines)::bigint, round(sum(revenue_share)::numeric, 9)
                    FROM heat$$,
                  $$SELECT 168::bigint, sum(amount), count(*), 1::numeric FROM tr_demo.sales_lines$$,
                  'heatmap: 7 x 24 cells adding up to the table, shares to 1');
SELECT results_eq($$SELECT isodow, hour, lines, orders FROM heat WHERE lines > 0 ORDER BY lines DESC, isodow, hour LIMIT 3$$,
                  $$SELECT extract(isodow FROM sold_at)::int, extract(hour FROM sold_at)::int, count(*), count(DISTINCT order_id)
                    FROM tr_demo.sales_lines GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 3$$,
                  'heatmap: the busiest cells as GROUP BY weekday, hour');
SELECT is((SELECT sum(lines) FROM heat WHERE isodow = 7), 0::numeric, 'heatmap: Sundays empty');

-- One read of the fact table for the whole analysis.
SELECT seq_scan AS scans_before FROM pg_stat_xact_user_tables WHERE relid = 'tr_demo.sales_lines'::regclass \gset
CREATE TEMP TABLE tr AS SELECT dm_trends('tr_demo.sales_lines', 'sold_at', 'amount', 'order_id', 'customer_id', 'quantity') AS t;
SELECT is((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'tr_demo.sales_lines'::regclass) - :scans_before,
          1::bigint, 'dm_trends reads the fact table once');
SELECT results_eq($$SELECT jsonb_array_length(t -> 'series'), jsonb_array_length(t -> 'seasonality'), jsonb_array_length(t -> 'heatmap')
                    FROM tr$$,
                  $$SELECT (SELECT count(*)::int FROM demo_series), 5 * 19, 168$$,
                  'dm_trends: series of the three grains, seasonality of the 5 measures, the heatmap');
SELECT is((SELECT (e ->> 'seasonal_index')::float8 FROM tr, jsonb_array_elements(tr.t -> 'seasonality') e
           WHERE e ->> 'measure' = 'orders' AND e ->> 'cycle' = 'month' AND (e ->> 'position')::int = 8),
          (SELECT seasonal_index FROM demo_season WHERE m = 'orders' AND cycle = 'month' AND position = 8),
          'dm_trends: the same seasonality as dm_seasonality');

-- 2. The French warehouse: yyyymmdd integer key, hour column, a view as fact table -----------
CREATE TEMP TABLE fr_season AS
SELECT m, s.* FROM unnest(ARRAY['revenue', 'orders']) AS m,
     dm_seasonality('tr_fr.lignes_vente', 'date_cle', 'montant', m, order_column => 'num_commande') s;
SELECT cmp_ok((SELECT corr(s.seasonal_index, p.facteur) FROM fr_season s
               JOIN tr_fr.saisonnalite_plantee p ON p.mois = s.position WHERE s.m = 'revenue' AND s.cycle = 'month'),
              '>=', 0.95::float8, 'French warehouse: monthly revenue indices correlate >= 0.95 with the planted factors');
SELECT cmp_ok((SELECT corr(s.seasonal_index, p.facteur) FROM fr_season s
               JOIN tr_fr.jours_plantes p ON p.isodow = s.position WHERE s.m = 'revenue' AND s.cycle = 'weekday'),
              '>=', 0.95::float8, 'French warehouse: weekday revenue indices correlate >= 0.95 with the planted factors');
SELECT is((SELECT position FROM fr_season WHERE m = 'orders' AND cycle = 'weekday' ORDER BY seasonal_index DESC LIMIT 1),
          6, 'French warehouse: Saturday is the busiest day');
SELECT cmp_ok((SELECT corr(a.seasonal_index, b.seasonal_index) FROM fr_season a JOIN demo_season b USING (cycle, position)
               WHERE a.m = 'orders' AND b.m = 'orders' AND cycle = 'month'),
              '<', 0.5::float8, 'the two warehouses have different seasons (nothing tuned to one)');

CREATE TEMP TABLE fr_series AS
SELECT * FROM dm_sales_series('tr_fr.lignes_vente', 'date_cle', 'montant', 'month', 'num_commande', 'id_client', 'quantite');
SELECT results_eq($$SELECT period_start, round(revenue::numeric, 2), lines, orders, customers FROM fr_series ORDER BY 1$$,
                  $$SELECT to_date((date_cle / 100)::text, 'YYYYMM'), sum(montant), count(*), count(DISTINCT num_commande),
                           count(DISTINCT id_client) FROM tr_fr.lignes_vente GROUP BY 1 ORDER BY 1$$,
                  'yyyymmdd key on a view: months as GROUP BY date_cle / 100');
SELECT is((SELECT count(*) FROM fr_series), 36::bigint, 'French warehouse: 36 months');
SELECT ok((SELECT avg(growth_year) BETWEEN 0.03 AND 0.13 FROM fr_series), 'the planted growth of 8% a year is found');
CREATE TEMP VIEW fr_text AS SELECT date_cle::text AS jour_texte, montant FROM tr_fr.lignes_vente;
SELECT results_eq($$SELECT period_start, revenue FROM dm_sales_series('fr_text', 'jour_texte', 'montant') ORDER BY 1$$,
                  $$SELECT period_start, revenue FROM dm_sales_series('tr_fr.lignes_vente', 'date_cle', 'montant') ORDER BY 1$$,
                  'a text yyyymmdd key gives the same series as the integer key');
SELECT results_eq($$SELECT hour, lines FROM dm_sales_heatmap('tr_fr.lignes_vente', 'date_cle', 'montant', hour_column => 'heure')
                    WHERE isodow = 6 AND lines > 0 ORDER BY hour$$,
                  $$SELECT heure::int, count(*) FROM tr_fr.lignes_vente
                    WHERE extract(isodow FROM to_date(date_cle::text, 'YYYYMMDD')) = 6 GROUP BY 1 ORDER BY 1$$,
                  'heatmap from a date key and an hour column');

-- 3. Errors and edge cases -----------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM dm_sales_series('tr_demo.sales_lines', 'sold', 'amount')$$, '42703',
                 'column "sold" (the time column) does not exist in tr_demo.sales_lines', 'unknown time column: 42703 naming it');
SELECT throws_ok($$SELECT * FROM dm_seasonality('tr_demo.sales_lines', 'sold_at', 'Amount')$$, '42703', NULL,
                 'unknown amount column: 42703');
SELECT throws_ok($$SELECT * FROM dm_sales_series('tr_demo.products', 'product_id', 'product_name')$$, '42804', NULL,
                 'text amount: 42804');
CREATE TEMP TABLE bad_time (b boolean, amount numeric);
SELECT throws_ok($$SELECT * FROM dm_sales_series('bad_time', 'b', 'amount')$$, '42804', NULL, 'boolean time column: 42804');
SELECT throws_ok($$SELECT * FROM dm_sales_series('tr_demo.sales_lines', 'sold_at', 'amount', 'quarter')$$, '22023', NULL,
                 'unknown grain: 22023');
SELECT throws_ok($$SELECT * FROM dm_seasonality('tr_demo.sales_lines', 'sold_at', 'amount', 'orders')$$, '22023', NULL,
                 'orders without an order column: 22023');
SELECT throws_ok($$SELECT * FROM dm_sales_heatmap('tr_demo.sales_lines', 'date_key', 'amount')$$, '42804', NULL,
                 'heatmap of a date without an hour column: 42804');
CREATE TEMP TABLE no_sales (sold_at timestamptz, amount numeric, order_id int);
SELECT results_eq($$SELECT (SELECT count(*) FROM dm_sales_series('no_sales', 'sold_at', 'amount', 'all')),
                           (SELECT count(*) FROM dm_seasonality('no_sales', 'sold_at', 'amount')),
                           (SELECT count(*) FROM dm_sales_heatmap('no_sales', 'sold_at', 'amount', 'order_id')),
                           dm_trends('no_sales', 'sold_at', 'amount', 'order_id')$$,
                  $$VALUES (0::bigint, 0::bigint, 0::bigint, '{"series": [], "heatmap": [], "seasonality": []}'::jsonb)$$,
                  'an empty table: empty results, no error');
SELECT throws_ok($$SELECT dm_decompose(ARRAY[1, 2, 3]::float8[], 1)$$, '22023', NULL, 'dm_decompose: period below 2: 22023');
SELECT is((SELECT count(*) FROM pg_proc p
           WHERE p.pronamespace = 'dmine'::regnamespace AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
             AND p.proname IN ('dm_explore_column', 'dm_time_expressions', 'dm_sales_base_sql', 'dm_grain_season',
                               'dm_sales_series_sql', 'dm_trend_grains', 'dm_sales_series', 'dm_seasonality_sql',
                               'dm_seasonality', 'dm_heatmap_sql', 'dm_sales_heatmap', 'dm_trends')
             AND 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)), 12::bigint,
          'every trends function pins its search_path');

SELECT * FROM finish();
ROLLBACK;
