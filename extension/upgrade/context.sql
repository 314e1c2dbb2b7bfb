-- context: anomalies in context (0.1.0 -> 0.2.0 part). Plain SQL run inside the upgrade script.

-- @install CREATE TYPE context_summary;
-- @install CREATE FUNCTION context_summary_in(cstring) RETURNS context_summary
-- @install CREATE FUNCTION context_summary_out(context_summary) RETURNS cstring
-- @install CREATE FUNCTION context_summary_recv(internal) RETURNS context_summary
-- @install CREATE FUNCTION context_summary_send(context_summary) RETURNS bytea
-- @install CREATE TYPE context_summary (
-- @install COMMENT ON TYPE context_summary IS

-- Fitting and the k best lines: their aggregates come over their state types (piece ctxstate).

-- Using a summary.
-- @install CREATE FUNCTION dm_context_surprise(summary context_summary, key text, value float8, side text DEFAULT 'both',
-- @install CREATE FUNCTION dm_context_surprise(summary context_summary, key text, at timestamp,
-- @install CREATE FUNCTION dm_context_explain(summary context_summary, key text, value float8, side text DEFAULT 'both',
-- @install CREATE FUNCTION dm_context_explain(summary context_summary, key text, at timestamp,
-- @install CREATE FUNCTION dm_context_typical(summary context_summary, key text) RETURNS float8
-- @install CREATE FUNCTION dm_context_info(summary context_summary) RETURNS jsonb
-- @install CREATE FUNCTION dm_context_score(surprises float8[]) RETURNS float8

-- Two surprises of one line taken together (the product's and the customer's view of a
-- quantity): -ln P(E1 + E2 >= s) for independent unit exponentials, s - ln(1 + s) with s their
-- sum; one of them alone when the other is NULL.
-- @install CREATE FUNCTION dm_context_joint(a float8, b float8) RETURNS float8
-- The sum of two surprises, one alone when the other is NULL (the pipeline's quantity: unusual for
-- the product and for the customer).
-- @install CREATE FUNCTION dm_context_sum(a float8, b float8) RETURNS float8

-- Result tables: the reason of every kept line, the context summaries of a run.
ALTER TABLE @extschema@.result_anomalies ADD COLUMN reason text;
ALTER TABLE @extschema@.result_models ADD COLUMN context @extschema@.context_summary[];

-- As every routine of the extension (99_search_path.sql).
ALTER FUNCTION @extschema@.dm_context_joint(float8, float8) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.dm_context_sum(float8, float8) SET search_path = pg_catalog, pg_temp;
