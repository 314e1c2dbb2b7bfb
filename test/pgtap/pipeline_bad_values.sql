-- One bad value never fails a pipeline step: every step on fact tables with NULL keys and
-- timestamps, NULL/NaN/infinite/huge amounts and quantities, returns, degenerate customers, empty
-- tables, views and columns of unusual types. Each step runs as run_mining runs it (same context),
-- inside this transaction, in a subtransaction of its own; its outcome and details are kept.
-- psql variable steps (default dmine) names the schema of the step functions.
\set ON_ERROR_STOP 1
\set QUIET 1
\if :{?steps}
\else
\set steps dmine
\endif
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;  -- a real run commits: it runs in another session
SELECT dmine_test.self_conninfo() AS conn \gset
BEGIN;
SELECT plan(66);

-- 0. A real run (CALL run_mining, in another session) with the three reported faults -------------
-- First: the steps run below take locks (ANALYZE of the result tables) the other session needs.
SELECT dblink_connect('bad_runner', :'conn') \g /dev/null
SELECT dblink_exec('bad_runner', $$
    CREATE SCHEMA tap_bad_run;
    CREATE TABLE tap_bad_run.lines AS
    SELECT i AS line, 'c' || (i % 30) AS cust, (i % 30) * 1000 + i / 90 AS ord, timestamp '2024-01-01' + i * interval '37 minutes' AS ts,
           (10 + (i % 30) * 3 + i % 7)::numeric AS amount, CASE WHEN i % 30 <> 1 THEN 1 + i % 4 END AS qty, 3.5::money AS price
    FROM generate_series(1, 900) AS i;
    UPDATE tap_bad_run.lines SET amount = 'NaN' WHERE line = 5$$) \g /dev/null
SELECT lives_ok($$SELECT * FROM dblink('bad_runner', $q$CALL dmine.run_mining(config_name => 'tap_bad_run', fact_table => 'tap_bad_run.lines',
                      customer_column => 'cust', order_column => 'ord', time_column => 'ts', amount_column => 'amount',
                      quantity_column => 'qty', options => '{"n_trees": 20, "k_max": 4}')$q$) AS t(run_id bigint)$$,
                'run_mining on a fact table with a money column, a NaN amount and a customer without quantities succeeds');
SELECT results_eq($$SELECT s.step, s.status, s.details->'skipped' FROM run_steps s JOIN runs r USING (run_id)
                    WHERE r.config_name = 'tap_bad_run' ORDER BY s.position$$,
                  $$VALUES ('profile', 'succeeded', '{"correlation_lines": 31}'::jsonb),
                           ('features', 'succeeded', '{"lines": 0, "missing": {"time": 0, "amount": 1, "order_key": 0, "customer_key": 0}, "customers": 0}'),
                           ('clustering', 'succeeded', '{"customers": 1}'), ('cluster_profiles', 'succeeded', NULL),
                           ('anomalies', 'succeeded', '{"lines": 31}'), ('rfm', 'succeeded', NULL),
                           ('trends', 'succeeded', '{"time": 0, "amount": 1}'),
                           ('breakdowns', 'succeeded', '"see the trends step"'), ('forecast', 'succeeded', '"see the trends step"')$$,
                  '... each step records what it skipped in run_steps.details');

CREATE SCHEMA tap_bad;
-- A clean fact table: 30 customers, 900 lines, about 10 orders each.
CREATE TABLE tap_bad.base (line int, cust text, ord int, ts timestamp, amount numeric, qty numeric, extra float8);
INSERT INTO tap_bad.base
SELECT i, 'c' || (i % 30), (i % 30) * 1000 + i / 90, timestamp '2024-01-01' + i * interval '37 minutes',
       10 + (i % 30) * 3 + i % 7, 1 + i % 4, (i % 5)::float8
FROM generate_series(1, 900) AS i;

CREATE TEMP TABLE outcome (id serial, config text, step text, status text, state text, message text, details jsonb);

-- Configure and run every step on a fact table; the outcomes go to table outcome.
CREATE FUNCTION pg_temp.mine(config text, fact text, customer text DEFAULT 'cust', ord text DEFAULT 'ord',
                             ts text DEFAULT 'ts', amount text DEFAULT 'amount', quantity text DEFAULT 'qty',
                             line text DEFAULT 'line', extras text[] DEFAULT '{}',
                             options jsonb DEFAULT '{"n_trees": 20, "sample_size": 256, "k_max": 4}',
                             steps text[] DEFAULT '{profile,features,clustering,cluster_profiles,anomalies,rfm}',
                             steps_schema text DEFAULT :'steps')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ctx jsonb;
    v_run bigint;
    step text;
    pos int := 0;
    result jsonb;
    v_state text;
    v_message text;
