-- Pipeline administration: purging old runs, read-only access, and who may execute what.
-- Delete old runs (and their results), keeping the latest keep_last runs of every configuration.
CREATE FUNCTION purge_runs(keep_last int DEFAULT 10) RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH doomed AS (
        SELECT run_id FROM (
            SELECT run_id, status, row_number() OVER (PARTITION BY config_name ORDER BY run_id DESC) AS rn
            FROM @extschema@.runs) AS r
        WHERE rn > greatest(keep_last, 0) AND status <> 'running'
          AND run_id <> COALESCE((SELECT run_id FROM @extschema@.latest_run), -1)
    ), deleted AS (
        DELETE FROM @extschema@.runs WHERE run_id IN (SELECT run_id FROM doomed) RETURNING 1
    )
    SELECT count(*) FROM deleted
$$;
COMMENT ON FUNCTION purge_runs(int) IS
    'deletes the runs (with their results) older than the latest keep_last of each configuration, never the latest successful run; returns how many';

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

REVOKE EXECUTE ON PROCEDURE run_mining(text, text, text[], text, text, text, text, text, text, text, text[], jsonb, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION configure_mining(text, text, text, text, text, text, text, text, text[], jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION purge_runs(int) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION grant_read_access(name) FROM PUBLIC;
DO $revoke$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm'] LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION @extschema@.dm_step_%s(jsonb) FROM PUBLIC', f);
    END LOOP;
END
$revoke$;
