-- dm_forecast on distributed tables: its state type (forecast_summary) splits, so a GROUP BY on a
-- column other than the distribution column is pushed down (worker_partial_agg, runs with
-- row-gather disabled), and every group's forecast equals the single-node one on the same rows.
-- Two warehouses: the demo one (distributed by customer_id, monthly revenue per depot) and the
-- French view (distributed by id_ligne, daily amounts per depot from an int date key).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(8);

-- The points and bounds of a forecast in one array (made before any distributed query: Citus runs
-- no function command after one in a transaction).
CREATE FUNCTION pg_temp.points(fc dmine.forecast) RETURNS float8[] LANGUAGE sql AS $$
    SELECT array_agg(v ORDER BY step, k) FROM dmine.dm_forecast_points(fc) p,
           LATERAL unnest(ARRAY[p.point, p.lo80, p.hi80, p.lo95, p.hi95]) WITH ORDINALITY AS u(v, k) $$;

SELECT citus_test.pushdown('dm_forecast(date, float8, int, jsonb)',
    'SELECT depot_id, dmine.dm_forecast(date_key, amount::float8, 3, ''{"grain": "month"}'') FROM erp_demo.sales_lines GROUP BY depot_id');
SELECT citus_test.pushdown('dm_forecast(date, float8, int, jsonb)',
    'SELECT id_depot, dmine.dm_forecast(to_date(date_cle::text, ''YYYYMMDD''), montant::float8, 7, ''{"grain": "week"}'') FROM entrepot_fr.lignes_vente GROUP BY id_depot');

-- Points and bounds per group: equal to single-node to 1e-6 (the partial sums per period are
-- added in another order on the workers).
CREATE TEMP TABLE dd AS
SELECT depot_id, dmine.dm_forecast(date_key, amount::float8, 3, '{"grain": "month"}') AS fc
FROM erp_demo.sales_lines GROUP BY depot_id;
CREATE TEMP TABLE dl AS
SELECT depot_id, dmine.dm_forecast(date_key, amount::float8, 3, '{"grain": "month"}') AS fc
FROM citus_test.demo_local GROUP BY depot_id;
SELECT is((SELECT count(*)::int FROM dd JOIN dl USING (depot_id)
           WHERE citus_test.close(pg_temp.points(dd.fc), pg_temp.points(dl.fc), 1e-6)
             AND dmine.dm_forecast_info(dd.fc)->>'method' = dmine.dm_forecast_info(dl.fc)->>'method'),
          (SELECT count(*)::int FROM dl), 'demo: every depot''s forecast (method, points, bounds) equals single-node');
CREATE TEMP TABLE fd AS
SELECT id_depot, dmine.dm_forecast(to_date(date_cle::text, 'YYYYMMDD'), montant::float8, 7, '{"grain": "week"}') AS fc
FROM entrepot_fr.lignes_vente GROUP BY id_depot;
CREATE TEMP TABLE fl AS
SELECT id_depot, dmine.dm_forecast(to_date(date_cle::text, 'YYYYMMDD'), montant::float8, 7, '{"grain": "week"}') AS fc
FROM citus_test.fr_local GROUP BY id_depot;
SELECT is((SELECT count(*)::int FROM fd JOIN fl USING (id_depot)
           WHERE citus_test.close(pg_temp.points(fd.fc), pg_temp.points(fl.fc), 1e-6)
             AND dmine.dm_forecast_info(fd.fc)->>'method' = dmine.dm_forecast_info(fl.fc)->>'method'),
          (SELECT count(*)::int FROM fl), 'French view: every depot''s weekly forecast equals single-node');
-- The whole table, one series: the same too.
CREATE TEMP TABLE whole AS
SELECT (SELECT dmine.dm_forecast(date_key, amount::float8, 6, '{"grain": "month"}') FROM erp_demo.sales_lines) AS d,
       (SELECT dmine.dm_forecast(date_key, amount::float8, 6, '{"grain": "month"}') FROM citus_test.demo_local) AS l;
SELECT ok(citus_test.close(pg_temp.points(d), pg_temp.points(l), 1e-6), 'demo: the overall monthly forecast equals single-node')
FROM whole;
SELECT is((SELECT dmine.dm_forecast_info(d)->'counts' FROM whole), (SELECT dmine.dm_forecast_info(l)->'counts' FROM whole),
          'demo: the same rows, periods and filled periods went into it');

SELECT * FROM finish();
ROLLBACK;
