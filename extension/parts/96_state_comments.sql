-- Comments of the support functions of the state types (input/output, transition, combine and
-- final functions of the *_summary types) that have none; the accessors (dm_summary_*) have their
-- own. The upgrade script runs it too (Makefile).
DO $comments$
DECLARE f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = '@extschema@'::regnamespace AND p.prokind = 'f'
          AND p.proname ~ '^[a-z_]+_summary_(in|out|recv|send|add|add_\w+|combine|fit|final|quantiles|histogram)$'
          AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
    LOOP
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f,
                       'support function of a dmine state type (aggregates, stored summaries)');
    END LOOP;
END
$comments$;
