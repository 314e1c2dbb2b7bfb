-- citus: exact-type overloads of the distinct-count aggregates (pushed down by Citus) and the
-- pipeline's collecting aggregate over non-polymorphic functions.

-- dm_approx_distinct and dm_distinct_summary for the common key and value types. Citus splits an
-- aggregate only when the argument's type is the declared one (worker_partial_agg checks it), so
-- the polymorphic (anyelement) form is never pushed down; these exact overloads, which
-- PostgreSQL prefers to anyelement, are. Same state, same hashing, same figures.
-- @install DO $overloads$

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
