-- The mining pipeline for real: CALL dmine.run_mining(...) commits after each step, so it runs in
-- other sessions (dblink to this database): a full run on a small demo warehouse, progress seen
-- from outside while a step waits, a concurrent run refused at once, a failing step that keeps the
-- earlier results and records the error, clear errors for missing names, quick mode, the views,
-- the read-only role, and a second warehouse (Online Retail, quoted mixed-case names).
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;  -- not in dmine (first on the search path)
SELECT dmine_test.self_conninfo() AS conn \gset
BEGIN;
SELECT plan(62);

SELECT dblink_connect('runner', :'conn') \g /dev/null
SELECT dblink_connect('blocker', :'conn') \g /dev/null
-- Poll (fresh snapshot each time) until a condition holds.
SELECT dblink_connect('other', :'conn') \g /dev/null
CREATE FUNCTION pg_temp.wait_for(condition text, seconds float8 DEFAULT 60) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + seconds * interval '1 second';
    ok boolean;
BEGIN
    LOOP
        EXECUTE 'SELECT (' || condition || ')' INTO ok;
        IF ok THEN RETURN true; END IF;
        IF clock_timestamp() > deadline THEN RETURN false; END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;

-- A small demo warehouse (committed by the other session).
-- 1. A full run ----------------------------------------------------------------------------------
SELECT * FROM dblink('runner', $$SELECT count(*) FROM dmine.create_demo_warehouse('tap_demo', scale => 0.02)$$) AS t(n bigint) \g /dev/null
SELECT run_id AS full_run FROM dblink('runner', $$CALL dmine.run_mining('tap_demo')$$) AS t(run_id bigint) \gset
SELECT results_eq(format('SELECT config_name, mode, status, error FROM runs WHERE run_id = %s', :full_run),
                  $$VALUES ('tap_demo', 'full', 'succeeded', NULL::text)$$, 'full run: succeeded');
SELECT results_eq(format('SELECT step, position, status FROM run_steps WHERE run_id = %s ORDER BY position', :full_run),
                  $$VALUES ('profile', 1, 'succeeded'), ('features', 2, 'succeeded'), ('clustering', 3, 'succeeded'),
                           ('cluster_profiles', 4, 'succeeded'), ('anomalies', 5, 'succeeded'), ('rfm', 6, 'succeeded'),
                           ('trends', 7, 'succeeded'), ('breakdowns', 8, 'succeeded'), ('forecast', 9, 'succeeded')$$,
                  'full run: the nine steps succeeded, in order');
SELECT is((SELECT count(*) FROM run_steps WHERE run_id = :full_run AND started_at <= finished_at AND duration_ms >= 0
           AND rows > 0 AND details IS NOT NULL), 9::bigint, 'every step has its timing, rows and details');
SELECT is((SELECT count(*) FROM result_profile WHERE run_id = :full_run), 10::bigint, 'profile: the ten columns of sales_lines');
SELECT is((SELECT count(*) FROM result_correlation WHERE run_id = :full_run), 9::bigint, 'correlation: amount, quantity, hour');
SELECT is((SELECT count(*) FROM result_customer_features WHERE run_id = :full_run), 100::bigint, 'features: 100 customers');
SELECT results_eq(format('SELECT count(*), count(*) FILTER (WHERE chosen), min(k), max(k) FROM result_kmeans_scores WHERE run_id = %s', :full_run),
                  $$VALUES (7::bigint, 1::bigint, 2, 8)$$, 'clustering: k from 2 to 8 tried, one chosen');
SELECT is((SELECT count(*) FROM result_clusters WHERE run_id = :full_run), 100::bigint, 'clustering: every customer assigned');
SELECT is((SELECT count(*) FROM result_cluster_profiles WHERE run_id = :full_run),
          (SELECT k::bigint FROM result_kmeans_scores WHERE run_id = :full_run AND chosen), 'one profile per cluster');
SELECT is((SELECT count(*) FROM result_cluster_profiles WHERE run_id = :full_run AND label IS NOT NULL AND centroid IS NOT NULL
           AND abs(share - size::float8 / 100) < 1e-9), (SELECT count(*) FROM result_cluster_profiles WHERE run_id = :full_run),
          'every cluster profile has a label, a centroid and its share');
SELECT is((SELECT lines_scored FROM result_anomaly_summary WHERE run_id = :full_run),
          (SELECT count(*) FROM dblink('runner', 'SELECT 1 FROM tap_demo.sales_lines') AS t(x int)),
          'anomalies: every sales line scored');
SELECT cmp_ok((SELECT count(*) FROM result_anomalies WHERE run_id = :full_run AND is_anomaly), '>', 0::bigint,
              'anomalies: some lines flagged');
