-- The pipeline against hostile roles and faults: purge_runs arguments, the read-only role and a
-- leaky function, advisory locks taken by a role without pipeline privileges, a search_path
-- with a hostile schema first, a lock_timeout between steps, random cancels, and a failing step
-- that does not stop the steps that do not need it. Runs go through dblink (run_mining commits).
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
SELECT format('host=%s port=%s dbname=%s',
              COALESCE(NULLIF(split_part(current_setting('unix_socket_directories'), ',', 1), ''), 'localhost'),
              current_setting('port'), current_database()) AS conn0 \gset
SELECT :'conn0' || ' user=' || current_user AS conn \gset
BEGIN;
SELECT plan(50);

SELECT dblink_connect('runner', :'conn') \g /dev/null
SELECT dblink_connect('blocker', :'conn') \g /dev/null
SELECT dblink_connect('other', :'conn') \g /dev/null
SELECT * FROM dblink('runner', 'SELECT pg_backend_pid()') AS t(pid int) \gset runner_

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
        PERFORM pg_sleep(0.02);
    END LOOP;
END
$$;

-- The result of a query sent with dblink_send_query: NULL when it failed (its error is dropped).
CREATE FUNCTION pg_temp.collect(conn text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r bigint;
BEGIN
    SELECT t.run_id INTO r FROM dblink_get_result(conn, false) AS t(run_id bigint);
    PERFORM FROM dblink_get_result(conn, false) AS t(run_id bigint);
    RETURN r;
END
$$;

-- A tiny demo warehouse, and a view over it whose every scan sleeps a little.
SELECT * FROM dblink('runner', $$SELECT count(*) FROM dmine.create_demo_warehouse('tap_sec', scale => 0.01)$$) AS t(n bigint) \g /dev/null
SELECT dblink_exec('runner', $$CREATE VIEW tap_sec.slow_lines AS SELECT s.* FROM tap_sec.sales_lines s
                              WHERE (SELECT pg_catalog.pg_sleep(1)::text) IS NOT NULL$$) \g /dev/null
SELECT * FROM dblink('runner', $$SELECT dmine.configure_mining('tap_sec_slow', 'tap_sec.slow_lines', 'customer_id',
-- 3. Advisory locks taken by a role without pipeline privileges block nothing -------------------------
                                 'order_id', 'sold_at', 'amount')::text$$) AS t(x text) \g /dev/null
-- left by an interrupted test run
SELECT dblink_exec('runner', 'DROP ROLE IF EXISTS tap_sec_evil') \g /dev/null
SELECT dblink_exec('runner', 'CREATE ROLE tap_sec_evil LOGIN') \g /dev/null
SELECT dblink_connect('evil', :'conn0' || ' user=tap_sec_evil') \g /dev/null
SELECT dblink_connect('evil2', :'conn0' || ' user=tap_sec_evil') \g /dev/null
SELECT * FROM dblink('evil', $$SELECT pg_advisory_lock(hashtext('dmine.run_mining'), hashtext('tap_sec')),
                                      pg_advisory_lock(hashtext('tap_sec')), pg_advisory_lock(hashtext('dmine.run_mining'))$$)
    AS t(a text, b text, c text) \g /dev/null
SELECT isnt(run_id, NULL, 'a run goes on while another role holds the advisory locks it could guess')
FROM dblink('runner', $$CALL dmine.run_mining('tap_sec', steps => '{rfm}')$$) AS t(run_id bigint);
-- The key of a run in progress is visible in pg_locks: holding it afterwards blocks nothing either.
SELECT dblink_exec('blocker', 'BEGIN') \g /dev/null
SELECT dblink_exec('blocker', 'LOCK TABLE dmine.result_rfm IN EXCLUSIVE MODE') \g /dev/null
SELECT dblink_send_query('runner', $$CALL dmine.run_mining('tap_sec', steps => '{rfm}')$$) \g /dev/null
SELECT ok(pg_temp.wait_for(format($$EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND pid = %s AND objsubid = 1)$$, :runner_pid)),
          'the run holds its advisory lock');
