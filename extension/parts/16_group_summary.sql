-- group_summary: the one-pass state behind dm_breakdowns and dm_trends (C++ src/pg/explore_agg.cpp,
-- src/kernels/explore/). Per group (a value of each breakdown, or a day, ISO week, month and
-- weekday x hour cell) revenue, lines, quantity, exact distinct customers and orders, and the
-- growth of the revenue's daily average over the last period. A real type, so parallel workers
-- and Citus workers send partial summaries that the leader merges.
CREATE TYPE group_summary;
CREATE FUNCTION group_summary_in(cstring) RETURNS group_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION group_summary_out(group_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION group_summary_recv(internal) RETURNS group_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION group_summary_send(group_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE group_summary (
    INPUT = group_summary_in, OUTPUT = group_summary_out, RECEIVE = group_summary_recv, SEND = group_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE group_summary IS
    'per-group sales summary of dm_breakdown_summary or dm_sales_summary (revenue, lines, quantity, exact distinct customers and orders, growth); read it with dm_group_rows';
CREATE FUNCTION group_summary_combine(group_summary, group_summary) RETURNS group_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_breakdown_summary_add(group_summary, text[], float8, text, date, text) RETURNS group_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_sales_summary_add(group_summary, date, int, float8, float8, text, text) RETURNS group_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION group_summary_finish(group_summary) RETURNS group_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION group_summary_finish(group_summary) IS
    'final function of dm_breakdown_summary and dm_sales_summary: the finished summary (groups with their distinct counts, no keys nor pairs)';
-- Integer keys as they are (no text made per line).
CREATE FUNCTION dm_breakdown_summary_add(group_summary, text[], float8, bigint, date, text) RETURNS group_summary
    AS 'MODULE_PATHNAME', 'dm_breakdown_summary_add_ids' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_sales_summary_add(group_summary, date, int, float8, float8, bigint, bigint) RETURNS group_summary
    AS 'MODULE_PATHNAME', 'dm_sales_summary_add_ids' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;

-- values[k] is the line's value of breakdown k (NULL a value of its own); growth_period month,
-- quarter, year or NULL (no growth); day NULL: no growth either.
CREATE AGGREGATE dm_breakdown_summary("values" text[], amount float8, customer text, day date,
                                      growth_period text) (
    SFUNC = dm_breakdown_summary_add, STYPE = group_summary,
    SSPACE = 65536, -- bytes: a few thousand values and their customers
    FINALFUNC = group_summary_finish, COMBINEFUNC = group_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_breakdown_summary(text[], float8, text, date, text) IS
    'per value of each breakdown k (values[k]): revenue, lines, exact distinct customers and growth of the daily average of the last growth_period over the one before, in one pass; rows by dm_group_rows';
CREATE AGGREGATE dm_breakdown_summary("values" text[], amount float8, customer bigint, day date,
                                      growth_period text) (
    SFUNC = dm_breakdown_summary_add, STYPE = group_summary,
    SSPACE = 65536, -- bytes: a few thousand values and their customers
    FINALFUNC = group_summary_finish, COMBINEFUNC = group_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_breakdown_summary(text[], float8, bigint, date, text) IS
    'dm_breakdown_summary with an integer customer key';

-- Lines of day (hour NULL when unknown); lines without a day are left out.
CREATE AGGREGATE dm_sales_summary(day date, hour int, amount float8, quantity float8, customer text, order_key text) (
    SFUNC = dm_sales_summary_add, STYPE = group_summary,
    SSPACE = 65536, -- bytes: a few hundred days and their orders
    FINALFUNC = group_summary_finish, COMBINEFUNC = group_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_sales_summary(date, int, float8, float8, text, text) IS
    'per day (family 1), ISO week (2), month (3) and ISO weekday x hour cell (4): revenue, lines, quantity, exact distinct customers and orders, in one pass; rows by dm_group_rows';
CREATE AGGREGATE dm_sales_summary(day date, hour int, amount float8, quantity float8, customer bigint, order_key bigint) (
    SFUNC = dm_sales_summary_add, STYPE = group_summary,
    SSPACE = 65536, -- bytes: a few hundred days and their orders
    FINALFUNC = group_summary_finish, COMBINEFUNC = group_summary_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_sales_summary(date, int, float8, float8, bigint, bigint) IS
    'dm_sales_summary with integer customer and order keys';

CREATE FUNCTION dm_group_rows(s group_summary)
RETURNS TABLE (family int, key text, revenue float8, lines bigint, quantity float8, customers bigint,
               orders bigint, growth float8)
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION dm_group_rows(group_summary) IS
    'the groups of a group_summary: family (breakdown number; or 1 day, 2 week, 3 month, 4 cell), key (the value; a date yyyy-mm-dd, or isodow * 100 + hour for cells), revenue, lines, quantity, distinct customers and orders, growth (NULL when undefined)';
