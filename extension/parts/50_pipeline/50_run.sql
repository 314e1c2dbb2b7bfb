-- Claims: one run at a time per configuration ------------------------------------------------------
-- Whether a claim of run_claims is alive: its session holds its advisory lock (pg_locks shows
-- every session's locks to every role) and is inside a transaction (a run is one CALL, always in
-- a transaction: an idle session holds no virtualxid lock), and is not visibly idle. A session
-- between two transactions of its run lacks a virtualxid for an instant: looked for 3 times.
-- (With check_idle false: only whether the session holds the lock.)
CREATE FUNCTION dm_run_claim_alive(holder_pid int, lock_key bigint, check_idle boolean DEFAULT true) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    in_xact boolean;
BEGIN
    IF holder_pid IS NULL OR lock_key IS NULL OR NOT EXISTS (
           SELECT FROM pg_locks l
           WHERE l.locktype = 'advisory' AND l.pid = holder_pid AND l.granted AND l.objsubid = 1
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND l.classid = ((lock_key >> 32) & 4294967295)::oid AND l.objid = (lock_key & 4294967295)::oid) THEN
        RETURN false;
    END IF;
    IF NOT check_idle THEN
        RETURN true;
    END IF;
    IF EXISTS (SELECT FROM pg_stat_activity a
               WHERE a.pid = holder_pid AND a.state IN ('idle', 'idle in transaction', 'idle in transaction (aborted)')) THEN
        RETURN false;
    END IF;
    FOR attempt IN 1 .. 3 LOOP
        SELECT EXISTS (SELECT FROM pg_locks l WHERE l.locktype = 'virtualxid' AND l.pid = holder_pid AND l.granted)
        INTO in_xact;
        EXIT WHEN in_xact;
        PERFORM pg_sleep(0.01);
    END LOOP;
    RETURN in_xact;
END
$$;

-- Releases every hold of this session on an advisory lock key (no table lock: cannot block).
CREATE FUNCTION dm_run_unlock(lock_key bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    WHILE lock_key IS NOT NULL AND @extschema@.dm_run_claim_alive(pg_backend_pid(), lock_key, false) LOOP
        PERFORM pg_advisory_unlock(lock_key);
    END LOOP;
END
$$;

-- Claims a configuration for this session or fails with 55P03 naming the run in progress. The
-- lock key is new and random at every claim: a key seen in pg_locks is worth nothing later.
-- Runs of the configuration left 'running' by a session that no longer holds its claim are
-- marked failed (abandoned). Returns the key of the session advisory lock now held.
CREATE FUNCTION dm_run_claim(config text) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c @extschema@.run_claims;
    other record;
    k bigint;
    abandoned constant text := 'abandoned: the session running it ended or stopped before it finished';
BEGIN
    INSERT INTO @extschema@.run_claims (config_name) VALUES (config) ON CONFLICT DO NOTHING;
    -- Claims serialise on this row; FOR UPDATE needs the UPDATE privilege of the pipeline's roles.
    SELECT * INTO c FROM @extschema@.run_claims r WHERE r.config_name = config FOR UPDATE;
    IF c.holder_pid IS DISTINCT FROM pg_backend_pid() AND @extschema@.dm_run_claim_alive(c.holder_pid, c.lock_key) THEN
        SELECT r.run_id, r.started_at INTO other FROM @extschema@.runs r WHERE r.run_id = c.run_id;
        RAISE EXCEPTION 'mining configuration "%" is already being run%', config,
                        CASE WHEN other.run_id IS NOT NULL
                             THEN format(' (run %s, started %s, backend %s)', other.run_id, other.started_at, c.holder_pid)
                             ELSE format(' (backend %s)', c.holder_pid) END
            USING ERRCODE = 'lock_not_available',
                  HINT = 'Wait for that run to finish (see dmine.runs); runs of other configurations may go on at the same time.';
    END IF;
    -- Locks of this session's earlier runs that could not be released (a cancel that came during
    -- a COMMIT ends the CALL at once): this session is running nothing else now.
    IF c.holder_pid = pg_backend_pid() THEN
        PERFORM @extschema@.dm_run_unlock(c.lock_key);
    END IF;
    PERFORM @extschema@.dm_run_unlock(NULLIF(current_setting('dmine_run.lock_key', true), '')::bigint);
    LOOP
        k := ('x' || translate(left(gen_random_uuid()::text, 18), '-', ''))::bit(64)::bigint;
        EXIT WHEN pg_try_advisory_lock(k);
    END LOOP;
    BEGIN
        UPDATE @extschema@.run_claims r
        SET lock_key = k, holder_pid = pg_backend_pid(), run_id = NULL, claimed_at = clock_timestamp()
        WHERE r.config_name = config;
        PERFORM set_config('dmine_run.lock_key', k::text, false);  -- for the session, once committed
        IF EXISTS (SELECT FROM @extschema@.runs r WHERE r.config_name = config AND r.status = 'running') THEN
            UPDATE @extschema@.run_steps s SET status = 'failed', finished_at = clock_timestamp(), error = abandoned
            WHERE s.status = 'running'
              AND s.run_id IN (SELECT r.run_id FROM @extschema@.runs r WHERE r.config_name = config AND r.status = 'running');
            UPDATE @extschema@.runs r SET status = 'failed', finished_at = clock_timestamp(), error = abandoned
            WHERE r.config_name = config AND r.status = 'running';
        END IF;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.dm_run_unlock(k);
        RAISE;
    END;
    RETURN k;
