-- Pipeline administration: purging old runs, read-only access, and who may execute what.
-- Delete old runs (and their results), keeping the latest keep_last runs of every configuration,
-- its latest successful run, and every run still running.
CREATE FUNCTION purge_runs(keep_last int DEFAULT 10) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    IF keep_last IS NULL THEN
        RAISE EXCEPTION 'keep_last must not be NULL' USING ERRCODE = 'null_value_not_allowed',
              HINT = 'Give how many of the latest runs of each configuration to keep, at least 1.';
    END IF;
    IF keep_last < 1 THEN
        RAISE EXCEPTION 'keep_last must be at least 1, got %', keep_last USING ERRCODE = 'invalid_parameter_value',
              HINT = 'The latest successful run of each configuration is kept anyway.';
    END IF;
    WITH ranked AS (
        SELECT r.run_id, r.status,
               row_number() OVER (PARTITION BY r.config_name ORDER BY r.run_id DESC) AS rn,
               max(r.run_id) FILTER (WHERE r.status = 'succeeded') OVER (PARTITION BY r.config_name) AS last_good
        FROM @extschema@.runs r
    ), deleted AS (
        DELETE FROM @extschema@.runs d USING ranked k
        WHERE d.run_id = k.run_id AND k.rn > keep_last AND k.status <> 'running'
          AND k.run_id IS DISTINCT FROM k.last_good
        RETURNING 1
    )
    SELECT count(*) INTO n FROM deleted;
    RETURN n;
END
$$;
COMMENT ON FUNCTION purge_runs(int) IS
    'deletes the runs (with their results) older than the latest keep_last (at least 1) of each configuration, never a configuration''s latest successful run nor a running one; returns how many';

-- A read-only role for dashboards: the latest_* views and nothing else.
CREATE FUNCTION grant_read_access(role_name name) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v text;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA @extschema@ TO %I', role_name);
    FOR v IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'v' AND c.relname LIKE 'latest\_%'
             ORDER BY 1 LOOP
        EXECUTE format('GRANT SELECT ON @extschema@.%I TO %I', v, role_name);
    END LOOP;
END
$$;
COMMENT ON FUNCTION grant_read_access(name) IS
    'lets a role read the latest_* views (USAGE on the schema, SELECT on each view) and nothing else of dmine';

REVOKE EXECUTE ON PROCEDURE run_mining(text, text, text[], text, text, text, text, text, text, text, text[], jsonb, bigint, text, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION dm_configure_mining(text, text, text, text, text, text, text, text, text[], jsonb, text, text, text, text, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION purge_runs(int) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION dm_run_claim(text), dm_run_release(text, bigint),
    dm_run_step_failed(bigint, text, int, timestamptz, text, text, text), dm_run_steps_skipped(bigint, text[], int, text),
    dm_run_finished(bigint, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION grant_read_access(name) FROM PUBLIC;
DO $revoke$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends', 'breakdowns', 'forecast'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.dm_step_%s(jsonb) FROM PUBLIC', f);
    END LOOP;
END
$revoke$;
