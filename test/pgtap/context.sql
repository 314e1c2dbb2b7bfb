-- Anomalies in context: the context functions (fit, surprise, explain, round trips, errors) and
-- the anomaly step's quality on two generated warehouses of different shapes, 0.3% of lines
-- planted in three equal parts (unit price x 40, quantity x 60, sale between 03:00 and 04:00),
-- as many lines flagged as planted (Online Retail: test/pgtap/context_retail.sql).
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
SELECT dmine_test.self_conninfo() AS conn \gset
SELECT dblink_connect('ctx', :'conn') \g /dev/null
\set plant `cat test/warehouses/context_plant.sql`
\set shops `cat test/warehouses/context_shops.sql`
SELECT dblink_exec('ctx', :'plant') \g /dev/null
BEGIN;
SELECT plan(62);

-- 1. The functions ---------------------------------------------------------------------------------
CREATE TEMP TABLE t AS
SELECT g, (g % 10)::text AS k, (10 + g % 10) * (1 + 0.02 * ((g * 7919) % 100) / 100.0) AS p,
       timestamp '2024-01-01 08:00' + (g % 600) * interval '1 minute' + (g % 30) * interval '1 day' AS at
FROM generate_series(1, 5000) g;
UPDATE t SET p = p * 40 WHERE g = 77;
UPDATE t SET at = date_trunc('day', at) + interval '3 hours 10 minutes' WHERE g = 78;
CREATE TEMP TABLE s AS SELECT dm_context_fit(k, p) AS sp, dm_context_fit_time(k, at) AS st,
                              dm_context_fit(k, p, '{"scale": "linear", "min_rows": 5}') AS sl FROM t;
SELECT is((SELECT g FROM t, s ORDER BY dm_context_surprise(sp, k, p) DESC LIMIT 1), 77, 'the x40 price is the most surprising');
SELECT is((SELECT g FROM t, s ORDER BY dm_context_surprise(st, k, at) DESC, g LIMIT 1), 78, 'the 03:10 sale is the most surprising time');
SELECT is((SELECT round((dm_context_explain(sp, k, p)->>'ratio')::numeric) FROM t, s WHERE g = 77), 40::numeric, 'explain: ratio 40');
SELECT is((SELECT dm_context_explain(st, k, at)->>'part' FROM t, s WHERE g = 78), 'hour', 'explain: the hour');
SELECT ok((SELECT dm_context_surprise(sp, 'unknown', 10) IS NULL FROM s), 'an unknown group: NULL (fall back)');
SELECT ok((SELECT dm_context_surprise(sp, NULL, 10) IS NOT NULL FROM s), 'key NULL: the overall group');
SELECT ok((SELECT dm_context_surprise(sp, '1', -1) IS NULL FROM s), 'log scale: a value <= 0 has no surprise');
SELECT ok((SELECT dm_context_surprise(sl, '1', -1) > 10 FROM s), 'linear scale: a negative value is surprising');
SELECT ok((SELECT dm_context_surprise(dm_context_fit(k, p, '{"min_rows": 1000}'), '1', 11) IS NULL FROM t), 'min_rows: a small group gives NULL');
SELECT is((SELECT (dm_context_info(sp)->>'groups')::int FROM s), 10, 'info: 10 groups');
SELECT is((SELECT sp::text::context_summary::text = sp::text AND st::text::context_summary::text = st::text FROM s), true, 'text round trip');
SELECT is((SELECT context_summary_recv_check FROM (SELECT (context_summary_send(sp) = context_summary_send(sp::text::context_summary)) AS context_summary_recv_check FROM s) x), true, 'binary form of the text round trip is the same');
SELECT ok((SELECT dm_context_score(ARRAY[NULL, 0.1]::float8[]) < 0.05), 'score near 0 for an ordinary line');
SELECT ok((SELECT abs(dm_context_score(ARRAY[ln(1e4) + ln(2), 0]::float8[]) - 0.5) < 1e-12), 'score 0.5: one line in 10,000');
SELECT is((SELECT dm_context_top(g::float8, jsonb_build_object('g', g), 2) FROM t), ARRAY['{"g": 5000}', '{"g": 4999}']::jsonb[], 'dm_context_top');
-- One line against all its summaries at once: integer keys as integers, text keys as text.
SELECT is((SELECT g FROM t, s ORDER BY dm_context_line_score(sp, NULL, NULL, NULL, st, (g % 10)::int8, NULL::text, (g % 10)::int, p, NULL, NULL, at) DESC, g LIMIT 1),
          77, 'line score: the x40 price first (integer keys)');