END
$$;

-- Ends this session's claim of a configuration.
CREATE FUNCTION dm_run_release(config text, lock_key bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.dm_run_unlock(lock_key);
    UPDATE @extschema@.run_claims r SET holder_pid = NULL, lock_key = NULL, run_id = NULL, claimed_at = NULL
    WHERE r.config_name = config AND r.holder_pid = pg_backend_pid() AND r.lock_key = dm_run_release.lock_key;
END
$$;

-- Run bookkeeping -----------------------------------------------------------------------------------
-- Each is called in its own exception block by run_mining: any of them may fail (a lock_timeout,
-- a cancel) without stopping the others or keeping the claim.
CREATE FUNCTION dm_run_step_failed(run bigint, step_name text, pos int, t0 timestamptz, message text,
                                   sqlstate text, detail text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.run_steps AS s (run_id, step, position, status, started_at, finished_at, duration_ms,
                                            error, details)
    VALUES (run, step_name, pos, 'failed', t0, clock_timestamp(), 1000 * extract(epoch FROM clock_timestamp() - t0),
            message || CASE WHEN detail <> '' THEN ' (' || detail || ')' ELSE '' END,
            jsonb_build_object('sqlstate', sqlstate))
    ON CONFLICT (run_id, step) DO UPDATE
        SET status = EXCLUDED.status, finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,
            error = EXCLUDED.error, details = EXCLUDED.details, rows = NULL
$$;

-- Logs the steps of a run not logged yet as skipped, with the reason.
CREATE FUNCTION dm_run_steps_skipped(run bigint, step_names text[], first_position int, reason text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO @extschema@.run_steps (run_id, step, position, status, details)
    SELECT run, s, first_position + i::int - 1, 'skipped', jsonb_build_object('reason', reason)
    FROM unnest(step_names) WITH ORDINALITY AS a(s, i)
    ON CONFLICT DO NOTHING
$$;

CREATE FUNCTION dm_run_finished(run bigint, status text, error text) RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE @extschema@.runs r SET status = dm_run_finished.status, finished_at = clock_timestamp(),
           error = dm_run_finished.error
    WHERE r.run_id = run
$$;

-- Raises an error with the given message, SQLSTATE, detail and hint (the last two may be empty),
-- without context lines: a user reads one message, not the trace of the pipeline's PL/pgSQL.
CREATE FUNCTION dm_run_raise(message text, sqlstate text, detail text, hint text) RETURNS void
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'dm_run_raise';

-- Hands the heap a step freed back to the system, between steps.
CREATE FUNCTION dm_run_release_memory() RETURNS void
LANGUAGE C VOLATILE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'dm_run_release_memory';
COMMENT ON FUNCTION dm_run_release_memory() IS
    'pipeline internal: hands the heap memory freed by a step back to the operating system (glibc malloc_trim)';

-- Whether the calling procedure may COMMIT: it runs in a non-atomic context (a CALL of its own,
-- outside a transaction block), outside any subtransaction.
CREATE FUNCTION dm_run_can_commit() RETURNS boolean
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'dm_run_can_commit';

-- The run -----------------------------------------------------------------------------------------
-- CALL run_mining('config') or CALL run_mining(fact_table => ..., customer_column => ..., ...).
-- Commits after every step; call it outside a transaction block. One run at a time per
-- configuration: a second call gets an error (SQLSTATE 55P03) instead of waiting.
-- A procedure with a SET clause cannot COMMIT, so search_path is pinned in the body instead,
-- transaction-locally after every COMMIT, before any other statement; the caller's path is kept
-- only to resolve fact_table. Once the configuration is claimed, every statement but the COMMITs
-- runs in an exception block that also catches cancels: the run is logged as failed and the claim
-- released, then the error is raised.
CREATE PROCEDURE run_mining(
    config_name text DEFAULT NULL,
    mode text DEFAULT 'full',
    steps text[] DEFAULT NULL,
    fact_table text DEFAULT NULL,
    customer_column text DEFAULT NULL,
    order_column text DEFAULT NULL,
    time_column text DEFAULT NULL,
    amount_column text DEFAULT NULL,
    quantity_column text DEFAULT NULL,
    line_column text DEFAULT NULL,
    extra_features text[] DEFAULT NULL,
    options jsonb DEFAULT NULL,
    INOUT run_id bigint DEFAULT NULL,
    product_column text DEFAULT NULL,
    store_column text DEFAULT NULL,
    unit_price_column text DEFAULT NULL,
    dimensions jsonb DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    all_steps constant text[] := ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends',
                                       'breakdowns', 'forecast'];
    caller_path text;
    pinned text;
    v_config text;
    v_mode text;
    v_steps text[];
    v_options jsonb;
    v_run bigint;
    cfg @extschema@.mining_config;
    mapping jsonb;
    ctx jsonb;
    lock_key bigint;
    step_name text;
    needed text;
    pos int;
    n_steps int;
    t0 timestamptz;
    result jsonb;
    unavailable text[] := '{}';  -- steps failed, or skipped because of a failure
    failures text[] := '{}';
    failed_steps text[] := '{}';
    stop boolean := false;       -- cancelled, or the log cannot be written: no more steps
    e_message text;
    e_state text;
    e_detail text;
    e_hint text;
    f_message text;              -- the first failure, raised at the end
    f_state text;
    f_detail text;
    f_hint text;
BEGIN
    -- Inside a transaction block the first COMMIT would fail with only "invalid transaction
    -- termination": said up front, with what to do. (No operator here: the path is the caller's.)
    IF NOT @extschema@.dm_run_can_commit() THEN
        PERFORM @extschema@.dm_run_raise(
            'run_mining cannot run inside a transaction block',
            '25001',
            'It commits after every step, which a transaction block does not allow: BEGIN ... COMMIT, a driver in '
            'non-autocommit mode, a function, or several statements sent as one query.',
            'Run CALL dmine.run_mining(...) as a statement of its own, outside BEGIN ... COMMIT; with a driver, turn '
            'autocommit on first (psycopg2: connection.autocommit = True; JDBC: setAutoCommit(true)).');
    END IF;
    COMMIT;
    caller_path := pg_catalog.current_setting('search_path');
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    v_config := config_name;
    v_mode := COALESCE(mode, 'full');
    n_steps := cardinality(all_steps);

    -- The configuration and the run's arguments checked, in a block that raises an error as one
    -- message (no context lines) with its detail and hint (the block's body is not indented).
    BEGIN
    -- The configuration: given by name, or by a mapping (saved under config_name, by default the
    -- fact table's name).
    IF fact_table IS NOT NULL THEN
        v_config := COALESCE(v_config, fact_table);
        PERFORM @extschema@.dm_configure_mining(v_config, fact_table, customer_column, order_column, time_column,
                                                amount_column, quantity_column, line_column,
                                                COALESCE(extra_features, '{}'), COALESCE(options, '{}'), caller_path,
                                                product_column, store_column, unit_price_column, dimensions);
        options := NULL;
    ELSIF customer_column IS NOT NULL OR order_column IS NOT NULL OR time_column IS NOT NULL
          OR amount_column IS NOT NULL OR quantity_column IS NOT NULL OR line_column IS NOT NULL
          OR extra_features IS NOT NULL OR product_column IS NOT NULL OR store_column IS NOT NULL
          OR unit_price_column IS NOT NULL OR dimensions IS NOT NULL THEN
        RAISE EXCEPTION 'a column mapping needs fact_table'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give fact_table with the columns, or only the name of a configuration.';
    END IF;
    IF v_config IS NULL THEN
        RAISE EXCEPTION 'run_mining needs a configuration name or a fact_table with its columns'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'CALL dmine.run_mining(''name'') runs a configuration made with dmine.configure_mining(...).';
    END IF;
    SELECT * INTO cfg FROM @extschema@.mining_config c WHERE c.config_name = v_config;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'mining configuration "%" does not exist', v_config
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create it with dmine.configure_mining(...) or pass fact_table and its columns; see dmine.mining_config.';
    END IF;
    mapping := @extschema@.dm_mining_mapping(cfg);
    v_options := @extschema@.dm_mining_options(cfg.options || COALESCE(options, '{}'));
    mapping := mapping || jsonb_build_object('currency', v_options->'currency');  -- the report's unit of amounts

    IF v_mode NOT IN ('full', 'quick') THEN
        RAISE EXCEPTION 'mode must be ''full'' or ''quick'', got "%"', v_mode USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF steps IS NULL THEN
        v_steps := all_steps;
    ELSE
        IF cardinality(steps) = 0 THEN
            RAISE EXCEPTION 'steps must not be empty' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOREACH step_name IN ARRAY steps LOOP
            IF step_name IS NULL OR NOT step_name = ANY (all_steps) THEN
                RAISE EXCEPTION 'unknown step "%"', step_name
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Steps: ' || array_to_string(all_steps, ', ') || '.';
            END IF;
        END LOOP;
        v_steps := ARRAY(SELECT s FROM unnest(all_steps) WITH ORDINALITY AS a(s, i) WHERE s = ANY (steps) ORDER BY i);
        IF 'clustering' = ANY (v_steps) AND NOT 'features' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "clustering" needs step "features" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF 'cluster_profiles' = ANY (v_steps) AND NOT 'clustering' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "cluster_profiles" needs step "clustering" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.dm_run_raise(e_message, e_state, e_detail, e_hint);
    END;

    -- Claim the configuration (a session advisory lock, kept across the commits) and log the run.
    BEGIN
        lock_key := @extschema@.dm_run_claim(v_config);
        INSERT INTO @extschema@.runs (config_name, mode, steps, status, warehouse, parameters, backend_pid)
        VALUES (v_config, v_mode, v_steps, 'running', mapping,
                v_options || jsonb_build_object('sample_percent',
                                                CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END),
                pg_backend_pid())
        RETURNING runs.run_id INTO v_run;
        UPDATE @extschema@.run_claims c SET run_id = v_run WHERE c.config_name = v_config;
        ctx := jsonb_build_object('run_id', v_run, 'mapping', mapping, 'options', v_options, 'mode', v_mode, 'steps', v_steps,
                                  'sample_percent', CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END);
        ctx := ctx || jsonb_build_object('source', @extschema@.dm_pipeline_source(ctx));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.dm_run_unlock(lock_key);
        PERFORM @extschema@.dm_run_raise(e_message, e_state, e_detail, e_hint);
    END;
    COMMIT;

    -- search_path is pinned again first thing after every COMMIT. PL/pgSQL serves interrupts at
    -- the start of every statement, so a cancel that comes during a COMMIT ends the CALL at the
    -- next statement, outside any exception block: that session is then idle, which ends its
    -- claim (dm_run_claim_alive), and its next claim releases its lock (dmine_run.lock_key).
    FOR i IN 1 .. n_steps LOOP  -- (no expression here: it runs before the path is pinned)
        BEGIN
            pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            pos := i;
            step_name := all_steps[pos];
            e_message := NULL;
            t0 := NULL;
            -- clustering needs features, cluster_profiles needs clustering; the others stand alone.
            needed := CASE step_name WHEN 'clustering' THEN 'features' WHEN 'cluster_profiles' THEN 'clustering' END;
            IF NOT step_name = ANY (v_steps) OR needed = ANY (unavailable) THEN
                IF step_name = ANY (v_steps) THEN
                    unavailable := unavailable || step_name;
                END IF;
                PERFORM @extschema@.dm_run_steps_skipped(v_run, ARRAY[step_name], pos,
                    CASE WHEN step_name = ANY (v_steps) THEN format('step %s failed', needed) ELSE 'not selected' END);
            ELSE
                t0 := clock_timestamp();
                INSERT INTO @extschema@.run_steps (run_id, step, position, status, started_at)
                VALUES (v_run, step_name, pos, 'running', t0);
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            pos := i;
            step_name := all_steps[i];
        END;
        IF e_message IS NULL AND t0 IS NOT NULL THEN
            COMMIT;
            BEGIN
                pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
                -- The step's as_of may have been set by the features step.
                ctx := jsonb_set(ctx, '{options,as_of}',
                                 COALESCE((SELECT r.parameters->'as_of' FROM @extschema@.runs r WHERE r.run_id = v_run), 'null'));
                EXECUTE format('SELECT @extschema@.dm_step_%s($1)', step_name) INTO result USING ctx;
                UPDATE @extschema@.run_steps s
                SET status = 'succeeded', finished_at = clock_timestamp(),
                    duration_ms = 1000 * extract(epoch FROM clock_timestamp() - t0),
                    rows = (result->>'rows')::bigint, details = result->'details'
                WHERE s.run_id = v_run AND s.step = step_name;
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                        e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            END;
            -- Whether the step succeeded or failed, and outside its timing.
            PERFORM @extschema@.dm_run_release_memory();
        END IF;
        IF e_message IS NOT NULL THEN
            -- The step failed (its work is rolled back) or could not be logged.
            BEGIN
                failed_steps := failed_steps || step_name;
                unavailable := unavailable || step_name;
                failures := failures || format('step %s failed: %s', step_name, e_message);
                IF f_message IS NULL THEN
                    f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
                END IF;
                stop := e_state = '57014';  -- a cancel or statement_timeout stops the run
                PERFORM @extschema@.dm_run_step_failed(v_run, step_name, pos, t0, e_message, e_state, e_detail);
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                stop := true;  -- the log cannot be written (a lock_timeout, a cancel): give up
            END;
        END IF;
        EXIT WHEN stop;
        COMMIT;
    END LOOP;

    -- The run's view of the lines (46_step_trends.sql), left when a step failed or the run
    -- stopped before the last of the steps that read it: it would hold the fact table.
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        IF pg_catalog.to_regclass('pg_temp.' || @extschema@.dm_pipeline_sales_name(v_run)) IS NOT NULL THEN
            EXECUTE pg_catalog.format('DROP VIEW pg_temp.%I', @extschema@.dm_pipeline_sales_name(v_run));
        END IF;
    EXCEPTION WHEN OTHERS THEN
        NULL;  -- the next run of the session drops it
    END;

    -- The outcome, then the claim released: each guarded on its own.
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_finished(v_run, CASE WHEN cardinality(failures) = 0 THEN 'succeeded' ELSE 'failed' END,
                                           NULLIF(array_to_string(failures, '; '), ''));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        IF f_message IS NULL THEN
            f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
            failed_steps := ARRAY['(the run log)'];
        END IF;
    END;
    IF stop THEN
        BEGIN
            PERFORM @extschema@.dm_run_steps_skipped(v_run, all_steps[pos + 1:], pos + 1, 'the run was stopped');
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            NULL;  -- the run's status says it; the steps stay as they are
        END;
    END IF;
    COMMIT;
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_release(v_config, lock_key);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.dm_run_unlock(lock_key);  -- the claim row stays, and is dead without the lock
    END;
    COMMIT;
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

    IF f_message IS NOT NULL THEN
        IF COALESCE(f_hint, '') = '' AND f_state <> '57014' THEN
            f_hint := format('The steps that succeeded kept their results; the log of each step: '
                             'SELECT step, status, error FROM dmine.run_steps WHERE run_id = %s ORDER BY position;', v_run);
        END IF;
        PERFORM @extschema@.dm_run_raise(
            format('mining run %s (configuration "%s") failed at step%s %s: %s', v_run, v_config,
                   CASE WHEN cardinality(failed_steps) > 1 THEN 's' ELSE '' END, array_to_string(failed_steps, ', '),
                   CASE WHEN cardinality(failures) > 1 THEN array_to_string(failures, '; ') ELSE f_message END),
            f_state, f_detail, f_hint);
    END IF;
    run_id := v_run;
END
$$;
COMMENT ON PROCEDURE run_mining(text, text, text[], text, text, text, text, text, text, text, text[], jsonb, bigint, text, text, text, jsonb) IS
    'runs the mining pipeline (profile, features, clustering, cluster_profiles, anomalies, rfm, trends, breakdowns, forecast) on a configuration or a mapping; mode full or quick; commits after every step; returns the run id';

COMMENT ON FUNCTION dm_run_claim_alive(int, bigint, boolean) IS
    'pipeline internal: whether a session holds a run claim''s advisory lock and is inside a transaction (not idle)';
COMMENT ON FUNCTION dm_run_unlock(bigint) IS 'pipeline internal: releases this session''s holds on a run claim''s advisory lock';
COMMENT ON FUNCTION dm_run_claim(text) IS
    'pipeline internal: claims a configuration for a run (random advisory lock key recorded in run_claims) or fails with 55P03';
COMMENT ON FUNCTION dm_run_release(text, bigint) IS 'pipeline internal: ends this session''s claim of a configuration';
COMMENT ON FUNCTION dm_run_step_failed(bigint, text, int, timestamptz, text, text, text) IS
    'pipeline internal: logs a step as failed, with its error and SQLSTATE';
COMMENT ON FUNCTION dm_run_steps_skipped(bigint, text[], int, text) IS
    'pipeline internal: logs the steps of a run not logged yet as skipped, with the reason';
COMMENT ON FUNCTION dm_run_finished(bigint, text, text) IS 'pipeline internal: logs the outcome of a run';
COMMENT ON FUNCTION dm_run_raise(text, text, text, text) IS
    'pipeline internal: raises an error with a message, SQLSTATE, detail and hint (the last two may be empty), without context lines';
COMMENT ON FUNCTION dm_run_can_commit() IS
    'pipeline internal: whether the calling procedure may COMMIT (a CALL of its own, outside a transaction block)';
