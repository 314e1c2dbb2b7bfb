

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

-- Its functions are not polymorphic: Citus calls them on the workers without the call's types
-- (array_append and array_cat themselves fail there with "could not determine input data type").
CREATE OR REPLACE FUNCTION dm_pipeline_collect_add(s jsonb[], v jsonb) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_append(s, v) $$;
CREATE OR REPLACE FUNCTION dm_pipeline_collect_combine(a jsonb[], b jsonb[]) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_cat(a, b) $$;
CREATE OR REPLACE AGGREGATE dm_pipeline_collect(jsonb) (
    SFUNC = dm_pipeline_collect_add, STYPE = jsonb[], COMBINEFUNC = dm_pipeline_collect_combine, PARALLEL = SAFE
);