SELECT is((SELECT count(*) FROM t, s WHERE dm_context_line_score(sp, NULL, NULL, NULL, st, g % 10, NULL::text, g % 10, p, NULL, NULL, at)
                                          IS DISTINCT FROM dm_context_line_score(sp, NULL, NULL, NULL, st, k, NULL::text, k::varchar, p, NULL, NULL, at)),
          0::bigint, 'line score: integer and text keys find the same groups');
SELECT is((SELECT (dm_context_line_explain(sp, NULL, NULL, NULL, st, k, NULL::text, k, p, NULL, NULL, at)->>'feature')::int FROM t, s WHERE g = 78),
          4, 'line explain: the 03:10 sale is typed by its time');
SELECT ok((SELECT abs((dm_context_line_explain(sp, NULL, NULL, NULL, NULL, k, NULL::text, k, p, NULL, NULL, at)->'surprises'->>0)::float8
                      - dm_context_surprise(sp, k, p)) < 1e-12 FROM t, s WHERE g = 77), 'line explain: the price surprise of dm_context_surprise');
SELECT throws_ok($$SELECT dm_context_line_score(st, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 1, 1, now()::timestamp) FROM s$$, '22023', NULL, 'line score: a time summary given as the price summary');
SELECT throws_ok($$SELECT dm_context_line_score(sp, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 1, 1, now()::timestamp, ARRAY[sl], '{1,2}') FROM s$$, '2202E', NULL, 'line score: one extra value per extra summary');
SELECT throws_ok($$SELECT dm_context_line_score(sp, NULL, NULL, NULL, NULL, 1, 1, 1, 1, 1, 1, now()::timestamp, NULL, NULL, NULL) FROM s$$, '22004', NULL, 'line score: leave_out NULL');
-- Parallel plans give the same summary.
SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
SELECT is((SELECT dm_context_fit(k, p)::text FROM t), (SELECT sp::text FROM s), 'parallel fit = serial fit');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;