BEGIN
    PERFORM dmine.configure_mining(config, fact, customer, ord, ts, amount, quantity, line, extras, options);
    ctx := jsonb_build_object('mapping', dmine.dm_mining_mapping(c), 'options', dmine.dm_mining_options(c.options),
                              'mode', 'full', 'sample_percent', NULL)
    FROM dmine.mining_config c WHERE c.config_name = config;
    INSERT INTO dmine.runs (config_name, mode, steps, status, warehouse, parameters)
    VALUES (config, 'full', '{profile,features,clustering,cluster_profiles,anomalies,rfm}', 'running',
            ctx->'mapping', ctx->'options')
    RETURNING run_id INTO v_run;
    ctx := ctx || jsonb_build_object('run_id', v_run);
    EXECUTE format('SELECT %I.dm_pipeline_source($1)', steps_schema) INTO v_message USING ctx;
    ctx := ctx || jsonb_build_object('source', v_message);
    FOREACH step IN ARRAY steps LOOP
        pos := pos + 1;
        result := NULL;
        v_state := NULL;
        v_message := NULL;
        BEGIN
            ctx := jsonb_set(ctx, '{options,as_of}', COALESCE((SELECT parameters->'as_of' FROM dmine.runs WHERE run_id = v_run), 'null'));
            EXECUTE format('SELECT %I.dm_step_%s($1)', steps_schema, step) INTO result USING ctx;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        END;
        INSERT INTO dmine.run_steps (run_id, step, position, status, rows, error, details)
        VALUES (v_run, step, pos, CASE WHEN v_state IS NULL THEN 'succeeded' ELSE 'failed' END,
                (result->>'rows')::bigint, v_message, result->'details');
        INSERT INTO outcome (config, step, status, state, message, details) VALUES (config, step, CASE WHEN v_state IS NULL THEN 'succeeded' ELSE 'failed' END,
                                    v_state, v_message, result->'details');
    END LOOP;