SELECT classid, objid FROM pg_locks WHERE locktype = 'advisory' AND pid = :runner_pid AND objsubid = 1 \gset key_
SELECT dblink_send_query('evil', format('SELECT pg_advisory_lock((%s::bigint << 32) | %s::bigint)', :key_classid, :key_objid)) \g /dev/null
SELECT throws_ok($$SELECT dblink_exec('other', 'CALL dmine.run_mining(''tap_sec'', steps => ''{rfm}'')')$$,
                 '55P03', NULL, 'meanwhile a second run of the configuration is refused');
SELECT dblink_exec('blocker', 'COMMIT') \g /dev/null
SELECT isnt(pg_temp.collect('runner'), NULL, 'the run finishes');
SELECT ok(pg_temp.wait_for(format($$EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                                           WHERE l.locktype = 'advisory' AND l.granted AND a.usename = 'tap_sec_evil'
                                             AND l.objsubid = 1 AND l.classid = %s AND l.objid = %s)$$, :key_classid, :key_objid)),
          'the other role now holds the key that run used');
SELECT isnt(run_id, NULL, '... and the next run goes on all the same')
FROM dblink('other', $$CALL dmine.run_mining('tap_sec', steps => '{rfm}')$$) AS t(run_id bigint);
SELECT throws_ok($$SELECT * FROM dblink('evil2', 'UPDATE dmine.run_claims SET holder_pid = 1') AS t(x text)$$,
                 '42501', NULL, 'that role cannot touch the claims');
SELECT dblink_disconnect('evil') \g /dev/null
-- 4. A hostile schema first on the search_path ----------------------------------------------------------
SELECT dblink_disconnect('evil2') \g /dev/null
-- Functions and operators shadowing the pg_catalog ones dmine's routines use; each call counts.
SELECT dblink_exec('runner', $d$
DO $$
DECLARE
    f text;
BEGIN
    CREATE SCHEMA tap_sec_evil;
    CREATE SEQUENCE tap_sec_evil.calls;
    GRANT USAGE ON SCHEMA tap_sec_evil TO PUBLIC;
    GRANT USAGE, UPDATE ON SEQUENCE tap_sec_evil.calls TO PUBLIC;
    FOREACH f IN ARRAY ARRAY[
        'hashtext(text) RETURNS int', 'clock_timestamp() RETURNS timestamptz', 'now() RETURNS timestamptz',
        'pg_backend_pid() RETURNS int', 'cardinality(anyarray) RETURNS int', 'array_to_string(anyarray, text) RETURNS text',
        'jsonb_typeof(jsonb) RETURNS text', 'jsonb_strip_nulls(jsonb) RETURNS jsonb', 'to_regclass(text) RETURNS regclass',
        'current_setting(text) RETURNS text', 'pg_try_advisory_lock(bigint) RETURNS boolean',
        'pg_advisory_unlock(bigint) RETURNS boolean', 'hashint8extended(bigint, bigint) RETURNS bigint',
        'gen_random_uuid() RETURNS uuid', 'jsonb_set(jsonb, text[], jsonb, boolean) RETURNS jsonb',
        'ln(float8) RETURNS float8', 'sign(float8) RETURNS float8', 'abs(float8) RETURNS float8',
        'current_database() RETURNS name', 'jsonb_array_length(jsonb) RETURNS int'] LOOP
        EXECUTE format('CREATE FUNCTION tap_sec_evil.%s LANGUAGE plpgsql SET search_path = pg_catalog AS $f$
                        BEGIN PERFORM nextval(''tap_sec_evil.calls''); RETURN pg_catalog.%s(%s); END $f$',
                       f, split_part(f, '(', 1),
                       (SELECT string_agg('$' || i, ', ') FROM generate_series(1, cardinality(string_to_array(
                           NULLIF(split_part(split_part(f, '(', 2), ')', 1), ''), ','))) AS i));
    END LOOP;
    CREATE FUNCTION tap_sec_evil.generate_subscripts(anyarray, int) RETURNS SETOF int LANGUAGE plpgsql
        SET search_path = pg_catalog AS $f$ BEGIN PERFORM nextval('tap_sec_evil.calls');
        RETURN QUERY SELECT pg_catalog.generate_subscripts($1, $2); END $f$;
    CREATE FUNCTION tap_sec_evil.jsonb_object_keys(jsonb) RETURNS SETOF text LANGUAGE plpgsql
        SET search_path = pg_catalog AS $f$ BEGIN PERFORM nextval('tap_sec_evil.calls');
        RETURN QUERY SELECT pg_catalog.jsonb_object_keys($1); END $f$;
    FOREACH f IN ARRAY ARRAY['= text text boolean', '= bigint bigint boolean', '= integer integer boolean',
                             '|| text text text', '|| jsonb jsonb jsonb', '->> jsonb text text', '-> jsonb text jsonb',
                             '+ integer integer integer', '- integer integer integer', '> integer integer boolean',
                             '< integer integer boolean', '/ float8 float8 float8', '* float8 float8 float8',
                             '? jsonb text boolean', '<> text text boolean', '>> bigint integer bigint',
                             '& bigint bigint bigint'] LOOP
        EXECUTE format('CREATE FUNCTION tap_sec_evil.op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql SET search_path = pg_catalog
                        AS $f$ BEGIN PERFORM nextval(''tap_sec_evil.calls''); RETURN $1 OPERATOR(pg_catalog.%s) $2; END $f$',
                       md5(f), split_part(f, ' ', 2), split_part(f, ' ', 3), split_part(f, ' ', 4), split_part(f, ' ', 1));
        EXECUTE format('CREATE OPERATOR tap_sec_evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = tap_sec_evil.op_%s)',
                       split_part(f, ' ', 1), split_part(f, ' ', 2), split_part(f, ' ', 3), md5(f));
    END LOOP;
END
$$ $d$) \g /dev/null
SELECT dblink_exec('runner', 'SET search_path = tap_sec_evil, pg_catalog, tap_sec, dmine, public') \g /dev/null
SELECT is(x, 'ok', 'the hostile schema is first on the path and its functions count their calls')
FROM dblink('runner', $$SELECT CASE WHEN hashtext('a') = hashtext('a') AND nextval('tap_sec_evil.calls') >= 3
                                   THEN 'ok' END$$) AS t(x text);
