-- The forecast step of the pipeline: revenue per month overall, per product family and per store
-- with 80%/95% intervals, on the demo warehouse (foreign keys) and on the French test warehouse
-- (a view as fact table, a yyyymmdd date key, declared dimensions): the history equals SQL, the
-- planted monthly seasonality shows in the forecast, what is not mapped is skipped and recorded,
-- partial periods are left out, the options are checked.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
\set schema tap_fc_fr
\set lignes 40000
\set produits 3000
\set clients 400
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;
SELECT dmine_test.self_conninfo() AS conn \gset
SELECT dblink_connect('fc_runner', :'conn') \g /dev/null
SELECT * FROM dblink('fc_runner', $$SELECT count(*) FROM dmine.create_demo_warehouse('tap_fc', scale => 0.1)$$) AS t(n bigint) \g /dev/null
-- Sales up to mid-December 2024: the last month is partial.
SELECT dblink_exec('fc_runner', $$CREATE VIEW tap_fc.early_lines AS SELECT * FROM tap_fc.sales_lines WHERE sold_at < '2024-12-15'$$) \g /dev/null
BEGIN;
SELECT plan(24);

-- 1. The demo warehouse ----------------------------------------------------------------------------
SELECT run_id AS demo_run FROM dblink('fc_runner', $$CALL dmine.run_mining('tap_fc', steps => '{trends,breakdowns,forecast}')$$)
    AS t(run_id bigint) \gset
SELECT is((SELECT status FROM run_steps WHERE run_id = :demo_run AND step = 'forecast'), 'succeeded', 'demo: the forecast step succeeds');
SELECT is((SELECT details->'series' FROM run_steps WHERE run_id = :demo_run AND step = 'forecast'),
          '{"total": 1, "product": 8, "store": 12}'::jsonb, 'demo: the total, 8 product families and 12 stores');
SELECT is((SELECT details->>'family_attribute' FROM run_steps WHERE run_id = :demo_run AND step = 'forecast'), 'family',
          'demo: the family is the first attribute of the product dimension');
SELECT is((SELECT (details->>'read_fact_table')::boolean FROM run_steps WHERE run_id = :demo_run AND step = 'forecast'), false,
          'demo: the forecast step reuses the read of the trends step');
SELECT is((SELECT count(*) FROM result_forecasts WHERE run_id = :demo_run AND step > 0 GROUP BY dimension, value
           HAVING count(*) <> 12 LIMIT 1), NULL, 'demo: every series is forecast 12 months ahead');
SELECT results_eq(format($q$SELECT min(period_start), max(period_start), count(*) FILTER (WHERE step <= 0), max(step), min(step)
                            FROM result_forecasts WHERE run_id = %s AND dimension = 'total'$q$, :demo_run),
                  $$VALUES (date '2023-01-01', date '2025-12-01', 24::bigint, 12, -23)$$,
                  'demo: 24 months of history (steps -23 to 0), then January to December 2025');
CREATE TEMP TABLE demo_months AS
SELECT * FROM dblink('fc_runner', $$
    SELECT 'store', depot_id::text, date_trunc('month', sold_at)::date, sum(amount)::float8 FROM tap_fc.sales_lines GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'product', p.family, date_trunc('month', sold_at)::date, sum(amount)::float8
    FROM tap_fc.sales_lines s JOIN tap_fc.products p USING (product_id) GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'total', '', date_trunc('month', sold_at)::date, sum(amount)::float8 FROM tap_fc.sales_lines GROUP BY 1, 2, 3$$)
    AS t(dimension text, value text, month date, revenue float8);
SELECT is((SELECT count(*) FROM result_forecasts f FULL JOIN demo_months m
             ON (m.dimension, m.value, m.month) = (f.dimension, f.value, f.period_start)
           WHERE (f.run_id = :demo_run AND f.step <= 0 OR f.run_id IS NULL)
             AND (f.actual IS NULL OR m.revenue IS NULL OR abs(f.actual - m.revenue) > 1e-6 * m.revenue)), 0::bigint,
          'demo: the history of every series equals the monthly revenue by SQL');