SELECT is((SELECT count(*) FROM result_anomalies WHERE run_id = :full_run
           AND anomaly_type IS DISTINCT FROM explanation->0->>'feature'), 0::bigint,
          'the anomaly type is the top feature of the explanation');
SELECT is((SELECT count(*) FROM result_rfm WHERE run_id = :full_run AND segment IS NOT NULL), 100::bigint, 'rfm: 100 customers');

-- Against the planted ground truth (read through the other session).
CREATE TEMP TABLE planted AS
SELECT * FROM dblink('runner', 'SELECT line_id::text, anomaly_type FROM tap_demo.planted_anomalies') AS t(line_key text, kind text);
CREATE TEMP TABLE groups AS
SELECT * FROM dblink('runner', 'SELECT customer_id::text, planted_group FROM tap_demo.planted_customer_groups') AS t(customer_key text, grp text);
SELECT cmp_ok((SELECT count(*)::float8 / (SELECT count(*) FROM planted) FROM result_anomalies a JOIN planted USING (line_key)
               WHERE a.run_id = :full_run AND a.is_anomaly), '>=', 0.3::float8,
              'at least 30% of the planted anomalous lines are flagged (0.2% of the lines are)');
-- The demo's kinds in the context types: a huge amount made by the unit price is a price (or amount)
-- anomaly, an absurd quantity at an ordinary amount also has an absurd unit price, a night sale is time.
SELECT cmp_ok((SELECT count(*) FILTER (WHERE a.anomaly_type = ANY (CASE p.kind WHEN 'amount' THEN ARRAY['price', 'amount']
                                                                    WHEN 'quantity' THEN ARRAY['quantity', 'price']
                                                                    ELSE ARRAY['time'] END))::float8 / count(*)
               FROM result_anomalies a JOIN planted p USING (line_key) WHERE a.run_id = :full_run AND a.is_anomaly),
              '>=', 0.8::float8, 'flagged planted lines mostly get their planted type');
SELECT cmp_ok((SELECT sum(top)::float8 / 100 FROM (
                   SELECT max(n) AS top FROM (SELECT c.cluster, g.grp, count(*) AS n FROM result_clusters c
                                              JOIN groups g USING (customer_key) WHERE c.run_id = :full_run
                                              GROUP BY 1, 2) AS x GROUP BY cluster) AS y),
              '>=', 0.7::float8, 'clusters are at least 70% pure in planted customer groups');

-- The views show it.
SELECT is((SELECT run_id FROM latest_run), :full_run::bigint, 'latest_run is the full run');
SELECT is((SELECT count(*) FROM latest_rfm_segments WHERE customers > 0 AND segment_order IS NOT NULL),
          (SELECT count(DISTINCT segment) FROM result_rfm WHERE run_id = :full_run), 'latest_rfm_segments: one row per segment');
SELECT is((SELECT sum(customers) FROM latest_rfm_segments), 100::numeric, 'latest_rfm_segments: every customer');

-- 2. Progress seen from outside; a second run of the same configuration refused at once --------
SELECT dblink_exec('blocker', 'BEGIN') \g /dev/null
SELECT dblink_exec('blocker', 'LOCK TABLE dmine.result_models IN EXCLUSIVE MODE') \g /dev/null
SELECT dblink_send_query('runner', $$CALL dmine.run_mining('tap_demo', steps => '{profile,features,clustering,rfm}')$$) \g /dev/null
SELECT ok(pg_temp.wait_for($$EXISTS (SELECT FROM run_steps s JOIN runs r USING (run_id)
                                     WHERE r.config_name = 'tap_demo' AND r.status = 'running'
                                       AND s.step = 'clustering' AND s.status = 'running')$$),
          'a run waiting in its clustering step is seen from another session');
SELECT max(run_id) AS waiting_run FROM runs WHERE config_name = 'tap_demo' \gset
SELECT results_eq(format('SELECT step, status FROM run_steps WHERE run_id = %s ORDER BY position', :waiting_run),
                  $$VALUES ('profile', 'succeeded'), ('features', 'succeeded'), ('clustering', 'running')$$,
                  'the steps before it are committed, with their status');
SELECT is((SELECT count(*) FROM result_customer_features WHERE run_id = :waiting_run), 100::bigint,
          'and so are their results');
SELECT is((SELECT status FROM runs WHERE run_id = :waiting_run), 'running', 'the run is logged as running');
SELECT is((SELECT run_id FROM latest_run), :full_run::bigint, 'the views still show the latest successful run');
SELECT clock_timestamp() AS t0 \gset
SELECT throws_like($$SELECT dblink_exec('other', 'CALL dmine.run_mining(''tap_demo'')')$$,
                   '%configuration "tap_demo" is already being run (run ' || :waiting_run || '%',
                   'a second run of the same configuration gets a clear error');