END
$$;
-- A copy of the clean table, changed by some SQL (%s: the copy's name).
CREATE FUNCTION pg_temp.fact(name text, change text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE tap_bad.%I AS SELECT * FROM tap_bad.base', name);
    IF change IS NOT NULL THEN
        EXECUTE replace(change, '%s', format('tap_bad.%I', name));
    END IF;
    RETURN format('tap_bad.%I', name);
END
$$;
-- The steps that did not succeed, with their SQLSTATE and message ('' when every step did).
CREATE FUNCTION pg_temp.failures(cfg text) RETURNS text LANGUAGE sql AS $$
    SELECT COALESCE(string_agg(format('%s %s: %s', step, state, message), '; ' ORDER BY id), '')
    FROM outcome WHERE config = cfg AND status <> 'succeeded'
$$;
CREATE FUNCTION pg_temp.detail(cfg text, stp text, path text[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT details #> path FROM outcome WHERE config = cfg AND step = stp
$$;

-- 1. The three reported faults -------------------------------------------------------------------
SELECT pg_temp.mine('no_qty', pg_temp.fact('no_qty', $$UPDATE %s SET qty = NULL WHERE cust = 'c1'$$));
SELECT is(pg_temp.failures('no_qty'), '', 'a customer whose quantities are all NULL: every step succeeds (was 22004 in clustering)');
SELECT is(pg_temp.detail('no_qty', 'features', '{customers_without_vector}'), '1',
          '... the customer keeps its features without a vector, counted');
SELECT results_eq($$SELECT pg_temp.detail('no_qty', 'clustering', '{skipped,customers}'), pg_temp.detail('no_qty', 'clustering', '{customers}')$$,
                  $$VALUES ('1'::jsonb, '29'::jsonb)$$, '... clustering skips it and counts it');
SELECT is((SELECT count(*) FROM result_clusters c JOIN runs r USING (run_id) WHERE r.config_name = 'no_qty'), 29::bigint,
          '... the other 29 customers are clustered');

SELECT pg_temp.mine('nan_amount', pg_temp.fact('nan_amount', $$UPDATE %s SET amount = 'NaN' WHERE line = 5$$));
SELECT is(pg_temp.failures('nan_amount'), '', 'one NaN amount: every step succeeds (was 22000 in the profile)');
SELECT results_eq($$SELECT pg_temp.detail('nan_amount', 'profile', '{skipped,correlation_lines}'),
                           pg_temp.detail('nan_amount', 'features', '{skipped,missing,amount}'),
                           pg_temp.detail('nan_amount', 'anomalies', '{skipped,lines}')$$,
                  $$VALUES ('1'::jsonb, '1'::jsonb, '1'::jsonb)$$,
                  '... the line is left out of the correlations, the monetary sum and the forest, and counted');
SELECT is((SELECT (stats).nan_count FROM dm_profile('tap_bad.nan_amount') WHERE column_name = 'amount'), 1::bigint,
          '... the profile counts it apart');

SELECT pg_temp.mine('money', pg_temp.fact('money', $$ALTER TABLE %s ADD price money DEFAULT 3.5$$));
SELECT is(pg_temp.failures('money'), '', 'an unmapped money column: every step succeeds (was 42883 in the profile)');
SELECT results_eq($$SELECT kind, distinct_estimate, mean, min_value FROM result_profile p JOIN runs r USING (run_id)
                    WHERE r.config_name = 'money' AND column_name = 'price'$$,
                  $$VALUES ('numeric', 1::bigint, 3.5::float8, '$3.50')$$, '... and is profiled as a number');

-- 2. Keys and timestamps -------------------------------------------------------------------------
SELECT pg_temp.mine('null_keys', pg_temp.fact('null_keys', $$UPDATE %s SET cust = NULL WHERE line <= 10;
                                                             UPDATE %s SET ord = NULL WHERE line BETWEEN 11 AND 15$$));
SELECT is(pg_temp.failures('null_keys'), '', 'NULL customer and order keys: every step succeeds');
SELECT is(pg_temp.detail('null_keys', 'features', '{skipped}'),
                  $${"lines": 15, "missing": {"time": 0, "amount": 0, "order_key": 5, "customer_key": 10}, "customers": 0}$$::jsonb,
                  '... those lines are skipped and counted by key');
SELECT is((SELECT sum(frequency) FROM result_rfm f JOIN runs r USING (run_id) WHERE r.config_name = 'null_keys'),
          (SELECT count(DISTINCT (cust, ord)) FROM tap_bad.null_keys WHERE cust IS NOT NULL AND ord IS NOT NULL)::numeric,
          '... RFM counts the orders of the other lines');

SELECT pg_temp.mine('null_ts', pg_temp.fact('null_ts', $$UPDATE %s SET ts = NULL WHERE line <= 20$$));
SELECT is(pg_temp.failures('null_ts'), '', 'NULL timestamps: every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('null_ts', 'features', '{skipped,missing,time}'), pg_temp.detail('null_ts', 'anomalies', '{skipped,lines}')$$,
                  $$VALUES ('20'::jsonb, '20'::jsonb)$$, '... counted: their amounts still count, the forest skips them (no hour)');

SELECT pg_temp.mine('inf_ts', pg_temp.fact('inf_ts', $$UPDATE %s SET ts = 'infinity' WHERE line <= 5;
                                                       UPDATE %s SET ts = '-infinity' WHERE line BETWEEN 6 AND 8$$));
SELECT is(pg_temp.failures('inf_ts'), '', 'infinite timestamps: every step succeeds (recency would fail on them)');
SELECT is(pg_temp.detail('inf_ts', 'features', '{skipped,missing,time}'), '8', '... and they are counted as missing times');

SELECT pg_temp.mine('dates', pg_temp.fact('dates', $$ALTER TABLE %s ALTER ts TYPE date; UPDATE %s SET ts = 'infinity' WHERE line <= 4;
                                                       UPDATE %s SET ts = NULL WHERE line = 5$$));
SELECT results_eq($$SELECT pg_temp.failures('dates'), pg_temp.detail('dates', 'features', '{skipped,missing,time}'), pg_temp.detail('dates', 'anomalies', '{skipped,lines}')$$,
                  $$VALUES ('', '5'::jsonb, '0'::jsonb)$$, 'a date time column with infinite and NULL dates: every step succeeds, counted (no hour feature)');

SELECT pg_temp.mine('cust_no_time', pg_temp.fact('cust_no_time', $$UPDATE %s SET ts = NULL WHERE cust = 'c3'$$));
SELECT is(pg_temp.failures('cust_no_time'), '', 'a customer without any timestamp: every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('cust_no_time', 'features', '{customers}'), pg_temp.detail('cust_no_time', 'features', '{skipped,customers}')$$,
                  $$VALUES ('29'::jsonb, '1'::jsonb)$$, '... the customer is skipped (no recency) and counted');

-- 3. Amounts and quantities ----------------------------------------------------------------------
SELECT pg_temp.mine('no_amount', pg_temp.fact('no_amount', $$UPDATE %s SET amount = NULL WHERE cust = 'c2'$$));
SELECT is(pg_temp.failures('no_amount'), '', 'a customer whose amounts are all NULL: every step succeeds (was 22004)');
SELECT results_eq($$SELECT pg_temp.detail('no_amount', 'features', '{skipped,customers}'), pg_temp.detail('no_amount', 'features', '{skipped,lines}'),
                           pg_temp.detail('no_amount', 'rfm', '{customers}')$$,
                  $$VALUES ('1'::jsonb, '30'::jsonb, '29'::jsonb)$$, '... the customer and its 30 lines are skipped and counted');

SELECT pg_temp.mine('infinite', pg_temp.fact('infinite', $$UPDATE %s SET amount = 'Infinity' WHERE line = 3;
    UPDATE %s SET amount = '-Infinity' WHERE line = 4; UPDATE %s SET qty = 'Infinity' WHERE line = 5;
    UPDATE %s SET qty = '-Infinity' WHERE line = 6; UPDATE %s SET qty = 'NaN' WHERE line = 7$$));
SELECT is(pg_temp.failures('infinite'), '', '±Infinity amounts and quantities, a NaN quantity: every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('infinite', 'features', '{skipped,missing,amount}'), pg_temp.detail('infinite', 'features', '{lines_without_quantity}'),
                           pg_temp.detail('infinite', 'anomalies', '{skipped,lines}'), pg_temp.detail('infinite', 'profile', '{skipped,correlation_lines}')$$,
                  $$VALUES ('2'::jsonb, '3'::jsonb, '5'::jsonb, '5'::jsonb)$$, '... each counted where it is left out');
SELECT is((SELECT count(*) FROM result_customer_features f JOIN runs r USING (run_id)
           WHERE r.config_name = 'infinite' AND NOT (monetary < 'Infinity' AND monetary > '-Infinity' AND avg_quantity < 'Infinity')),
          0::bigint, '... no customer feature is infinite or NaN');

SELECT pg_temp.mine('huge', pg_temp.fact('huge', $$ALTER TABLE %s ALTER qty TYPE float8;
    UPDATE %s SET amount = 1e400 WHERE line = 3; UPDATE %s SET amount = -1e300 WHERE line = 4;
    UPDATE %s SET amount = 1.7e308 WHERE line = 5; UPDATE %s SET qty = 1.7e308 WHERE line IN (6, 36)$$));
SELECT is(pg_temp.failures('huge'), '', 'numeric amounts of 1e400 (beyond float8), ±1e300, float8 quantities of 1.7e308: every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('huge', 'features', '{skipped,missing,amount}'), pg_temp.detail('huge', 'features', '{lines_without_quantity}')$$,
                  $$VALUES ('3'::jsonb, '2'::jsonb)$$, '... values of 1e300 or more in magnitude are left out and counted');
SELECT results_eq($$SELECT (stats).infinity_count, max_value FROM dm_profile('tap_bad.huge') WHERE column_name = 'amount'$$,
                  $$VALUES (1::bigint, '1' || repeat('0', 400))$$, '... the profile shows 1e400 as its max and counts it as infinite in the statistics');

SELECT pg_temp.mine('typmod', pg_temp.fact('typmod', $$ALTER TABLE %s ALTER amount TYPE numeric(12, 2), ALTER qty TYPE numeric(1000, 0);
    UPDATE %s SET amount = 'NaN' WHERE line IN (1, 2); UPDATE %s SET qty = 1e400 WHERE line = 3$$));
SELECT results_eq($$SELECT pg_temp.failures('typmod'), pg_temp.detail('typmod', 'features', '{skipped,missing,amount}'),
                           pg_temp.detail('typmod', 'features', '{lines_without_quantity}')$$,
                  $$VALUES ('', '2'::jsonb, '1'::jsonb)$$,
                  'NaN in a numeric(12, 2) amount, 1e400 in a numeric(1000, 0) quantity: every step succeeds, both counted');

SELECT pg_temp.mine('returns', pg_temp.fact('returns', $$UPDATE %s SET amount = -amount, qty = -qty WHERE line % 10 = 0;
                                                         UPDATE %s SET amount = -amount, qty = -qty WHERE cust = 'c7'$$));
SELECT is(pg_temp.failures('returns'), '', 'negative amounts and quantities (returns): every step succeeds');
SELECT cmp_ok((SELECT monetary FROM result_customer_features f JOIN runs r USING (run_id)
               WHERE r.config_name = 'returns' AND customer_key = 'c7'), '<', 0::float8,
              '... a customer with only returns has a negative monetary value');

SELECT pg_temp.mine('zero_qty', pg_temp.fact('zero_qty', $$UPDATE %s SET qty = 0$$));
SELECT is(pg_temp.failures('zero_qty'), '', 'zero quantities everywhere: every step succeeds');

SELECT pg_temp.mine('extras', pg_temp.fact('extras', $$UPDATE %s SET extra = 'NaN' WHERE line <= 4;
    UPDATE %s SET extra = NULL WHERE line BETWEEN 5 AND 6; UPDATE %s SET extra = '-Infinity' WHERE line = 7$$), extras => '{extra}');
SELECT is(pg_temp.failures('extras'), '', 'NaN, NULL and infinite extra features: every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('extras', 'anomalies', '{skipped,lines}'), pg_temp.detail('extras', 'anomalies', '{lines_scored}')$$,
                  $$VALUES ('7'::jsonb, '893'::jsonb)$$, '... the forest skips those lines and counts them');

SELECT pg_temp.mine('rfm_alone', pg_temp.fact('rfm_alone', $$UPDATE %s SET cust = NULL WHERE line <= 10;
    UPDATE %s SET amount = 'NaN' WHERE line BETWEEN 11 AND 12; UPDATE %s SET amount = NULL WHERE cust = 'c2';
    UPDATE %s SET ts = 'infinity' WHERE line = 13$$), steps => '{rfm}');
SELECT results_eq($$SELECT pg_temp.failures('rfm_alone'), pg_temp.detail('rfm_alone', 'rfm', '{from}'), pg_temp.detail('rfm_alone', 'rfm', '{customers}'),
                           pg_temp.detail('rfm_alone', 'rfm', '{skipped}')$$,
                  $$VALUES ('', '"fact table"'::jsonb, '29'::jsonb,
                            '{"lines": 39, "missing": {"time": 1, "amount": 31, "order_key": 0, "customer_key": 10}, "customers": 1}'::jsonb)$$,
                  'RFM alone, from the fact table: the same lines and customers are skipped, and counted');

-- 4. Degenerate customers ------------------------------------------------------------------------
SELECT pg_temp.mine('single', pg_temp.fact('single', $$DELETE FROM %s WHERE cust = 'c1' AND line > 1$$));
SELECT is(pg_temp.failures('single'), '', 'a customer with a single line: every step succeeds');

SELECT pg_temp.mine('same', pg_temp.fact('same', $$UPDATE %s SET amount = 10, qty = 1, extra = 1, ord = substr(cust, 2)::int,
                                                     ts = timestamp '2024-01-01 10:00'$$));
SELECT is(pg_temp.failures('same'), '', 'all customers identical (zero variance): every step succeeds');
SELECT is((SELECT count(DISTINCT cluster) FROM result_clusters c JOIN runs r USING (run_id) WHERE r.config_name = 'same'), 1::bigint,
          '... all in one cluster');

SELECT pg_temp.mine('alike', pg_temp.fact('alike', $$UPDATE %s SET amount = 10 + 90 * (substr(cust, 2)::int % 2), qty = 1, extra = 1,
                                                       ord = substr(cust, 2)::int, ts = timestamp '2024-01-01 10:00'$$));
SELECT results_eq($$SELECT pg_temp.failures('alike'), pg_temp.detail('alike', 'clustering', '{k}')$$,
                  $$VALUES ('', '2'::jsonb)$$, 'customers of two kinds only (2 distinct vectors): every step succeeds, k = 2');

SELECT pg_temp.mine('few', pg_temp.fact('few', $$DELETE FROM %s WHERE cust NOT IN ('c1', 'c2', 'c3', 'c4')$$),
                    options => '{"k_min": 5, "k_max": 8, "n_trees": 20}');
SELECT is(pg_temp.failures('few'), '', 'fewer customers (4) than k_min (5): every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('few', 'clustering', '{k_min}'), pg_temp.detail('few', 'clustering', '{k_max}'), pg_temp.detail('few', 'clustering', '{k}')$$,
                  $$VALUES ('2'::jsonb, '2'::jsonb, '2'::jsonb)$$,
                  '... k is narrowed below the number of customers and to 2 by the minimum cluster size (10), as the details say');

SELECT pg_temp.mine('two', pg_temp.fact('two', $$DELETE FROM %s WHERE cust NOT IN ('c1', 'c2')$$));
SELECT is(pg_temp.failures('two'),
          'clustering P0002: no data: clustering needs at least 3 customers with a feature vector, the features step has 2; '
          'cluster_profiles P0002: cluster profiles need the clustering step of the same run',
          'two customers: clustering says it needs three; the other steps succeed');

-- 5. No data -------------------------------------------------------------------------------------
SELECT pg_temp.mine('empty', pg_temp.fact('empty', $$DELETE FROM %s$$));
SELECT results_eq($$SELECT step, status, state, message ~ '^(no data: |cluster profiles need)' FROM outcome WHERE config = 'empty' ORDER BY 2 DESC, 1$$,
                  $$VALUES ('profile', 'succeeded', NULL, NULL), ('anomalies', 'failed', 'P0002', true), ('cluster_profiles', 'failed', 'P0002', true),
                           ('clustering', 'failed', 'P0002', true), ('features', 'failed', 'P0002', true), ('rfm', 'failed', 'P0002', true)$$,
                  'an empty fact table: the profile says 0 rows, every other step fails with "no data" (SQLSTATE P0002)');
SELECT is((SELECT count(*) FROM result_profile p JOIN runs r USING (run_id) WHERE r.config_name = 'empty' AND row_count = 0 AND null_count = 0),
          7::bigint, '... the profile of an empty table: every column, 0 rows');
SELECT is((SELECT message FROM outcome WHERE config = 'empty' AND step = 'anomalies'),
          'no data: the anomaly step needs at least 2 sales lines with every feature (amount, quantity, hour) present, found 0',
          '... the anomaly step says what it needs');

SELECT pg_temp.mine('all_skipped', pg_temp.fact('all_skipped', $$UPDATE %s SET amount = 'NaN'$$));
SELECT results_eq($$SELECT step, state FROM outcome WHERE config = 'all_skipped' AND status = 'failed' ORDER BY 1$$,
                  $$VALUES ('anomalies', 'P0002'), ('cluster_profiles', 'P0002'), ('clustering', 'P0002'), ('features', 'P0002'), ('rfm', 'P0002')$$,
                  'every amount NaN: the profile succeeds, the other steps say "no data"');
SELECT is((SELECT message FROM outcome WHERE config = 'all_skipped' AND step = 'features'),
          'no data: no customer with an order key, a time and an amount on its sales lines', '... naming what a line needs');

-- 6. Views and unusual column types -------------------------------------------------------------
CREATE VIEW tap_bad.lines_view AS SELECT * FROM tap_bad.nan_amount;
SELECT pg_temp.mine('view', 'tap_bad.lines_view', line => NULL);
SELECT is(pg_temp.failures('view'), '', 'a view as the fact table (with a NaN amount, no line key): every step succeeds');

CREATE TYPE tap_bad.mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN tap_bad.price AS numeric(12, 2) CHECK (VALUE > -1000000);
CREATE DOMAIN tap_bad.cash AS money;
CREATE TYPE tap_bad.pair AS (a int, b text);
CREATE TABLE tap_bad.odd AS
SELECT b.*, (b.amount * 100)::money AS m, CASE WHEN b.line % 100 = 0 THEN 1e400 * b.line ELSE b.line END AS big, b.line * interval '1 minute' AS span,
       convert_to(b.cust, 'UTF8') AS raw, json_build_object('c', b.cust) AS j, jsonb_build_object('c', b.cust) AS jb,
       ARRAY[b.line, b.ord] AS arr, ARRAY[b.amount::money] AS money_arr, (ARRAY['sad', 'ok', 'happy'])[1 + b.line % 3]::tap_bad.mood AS mood,
       b.amount::tap_bad.price AS "Net €", md5(b.cust)::uuid AS uid, (b.line % 256)::bit(8) AS bits, b.line % 2 = 0 AS flag,
       to_tsvector('simple', b.cust || ' x') AS tsv, point(b.line, b.ord) AS pt, ROW(b.line, b.cust)::tap_bad.pair AS pair,
       int4range(b.line, b.line + 5) AS rng, '10.0.0.1'::inet AS ip, 'pg_class'::regclass AS rel,
       (b.qty * 10)::tap_bad.cash AS "Qty ""x"" Cash", json_build_object('c', b.cust)::text::json AS "Customer ""JSON""",
       point(b.ord, 0) AS "Order Point", NULL::numeric AS nothing
FROM tap_bad.base b;
UPDATE tap_bad.odd SET m = NULL, j = NULL, pt = NULL, mood = NULL, big = 'NaN' WHERE line <= 3;
SELECT pg_temp.mine('odd_unmapped', 'tap_bad.odd');
SELECT is(pg_temp.failures('odd_unmapped'), '', 'unmapped columns of unusual types (money, huge numeric, interval, bytea, json, jsonb, arrays, enum, domains, uuid, bit, tsvector, point, composite, range, inet, regclass): every step succeeds');
SELECT is((SELECT count(*) FROM result_profile p JOIN runs r USING (run_id) WHERE r.config_name = 'odd_unmapped'),
          (SELECT count(*) FROM pg_attribute WHERE attrelid = 'tap_bad.odd'::regclass AND attnum > 0)::bigint,
          '... the profile has every column');
SELECT pg_temp.mine('odd_mapped', 'tap_bad.odd', customer => 'Customer "JSON"', ord => 'Order Point', amount => 'Net €',
                    quantity => 'qty', line => 'raw', extras => ARRAY['Qty "x" Cash', 'big']);
SELECT is(pg_temp.failures('odd_mapped'), '', 'mapped columns of unusual types (json customer, point order, domain amount, domain-over-money and huge extras, bytea line key; quoted names): every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('odd_mapped', 'features', '{customers}'), pg_temp.detail('odd_mapped', 'rfm', '{customers}'),
                           pg_temp.detail('odd_mapped', 'anomalies', '{skipped,lines}')$$,
                  $$VALUES ('30'::jsonb, '30'::jsonb, '12'::jsonb)$$,
                  '... 30 customers; the lines whose "big" extra is beyond float8 or NaN are left out of the forest');

-- 7. dm_profile alone: every column type ---------------------------------------------------------
CREATE TEMP TABLE odd_profile AS SELECT * FROM dm_profile('tap_bad.odd', top_n => 2);
SELECT is((SELECT count(*) FROM odd_profile WHERE row_count = 900), 30::bigint, 'dm_profile: one row per column, whatever its type');
SELECT results_eq($$SELECT column_name::text COLLATE "default", kind, null_count, abs(distinct_estimate - e.n) <= 0.02 * e.n,
                           mean IS NOT NULL, min_value IS NOT NULL, top_values IS NOT NULL
                    FROM odd_profile JOIN (VALUES ('j', 30), ('m', 94), ('money_arr', 94), ('mood', 3), ('pair', 900),
                                                  ('pt', 897), ('tsv', 30)) AS e(c, n) ON column_name = e.c
                    ORDER BY 1$$,
                  $$VALUES ('j', 'other', 3::bigint, true, false, false, true), ('m', 'numeric', 3, true, true, true, false),
                           ('money_arr', 'other', 0, true, false, false, true), ('mood', 'other', 3, true, false, false, true),
                           ('pair', 'other', 0, true, false, false, true), ('pt', 'other', 3, true, false, false, true),
                           ('tsv', 'other', 0, true, false, false, true)$$,
                  '... types without hash or ordering (money, json, point, tsvector, arrays of them): counts, distinct texts, top values');
SELECT results_eq($$SELECT (stats).count, (stats).nan_count, (stats).infinity_count, min_value IS NOT NULL FROM odd_profile WHERE column_name = 'big'$$,
                  $$VALUES (888::bigint, 3::bigint, 9::bigint, true)$$,
                  '... a numeric beyond the float8 range: statistics count it as infinite, min and max are exact');
SELECT results_eq($$SELECT round(mean::numeric, 6), round(p50::numeric, 6), min_value FROM odd_profile
                    WHERE column_name IN ('Net €', 'Qty "x" Cash') ORDER BY column_name$$,
                  $$SELECT round(avg(amount), 6), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY amount)::numeric, 6), min(amount::numeric(12, 2))::text FROM tap_bad.odd
                    UNION ALL SELECT round(avg(qty * 10), 6), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY qty * 10)::numeric, 6), min((qty * 10)::money)::text FROM tap_bad.odd$$,
                  '... domains over numeric and money: statistics of the numbers');