SELECT is((SELECT count(*) FROM result_forecasts WHERE run_id = :demo_run AND step > 0
           AND NOT (0 <= lo95 AND lo95 <= lo80 AND lo80 <= point AND point <= hi80 AND hi80 <= hi95)), 0::bigint,
          'demo: 0 <= lo95 <= lo80 <= point <= hi80 <= hi95 (revenue is not negative)');
SELECT is((SELECT count(*) FROM result_forecasts WHERE run_id = :demo_run AND (model IS NULL OR model = '')), 0::bigint,
          'demo: every row names the model of its series');
-- The planted seasonality is in the forecast of the total (revenue also carries the planted
-- amount anomalies, hence not 1).
SELECT cmp_ok((SELECT corr(f.point, p.factor) FROM result_forecasts f
               JOIN dblink('fc_runner', 'SELECT month, factor FROM tap_fc.planted_seasonality') AS p(month int, factor float8)
                 ON p.month = extract(month FROM f.period_start)
               WHERE f.run_id = :demo_run AND f.dimension = 'total' AND f.step > 0), '>=', 0.8::float8,
              'demo: the revenue forecast of 2025 correlates >= 0.8 with the planted monthly factors');
SELECT ok((SELECT max(point) FILTER (WHERE extract(month FROM period_start) = 12)
                  > 1.5 * max(point) FILTER (WHERE extract(month FROM period_start) = 8)
           FROM result_forecasts WHERE run_id = :demo_run AND dimension = 'total' AND step > 0),
          'demo: December 2025 is forecast well above August 2025 (planted 1.45 against 0.60)');
SELECT is((SELECT count(*) FROM latest_forecasts), (SELECT count(*) FROM result_forecasts WHERE run_id = :demo_run),
          'latest_forecasts shows the latest successful run');

-- Options: quarters, 6 ahead, 3 stores; a mapping without product nor store.
SELECT run_id AS opt_run FROM dblink('fc_runner', $$CALL dmine.run_mining('tap_fc', steps => '{forecast}',
    options => '{"forecast_grain": "quarter", "forecast_horizon": 6, "forecast_series": 3}')$$) AS t(run_id bigint) \gset
SELECT results_eq(format($q$SELECT dimension, count(DISTINCT value), max(step), count(*) FILTER (WHERE step <= 0),
                                   bool_and(extract(month FROM period_start) IN (1, 4, 7, 10))
                            FROM result_forecasts WHERE run_id = %s GROUP BY 1 ORDER BY 1$q$, :opt_run),
                  $$VALUES ('product', 3::bigint, 6, 24::bigint, true), ('store', 3, 6, 24, true), ('total', 1, 6, 8, true)$$,
                  'options: quarters, 6 ahead, the top 3 values of each dimension');
SELECT is((SELECT details->'values_left_out' FROM run_steps WHERE run_id = :opt_run AND step = 'forecast'),
          '[{"dimension": "product", "values_left_out": 5}, {"dimension": "store", "values_left_out": 9}]'::jsonb,
          'options: the values beyond the top are counted in the details');
SELECT is((SELECT (details->>'read_fact_table')::boolean FROM run_steps WHERE run_id = :opt_run AND step = 'forecast'), true,
          'options: alone, the forecast step reads the fact table');
SELECT run_id AS bare_run FROM dblink('fc_runner', $$CALL dmine.run_mining(config_name => 'tap_fc_bare', fact_table => 'tap_fc.early_lines',
    customer_column => 'customer_id', order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount',
    steps => '{forecast}')$$) AS t(run_id bigint) \gset
SELECT results_eq(format($q$SELECT details->'series', details->'not_mapped', details->'periods_left_out' FROM run_steps
                            WHERE run_id = %s AND step = 'forecast'$q$, :bare_run),
                  $$VALUES ('{"total": 1}'::jsonb,
                            '[{"reason": "no product column mapped", "dimension": "product"}, {"reason": "no store column mapped", "dimension": "store"}]'::jsonb,
                            '[{"reason": "partial: the data ends on 2024-12-14", "period_start": "2024-12-01"}]'::jsonb)$$,
                  'a view without product nor store: the total only, the others skipped and recorded; the partial December left out');