SELECT throws_ok($$SELECT dblink_exec('other', 'CALL dmine.run_mining(''tap_demo'', mode => ''quick'')')$$,
                 '55P03', NULL, '... with SQLSTATE 55P03 (lock_not_available)');
SELECT cmp_ok(clock_timestamp() - :'t0'::timestamptz, '<', interval '10 seconds', '... at once, without waiting');
SELECT is((SELECT count(*) FROM runs WHERE config_name = 'tap_demo' AND status = 'running'), 1::bigint,
          'the refused calls logged no run');
SELECT is(run_id IS NOT NULL, true, 'another configuration runs meanwhile')
FROM dblink('other', $$CALL dmine.run_mining(config_name => 'tap_demo_rfm', fact_table => 'tap_demo.sales_lines',
                                             customer_column => 'customer_id', order_column => 'order_id',
                                             time_column => 'sold_at', amount_column => 'amount', steps => '{rfm}')$$)
     AS t(run_id bigint);
SELECT dblink_exec('blocker', 'COMMIT') \g /dev/null
SELECT is(run_id, :waiting_run::bigint, 'released, the waiting run finishes') FROM dblink_get_result('runner') AS t(run_id bigint);
SELECT count(*) AS drained FROM dblink_get_result('runner') AS t(run_id bigint) \g /dev/null
SELECT results_eq(format('SELECT step, status FROM run_steps WHERE run_id = %s ORDER BY position', :waiting_run),
                  $$VALUES ('profile', 'succeeded'), ('features', 'succeeded'), ('clustering', 'succeeded'),
                           ('cluster_profiles', 'skipped'), ('anomalies', 'skipped'), ('rfm', 'succeeded'),
                           ('trends', 'skipped'), ('breakdowns', 'skipped'), ('forecast', 'skipped')$$,
                  'selected steps ran, the others are logged as skipped');
SELECT max(run_id) AS last_good FROM runs WHERE status = 'succeeded' \gset
SELECT cmp_ok(:last_good::bigint, '>', :waiting_run::bigint, 'the other configuration''s run started after it');
SELECT is((SELECT run_id FROM latest_run), :last_good::bigint, 'the views show the latest successful run (by run id)');

-- 3. A failing step keeps the earlier results and records the error ---------------------------------
SELECT dblink_exec('runner', $$CREATE VIEW tap_demo.bad_lines AS
                              SELECT *, (100 / (line_id - 7))::float8 AS bad FROM tap_demo.sales_lines$$) \g /dev/null
SELECT throws_ok($$SELECT dblink_exec('runner', $q$CALL dmine.run_mining(config_name => 'tap_bad',
                      fact_table => 'tap_demo.bad_lines', customer_column => 'customer_id', order_column => 'order_id',
                      time_column => 'sold_at', amount_column => 'amount', quantity_column => 'quantity',
                      line_column => 'line_id', extra_features => '{bad}', steps => '{features,clustering,anomalies,rfm}')$q$)$$,
                 '22012', NULL, 'the failing step''s error reaches the caller with its SQLSTATE (no swallowed errors)');
SELECT max(run_id) AS bad_run FROM runs WHERE config_name = 'tap_bad' \gset
SELECT results_eq(format('SELECT status, error LIKE ''step anomalies failed: division by zero%%'', finished_at IS NOT NULL FROM runs WHERE run_id = %s', :bad_run),
                  $$VALUES ('failed', true, true)$$, 'the run is logged as failed, with the error and the step');
SELECT results_eq(format('SELECT step, status, error, details->>''sqlstate'' FROM run_steps WHERE run_id = %s ORDER BY position', :bad_run),
                  $$VALUES ('profile', 'skipped', NULL, NULL), ('features', 'succeeded', NULL, NULL),
                           ('clustering', 'succeeded', NULL, NULL), ('cluster_profiles', 'skipped', NULL, NULL),
                           ('anomalies', 'failed', 'division by zero', '22012'), ('rfm', 'succeeded', NULL, NULL),
                           ('trends', 'skipped', NULL, NULL), ('breakdowns', 'skipped', NULL, NULL),
                           ('forecast', 'skipped', NULL, NULL)$$,
                  'the failed step has its error; a later step that does not need it still runs');
