-- What a new user meets first: run_mining in a transaction block (a clear 25001 with what to do),
-- errors as one message with detail and hint and no PL/pgSQL context, quoted or mis-cased column
-- names, the currency of the mapping, k capped by the minimum cluster size with unique readable
-- labels (on the demo warehouse, the French one and a generated one where one cluster holds most
-- customers), and latest_rfm_segments in segment order.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
-- The French warehouse with 200 customers, committed (the runs read it from another session).
\set schema tap_use_fr
\set lignes 12000
\set produits 500
\set clients 200
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;
SELECT dmine_test.self_conninfo() AS conn \gset
SELECT dblink_connect('use_runner', :'conn') \g /dev/null
-- The demo warehouse with 200 customers.
SELECT * FROM dblink('use_runner', $$SELECT count(*) FROM dmine.create_demo_warehouse('tap_use', scale => 0.04)$$) AS t(n bigint) \g /dev/null
-- A generated warehouse where most customers are alike: 180 small monthly buyers, 20 big weekly
-- buyers.
SELECT dblink_exec('use_runner', $$
    DROP SCHEMA IF EXISTS tap_use_most CASCADE;
    CREATE SCHEMA tap_use_most;
    CREATE TABLE tap_use_most.orders AS
    SELECT c AS client, c * 1000 + o AS order_no,
           timestamp '2024-01-01 10:00' + (CASE WHEN c > 180 THEN 7 ELSE 30 END * o + c % 5) * interval '1 day' AS at,
           (CASE WHEN c > 180 THEN 2000 ELSE 40 END * (1 + 0.2 * ((c * 7 + o) % 5)))::numeric(12, 2) AS total
    FROM generate_series(1, 200) AS c, generate_series(0, 11) AS o
    WHERE c > 180 OR o < 4 + c % 3$$) \g /dev/null
BEGIN;
SELECT plan(30);

-- The error a statement raises, as {sqlstate, message, detail, hint, context}.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    e jsonb;
    s text; m text; d text; h text; c text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT,
                            c = PG_EXCEPTION_CONTEXT;
    RETURN jsonb_strip_nulls(jsonb_build_object('sqlstate', s, 'message', m, 'detail', NULLIF(d, ''), 'hint', NULLIF(h, ''),
                                                'context', NULLIF(c, '')));
