-- Every SQL and PL/pgSQL routine of the extension runs with search_path = pg_catalog, pg_temp,
-- so that no function or operator of a schema the caller put first is ever called in its place.
-- Routines that already pin it keep their own setting; the others are pinned here, in one place.
-- C functions resolve no names and are left alone (a SET clause would cost every per-row call).
DO $pin$
DECLARE
    -- Routines that cannot or must not carry a SET clause. Each one's body names nothing
    -- unqualified before it pins the path itself or hands over to a pinned routine:
    --   run_mining: a procedure with a SET clause cannot COMMIT; it pins the path transaction-
    --     locally after every COMMIT (and keeps the caller's to resolve fact_table);
    --   configure_mining: passes the caller's search_path on to dm_configure_mining, which
    --     resolves the fact table with it.
    unpinned constant text[] := ARRAY['run_mining', 'configure_mining'];
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_proc p
        JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'dmine'
        JOIN pg_catalog.pg_language l ON l.oid = p.prolang
        WHERE l.lanname IN ('sql', 'plpgsql')
          AND NOT p.proname = ANY (unpinned)
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(p.proconfig) AS c WHERE c LIKE 'search\_path=%')
        ORDER BY p.oid
    LOOP
        EXECUTE pg_catalog.format('ALTER ROUTINE %s SET search_path = pg_catalog, pg_temp', f);
    END LOOP;
END
$pin$;
