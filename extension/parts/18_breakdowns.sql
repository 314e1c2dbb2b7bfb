-- Breakdowns by dimension on any fact table or view: revenue, lines, customers, share, growth over
-- the last period and ABC class per value of a fact column or of a dimension attribute (joined in
-- the same scan); Pareto rank and cumulative share; concentration (Gini, share of the top 20%).
--
-- ABC rule: values sorted by revenue (descending, ties by value); a value is A while the revenue
-- of the values before it is below 80% of the total (so A = the values that make the first 80%,
-- including the one that crosses 80%), B while below 95%, C after.

-- Gini coefficient of non-negative amounts: 0 = all equal, (n - 1) / n = one holds everything.
-- NULL for no value or a total <= 0; NULL elements are ignored.
CREATE FUNCTION dm_gini(amounts float8[]) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN count(x) = 0 OR sum(x) <= 0 THEN NULL
                ELSE 2 * sum(i * x) / (count(x) * sum(x)) - (count(x) + 1)::float8 / count(x) END
    FROM (SELECT x, row_number() OVER (ORDER BY x) AS i FROM unnest(amounts) AS x WHERE x IS NOT NULL) s
$$;
COMMENT ON FUNCTION dm_gini(float8[]) IS
    'Gini coefficient of amounts: 2 sum(i x_(i)) / (n sum x) - (n + 1) / n over the ascending order; NULL when empty or the total is <= 0';

-- Share of the total held by the largest ceil(fraction x n) amounts (fraction 0.2: the top 20%).
CREATE FUNCTION dm_top_share(amounts float8[], fraction float8 DEFAULT 0.2) RETURNS float8
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result float8;
BEGIN
    IF fraction IS NULL OR NOT (fraction > 0 AND fraction <= 1) THEN
        RAISE EXCEPTION 'fraction must be in (0, 1], got %', fraction USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT sum(x) FILTER (WHERE r <= ceil(fraction * n)) / NULLIF(sum(x), 0) INTO result
    FROM (SELECT x, row_number() OVER (ORDER BY x DESC) AS r, count(*) OVER () AS n
          FROM unnest(amounts) AS x WHERE x IS NOT NULL) s;
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_top_share(float8[], float8) IS
    'share of the total held by the largest ceil(fraction x n) amounts (default the top 20%); NULL when the total is 0';