END
$$;
-- The same for a statement run in the other session, with the first line of the context only:
-- dblink's own line comes after the remote context, when there is one.
CREATE FUNCTION pg_temp.remote_error_of(statement text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT e || jsonb_build_object('context', split_part(e->>'context', E'\n', 1))
    FROM pg_temp.error_of(format('SELECT * FROM dblink(%L, %L) AS t(x bigint)', 'use_runner', statement)) AS e
$$;
SELECT count(*) AS runs_before FROM runs \gset

-- 1. In a transaction block ----------------------------------------------------------------------
SELECT is(pg_temp.error_of($$CALL dmine.run_mining('tap_use')$$) - 'detail' - 'hint',
          '{"sqlstate": "25001", "message": "run_mining cannot run inside a transaction block"}'::jsonb,
          'CALL inside BEGIN ... COMMIT: 25001 at once, one message and no context');
SELECT matches(pg_temp.error_of($$CALL dmine.run_mining('tap_use')$$)->>'hint', 'outside BEGIN \.\.\. COMMIT.*autocommit',
               '... the hint says to run it on its own, in autocommit');
SELECT matches(pg_temp.error_of($$CALL dmine.run_mining('tap_use')$$)->>'detail', 'commits after every step',
               '... the detail says why');
-- A driver in non-autocommit mode sends BEGIN first; several statements in one query are a block too.
SELECT dblink_exec('use_runner', 'BEGIN') \g /dev/null
SELECT is(pg_temp.remote_error_of($$CALL dmine.run_mining('tap_use')$$)->>'sqlstate', '25001',
          'another session inside BEGIN: 25001');
SELECT dblink_exec('use_runner', 'ROLLBACK') \g /dev/null
SELECT is(pg_temp.remote_error_of($$CALL dmine.run_mining('tap_use'); SELECT 1$$)->>'sqlstate', '25001',
          'CALL and another statement sent as one query: 25001');
SELECT is(pg_temp.error_of($$DO 'DECLARE r bigint; BEGIN CALL dmine.run_mining(''tap_use'', run_id => r); END'$$)->>'sqlstate', '25001',
          'CALL from a DO block inside a transaction: 25001');
SELECT is((SELECT count(*) FROM runs), :runs_before::bigint, 'none of them logged a run');

-- 2. Errors: one message, its hint, no context ---------------------------------------------------
SELECT is(pg_temp.error_of($$SELECT dmine.configure_mining('tap_use_bad', 'tap_use.sales_lines', 'cust', 'order_id', 'sold_at', 'amount')$$),
          jsonb_build_object('sqlstate', '42703', 'message', 'column "cust" (the customer key) does not exist in tap_use.sales_lines',
                             'hint', 'The columns of tap_use.sales_lines: ''line_id'', ''order_id'', ''sold_at'', ''date_key'', ''customer_id'', ''product_id'', ''depot_id'', ''quantity'', ''unit_price'', ''amount''.'),
          'configure_mining, a missing column: 42703 naming it, the columns as hint, no context');
SELECT is(pg_temp.error_of($$SELECT dmine.configure_mining('tap_use_bad', 'tap_use.sales_lines', '"customer_id"', 'order_id', 'sold_at', 'amount')$$),
          jsonb_build_object('sqlstate', '42703', 'message', 'column ''"customer_id"'' (the customer key) does not exist in tap_use.sales_lines',
                             'hint', 'Column names are given as stored (case-sensitive), without double quotes: ''customer_id''.'),
          'a column name in double quotes: shown as given (no doubled quotes), the hint names the column');
SELECT is(pg_temp.error_of($$SELECT dmine.configure_mining('tap_use_bad', 'tap_use_fr.lignes_vente', 'ID_Client', 'num_commande', 'date_cle', 'montant')$$)->>'hint',
          'Column names are given as stored (case-sensitive), without double quotes: ''id_client''.',
          'French warehouse, a name in the wrong case: the hint names the column');
SELECT is(pg_temp.error_of($$SELECT dmine.configure_mining('tap_use_bad', 'tap_use.sales_lines', 'customer_id', 'order_id', 'sold_at', 'amount', options => '{"currency": "eur"}')$$) - 'message',
          '{"sqlstate": "22023", "hint": "For example {\"currency\": \"EUR\"} or {\"currency\": \"USD\"}."}'::jsonb,
          'configure_mining, a bad option: 22023 with its hint, no context');
SELECT is(pg_temp.remote_error_of($$CALL dmine.run_mining('tap_use', options => '{"k_mni": 3}')$$)->>'context',
          'while executing query on dblink connection named "use_runner"',
          'run_mining, an unknown option: no context from the pipeline (only the line dblink adds)');
SELECT dblink_exec('use_runner', $$CREATE VIEW tap_use.broken AS
    SELECT customer_id, order_id, sold_at, amount / (quantity - quantity) AS amount FROM tap_use.sales_lines$$) \g /dev/null
SELECT is(pg_temp.remote_error_of($$CALL dmine.run_mining(fact_table => 'tap_use.broken', customer_column => 'customer_id',
              order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount', steps => '{rfm}')$$)
          - 'message' - 'hint',
          '{"sqlstate": "22012", "context": "while executing query on dblink connection named \"use_runner\""}'::jsonb,
          'run_mining, a failing step: the step''s SQLSTATE, no context from the pipeline');
SELECT matches((SELECT e->>'message' || ' / ' || (e->>'hint') FROM pg_temp.remote_error_of($$CALL dmine.run_mining('tap_use.broken', steps => '{rfm}')$$) AS e),
               '^mining run [0-9]+ \(configuration "tap_use.broken"\) failed at step rfm: division by zero / The steps that succeeded kept their results; .*SELECT step, status, error FROM dmine.run_steps WHERE run_id = [0-9]+',
               '... the message names the run and the step, the hint where to read the log');

-- 3. The currency of the mapping -----------------------------------------------------------------
SELECT throws_ok($$SELECT dmine.dm_mining_options('{"currency": "EURO"}')$$, '22023', NULL, 'currency "EURO": 22023');
SELECT throws_ok($$SELECT dmine.dm_mining_options('{"currency": 978}')$$, '22023', NULL, 'currency 978 (a number): 22023');
SELECT throws_ok($$SELECT dmine.dm_mining_options('{"min_cluster_size": 0}')$$, '22023', NULL, 'min_cluster_size 0: 22023');

-- 4. k capped by the minimum cluster size, unique labels -----------------------------------------
SELECT run_id AS demo_run FROM dblink('use_runner', $$CALL dmine.run_mining('tap_use',
    options => '{"k_min": 40, "k_max": 50, "currency": "EUR"}', steps => '{features,clustering,cluster_profiles,rfm}')$$)
    AS t(run_id bigint) \gset
SELECT is((SELECT warehouse->>'currency' FROM runs WHERE run_id = :demo_run), 'EUR', 'demo: the mapping of the run names the currency');
SELECT is((SELECT (details->'min_cluster_size') || (details->'k_cap') || (details->'k_capped') || jsonb_build_array(details->'k_requested')
           FROM run_steps WHERE run_id = :demo_run AND step = 'clustering'),
          '[10, 20, true, {"k_max": 50, "k_min": 40}]'::jsonb,
          'demo, k from 40 to 50 on 200 customers: capped at 20 (minimum cluster size 10), recorded in the details');
SELECT ok((SELECT (details->>'k')::int <= 20 FROM run_steps WHERE run_id = :demo_run AND step = 'clustering'),
          'demo: at most 20 clusters');
CREATE FUNCTION pg_temp.labels_unique(run bigint) RETURNS boolean
LANGUAGE sql AS $$
    -- unique, and no two made of the same words in another order
    SELECT count(DISTINCT label) = count(*)
           AND count(DISTINCT (SELECT string_agg(w, ',' ORDER BY w) FROM regexp_split_to_table(label, ', ') AS w)) = count(*)
    FROM dmine.result_cluster_profiles WHERE run_id = run
$$;
SELECT ok(pg_temp.labels_unique(:demo_run), 'demo: the labels are unique, also as sets of words');
SELECT run_id AS fr_run FROM dblink('use_runner', $$CALL dmine.run_mining(config_name => 'tap_use_fr',
    fact_table => 'tap_use_fr.lignes_vente', customer_column => 'id_client', order_column => 'num_commande',
    time_column => 'date_cle', amount_column => 'montant', quantity_column => 'quantite',
    options => '{"k_min": 40, "k_max": 50, "currency": "EUR"}', steps => '{features,clustering,cluster_profiles}')$$)
    AS t(run_id bigint) \gset
SELECT is((SELECT (details->>'k_cap')::int FROM run_steps WHERE run_id = :fr_run AND step = 'clustering'),
          (SELECT count(*)::int / 10 FROM result_customer_features WHERE run_id = :fr_run AND features IS NOT NULL),
          'French: k capped at the customers / 10');
SELECT ok(pg_temp.labels_unique(:fr_run), 'French: the labels are unique, also as sets of words');
SELECT run_id AS fr_big_run FROM dblink('use_runner', $$CALL dmine.run_mining('tap_use_fr',
    options => '{"min_cluster_size": 50}', steps => '{features,clustering,cluster_profiles}')$$) AS t(run_id bigint) \gset
SELECT ok((SELECT (details->>'k')::int <= (details->>'customers')::int / 50 AND (details->>'k_max')::int = (details->>'customers')::int / 50
           FROM run_steps WHERE run_id = :fr_big_run AND step = 'clustering'),
          'French, min_cluster_size 50: k at most customers / 50');
SELECT run_id AS most_run FROM dblink('use_runner', $$CALL dmine.run_mining(config_name => 'tap_use_most',
    fact_table => 'tap_use_most.orders', customer_column => 'client', order_column => 'order_no', time_column => 'at',
    amount_column => 'total', options => '{"k_max": 2}', steps => '{features,clustering,cluster_profiles}')$$)
    AS t(run_id bigint) \gset
SELECT results_eq(format('SELECT size, label ~ ''^Low spend'', label ~ ''^High spend'' FROM result_cluster_profiles WHERE run_id = %s ORDER BY size DESC', :most_run),
                  $$VALUES (180::bigint, true, false), (20, false, true)$$,
                  'a cluster of 90% of the customers is labelled against the others: low spend (not "Average"); the others high spend');

-- 5. latest_rfm_segments in segment order --------------------------------------------------------
SELECT run_id AS rfm_run FROM dblink('use_runner', $$CALL dmine.run_mining('tap_use', steps => '{rfm}')$$) AS t(run_id bigint) \gset
SELECT is((SELECT run_id FROM latest_run), :rfm_run::bigint, 'the RFM run is the latest');
SELECT ok((SELECT count(*) > 3 FROM latest_rfm_segments), 'latest_rfm_segments: several segments');
SELECT is((SELECT array_agg(segment_order) FROM latest_rfm_segments),
          (SELECT array_agg(segment_order ORDER BY segment_order) FROM latest_rfm_segments),
          'latest_rfm_segments comes in segment_order, best first');
SELECT matches(pg_get_viewdef('dmine.latest_rfm_segments'::regclass), 'ORDER BY', 'the view itself is ordered');
SELECT is((SELECT count(*) FROM latest_rfm_segments WHERE segment_order IS NULL), 0::bigint, 'every segment has its order');

SELECT * FROM finish();
ROLLBACK;
SELECT dblink_exec('use_runner', $$DROP SCHEMA tap_use CASCADE; DROP SCHEMA tap_use_most CASCADE; DROP SCHEMA tap_use_fr CASCADE;
    DELETE FROM dmine.mining_config WHERE config_name LIKE 'tap_use%'$$) \g /dev/null
SELECT dblink_disconnect('use_runner') \g /dev/null
