-- The view of the lines that the trends, breakdowns and forecast steps share (46_step_trends.sql):
-- dropped by the last of the steps that read it, and by the end of the run when a step failed
-- after it was made (it would hold the fact table); the steps' results are those of SQL.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
SELECT dmine_test.self_conninfo() AS conn \gset
SELECT dblink_connect('sv_runner', :'conn') \g /dev/null
SELECT * FROM dblink('sv_runner', $$SELECT count(*) FROM dmine.create_demo_warehouse('tap_sv', scale => 0.05)$$) AS t(n bigint) \g /dev/null
BEGIN;
SELECT plan(7);

SELECT run_id AS ok_run FROM dblink('sv_runner', $$CALL dmine.run_mining(config_name => 'tap_sv', fact_table => 'tap_sv.sales_lines',
    customer_column => 'customer_id', order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount',
    product_column => 'product_id', store_column => 'depot_id', steps => '{trends,breakdowns,forecast}')$$) AS t(run_id bigint) \gset
SELECT is((SELECT array_agg(status ORDER BY position) FROM run_steps WHERE run_id = :ok_run AND status <> 'skipped'),
          ARRAY['succeeded', 'succeeded', 'succeeded'], 'the three steps succeed');
SELECT is((SELECT n FROM dblink('sv_runner', $$SELECT count(*) FROM pg_class WHERE relname LIKE 'dm\_pipeline\_sales\_%'
                                                AND relnamespace = pg_my_temp_schema()$$) AS t(n bigint)),
          0::bigint, 'the last step drops the view');
SELECT is((SELECT (details->'skipped')::text FROM run_steps WHERE run_id = :ok_run AND step = 'trends'),
          '{"time": 0, "amount": 0}', 'the step that made the view counted the lines skipped');
-- The monthly revenue of the forecast's history equals SQL.
SELECT is((SELECT count(*) FROM result_forecasts f
           JOIN dblink('sv_runner', $$SELECT date_trunc('month', sold_at)::date, sum(amount)::float8 FROM tap_sv.sales_lines GROUP BY 1$$)
                AS m(month date, revenue float8) ON m.month = f.period_start
           WHERE f.run_id = :ok_run AND f.dimension = 'total' AND f.step <= 0 AND abs(f.actual - m.revenue) > 1e-6 * m.revenue),
          0::bigint, 'the total revenue per month is that of SQL');

-- A product without a family makes a series without a value: the forecast step fails after the
-- trends step made the view; the end of the run drops it.
SELECT dblink_exec('sv_runner', $$UPDATE tap_sv.products SET family = NULL WHERE product_id = (SELECT min(product_id) FROM tap_sv.products)$$) \g /dev/null
SELECT dblink_exec('sv_runner', $$CALL dmine.run_mining('tap_sv', steps => '{trends,forecast}')$$, false) \g /dev/null
SELECT max(run_id) AS failed_run FROM runs WHERE config_name = 'tap_sv' \gset
SELECT is((SELECT array_agg(status ORDER BY position) FROM run_steps WHERE run_id = :failed_run AND status <> 'skipped'),
          ARRAY['succeeded', 'failed'], 'the forecast step fails, the trends step does not');
SELECT is((SELECT n FROM dblink('sv_runner', $$SELECT count(*) FROM pg_class WHERE relname LIKE 'dm\_pipeline\_sales\_%'
                                                AND relnamespace = pg_my_temp_schema()$$) AS t(n bigint)),
          0::bigint, 'the end of the run drops the view a failed step left');
SELECT lives_ok($$SELECT dblink_exec('sv_runner', 'CREATE TABLE tap_sv.lines_copy AS SELECT * FROM tap_sv.sales_lines LIMIT 10; DROP TABLE tap_sv.lines_copy')$$,
                'the session goes on');

SELECT * FROM finish();
ROLLBACK;
SELECT dblink_exec('sv_runner', $$DELETE FROM dmine.runs WHERE config_name = 'tap_sv';
    DELETE FROM dmine.mining_config WHERE config_name = 'tap_sv'; DROP SCHEMA tap_sv CASCADE$$) \g /dev/null
SELECT dblink_disconnect('sv_runner') \g /dev/null