SELECT results_eq(format($q$SELECT max(period_start) FILTER (WHERE step = 0), min(period_start) FILTER (WHERE step = 1)
                            FROM result_forecasts WHERE run_id = %s$q$, :bare_run),
                  $$VALUES (date '2024-11-01', date '2024-12-01')$$, 'the partial month is forecast, not used as history');
SELECT throws_ok($$SELECT dm_mining_options('{"forecast_grain": "year"}')$$, '22023',
                 'mining option "forecast_grain" must be "week", "month" or "quarter", got "year"', 'a bad grain is an error');
SELECT throws_ok($$SELECT dm_mining_options('{"forecast_horizon": 0}')$$, '22023',
                 'mining option "forecast_horizon" must be an integer from 1 to 120, got 0', 'a horizon of 0 is an error');
SELECT throws_ok($$SELECT dm_mining_options('{"forecast_horizon": 121}')$$, '22023', NULL, 'a horizon beyond 120 is an error');
SELECT throws_ok($$SELECT dm_mining_options('{"forecast_series": 0}')$$, '22023', NULL, 'forecast_series 0 is an error');

-- 2. The French warehouse: a view, a yyyymmdd date key, declared dimensions -----------------------
SELECT run_id AS fr_run FROM dblink('fc_runner', $$CALL dmine.run_mining(config_name => 'tap_fc_fr',
    fact_table => 'tap_fc_fr.lignes_vente', customer_column => 'id_client', order_column => 'num_commande',
    time_column => 'date_cle', amount_column => 'montant', quantity_column => 'quantite', line_column => 'id_ligne',
    product_column => 'id_produit', store_column => 'id_depot', steps => '{trends,forecast}',
    dimensions => '[{"column": "id_produit", "table": "tap_fc_fr.produits", "attributes": ["famille"]}]')$$) AS t(run_id bigint) \gset
SELECT results_eq(format($q$SELECT details->'series', details->>'family_attribute', (details->>'read_fact_table')::boolean
                            FROM run_steps WHERE run_id = %s AND step = 'forecast'$q$, :fr_run),
                  $$VALUES ('{"total": 1, "product": 10, "store": 18}'::jsonb, 'famille', false)$$,
                  'French: the total, 10 familles and 18 depots, from the trends step''s read');
SELECT is((SELECT count(*) FROM result_forecasts f
           JOIN dblink('fc_runner', $$SELECT date_trunc('month', to_date(date_cle::text, 'YYYYMMDD'))::date, sum(montant)::float8
                                     FROM tap_fc_fr.lignes_vente GROUP BY 1$$) AS m(month date, revenue float8)
             ON m.month = f.period_start
           WHERE f.run_id = :fr_run AND f.dimension = 'total' AND f.step <= 0 AND abs(f.actual - m.revenue) <= 1e-6 * m.revenue),
          36::bigint, 'French: the 36 months of history equal SQL');
SELECT cmp_ok((SELECT corr(f.point, p.facteur) FROM result_forecasts f
               JOIN dblink('fc_runner', 'SELECT mois, facteur FROM tap_fc_fr.saisonnalite_plantee') AS p(mois int, facteur float8)
                 ON p.mois = extract(month FROM f.period_start)
               WHERE f.run_id = :fr_run AND f.dimension = 'total' AND f.step > 0), '>=', 0.9::float8,
              'French: the revenue forecast of 2025 correlates >= 0.9 with the planted summer seasonality');

SELECT * FROM finish();
ROLLBACK;
SELECT dblink_exec('fc_runner', $$DELETE FROM dmine.runs WHERE config_name IN ('tap_fc', 'tap_fc_bare', 'tap_fc_fr');
    DELETE FROM dmine.mining_config WHERE config_name IN ('tap_fc', 'tap_fc_bare', 'tap_fc_fr');
    DROP SCHEMA tap_fc CASCADE; DROP SCHEMA tap_fc_fr CASCADE$$) \g /dev/null
SELECT dblink_disconnect('fc_runner') \g /dev/null