SELECT * FROM dblink('runner', $$SELECT setval('tap_sec_evil.calls', 1, false)$$) AS t(n bigint) \g /dev/null
SELECT isnt(run_id, NULL, 'run_mining with a fact table named without its schema (found on the caller''s path)')
FROM dblink('runner', $$CALL dmine.run_mining(config_name => 'tap_sec_path', fact_table => 'sales_lines',
                                             customer_column => 'customer_id', order_column => 'order_id',
                                             time_column => 'sold_at', amount_column => 'amount',
                                             quantity_column => 'quantity')$$) AS t(run_id bigint);
SELECT is(fact_table, 'tap_sec.sales_lines', '... stored schema-qualified') FROM mining_config WHERE config_name = 'tap_sec_path';
SELECT results_eq($$SELECT * FROM dblink('runner', 'SELECT count(*) FROM dmine.dm_histogram_bins(
                        (SELECT dmine.dm_histogram(x, 4) FROM generate_series(1, 10) AS x))') AS t(n bigint)$$,
                  $$VALUES (4::bigint)$$, 'dm_histogram_bins under the hostile path');
SELECT * FROM dblink('runner', $$SELECT dmine.dm_demo_uniform(1, 2), dmine.purge_runs(100),
                                       dmine.dm_mining_options('{"k_max": 4}'),
                                       (dmine.configure_mining('tap_sec_path2', 'sales_lines', 'customer_id', 'order_id',
                                                               'sold_at', 'amount')).fact_table$$)
    AS t(a float8, b bigint, c jsonb, d text) \g /dev/null
