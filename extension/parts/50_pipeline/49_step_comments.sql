-- Pipeline: comments on the step functions.
DO $comments$
DECLARE f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends', 'breakdowns', 'forecast'] LOOP
        EXECUTE format('COMMENT ON FUNCTION @extschema@.dm_step_%s(jsonb) IS %L', f,
                       format('pipeline internal: the %s step of run_mining', f));
    END LOOP;
END
$comments$;