SELECT is((SELECT count(*) FROM result_clusters WHERE run_id = :bad_run), 100::bigint, 'the earlier steps'' results are kept');
SELECT is((SELECT count(*) FROM result_anomalies WHERE run_id = :bad_run) + (SELECT count(*) FROM result_models
           WHERE run_id = :bad_run AND step = 'anomalies'), 0::bigint, 'the failed step left nothing behind');
SELECT is((SELECT run_id FROM latest_run), :last_good::bigint, 'the views still show the latest successful run');

-- 4. Missing names fail at once, naming them; nothing is logged ---------------------------------------
SELECT count(*) AS runs_before FROM runs \gset
SELECT throws_like($$SELECT dblink_exec('other', 'CALL dmine.run_mining(fact_table => ''tap_demo.sales'', customer_column => ''customer_id'', order_column => ''order_id'', time_column => ''sold_at'', amount_column => ''amount'')')$$,
                   '%fact table "tap_demo.sales" does not exist%', 'a missing table is named');
SELECT throws_ok($$SELECT dblink_exec('other', 'CALL dmine.run_mining(fact_table => ''tap_demo.sales'', customer_column => ''customer_id'', order_column => ''order_id'', time_column => ''sold_at'', amount_column => ''amount'')')$$,
                 '42P01', NULL, '... with SQLSTATE 42P01');
SELECT throws_like($$SELECT dblink_exec('other', 'CALL dmine.run_mining(fact_table => ''tap_demo.sales_lines'', customer_column => ''client_id'', order_column => ''order_id'', time_column => ''sold_at'', amount_column => ''amount'')')$$,
                   '%column "client_id" (the customer key) does not exist in tap_demo.sales_lines%', 'a missing column is named, with its role');
SELECT throws_ok($$SELECT configure_mining('tap_x', 'tap_demo.sales_lines', 'customer_id', 'order_id', 'sold_at', 'amount',
                                           quantity_column => 'qty')$$,
                 '42703', NULL, 'configure_mining checks every name: SQLSTATE 42703');
SELECT throws_ok($$SELECT dblink_exec('other', 'CALL dmine.run_mining(''no such configuration'')')$$,
                 '42704', NULL, 'an unknown configuration: SQLSTATE 42704');
SELECT is((SELECT count(*) FROM runs), :runs_before::bigint, 'no run was logged for them');

-- 5. Quick mode --------------------------------------------------------------------------------------
SELECT run_id AS quick_run FROM dblink('runner', $$CALL dmine.run_mining('tap_demo', mode => 'quick')$$) AS t(run_id bigint) \gset
SELECT results_eq(format('SELECT mode, status, (parameters->>''sample_percent'')::float8 FROM runs WHERE run_id = %s', :quick_run),
                  $$VALUES ('quick', 'succeeded', 10::float8)$$, 'quick run: succeeded on a 10% sample');
SELECT cmp_ok((SELECT lines_scored FROM result_anomaly_summary WHERE run_id = :quick_run), '<',
              (SELECT lines_scored / 3 FROM result_anomaly_summary WHERE run_id = :full_run), 'quick run: fewer lines read');

-- 6. The read-only role: the latest_* views and nothing else --------------------------------------------
CREATE ROLE tap_reader;
SELECT grant_read_access('tap_reader') \g /dev/null
SELECT count(*) AS latest_rfm_rows FROM result_rfm WHERE run_id = (SELECT run_id FROM latest_run) \gset
SET ROLE tap_reader;
SELECT lives_ok($$DO $d$ DECLARE v text; BEGIN
                    FOR v IN SELECT unnest(ARRAY['latest_run', 'latest_steps', 'latest_profile', 'latest_correlation',
                        'latest_customer_features', 'latest_kmeans_scores', 'latest_clusters', 'latest_cluster_profiles',
                        'latest_anomalies', 'latest_anomaly_summary', 'latest_rfm', 'latest_rfm_segments']) LOOP
                        EXECUTE format('SELECT count(*) FROM dmine.%I', v);
                    END LOOP; END $d$ $$, 'the reader reads every latest_* view');
SELECT is((SELECT count(*) FROM latest_rfm), :latest_rfm_rows::bigint, '... and sees the rows');
SELECT throws_ok('SELECT count(*) FROM dmine.result_rfm', '42501', NULL, 'the reader cannot read the result tables');
SELECT throws_ok('SELECT count(*) FROM dmine.runs', '42501', NULL, '... nor the run log');
SELECT throws_ok('SELECT count(*) FROM dmine.mining_config', '42501', NULL, '... nor the configurations');
SELECT throws_ok('SELECT count(*) FROM tap_demo.sales_lines', '42501', NULL, '... nor the warehouse');
SELECT throws_ok($$CALL dmine.run_mining('tap_demo')$$, '42501', NULL, 'the reader cannot run the pipeline');
SELECT throws_ok($$SELECT dmine.configure_mining('r', 'tap_demo.sales_lines', 'customer_id', 'order_id', 'sold_at', 'amount')$$,
                 '42501', NULL, '... nor configure it');