SELECT is(fact_table, 'tap_sec.sales_lines', 'configure_mining resolves the fact table on the caller''s path')
FROM mining_config WHERE config_name = 'tap_sec_path2';
SELECT is(calls, 0::bigint, 'no dmine routine called a function or operator of the hostile schema')
FROM dblink('runner', $$SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM tap_sec_evil.calls$$) AS t(calls bigint);
-- Every SQL and PL/pgSQL routine pins search_path, except the two whose bodies do it themselves.
SELECT dblink_exec('runner', 'RESET search_path') \g /dev/null
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                  WHERE p.pronamespace = 'dmine'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
                    AND NOT p.proname = ANY (ARRAY['run_mining', 'configure_mining'])
                    AND NOT EXISTS (SELECT FROM unnest(p.proconfig) AS c WHERE c LIKE 'search\_path=%')$$,
                'every dmine routine in SQL or PL/pgSQL has its search_path set');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE p.pronamespace = 'dmine'::regnamespace AND l.lanname = 'c' AND p.proconfig IS NOT NULL),
          0::bigint, 'no C function carries a SET clause (they resolve no names)');

-- 5. A lock_timeout between two steps ----------------------------------------------------------------------
-- The step sleeps (a view), meanwhile another session takes a SHARE lock on run_steps: the step's
-- bookkeeping and the failure's time out. The run is logged failed and the claim released.
SELECT dblink_exec('runner', $$SET lock_timeout = '200ms'$$) \g /dev/null
SELECT dblink_send_query('runner', $$CALL dmine.run_mining('tap_sec_slow', steps => '{rfm}')$$) \g /dev/null
SELECT ok(pg_temp.wait_for($$EXISTS (SELECT FROM run_steps s JOIN runs r USING (run_id) WHERE r.config_name = 'tap_sec_slow'
                                     AND r.status = 'running' AND s.step = 'rfm' AND s.status = 'running')$$),
          'the slow run is in its rfm step');
SELECT dblink_exec('blocker', 'BEGIN') \g /dev/null
SELECT dblink_exec('blocker', 'LOCK TABLE dmine.run_steps IN SHARE MODE') \g /dev/null
SELECT ok(pg_temp.wait_for('dblink_is_busy(''runner'') = 0'), 'the run ends (lock_timeout) while run_steps stays locked');
SELECT is(pg_temp.collect('runner'), NULL, '... with an error');
SELECT results_eq($$SELECT status, error LIKE 'step rfm failed: canceling statement due to lock timeout%' FROM runs
                    WHERE config_name = 'tap_sec_slow' ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES ('failed', true)$$, 'the run is logged failed, with the step and the error');
SELECT is((SELECT count(*) FROM pg_locks WHERE pid = :runner_pid AND locktype = 'advisory'), 0::bigint,
          'the session holds no advisory lock any more');
SELECT dblink_exec('blocker', 'COMMIT') \g /dev/null
SELECT dblink_exec('runner', 'RESET lock_timeout') \g /dev/null
SELECT isnt(run_id, NULL, 'another session runs the configuration at once')
FROM dblink('other', $$CALL dmine.run_mining('tap_sec_slow', steps => '{rfm}')$$) AS t(run_id bigint);
SELECT isnt(run_id, NULL, '... and so does the session whose run failed')
FROM dblink('runner', $$CALL dmine.run_mining('tap_sec_slow', steps => '{rfm}')$$) AS t(run_id bigint);

-- A run left 'running' by a session that is gone is marked failed (abandoned) by the next run.
SELECT * FROM dblink('blocker', $$INSERT INTO dmine.runs (config_name, mode, steps, status, warehouse, parameters, backend_pid)
                                  VALUES ('tap_sec', 'full', '{rfm}', 'running', '{}', '{}', 1) RETURNING run_id$$)
    AS t(run_id bigint) \gset abandoned_
SELECT isnt(run_id, NULL, 'a run of a configuration with a run left running')
FROM dblink('other', $$CALL dmine.run_mining('tap_sec', steps => '{rfm}')$$) AS t(run_id bigint);
SELECT results_eq(format('SELECT status, error FROM runs WHERE run_id = %s', :abandoned_run_id),
                  $$VALUES ('failed', 'abandoned: the session running it ended or stopped before it finished')$$,
                  '... marks it failed, abandoned');