-- Bad input.
SELECT throws_ok($$SELECT dm_context_fit(k, p, '{"scale": "cubic"}') FROM t$$, '22023', NULL, 'unknown scale');
SELECT throws_ok($$SELECT dm_context_fit(k, p, '{"min_rows": 0}') FROM t$$, '22023', NULL, 'min_rows out of range');
SELECT throws_ok($$SELECT dm_context_fit(k, p, '{"nope": 1}') FROM t$$, '22023', NULL, 'unknown option');
SELECT throws_ok($$SELECT dm_context_fit(k, p, '[1]') FROM t$$, '22023', NULL, 'options not an object');
SELECT throws_ok($$SELECT dm_context_fit_time(k, at, '{"scale": "log"}') FROM t$$, '22023', NULL, 'no scale for times');
SELECT throws_ok($$SELECT dm_context_surprise(sp, k, p, 'up') FROM t, s$$, '22023', NULL, 'bad side');
SELECT throws_ok($$SELECT dm_context_surprise(sp, k, at) FROM t, s$$, '22023', NULL, 'a value summary given a time');
SELECT throws_ok($$SELECT dm_context_surprise(st, k, 1.0::float8) FROM t, s$$, '22023', NULL, 'a time summary given a value');
SELECT throws_ok($$SELECT dm_context_score(ARRAY[-1]::float8[])$$, '22023', NULL, 'a negative surprise');
SELECT throws_ok($$SELECT dm_context_top(1, '{}', -1)$$, '22023', NULL, 'a negative k');
SELECT throws_ok($$SELECT 'nope'::context_summary$$, '22P02', NULL, 'text input: not JSON');
SELECT throws_ok($$SELECT replace(sp::text, '"lines":500', '"lines":501')::context_summary FROM s$$, '22P02', NULL, 'text input: counts that do not add up');
SELECT throws_ok($$SELECT replace(sp::text, '"groups"', '"groupz"')::context_summary FROM s$$, '22P02', NULL, 'text input: unknown field');
SELECT throws_ok($$SELECT replace(st::text, '"weekdays":[', '"weekdays":[1,')::context_summary FROM s$$, '22P02', NULL, 'text input: 8 weekdays');
SELECT throws_ok($$SELECT replace(sp::text, '"tails":[', '"tails":[{},')::context_summary FROM s$$, '22P02', NULL, 'text input: 5 tails');
SELECT throws_ok($$SELECT regexp_replace(sp::text, '"z":\[[^,]+,', '"z":[1e6,')::context_summary FROM s$$, '22P02', NULL, 'text input: tail knots that do not increase');

