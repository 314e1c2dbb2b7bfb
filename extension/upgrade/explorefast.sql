-- 0.1.0 -> explorefast: the exploration steps in one pass. The group_summary state type and its
-- aggregates dm_breakdown_summary and dm_sales_summary (dm_group_rows, and dm_breakdowns and the
-- trends functions over them, are replayed from the install script).

-- @install CREATE TYPE group_summary;
-- @install CREATE FUNCTION group_summary_in(cstring) RETURNS group_summary
-- @install CREATE FUNCTION group_summary_out(group_summary) RETURNS cstring
-- @install CREATE FUNCTION group_summary_recv(internal) RETURNS group_summary
-- @install CREATE FUNCTION group_summary_send(group_summary) RETURNS bytea
-- @install CREATE TYPE group_summary (
-- @install COMMENT ON TYPE group_summary IS
-- @install CREATE FUNCTION group_summary_combine(group_summary, group_summary) RETURNS group_summary
-- @install CREATE FUNCTION dm_breakdown_summary_add(group_summary, text[], float8, text, date, text) RETURNS group_summary
-- @install CREATE FUNCTION dm_sales_summary_add(group_summary, date, int, float8, float8, text, text) RETURNS group_summary
-- @install CREATE FUNCTION group_summary_finish(group_summary) RETURNS group_summary
-- @install COMMENT ON FUNCTION group_summary_finish(group_summary) IS
-- Integer keys as they are (no text made per line).
-- @install CREATE FUNCTION dm_breakdown_summary_add(group_summary, text[], float8, bigint, date, text) RETURNS group_summary
-- @install CREATE FUNCTION dm_sales_summary_add(group_summary, date, int, float8, float8, bigint, bigint) RETURNS group_summary

-- values[k] is the line's value of breakdown k (NULL a value of its own); growth_period month,
-- quarter, year or NULL (no growth); day NULL: no growth either.
-- @install CREATE AGGREGATE dm_breakdown_summary("values" text[], amount float8, customer text, day date,
-- @install COMMENT ON AGGREGATE dm_breakdown_summary(text[], float8, text, date, text) IS
-- @install CREATE AGGREGATE dm_breakdown_summary("values" text[], amount float8, customer bigint, day date,
-- @install COMMENT ON AGGREGATE dm_breakdown_summary(text[], float8, bigint, date, text) IS

-- Lines of day (hour NULL when unknown); lines without a day are left out.
-- @install CREATE AGGREGATE dm_sales_summary(day date, hour int, amount float8, quantity float8, customer text, order_key text) (
-- @install COMMENT ON AGGREGATE dm_sales_summary(date, int, float8, float8, text, text) IS
-- @install CREATE AGGREGATE dm_sales_summary(day date, hour int, amount float8, quantity float8, customer bigint, order_key bigint) (
-- @install COMMENT ON AGGREGATE dm_sales_summary(date, int, float8, float8, bigint, bigint) IS