-- 7. A failing step does not stop the steps that do not need it --------------------------------------------
-- result_models locked and a lock_timeout: clustering and anomalies fail (both write a model),
-- cluster_profiles is skipped (it needs clustering), profile, features and rfm run.
SELECT dblink_exec('blocker', 'BEGIN') \g /dev/null
SELECT dblink_exec('blocker', 'LOCK TABLE dmine.result_models IN EXCLUSIVE MODE') \g /dev/null
SELECT dblink_exec('runner', $$SET lock_timeout = '200ms'$$) \g /dev/null
SELECT throws_like($$SELECT dblink_exec('runner', 'CALL dmine.run_mining(''tap_sec'')')$$,
                   '%failed at steps clustering, anomalies: step clustering failed: canceling statement due to lock timeout; step anomalies failed:%',
                   'the run fails, naming the failed steps');
SELECT dblink_exec('blocker', 'COMMIT') \g /dev/null
SELECT dblink_exec('runner', 'RESET lock_timeout') \g /dev/null
SELECT max(run_id) AS partial_run FROM runs WHERE config_name = 'tap_sec' \gset
SELECT results_eq(format($$SELECT s.step, s.status, s.details->>'reason' FROM run_steps s WHERE s.run_id = %s ORDER BY s.position$$, :partial_run),
                  $$VALUES ('profile', 'succeeded', NULL), ('features', 'succeeded', NULL), ('clustering', 'failed', NULL),
                           ('cluster_profiles', 'skipped', 'step clustering failed'), ('anomalies', 'failed', NULL),
                           ('rfm', 'succeeded', NULL), ('trends', 'succeeded', NULL), ('breakdowns', 'succeeded', NULL),
                           ('forecast', 'succeeded', NULL)$$,
                  'the steps that do not need a failed step ran; cluster_profiles was skipped');
SELECT results_eq(format($$SELECT status, error ~ '^step clustering failed: .*; step anomalies failed: ' FROM runs WHERE run_id = %s$$, :partial_run),
                  $$VALUES ('failed', true)$$, 'the run is logged failed, with every failed step');
SELECT cmp_ok((SELECT count(*) FROM result_rfm WHERE run_id = :partial_run), '>', 0::bigint,
              'the results of the steps that ran are kept');
SELECT isnt((SELECT run_id FROM latest_run), :partial_run::bigint, 'the views do not show a failed run');

-- 6. Random cancels: the claim is always released and no run stays running -----------------------------------
-- A cancel that comes while a COMMIT of the run is under way ends the CALL at once, before any
-- exception block: that session's claim is then over (it is idle), its lock is released at its
-- next run, and the next run marks its run abandoned.
CREATE FUNCTION pg_temp.cancel_loop(iterations int)
RETURNS TABLE (stuck int, blocked int, escaped int, cancelled int, leaked int)
LANGUAGE plpgsql AS $$
DECLARE
    runner int := (SELECT t.pid FROM dblink('runner', 'SELECT pg_backend_pid()') AS t(pid int));
    r bigint;
BEGIN
    stuck := 0; blocked := 0; escaped := 0; cancelled := 0;
    PERFORM setseed(0.42);
    FOR i IN 1..iterations LOOP
        PERFORM dblink_send_query('runner', $q$CALL dmine.run_mining('tap_sec')$q$);
        PERFORM pg_sleep(random() * 0.8);
        PERFORM pg_cancel_backend(runner);
        IF pg_temp.collect('runner') IS NULL THEN
            cancelled := cancelled + 1;
        END IF;
        IF EXISTS (SELECT FROM pg_locks l WHERE l.pid = runner AND l.locktype = 'advisory') THEN
            escaped := escaped + 1;
        END IF;
        BEGIN
            SELECT t.run_id INTO r FROM dblink('other', $q$CALL dmine.run_mining('tap_sec', steps => '{rfm}')$q$) AS t(run_id bigint);
        EXCEPTION WHEN OTHERS THEN
            blocked := blocked + 1;
        END;
        IF EXISTS (SELECT FROM dmine.runs WHERE config_name = 'tap_sec' AND status = 'running') THEN
            stuck := stuck + 1;
        END IF;
    END LOOP;
    SELECT t.run_id INTO r FROM dblink('runner', $q$CALL dmine.run_mining('tap_sec', steps => '{rfm}')$q$) AS t(run_id bigint);
    leaked := (SELECT count(*) FROM pg_locks l WHERE l.pid = runner AND l.locktype = 'advisory');
    RETURN NEXT;