SELECT is((SELECT count(*) FROM odd_profile WHERE column_name = 'nothing' AND null_count = 900 AND (stats).count = 0 AND mean IS NULL),
          1::bigint, '... an all-NULL column: nulls counted, no statistics');
SELECT results_eq($$SELECT kind, min_value, top_values->0->>'value' FROM odd_profile WHERE column_name IN ('flag', 'bits', 'span') ORDER BY column_name$$,
                  $$VALUES ('other', NULL, '00000001'), ('boolean', NULL, 'false'), ('other', NULL, '00:01:00')$$,
                  '... bit, boolean, interval: counts and top values');
SELECT is((SELECT count(*) FROM dm_profile('tap_bad.empty') WHERE row_count = 0 AND distinct_estimate = 0 AND (stats IS NULL OR (stats).count = 0)),
          7::bigint, '... an empty table: every column, zero counts');
SELECT lives_ok($$SELECT * FROM dm_profile('tap_bad.odd', sample_percent => 50)$$, '... and sampled');
SELECT is((SELECT count(*) FROM dm_profile('tap_bad.lines_view') WHERE row_count = 900), 7::bigint, '... and on a view');

-- 8. Clean data: nothing skipped ------------------------------------------------------------------
SELECT pg_temp.mine('clean', 'tap_bad.base');
SELECT is(pg_temp.failures('clean'), '', 'clean data: every step succeeds');
SELECT results_eq($$SELECT pg_temp.detail('clean', 'features', '{skipped}'), pg_temp.detail('clean', 'anomalies', '{skipped}'),
                           pg_temp.detail('clean', 'profile', '{skipped}'), pg_temp.detail('clean', 'clustering', '{skipped}')$$,
                  $$VALUES ('{"lines": 0, "missing": {"time": 0, "amount": 0, "order_key": 0, "customer_key": 0}, "customers": 0}'::jsonb,
                           '{"lines": 0}'::jsonb, '{"correlation_lines": 0}'::jsonb, '{"customers": 0}'::jsonb)$$,
                  '... and nothing is skipped');