SELECT throws_ok($$DELETE FROM dmine.latest_rfm$$, '42501', NULL, '... nor write through a view');
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'dmine'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
           AND (has_table_privilege('tap_reader', c.oid, 'SELECT') <> (c.relkind = 'v' AND c.relname LIKE 'latest\_%')
                OR has_table_privilege('tap_reader', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))),
          0::bigint, 'the reader''s privileges: SELECT on the latest_* views only');

-- 7. A second warehouse with quoted mixed-case names: Online Retail -----------------------------------
SELECT dmine_test.data_available() AS have_data \gset
\if :have_data
SELECT dblink_exec('runner', $$CREATE SCHEMA "Retail Data"$$) \g /dev/null
SELECT dblink_exec('runner', $$CREATE TABLE "Retail Data"."Online Retail" ("InvoiceNo" text, "StockCode" text,
    "Description" text, "Quantity" int, "InvoiceDate" timestamp, "UnitPrice" numeric, "CustomerID" int, "Country" text)$$) \g /dev/null
SELECT * FROM dblink('runner', $$SELECT dmine_test.load_csv('"Retail Data"."Online Retail"', 'retail/online_retail.csv.gz')$$) AS t(n bigint) \g /dev/null
SELECT dblink_exec('runner', $$CREATE VIEW "Retail Data"."Clean Lines" AS
    SELECT *, "Quantity" * "UnitPrice" AS "Line Amount" FROM "Retail Data"."Online Retail"
    WHERE "CustomerID" IS NOT NULL AND "InvoiceNo" NOT LIKE 'C%' AND "Quantity" > 0 AND "UnitPrice" > 0$$) \g /dev/null
SELECT run_id AS retail_run FROM dblink('runner', $$CALL dmine.run_mining(config_name => 'Online Retail',
    fact_table => '"Retail Data"."Clean Lines"', customer_column => 'CustomerID', order_column => 'InvoiceNo',
    time_column => 'InvoiceDate', amount_column => 'Line Amount', quantity_column => 'Quantity',
    options => '{"as_of": "2011-12-10", "k_max": 6}')$$) AS t(run_id bigint) \gset
SELECT results_eq(format('SELECT status, warehouse->>''fact_table'', warehouse->>''customer_column'' FROM runs WHERE run_id = %s', :retail_run),
                  $$VALUES ('succeeded', '"Retail Data"."Clean Lines"', 'CustomerID')$$,
                  'Online Retail: the whole pipeline succeeds on a view with quoted mixed-case names');
SELECT is((SELECT count(*) FROM result_rfm WHERE run_id = :retail_run), 4338::bigint, 'Online Retail: 4,338 customers');
SELECT results_eq(format('SELECT customer_key, recency_days, frequency, round(monetary::numeric, 2) FROM result_rfm
                          WHERE run_id = %s AND customer_key IN (''12346'', ''14646'') ORDER BY 1', :retail_run),
                  $$VALUES ('12346', 326, 1::bigint, 77183.60), ('14646', 2, 73::bigint, 280206.02)$$,
                  'Online Retail through the pipeline: 12346 R = 326, F = 1, M = 77,183.60; 14646 F = 73, M = 280,206.02');
SELECT is((SELECT lines_scored FROM result_anomaly_summary WHERE run_id = :retail_run), 397884::bigint,
          'Online Retail: the 397,884 clean lines scored');
\else
SELECT skip('the reference data directory is not available', 4);
\endif

SELECT * FROM finish();
ROLLBACK;

-- Clean up what the other sessions committed.
SELECT dblink_exec('runner', 'DROP SCHEMA IF EXISTS tap_demo CASCADE') \g /dev/null
SELECT dblink_exec('runner', 'DROP SCHEMA IF EXISTS "Retail Data" CASCADE') \g /dev/null
SELECT dblink_exec('runner', $$DELETE FROM dmine.runs WHERE config_name IN ('tap_demo', 'tap_demo_rfm', 'tap_bad', 'Online Retail')$$) \g /dev/null
SELECT dblink_exec('runner', $$DELETE FROM dmine.mining_config WHERE config_name IN ('tap_demo', 'tap_demo_rfm', 'tap_bad', 'Online Retail')$$) \g /dev/null
SELECT dblink_disconnect(c) FROM unnest(dblink_get_connections()) AS c \g /dev/null