END
$$;
SELECT * FROM pg_temp.cancel_loop(30) \gset
SELECT diag(format('30 runs: %s cancelled, %s ended by a cancel during a COMMIT', :cancelled, :escaped));
SELECT cmp_ok(:cancelled, '>=', 5, 'many of the 30 runs were cancelled');
SELECT is(:blocked, 0, 'after every cancel, another session runs the configuration at once');
SELECT is(:stuck, 0, '... and no run stays running');
SELECT is(:leaked, 0, 'after its next run, the cancelled session holds no advisory lock');

-- 1. purge_runs ------------------------------------------------------------------------------------
SELECT throws_ok('SELECT purge_runs(NULL)', '22004', 'keep_last must not be NULL', 'purge_runs(NULL): 22004');
SELECT throws_ok('SELECT purge_runs(-1)', '22023', 'keep_last must be at least 1, got -1', 'purge_runs(-1): 22023');
SELECT throws_ok('SELECT purge_runs(0)', '22023', NULL, 'purge_runs(0): 22023');
INSERT INTO runs (run_id, config_name, mode, steps, status, warehouse, parameters) VALUES
    (900001, 'tap_p1', 'full', '{rfm}', 'succeeded', '{}', '{}'),
    (900002, 'tap_p1', 'full', '{rfm}', 'failed', '{}', '{}'),
    (900003, 'tap_p1', 'full', '{rfm}', 'failed', '{}', '{}'),
    (900004, 'tap_p2', 'full', '{rfm}', 'succeeded', '{}', '{}'),
    (900005, 'tap_p2', 'full', '{rfm}', 'succeeded', '{}', '{}'),
    (900006, 'tap_p2', 'full', '{rfm}', 'running', '{}', '{}'),
    (900007, 'tap_p3', 'full', '{rfm}', 'failed', '{}', '{}'),
    (900008, 'tap_p3', 'full', '{rfm}', 'failed', '{}', '{}');
SELECT cmp_ok(purge_runs(1), '>=', 3::bigint, 'purge_runs(1) deleted the older runs');
SELECT results_eq($$SELECT run_id FROM runs WHERE config_name LIKE 'tap_p_' ORDER BY 1$$,
                  $$VALUES (900001::bigint), (900003), (900005), (900006), (900008)$$,
                  'kept: the latest run and the latest successful run of every configuration');
SELECT is(purge_runs(1), 0::bigint, 'purge_runs(1) again deletes nothing');

-- 2. The read-only role and a leaky function: barrier views ------------------------------------------
INSERT INTO runs (run_id, config_name, mode, steps, status, warehouse, parameters) VALUES
    (910001, 'tap_v', 'full', '{rfm}', 'succeeded', '{}', '{}'),
    (910002, 'tap_v', 'full', '{rfm}', 'succeeded', '{}', '{}');
INSERT INTO result_rfm (run_id, customer_key, recency_days, frequency, monetary, segment)
SELECT r, 'c' || i, i, i, i, 'Champions' FROM unnest(ARRAY[910001, 910002]) AS r, generate_series(1, 200) AS i;
INSERT INTO result_clusters (run_id, customer_key, cluster, distance)
SELECT r, 'c' || i, i % 3, 0 FROM unnest(ARRAY[910001, 910002]) AS r, generate_series(1, 200) AS i;
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = 'dmine'::regnamespace AND relkind = 'v'
           AND relname LIKE 'latest\_%' AND NOT COALESCE(reloptions @> '{security_barrier=true}', false)),
          0::bigint, 'every latest_* view is a security barrier view');