-- One breakdown spec of dm_breakdowns, checked: the SQL expression of its value (over fact alias f
-- and dimension alias d<i>), the join clause, and its dimension and attribute names.
CREATE FUNCTION dm_breakdown_spec(rel regclass, spec jsonb, i int, OUT value_sql text, OUT join_sql text,
                                  OUT dimension text, OUT attribute text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    col text := spec ->> 'column';
    tab text := spec ->> 'table';
    dim regclass;
    key text;
    fact_type regtype;
    key_type regtype;
    alias text := 'd' || i;
BEGIN
    IF jsonb_typeof(spec) IS DISTINCT FROM 'object' OR col IS NULL THEN
        RAISE EXCEPTION 'breakdown % must be an object with a "column" (and optionally "table", "key", "attribute", "name")', i
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    fact_type := @extschema@.dm_explore_column(rel, col, 'breakdown column');
    IF tab IS NULL THEN
        IF spec ? 'attribute' OR spec ? 'key' THEN
            RAISE EXCEPTION 'breakdown % gives a key or attribute but no dimension "table"', i
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        value_sql := format('f.%I', col);
        join_sql := '';
        dimension := COALESCE(spec ->> 'name', col);
        attribute := col;
        RETURN;
    END IF;
    dim := to_regclass(tab);
    IF dim IS NULL THEN
        RAISE EXCEPTION 'dimension table "%" does not exist', tab
            USING ERRCODE = 'undefined_table', HINT = 'Give it as in SQL, schema-qualified.';
    END IF;
    key := COALESCE(spec ->> 'key', col);
    attribute := spec ->> 'attribute';
    IF attribute IS NULL THEN
        RAISE EXCEPTION 'breakdown % joins % but names no "attribute" to break down by', i, dim
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    key_type := @extschema@.dm_explore_column(dim, key, 'dimension key');
    PERFORM @extschema@.dm_explore_column(dim, attribute, 'dimension attribute');
    value_sql := format('%s.%I', alias, attribute);
    -- Keys of different type categories (int vs text) are compared as text.
    IF (SELECT typcategory FROM pg_type WHERE oid = fact_type) = (SELECT typcategory FROM pg_type WHERE oid = key_type) THEN
        join_sql := format(' LEFT JOIN %s %s ON %2$s.%I = f.%I', dim, alias, key, col);
    ELSE
        join_sql := format(' LEFT JOIN %s %s ON %2$s.%I::text = f.%I::text', dim, alias, key, col);
    END IF;
    dimension := COALESCE(spec ->> 'name', (SELECT relname FROM pg_class WHERE oid = dim));
END
$$;
COMMENT ON FUNCTION dm_breakdown_spec(regclass, jsonb, int) IS
    'checks one breakdown of dm_breakdowns ({column} or {column, table, key, attribute, name}) and returns its value expression, join, dimension and attribute names';

-- Every breakdown in one scan of the fact table (dimensions joined in the same scan): one
-- dm_breakdown_summary over the lines (every breakdown's value of a line in one array), whose
-- groups are ranked here.
CREATE FUNCTION dm_breakdowns(rel regclass, amount_column text, breakdowns jsonb, time_column text DEFAULT NULL,
                              customer_column text DEFAULT NULL, growth_period text DEFAULT 'month')
RETURNS TABLE (dimension text, attribute text, value text, revenue float8, lines bigint, customers bigint,
               share float8, cumulative_share float8, "rank" int, growth float8, abc_class text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- compiling the wide query costs more than it saves
AS $$
DECLARE
    s record;
    n int;
    values_sql text := '';
    query text;
    joins text := '';
    names text := '';
    day_sql text := 'NULL::date';
    customer_type text := 'bigint';
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'no fact table given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.dm_explore_column(rel, amount_column, 'amount', 'numeric');
    IF jsonb_typeof(breakdowns) IS DISTINCT FROM 'array' OR jsonb_array_length(breakdowns) = 0 THEN
        RAISE EXCEPTION 'breakdowns must be a non-empty jsonb array'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'For example ''[{"column": "product_id", "table": "products", "key": "product_id", "attribute": "family"}]''.';
    END IF;
    IF growth_period IS NULL OR growth_period NOT IN ('month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'unknown growth_period "%"', growth_period
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''month'', ''quarter'' or ''year''.';
    END IF;
    IF customer_column IS NOT NULL
       AND @extschema@.dm_explore_column(rel, customer_column, 'customer key') NOT IN ('smallint', 'integer', 'bigint') THEN
        customer_type := 'text';  -- integer keys go to the aggregate as bigint, others as text
    END IF;
    IF time_column IS NOT NULL THEN
        day_sql := (@extschema@.dm_time_expressions(rel, time_column, NULL, 'f')).day_sql;
    END IF;
    n := jsonb_array_length(breakdowns);
    IF n > 20 THEN
        RAISE EXCEPTION 'at most 20 breakdowns in one call, got %', n USING ERRCODE = 'program_limit_exceeded';
    END IF;
    FOR i IN 1 .. n LOOP
        s := @extschema@.dm_breakdown_spec(rel, breakdowns -> (i - 1), i);
        values_sql := values_sql || format('%s(%s)::text', CASE WHEN i > 1 THEN ', ' ELSE '' END, s.value_sql);
        joins := joins || s.join_sql;
        names := names || format('%s(%s, %L, %L)', CASE WHEN i > 1 THEN ', ' ELSE '' END, i, s.dimension, s.attribute);
    END LOOP;
    -- One read of the fact table (joined to the dimensions) into one summary of every breakdown.
    query := format($q$
        WITH totals AS (
            SELECT r.family AS k, r.key AS value, r.revenue, r.lines, %6$s AS customers, r.growth
            FROM (SELECT @extschema@.dm_breakdown_summary(ARRAY[%5$s], f.%2$I::float8, (%3$s)::%9$s, %4$s, $1) AS s
                  FROM %1$s f %7$s) a,
                 LATERAL @extschema@.dm_group_rows(a.s) r
        ), ranked AS (
            SELECT t.*, row_number() OVER w AS r,
                   t.revenue / NULLIF(sum(t.revenue) OVER (PARTITION BY t.k), 0) AS share,
                   sum(t.revenue) OVER (w ROWS UNBOUNDED PRECEDING) / NULLIF(sum(t.revenue) OVER (PARTITION BY t.k), 0) AS cum
            FROM totals t
            WINDOW w AS (PARTITION BY t.k ORDER BY t.revenue DESC, t.value)
        )
        SELECT nm.dimension, nm.attribute, x.value, x.revenue, x.lines, x.customers, x.share, x.cum, x.r::int,
               x.growth,
               CASE WHEN x.cum - x.share < 0.80 THEN 'A' WHEN x.cum - x.share < 0.95 THEN 'B' ELSE 'C' END
        FROM ranked x JOIN (VALUES %8$s) AS nm(k, dimension, attribute) ON nm.k = x.k
        ORDER BY x.k, x.r
        $q$,
        rel, amount_column,
        CASE WHEN customer_column IS NULL THEN 'NULL' ELSE format('f.%I', customer_column) END,
        day_sql, values_sql,
        CASE WHEN customer_column IS NULL THEN 'NULL::bigint' ELSE 'r.customers' END,
        joins, names, customer_type);
    RAISE DEBUG 'dm_breakdowns: %', query;
    RETURN QUERY EXECUTE query USING growth_period;
END
$$;
COMMENT ON FUNCTION dm_breakdowns(regclass, text, jsonb, text, text, text) IS
    'revenue, lines, customers, share, cumulative share, rank, growth over the last period (daily average of the last calendar growth_period vs the one before) and ABC class (A: first 80% of revenue, B: next 15%, C: rest) per value of each breakdown, all in one scan';

-- One breakdown: by a fact column, or by an attribute of a dimension table joined on key = by_column.
CREATE FUNCTION dm_breakdown(rel regclass, amount_column text, by_column text, time_column text DEFAULT NULL,
                             customer_column text DEFAULT NULL, dimension regclass DEFAULT NULL,
                             dimension_key text DEFAULT NULL, attribute text DEFAULT NULL,
                             growth_period text DEFAULT 'month')
RETURNS TABLE (value text, revenue float8, lines bigint, customers bigint, share float8, cumulative_share float8,
               "rank" int, growth float8, abc_class text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    spec jsonb := jsonb_build_object('column', by_column);
BEGIN
    IF dimension IS NOT NULL THEN
        spec := spec || jsonb_build_object('table', dimension::text, 'key', COALESCE(dimension_key, by_column),
                                           'attribute', attribute);
    ELSIF dimension_key IS NOT NULL OR attribute IS NOT NULL THEN
        RAISE EXCEPTION 'dimension_key and attribute need a dimension table' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY SELECT b.value, b.revenue, b.lines, b.customers, b.share, b.cumulative_share, b.rank, b.growth, b.abc_class
                 FROM @extschema@.dm_breakdowns(rel, amount_column, jsonb_build_array(spec), time_column,
                                                customer_column, growth_period) b;
END
$$;
COMMENT ON FUNCTION dm_breakdown(regclass, text, text, text, text, regclass, text, text, text) IS
    'revenue, lines, customers, share, cumulative share, rank, growth and ABC class per value of by_column, or of a dimension attribute joined on dimension_key = by_column';

-- The n values with the most revenue (top products, customers, ...).
CREATE FUNCTION dm_top(rel regclass, amount_column text, by_column text, n int DEFAULT 10,
                       time_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                       dimension regclass DEFAULT NULL, dimension_key text DEFAULT NULL, attribute text DEFAULT NULL)
RETURNS TABLE (value text, revenue float8, lines bigint, customers bigint, share float8, cumulative_share float8,
               "rank" int, growth float8, abc_class text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF n IS NULL OR n < 1 THEN
        RAISE EXCEPTION 'n must be at least 1, got %', n USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY SELECT * FROM @extschema@.dm_breakdown(rel, amount_column, by_column, time_column, customer_column,
                                                      dimension, dimension_key, attribute) b
                 WHERE b.rank <= n;
END
$$;
COMMENT ON FUNCTION dm_top(regclass, text, text, int, text, text, regclass, text, text) IS
    'the n values of by_column (or of a dimension attribute) with the most revenue, as dm_breakdown rows';

-- Concentration of revenue over the values: counts and shares of the ABC classes, Gini, top 20%.
CREATE FUNCTION dm_concentration(rel regclass, amount_column text, by_column text, dimension regclass DEFAULT NULL,
                                 dimension_key text DEFAULT NULL, attribute text DEFAULT NULL)
RETURNS TABLE (items bigint, revenue float8, gini float8, top20_share float8, a_items bigint, b_items bigint,
               c_items bigint, a_share float8, b_share float8, c_share float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
    SELECT count(*), sum(b.revenue), @extschema@.dm_gini(array_agg(b.revenue)), @extschema@.dm_top_share(array_agg(b.revenue)),
           count(*) FILTER (WHERE b.abc_class = 'A'), count(*) FILTER (WHERE b.abc_class = 'B'),
           count(*) FILTER (WHERE b.abc_class = 'C'),
           COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'A'), 0), COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'B'), 0),
           COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'C'), 0)
    FROM @extschema@.dm_breakdown(rel, amount_column, by_column, NULL, NULL, dimension, dimension_key, attribute) b
    HAVING count(*) > 0;
END
$$;
COMMENT ON FUNCTION dm_concentration(regclass, text, text, regclass, text, text) IS
    'concentration of revenue over the values of by_column (or a dimension attribute): items, revenue, Gini, share of the top 20%, ABC class counts and shares';
