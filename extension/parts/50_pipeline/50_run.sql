-- The run -----------------------------------------------------------------------------------------
-- CALL run_mining('config') or CALL run_mining(fact_table => ..., customer_column => ..., ...).
-- Commits after every step; call it outside a transaction block. One run at a time per
-- configuration: a second call gets an error (SQLSTATE 55P03) instead of waiting.
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
    INOUT run_id bigint DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    all_steps constant text[] := ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm'];
    v_config text := config_name;
    v_mode text := COALESCE(mode, 'full');
    v_steps text[];
    v_options jsonb;
    v_run bigint;
    cfg @extschema@.mining_config;
    mapping jsonb;
    ctx jsonb;
    lock_key int;
    other record;
    step_name text;
    pos int := 0;
    t0 timestamptz;
    result jsonb;
    err_message text;
    err_state text;
    err_detail text;
    err_hint text;
BEGIN
    -- Fails here ("invalid transaction termination") when called inside a transaction block.
    COMMIT;

    -- The configuration: given by name, or by a mapping (saved under config_name, by default the
    -- fact table's name).
    IF fact_table IS NOT NULL THEN
        v_config := COALESCE(v_config, fact_table);
        PERFORM @extschema@.configure_mining(v_config, fact_table, customer_column, order_column, time_column,
                                             amount_column, quantity_column, line_column,
                                             COALESCE(extra_features, '{}'), COALESCE(options, '{}'));
        options := NULL;
    ELSIF customer_column IS NOT NULL OR order_column IS NOT NULL OR time_column IS NOT NULL
          OR amount_column IS NOT NULL OR quantity_column IS NOT NULL OR line_column IS NOT NULL
          OR extra_features IS NOT NULL THEN
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

    -- One run at a time per configuration (a session-level lock, kept across the commits).
    lock_key := hashtext(v_config);
    -- A lock this session still holds from a run it could not finish (cancelled between steps)
    -- is released first: this session is not running anything else now.
    WHILE EXISTS (SELECT FROM pg_locks l
                  WHERE l.pid = pg_backend_pid() AND l.locktype = 'advisory' AND l.objsubid = 2
                    AND l.classid = hashtext('dmine.run_mining')::oid AND l.objid = lock_key::oid) LOOP
        PERFORM pg_advisory_unlock(hashtext('dmine.run_mining'), lock_key);
    END LOOP;
    IF NOT pg_try_advisory_lock(hashtext('dmine.run_mining'), lock_key) THEN
        SELECT r.run_id, r.started_at, r.backend_pid INTO other
        FROM @extschema@.runs r WHERE r.config_name = v_config AND r.status = 'running'
        ORDER BY r.run_id DESC LIMIT 1;
        RAISE EXCEPTION 'mining configuration "%" is already being run%', v_config,
                        CASE WHEN other.run_id IS NOT NULL
                             THEN format(' (run %s, started %s, backend %s)', other.run_id, other.started_at, other.backend_pid)
                             ELSE '' END
            USING ERRCODE = 'lock_not_available',
                  HINT = 'Wait for that run to finish (see dmine.runs); runs of other configurations may go on at the same time.';
    END IF;
    -- Runs left 'running' by a session that ended cannot be running any more: we hold the lock.
    UPDATE @extschema@.runs r SET status = 'failed', finished_at = clock_timestamp(),
           error = 'interrupted: the session running it ended before it finished'
    WHERE r.config_name = v_config AND r.status = 'running';
    UPDATE @extschema@.run_steps s SET status = 'failed', finished_at = clock_timestamp(),
           error = 'interrupted: the session running it ended before it finished'
    WHERE s.status = 'running'
      AND s.run_id IN (SELECT r.run_id FROM @extschema@.runs r WHERE r.config_name = v_config);

    INSERT INTO @extschema@.runs (config_name, mode, steps, status, warehouse, parameters, backend_pid)
    VALUES (v_config, v_mode, v_steps, 'running', mapping,
            v_options || jsonb_build_object('sample_percent',
                                            CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END),
            pg_backend_pid())
    RETURNING runs.run_id INTO v_run;
    COMMIT;

    ctx := jsonb_build_object('run_id', v_run, 'mapping', mapping, 'options', v_options, 'mode', v_mode,
                              'sample_percent', CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END);
    ctx := ctx || jsonb_build_object('source', @extschema@.dm_pipeline_source(ctx));

    FOREACH step_name IN ARRAY all_steps LOOP
        pos := pos + 1;
        IF NOT step_name = ANY (v_steps) THEN
            INSERT INTO @extschema@.run_steps (run_id, step, position, status, details)
            VALUES (v_run, step_name, pos, 'skipped', '{"reason": "not selected"}');
            CONTINUE;
        END IF;
        t0 := clock_timestamp();
        INSERT INTO @extschema@.run_steps (run_id, step, position, status, started_at)
        VALUES (v_run, step_name, pos, 'running', t0);
        COMMIT;
        err_message := NULL;
        BEGIN
            -- The step's as_of may have been set by the features step.
            ctx := jsonb_set(ctx, '{options,as_of}',
                             COALESCE((SELECT r.parameters->'as_of' FROM @extschema@.runs r WHERE r.run_id = v_run), 'null'));
            EXECUTE format('SELECT @extschema@.dm_step_%s($1)', step_name) INTO result USING ctx;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS err_message = MESSAGE_TEXT, err_state = RETURNED_SQLSTATE,
                                    err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
        END;
        IF err_message IS NOT NULL THEN
            UPDATE @extschema@.run_steps s
            SET status = 'failed', finished_at = clock_timestamp(),
                duration_ms = 1000 * extract(epoch FROM clock_timestamp() - t0),
                error = err_message || CASE WHEN err_detail <> '' THEN ' (' || err_detail || ')' ELSE '' END,
                details = jsonb_build_object('sqlstate', err_state)
            WHERE s.run_id = v_run AND s.step = step_name;
            INSERT INTO @extschema@.run_steps (run_id, step, position, status, details)
            SELECT v_run, s, i, 'skipped', '{"reason": "an earlier step failed"}'
            FROM unnest(all_steps) WITH ORDINALITY AS a(s, i) WHERE i > pos
            ON CONFLICT DO NOTHING;
            UPDATE @extschema@.runs r SET status = 'failed', finished_at = clock_timestamp(),
                   error = format('step %s failed: %s', step_name, err_message)
            WHERE r.run_id = v_run;
            COMMIT;
            PERFORM pg_advisory_unlock(hashtext('dmine.run_mining'), lock_key);
            err_message := format('mining run %s (configuration "%s") failed at step %s: %s', v_run, v_config, step_name, err_message);
            IF COALESCE(err_detail, '') = '' AND COALESCE(err_hint, '') = '' THEN
                RAISE EXCEPTION USING MESSAGE = err_message, ERRCODE = err_state;
            ELSIF COALESCE(err_hint, '') = '' THEN
                RAISE EXCEPTION USING MESSAGE = err_message, ERRCODE = err_state, DETAIL = err_detail;
            ELSIF COALESCE(err_detail, '') = '' THEN
                RAISE EXCEPTION USING MESSAGE = err_message, ERRCODE = err_state, HINT = err_hint;
            ELSE
                RAISE EXCEPTION USING MESSAGE = err_message, ERRCODE = err_state, DETAIL = err_detail, HINT = err_hint;
            END IF;
        END IF;
        UPDATE @extschema@.run_steps s
        SET status = 'succeeded', finished_at = clock_timestamp(),
            duration_ms = 1000 * extract(epoch FROM clock_timestamp() - t0),
            rows = (result->>'rows')::bigint, details = result->'details'
        WHERE s.run_id = v_run AND s.step = step_name;
        COMMIT;
    END LOOP;

    UPDATE @extschema@.runs r SET status = 'succeeded', finished_at = clock_timestamp() WHERE r.run_id = v_run;
    COMMIT;
    PERFORM pg_advisory_unlock(hashtext('dmine.run_mining'), lock_key);
    run_id := v_run;
END
$$;
COMMENT ON PROCEDURE run_mining(text, text, text[], text, text, text, text, text, text, text, text[], jsonb, bigint) IS
    'runs the mining pipeline (profile, features, clustering, cluster_profiles, anomalies, rfm) on a configuration or a mapping; mode full or quick; commits after every step; returns the run id';