CREATE ROLE tap_sec_reader;
SELECT grant_read_access('tap_sec_reader') \g /dev/null
SET ROLE tap_sec_reader;
CREATE TEMP TABLE seen (run_id bigint);
CREATE FUNCTION pg_temp.peek(bigint, anyelement) RETURNS bool LANGUAGE plpgsql COST 0.0000001
AS $$BEGIN INSERT INTO pg_temp.seen VALUES ($1); RETURN true; END$$;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM dmine.latest_rfm WHERE pg_temp.peek(run_id, customer_key)), 200::bigint,
          'the reader counts the latest run''s rows through a cheap leaky function');
SELECT is((SELECT count(*) FROM dmine.latest_clusters WHERE pg_temp.peek(run_id, cluster)), 200::bigint, '... in latest_clusters too');
SELECT is((SELECT count(*) FROM dmine.latest_rfm_segments WHERE pg_temp.peek(customers, segment)), 1::bigint, '... and latest_rfm_segments');
SELECT is((SELECT count(*) FROM dmine.latest_run WHERE pg_temp.peek(run_id, config_name)), 1::bigint, '... and latest_run');
SELECT is((SELECT count(*) FROM pg_temp.seen WHERE run_id <> 910002 AND run_id > 1000), 0::bigint,
          'the leaky function never saw a row of another run');
RESET enable_indexscan;
RESET enable_bitmapscan;
RESET ROLE;
-- Dashboard queries still read the latest run through the run_id indexes.
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
    plan text := '';
BEGIN
    SET LOCAL enable_seqscan = off;  -- a tiny table: show that an index scan is possible
    FOR line IN EXECUTE 'EXPLAIN ' || q LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN plan;
END
$$;
SELECT matches(pg_temp.plan_of($$SELECT * FROM dmine.latest_rfm WHERE segment = 'Champions'$$),
               'Index (Only )?Scan using result_rfm_pkey on result_rfm|Bitmap Index Scan on result_rfm_pkey',
               'latest_rfm filtered by segment: an index scan on run_id');
SELECT matches(pg_temp.plan_of($$SELECT * FROM dmine.latest_rfm WHERE customer_key = 'c7'$$),
               'Index Cond: \(\(run_id = \$\d+\) AND \(customer_key = ''c7''::text\)\)',
               'latest_rfm by customer: both columns of the primary key in the index condition');
SELECT matches(pg_temp.plan_of($$SELECT cluster, count(*) FROM dmine.latest_clusters GROUP BY 1$$),
               'Index (Only )?Scan using result_clusters_pkey|Bitmap Index Scan on result_clusters_pkey',
               'latest_clusters grouped: an index scan on run_id');
SELECT matches(pg_temp.plan_of($$SELECT * FROM dmine.latest_anomalies ORDER BY score DESC LIMIT 10$$),
               '(Index Scan using|Bitmap Index Scan on) result_anomalies_run_id_score_idx',
               'latest_anomalies top scores: the (run_id, score) index');
SELECT matches(pg_temp.plan_of($$SELECT * FROM dmine.latest_rfm_segments ORDER BY segment_order$$),
               'Index (Only )?Scan using result_rfm_pkey|Bitmap Index Scan on result_rfm_pkey',
               'latest_rfm_segments: an index scan on run_id');
DELETE FROM runs WHERE run_id IN (910001, 910002);

SELECT * FROM finish();
ROLLBACK;

SELECT dblink_exec('runner', 'DROP SCHEMA IF EXISTS tap_sec CASCADE') \g /dev/null
SELECT dblink_exec('runner', 'DROP SCHEMA IF EXISTS tap_sec_evil CASCADE') \g /dev/null
SELECT dblink_exec('runner', $$DELETE FROM dmine.runs WHERE config_name LIKE 'tap\_sec%'$$) \g /dev/null
SELECT dblink_exec('runner', $$DELETE FROM dmine.mining_config WHERE config_name LIKE 'tap\_sec%'$$) \g /dev/null
SELECT dblink_exec('runner', $$DELETE FROM dmine.run_claims WHERE config_name LIKE 'tap\_sec%'$$) \g /dev/null
SELECT dblink_exec('runner', 'DROP ROLE IF EXISTS tap_sec_evil') \g /dev/null
SELECT dblink_disconnect(c) FROM unnest(dblink_get_connections()) AS c \g /dev/null
