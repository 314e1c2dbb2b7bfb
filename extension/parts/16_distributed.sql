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

-- dm_approx_distinct and dm_distinct_summary for the common key and value types. Citus splits an
-- aggregate only when the argument's type is the declared one (worker_partial_agg checks it), so
-- the polymorphic (anyelement) form is never pushed down; these exact overloads, which
-- PostgreSQL prefers to anyelement, are. Same state, same hashing, same figures.
DO $overloads$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric', 'text',
                             'character varying', 'date', 'timestamp without time zone',
                             'timestamp with time zone', 'boolean', 'uuid'] LOOP
        EXECUTE format($q$
            CREATE AGGREGATE @extschema@.dm_approx_distinct(x %1$s) (
                SFUNC = @extschema@.distinct_summary_add, STYPE = @extschema@.distinct_summary,
                SSPACE = 16500, FINALFUNC = @extschema@.dm_summary_distinct,
                COMBINEFUNC = @extschema@.distinct_summary_combine, PARALLEL = SAFE);
            CREATE AGGREGATE @extschema@.dm_distinct_summary(x %1$s) (
                SFUNC = @extschema@.distinct_summary_add, STYPE = @extschema@.distinct_summary,
                SSPACE = 16500, COMBINEFUNC = @extschema@.distinct_summary_combine, PARALLEL = SAFE);
            COMMENT ON AGGREGATE @extschema@.dm_approx_distinct(%1$s) IS
                'HyperLogLog estimate of the number of distinct non-NULL values (as dm_approx_distinct(anyelement); pushed down by Citus)';
            COMMENT ON AGGREGATE @extschema@.dm_distinct_summary(%1$s) IS
                'HyperLogLog summary of the distinct non-NULL values (as dm_distinct_summary(anyelement); pushed down by Citus)';
            $q$, t);
    END LOOP;
END
$overloads$;