SELECT results_eq($$SELECT f.customer_key, f.frequency, f.monetary, f.avg_quantity FROM result_customer_features f JOIN runs r USING (run_id)
                    WHERE r.config_name = 'clean' ORDER BY 1$$,
                  $$SELECT cust, count(DISTINCT ord)::float8, sum(amount::float8), avg(qty::float8) FROM tap_bad.base GROUP BY 1 ORDER BY 1$$,
                  '... the customer features are the plain aggregates');
SELECT results_eq($$SELECT r.customer_key, r.recency_days, r.frequency FROM result_rfm r JOIN runs x USING (run_id)
                    WHERE x.config_name = 'clean' ORDER BY 1$$,
                  $$SELECT cust, ((SELECT max(ts)::date + 1 FROM tap_bad.base) - max(ts)::date)::int, count(DISTINCT ord) FROM tap_bad.base GROUP BY 1 ORDER BY 1$$,
                  '... and RFM too');

SELECT * FROM finish();
ROLLBACK;

SELECT dblink_exec('bad_runner', 'DROP SCHEMA IF EXISTS tap_bad_run CASCADE') \g /dev/null
SELECT dblink_exec('bad_runner', $$DELETE FROM dmine.runs WHERE config_name = 'tap_bad_run'$$) \g /dev/null
SELECT dblink_exec('bad_runner', $$DELETE FROM dmine.mining_config WHERE config_name = 'tap_bad_run'$$) \g /dev/null
SELECT dblink_disconnect('bad_runner') \g /dev/null