-- 2. The step on the demo warehouse (its own planted lines left out) and on the shops warehouse ---
SELECT * FROM dblink('ctx', $$SELECT count(*) FROM dmine.create_demo_warehouse('ctx_demo', 0.05)$$) AS t(n bigint) \g /dev/null
SELECT dblink_exec('ctx', :'shops') \g /dev/null
-- Plant, then run the anomaly step flagging as many lines as planted; returns the run.
CREATE FUNCTION pg_temp.run_planted(src text, dst text, line text, at text, q text, amt text, price text,
                                    excluded text, mapping text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    planted bigint;
    n bigint;
    run bigint;
BEGIN
    SELECT p INTO planted FROM dblink('ctx', format('SELECT dmine_ctx.plant_context(%L, %L, %L, %L, %L, %L, %L, %L)',
        src, dst, line, at, q, amt, price, excluded)) AS t(p bigint);
    EXECUTE format('SELECT count(*) FROM %s', dst) INTO n;
    SELECT r INTO run FROM dblink('ctx', format($q$CALL dmine.run_mining(config_name => %L, fact_table => %L, %s,
        steps => '{anomalies}', options => '{"contamination": %s}')$q$, 'ctx_' || replace(dst, '.', '_'), dst, mapping,
        (planted - 0.5) / n)) AS t(r bigint);
    RETURN run;
END
$$;
SELECT pg_temp.run_planted('ctx_demo.sales_lines', 'ctx_demo.ctx_lines', 'line_id', 'sold_at', 'quantity', 'amount', 'unit_price',
    'ctx_demo.planted_anomalies', $$customer_column => 'customer_id', order_column => 'order_id', time_column => 'sold_at',
    amount_column => 'amount', quantity_column => 'quantity', line_column => 'line_id', product_column => 'product_id',
    store_column => 'depot_id', unit_price_column => 'unit_price'$$) AS demo_run \gset
SELECT pg_temp.run_planted('shops.tickets', 'shops.ctx_tickets', 'ticket_line', 'sold', 'qty', 'total', 'each_price', NULL,
    $$customer_column => 'card', order_column => 'ticket_no', time_column => 'sold', amount_column => 'total',
    quantity_column => 'qty', line_column => 'ticket_line', product_column => 'sku', store_column => 'shop_code'$$) AS shop_run \gset
-- contamination "auto": every line scoring above 0.5 is flagged and kept with its reason.
SELECT r AS demo_auto FROM dblink('ctx', $$CALL dmine.run_mining(config_name => 'ctx_ctx_demo_ctx_lines', steps => '{anomalies}',
    options => '{"contamination": "auto"}')$$) AS t(r bigint) \gset
SELECT r AS shop_auto FROM dblink('ctx', $$CALL dmine.run_mining(config_name => 'ctx_shops_ctx_tickets', steps => '{anomalies}',
    options => '{"contamination": "auto"}')$$) AS t(r bigint) \gset
CREATE TEMP TABLE quality AS
SELECT 'demo' AS warehouse, * FROM dmine_ctx.context_quality(:demo_run, 'ctx_demo.ctx_lines_planted')
UNION ALL SELECT 'shops', * FROM dmine_ctx.context_quality(:shop_run, 'shops.ctx_tickets_planted');
SELECT is((SELECT count(*) FROM quality WHERE flagged = planted AND planted > 100), 2::bigint, 'as many lines flagged as planted');
SELECT ok((SELECT recall_price >= 0.9 FROM quality WHERE warehouse = 'demo'), 'demo: price recall ' || (SELECT recall_price FROM quality WHERE warehouse = 'demo'));
SELECT ok((SELECT recall_quantity >= 0.9 FROM quality WHERE warehouse = 'demo'), 'demo: quantity recall ' || (SELECT recall_quantity FROM quality WHERE warehouse = 'demo'));
SELECT ok((SELECT recall_time >= 0.9 FROM quality WHERE warehouse = 'demo'), 'demo: time recall ' || (SELECT recall_time FROM quality WHERE warehouse = 'demo'));
SELECT ok((SELECT type_right >= 0.9 FROM quality WHERE warehouse = 'demo'), 'demo: type right ' || (SELECT type_right FROM quality WHERE warehouse = 'demo'));
SELECT ok((SELECT prec >= 0.9 FROM quality WHERE warehouse = 'demo'), 'demo: precision ' || (SELECT prec FROM quality WHERE warehouse = 'demo'));
SELECT ok((SELECT recall_price >= 0.9 FROM quality WHERE warehouse = 'shops'), 'shops: price recall ' || (SELECT recall_price FROM quality WHERE warehouse = 'shops'));
SELECT ok((SELECT type_right >= 0.9 FROM quality WHERE warehouse = 'shops'), 'shops: type right ' || (SELECT type_right FROM quality WHERE warehouse = 'shops'));
SELECT ok((SELECT recall_quantity >= 0.9 FROM quality WHERE warehouse = 'shops'), 'shops: quantity recall ' || (SELECT recall_quantity FROM quality WHERE warehouse = 'shops'));
SELECT ok((SELECT recall_time >= 0.9 FROM quality WHERE warehouse = 'shops'), 'shops: time recall ' || (SELECT recall_time FROM quality WHERE warehouse = 'shops'));
SELECT ok((SELECT prec >= 0.9 FROM quality WHERE warehouse = 'shops'), 'shops: precision ' || (SELECT prec FROM quality WHERE warehouse = 'shops'));
SELECT is((SELECT count(*) FROM result_anomalies WHERE run_id IN (:demo_run, :shop_run) AND (reason IS NULL OR anomaly_type IS NULL)), 0::bigint,
          'every kept line has a type and a reason');
SELECT is((SELECT count(*) FROM result_anomalies WHERE run_id IN (:demo_run, :shop_run) AND anomaly_type IS DISTINCT FROM explanation->0->>'feature'), 0::bigint,
          'the type comes first in the explanation');
SELECT ok((SELECT bool_and(reason ~ '^unit price [0-9.]+ is [0-9.]+× the usual price of product') FROM result_anomalies WHERE run_id = :demo_run AND anomaly_type = 'price'),
          'price reasons say the ratio to the product''s usual price');
SELECT ok((SELECT bool_and(reason ~ '^sale at 03:[0-5][0-9]; [0-9.]+% of ') FROM result_anomalies a JOIN ctx_demo.ctx_lines_planted p USING (line_key)
           WHERE run_id = :demo_run AND anomaly_type = 'time' AND p.kind = 'time'), 'time reasons say the hour and its share');
SELECT ok((SELECT score_histogram IS NOT NULL AND threshold > 0 AND threshold < 1 FROM result_anomaly_summary WHERE run_id = :demo_run), 'summary: histogram and threshold in (0, 1)');
SELECT is((SELECT cardinality(context) FROM result_models WHERE run_id = :demo_run AND step = 'anomalies'), 5, 'the five context summaries are kept');
SELECT ok((SELECT reason IS NOT NULL FROM latest_anomalies LIMIT 1), 'the latest view shows the reason');

-- Integer keys: the summaries key::text gives (NULL keys in the overall group only), for
-- smallint, integer and bigint keys; an untyped NULL key still means text.
SELECT ok((SELECT dm_context_fit(k, v)::text = dm_context_fit(k::text, v)::text
                  AND dm_context_fit(k::int2, v, '{"scale": "linear"}')::text = dm_context_fit(k::text, v, '{"scale": "linear"}')::text
           FROM (SELECT CASE WHEN g % 50 = 0 THEN NULL ELSE g % 37 - 9 END AS k, 1 + abs(g % 23)::float8 AS v
                 FROM generate_series(-300, 3000) AS g) AS x),
          'integer keys: dm_context_fit(bigint/smallint key) is the summary of key::text');
SELECT ok((SELECT dm_context_fit_time(k::bigint, t)::text = dm_context_fit_time(k::text, t)::text
                  AND dm_context_fit_time(k, t, '{"min_rows": 5}')::text = dm_context_fit_time(k::text, t, '{"min_rows": 5}')::text
           FROM (SELECT CASE WHEN g % 50 = 0 THEN NULL ELSE g % 7 END AS k, timestamp '2024-01-01' + g * interval '37 minutes' AS t
                 FROM generate_series(1, 3000) AS g) AS x),
          'integer keys: dm_context_fit_time(integer key) is the summary of key::text');
SELECT is((SELECT dm_context_info(dm_context_fit(NULL, g::float8))->>'groups' FROM generate_series(1, 30) AS g), '0',
          'integer keys: an untyped NULL key resolves (no group)');

SELECT results_eq(format($q$SELECT a.run_id, count(*) FILTER (WHERE a.is_anomaly), count(*) FILTER (WHERE a.score > 0.5),
                              count(*) FILTER (WHERE a.is_anomaly AND a.reason IS NOT NULL)
                       FROM result_anomalies a WHERE a.run_id IN (%s, %s) GROUP BY 1 ORDER BY 1$q$, :demo_auto, :shop_auto),
                  format($q$SELECT run_id, (details->>'anomalies')::bigint, (details->>'anomalies')::bigint, (details->>'anomalies')::bigint
                       FROM run_steps WHERE run_id IN (%s, %s) AND step = 'anomalies' ORDER BY 1$q$, :demo_auto, :shop_auto),
                  'auto: every line above 0.5 flagged and kept with its reason (demo, shops)');
SELECT ok((SELECT bool_and((details->>'anomalies')::bigint > 100) FROM run_steps WHERE run_id IN (:demo_auto, :shop_auto) AND step = 'anomalies'),
          'auto: more lines flagged than the top lines kept otherwise');

SELECT * FROM finish();
ROLLBACK;
SELECT dblink_exec('ctx', 'DROP SCHEMA IF EXISTS ctx_demo CASCADE; DROP SCHEMA IF EXISTS shops CASCADE; DROP SCHEMA IF EXISTS dmine_ctx CASCADE') \g /dev/null
SELECT dblink_exec('ctx', $$DELETE FROM dmine.runs WHERE config_name LIKE 'ctx\_%'; DELETE FROM dmine.mining_config WHERE config_name LIKE 'ctx\_%'; DELETE FROM dmine.mining_config WHERE config_name = 'ctx_demo'$$) \g /dev/null
