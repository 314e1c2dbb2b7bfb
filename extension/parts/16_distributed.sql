-- Citus: whether a relation is (or is a view over) a distributed table. Citus 13 runs no
-- GROUPING SETS on a distributed table; the steps that use them group column by column there
-- (each GROUP BY pushed down to the workers) instead of one grouped scan.
CREATE FUNCTION dm_relation_distributed(rel regclass) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;  -- no Citus here
    END IF;
    -- The relation and, through view rules, every relation it reads; reference tables (method n)
    -- live whole on every node and group as local tables do.
    EXECUTE $q$
        WITH RECURSIVE deps(oid) AS (
            SELECT $1::oid
            UNION
            SELECT d.refobjid FROM deps
            JOIN pg_catalog.pg_rewrite w ON w.ev_class = deps.oid
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = w.oid
                                       AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> deps.oid)
        SELECT EXISTS (SELECT FROM deps JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = deps.oid
                       WHERE p.partmethod <> 'n')
        $q$ INTO r USING rel;
    RETURN r;
END
$$;
COMMENT ON FUNCTION dm_relation_distributed(regclass) IS
    'whether a relation is a Citus distributed table or a view over one (false without Citus)';
