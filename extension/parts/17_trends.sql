-- Sales over time on any fact table or view: series per day, week and month with empty periods
-- filled, a robust trend, seasonality indices with their strength, a weekday x hour heatmap and
-- period-over-period growth. Each function reads the fact table once (dm_trends: once for all).

-- Seasonal decomposition of a regular series (C++ kernel src/kernels/trends/decompose.cpp).
CREATE FUNCTION dm_decompose(series float8[], period int, first_position int DEFAULT 1,
                             OUT trend float8[], OUT seasonal_index float8[],
                             OUT strength float8, OUT slope float8)
RETURNS record
AS 'MODULE_PATHNAME', 'dm_decompose' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_decompose(float8[], int, int) IS
    'multiplicative seasonal decomposition of consecutive values (first at season position first_position of period): trend (centred moving average over one season of the seasonally adjusted series), seasonal indices (median detrended ratio, mean 1), strength F_s = max(0, 1 - Var(R)/Var(S+R)), Theil-Sen slope per step';

-- A user-named column of rel, checked by dm_mapping_column (kinds 'any', 'numeric', 'integer',
-- 'time'), as a type.
CREATE FUNCTION dm_explore_column(rel regclass, column_name text, role text, kind text DEFAULT 'any')
RETURNS regtype
LANGUAGE plpgsql STABLE  -- not sql: dm_mapping_column is created later in the install script
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN RETURN @extschema@.dm_mapping_column(rel, column_name, role, kind)::regtype; END $$;
COMMENT ON FUNCTION dm_explore_column(regclass, text, text, text) IS
    'checks that a column named by the user exists in rel (42703 otherwise) and has the kind of type needed (42804 otherwise): any, numeric, integer, or time (date, timestamp[tz], integer or text yyyymmdd key)';

-- SQL expressions (day date, hour int) of a time column: dates as is, timestamps truncated,
-- integer keys read as yyyymmdd, text as a date or timestamp literal (yyyymmdd or ISO).
-- hour is NULL for dates and date keys unless hour_column names an integer hour column.
CREATE FUNCTION dm_time_expressions(rel regclass, time_column text, hour_column text DEFAULT NULL,
                                    alias text DEFAULT NULL, OUT day_sql text, OUT hour_sql text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t regtype := @extschema@.dm_explore_column(rel, time_column, 'time column', 'time');
    c text := CASE WHEN alias IS NULL THEN format('%I', time_column) ELSE format('%I.%I', alias, time_column) END;
BEGIN
    IF t IN ('timestamp'::regtype, 'timestamptz'::regtype) THEN
        day_sql := format('%s::date', c);
        hour_sql := format('date_part(''hour'', %s)::int', c);
    ELSIF t = 'date'::regtype THEN
        day_sql := c;
    ELSIF t IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype) THEN
        day_sql := format('(%s)::timestamp::date', c);
        hour_sql := format('date_part(''hour'', (%s)::timestamp)::int', c);
    ELSE  -- an integer yyyymmdd key
        day_sql := format('make_date((%1$s::int8 / 10000)::int, (%1$s::int8 / 100 %% 100)::int, (%1$s::int8 %% 100)::int)', c);
    END IF;
    IF hour_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, hour_column, 'hour column', 'integer');
        hour_sql := CASE WHEN alias IS NULL THEN format('%I::int', hour_column)
                         ELSE format('%I.%I::int', alias, hour_column) END;
    END IF;
END
$$;
COMMENT ON FUNCTION dm_time_expressions(regclass, text, text, text) IS
    'SQL expressions of the day and hour of a time column (date, timestamp[tz], integer or text yyyymmdd key; hour from hour_column when given), columns qualified by alias when given';

-- The one read of the fact table shared by the trends functions: one dm_sales_summary of the
-- lines, as rows (grain, period_start, isodow, hour, revenue, lines, orders, customers, quantity)
-- per day, week and month (period_start) and per weekday x hour cell (grain 'cell', with_hour
-- only); orders, customers and quantity NULL without their column. Checks every column.
CREATE FUNCTION dm_sales_base_sql(rel regclass, time_column text, amount_column text,
                                  order_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                                  quantity_column text DEFAULT NULL, hour_column text DEFAULT NULL,
                                  with_hour boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e record := @extschema@.dm_time_expressions(rel, time_column, hour_column);
    ints boolean := true;  -- integer keys go to the aggregate as bigint, others as text
    key_type text;
BEGIN
    IF rel IS NULL THEN
        RAISE EXCEPTION 'no fact table given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM @extschema@.dm_explore_column(rel, amount_column, 'amount', 'numeric');
    IF order_column IS NOT NULL THEN
        ints := @extschema@.dm_explore_column(rel, order_column, 'order key') IN ('smallint', 'integer', 'bigint');
    END IF;
    IF customer_column IS NOT NULL THEN
        ints := ints AND @extschema@.dm_explore_column(rel, customer_column, 'customer key')
                         IN ('smallint', 'integer', 'bigint');
    END IF;
    key_type := CASE WHEN ints THEN 'bigint' ELSE 'text' END;
    IF quantity_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, quantity_column, 'quantity', 'numeric');
    END IF;
    IF with_hour AND e.hour_sql IS NULL THEN
        RAISE EXCEPTION 'time column "%" of % has no time of day', time_column, rel
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Use a timestamp column, or give hour_column (an integer hour 0..23).';
    END IF;
    RETURN format(
        'SELECT CASE r.family WHEN 1 THEN ''day'' WHEN 2 THEN ''week'' WHEN 3 THEN ''month'' ELSE ''cell'' END AS grain, '
        'CASE WHEN r.family < 4 THEN r.key::date END AS period_start, '
        'CASE WHEN r.family = 4 THEN r.key::int / 100 END AS isodow, '
        'CASE WHEN r.family = 4 THEN r.key::int %% 100 END AS hour, '
        'r.revenue, r.lines, %s AS orders, %s AS customers, %s AS quantity '
        'FROM (SELECT @extschema@.dm_sales_summary(%s, %s, %I::float8, %s, %s, %s) AS s '
        'FROM %s WHERE %I IS NOT NULL) a, LATERAL @extschema@.dm_group_rows(a.s) r',
        CASE WHEN order_column IS NULL THEN 'NULL::bigint' ELSE 'r.orders' END,
        CASE WHEN customer_column IS NULL THEN 'NULL::bigint' ELSE 'r.customers' END,
        CASE WHEN quantity_column IS NULL THEN 'NULL::float8' ELSE 'r.quantity' END,
        e.day_sql, CASE WHEN with_hour THEN e.hour_sql ELSE 'NULL::int' END,
        amount_column,
        CASE WHEN quantity_column IS NULL THEN 'NULL::float8' ELSE format('%I::float8', quantity_column) END,
        CASE WHEN customer_column IS NULL THEN 'NULL::' || key_type ELSE format('%I::%s', customer_column, key_type) END,
        CASE WHEN order_column IS NULL THEN 'NULL::' || key_type ELSE format('%I::%s', order_column, key_type) END,
        rel, time_column);
END
$$;
COMMENT ON FUNCTION dm_sales_base_sql(regclass, text, text, text, text, text, text, boolean) IS
    'the one-pass query (grain, period_start, isodow, hour, revenue, lines, orders, customers, quantity per day, week, month and weekday x hour cell) that the trends functions read the fact table with; checks every column';

-- The rows of dm_sales_base_sql, run by RETURN QUERY so that the one pass can use parallel
-- workers (a dynamic EXECUTE ... INTO cannot), and dm_sales_base_call, the query of a call.
CREATE FUNCTION dm_sales_base(rel regclass, time_column text, amount_column text, order_column text DEFAULT NULL,
                              customer_column text DEFAULT NULL, quantity_column text DEFAULT NULL,
                              hour_column text DEFAULT NULL, with_hour boolean DEFAULT false)
RETURNS TABLE (grain text, period_start date, isodow int, hour int, revenue float8, lines bigint, orders bigint,
               customers bigint, quantity float8)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
BEGIN
    RETURN QUERY EXECUTE @extschema@.dm_sales_base_sql(rel, time_column, amount_column, order_column, customer_column,
                                                       quantity_column, hour_column, with_hour);
END
$$;
COMMENT ON FUNCTION dm_sales_base(regclass, text, text, text, text, text, text, boolean) IS
    'the rows of dm_sales_base_sql (one pass over the fact table, parallel workers allowed)';

CREATE FUNCTION dm_sales_base_call(rel regclass, time_column text, amount_column text, order_column text DEFAULT NULL,
                                   customer_column text DEFAULT NULL, quantity_column text DEFAULT NULL,
                                   hour_column text DEFAULT NULL, with_hour boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('SELECT * FROM @extschema@.dm_sales_base(%L::regclass, %L, %L, %L, %L, %L, %L, %L)', rel::oid,
                  time_column, amount_column, order_column, customer_column, quantity_column, hour_column, with_hour)
$$;
COMMENT ON FUNCTION dm_sales_base_call(regclass, text, text, text, text, text, text, boolean) IS
    'the query text of a dm_sales_base call (what the trends functions read as base)';

-- Per grain: the season used for its trend (period, and a season position of a period start).
CREATE FUNCTION dm_grain_season(grain text, period_start date, OUT period int, OUT season_position int)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE grain WHEN 'day' THEN 7 WHEN 'week' THEN 52 ELSE 12 END,
           CASE grain WHEN 'day' THEN extract(isodow FROM period_start)::int
                      WHEN 'week' THEN least(extract(week FROM period_start)::int, 52)
                      ELSE extract(month FROM period_start)::int END
$$;
COMMENT ON FUNCTION dm_grain_season(text, date) IS
    'the season of a grain for its trend: day -> week (7, ISO weekday), week -> year (52, ISO week capped at 52), month -> year (12, month)';

-- The series query over a relation named base (rows of dm_sales_base_sql) for grains $1.
CREATE FUNCTION dm_sales_series_sql(has_orders boolean, has_customers boolean, has_quantity boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT format($q$
    WITH bounds AS (SELECT min(period_start) AS lo, max(period_start) AS hi FROM base WHERE grain = 'day'),
    periods AS (
        SELECT g AS grain, p::date AS period_start,
               (least(b.hi, (p + ('1 ' || g)::interval)::date - 1) - greatest(b.lo, p::date) + 1)::int AS days
        FROM unnest($1::text[]) AS g, bounds b,
             generate_series(date_trunc(g, b.lo::timestamp), b.hi::timestamp, ('1 ' || g)::interval) AS p
        WHERE b.lo IS NOT NULL
    ), agg AS (
        SELECT b.grain, b.period_start, b.revenue, b.lines, b.orders, b.customers, b.quantity
        FROM base b WHERE b.grain = ANY ($1::text[])
    ), filled AS (
        SELECT p.grain, p.period_start, p.days, COALESCE(a.revenue, 0) AS revenue, COALESCE(a.lines, 0) AS lines,
               %1$s AS orders, %2$s AS customers, %3$s AS quantity,
               row_number() OVER (PARTITION BY p.grain ORDER BY p.period_start) AS i
        FROM periods p LEFT JOIN agg a USING (grain, period_start)
    ), fits AS (
        SELECT f.grain, (@extschema@.dm_decompose(array_agg(f.revenue / f.days ORDER BY f.period_start),
                                                  min(s.period), (array_agg(s.season_position ORDER BY f.period_start))[1])).trend
        FROM filled f, LATERAL @extschema@.dm_grain_season(f.grain, f.period_start) s GROUP BY f.grain
    )
    SELECT f.grain AS period_grain, f.period_start, f.days, f.revenue, f.lines, f.orders, f.customers, f.quantity,
           x.trend[f.i] * f.days AS trend,
           f.revenue / f.days / NULLIF(lag(f.revenue / f.days) OVER w, 0) - 1 AS growth_prev,
           f.revenue / f.days / NULLIF(y.revenue / y.days, 0) - 1 AS growth_year
    FROM filled f JOIN fits x USING (grain)
         LEFT JOIN filled y ON y.grain = f.grain
                           AND y.period_start = CASE f.grain WHEN 'month' THEN (f.period_start - interval '1 year')::date
                                                             ELSE f.period_start - 364 END
    WINDOW w AS (PARTITION BY f.grain ORDER BY f.period_start)
    $q$,
    CASE WHEN has_orders THEN 'COALESCE(a.orders, 0)' ELSE 'NULL::bigint' END,
    CASE WHEN has_customers THEN 'COALESCE(a.customers, 0)' ELSE 'NULL::bigint' END,
    CASE WHEN has_quantity THEN 'COALESCE(a.quantity, 0)' ELSE 'NULL::float8' END)
$$;
COMMENT ON FUNCTION dm_sales_series_sql(boolean, boolean, boolean) IS
    'the query of dm_sales_series over a relation named base (rows of dm_sales_base_sql), grains as parameter $1';

-- The grains asked for: 'day', 'week', 'month', or 'all' (the three).
CREATE FUNCTION dm_trend_grains(grain text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF grain IS NULL OR grain NOT IN ('day', 'week', 'month', 'all') THEN
        RAISE EXCEPTION 'unknown grain "%"', grain
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''day'', ''week'', ''month'' or ''all''.';
    END IF;
    RETURN CASE grain WHEN 'all' THEN ARRAY['day', 'week', 'month'] ELSE ARRAY[grain] END;
END
$$;
COMMENT ON FUNCTION dm_trend_grains(text) IS 'the grains of a grain argument (day, week, month, or all); 22023 otherwise';

-- Revenue, lines, orders, customers and quantity per period, empty periods as 0, with the trend
-- and growth on the previous period and on the same period a year before.
CREATE FUNCTION dm_sales_series(rel regclass, time_column text, amount_column text, grain text DEFAULT 'month',
                                order_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                                quantity_column text DEFAULT NULL)
RETURNS TABLE (period_grain text, period_start date, days int, revenue float8, lines bigint, orders bigint,
               customers bigint, quantity float8, trend float8, growth_prev float8, growth_year float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
DECLARE
    grains text[] := @extschema@.dm_trend_grains(grain);
    base text := @extschema@.dm_sales_base_call(rel, time_column, amount_column, order_column, customer_column,
                                               quantity_column);
BEGIN
    RETURN QUERY EXECUTE format('WITH base AS MATERIALIZED (%s) SELECT * FROM (%s) s ORDER BY 1, 2', base,
                                @extschema@.dm_sales_series_sql(order_column IS NOT NULL, customer_column IS NOT NULL,
                                                                quantity_column IS NOT NULL))
    USING grains;
END
$$;
COMMENT ON FUNCTION dm_sales_series(regclass, text, text, text, text, text, text) IS
    'sales per day, week or month (or all three): revenue, lines, orders, customers, quantity, empty periods as 0; trend from dm_decompose; growth of the daily average on the previous period and on the period a year before';

-- The seasonality query over a relation named base: per measure, weekday indices from the daily
-- series, then monthly indices from the monthly level per trading day (sum / sum of weekday
-- indices of its days), so that month lengths and partial months do not count as seasonality.
CREATE FUNCTION dm_seasonality_sql(measures text[], has_orders boolean, has_customers boolean,
                                   has_quantity boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    available text[] := ARRAY['revenue', 'lines'] || CASE WHEN has_orders THEN ARRAY['orders'] ELSE '{}' END
                        || CASE WHEN has_customers THEN ARRAY['customers'] ELSE '{}' END
                        || CASE WHEN has_quantity THEN ARRAY['quantity'] ELSE '{}' END;
    m text;
BEGIN
    FOREACH m IN ARRAY measures LOOP
        IF NOT m = ANY (available) THEN
            RAISE EXCEPTION 'measure "%" is not available', m
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = format('Available with the columns given: %s (orders needs order_column, customers customer_column, quantity quantity_column).',
                                    array_to_string(available, ', '));
        END IF;
    END LOOP;
    RETURN format($q$
    WITH bounds AS (SELECT min(period_start) AS lo, max(period_start) AS hi FROM base WHERE grain = 'day'),
    daily AS (
        SELECT b.period_start AS day, b.revenue, b.lines::float8 AS lines, b.orders::float8 AS orders,
               b.customers::float8 AS customers, b.quantity
        FROM base b WHERE b.grain = 'day'
    ), values_ AS (
        SELECT m.measure, d::date AS day, COALESCE(v.value, 0) AS value
        FROM bounds b, generate_series(b.lo::timestamp, b.hi::timestamp, interval '1 day') AS d
             CROSS JOIN unnest(%1$L::text[]) AS m(measure)
             LEFT JOIN (SELECT x.day, u.measure, u.value FROM daily x,
                        LATERAL (VALUES ('revenue', x.revenue), ('lines', x.lines), ('orders', x.orders),
                                        ('customers', x.customers), ('quantity', x.quantity)) AS u(measure, value)) v
                    ON v.day = d::date AND v.measure = m.measure
        WHERE b.lo IS NOT NULL
    ), weekly AS (
        SELECT v.measure, @extschema@.dm_decompose(array_agg(v.value ORDER BY v.day), 7,
                                                   extract(isodow FROM min(v.day))::int) AS fit
        FROM values_ v GROUP BY 1
    ), monthly_level AS (
        SELECT v.measure, date_trunc('month', v.day)::date AS month,
               sum(v.value) / NULLIF(sum(COALESCE((w.fit).seasonal_index[extract(isodow FROM v.day)::int], 1)), 0) AS level
        FROM values_ v JOIN weekly w USING (measure) GROUP BY 1, 2
    ), monthly AS (
        SELECT l.measure, @extschema@.dm_decompose(array_agg(COALESCE(l.level, 0) ORDER BY l.month), 12,
                                                   extract(month FROM min(l.month))::int) AS fit
        FROM monthly_level l GROUP BY 1
    )
    SELECT w.measure, 'weekday'::text AS cycle, k AS position, trim(to_char(date '2024-01-07' + k, 'Day')) AS label,
           (w.fit).seasonal_index[k] AS seasonal_index, (w.fit).strength AS strength,
           (SELECT count(*) FROM values_ v WHERE v.measure = w.measure AND extract(isodow FROM v.day) = k)::int AS observations
    FROM weekly w, generate_series(1, 7) AS k
    UNION ALL
    SELECT m.measure, 'month', k, trim(to_char(make_date(2024, k, 1), 'Month')),
           (m.fit).seasonal_index[k], (m.fit).strength,
           (SELECT count(*) FROM monthly_level l WHERE l.measure = m.measure AND extract(month FROM l.month) = k)::int
    FROM monthly m, generate_series(1, 12) AS k
    $q$, measures);
END
$$;
COMMENT ON FUNCTION dm_seasonality_sql(text[], boolean, boolean, boolean) IS
    'the query of dm_seasonality over a relation named base (rows of dm_sales_base_sql); checks the measures';

-- Weekday and monthly seasonality indices (mean 1) of a measure and the strength of each season.
CREATE FUNCTION dm_seasonality(rel regclass, time_column text, amount_column text, measure text DEFAULT 'revenue',
                               order_column text DEFAULT NULL, customer_column text DEFAULT NULL,
                               quantity_column text DEFAULT NULL)
RETURNS TABLE (cycle text, "position" int, label text, seasonal_index float8, strength float8,
               observations int)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
DECLARE
    query text := @extschema@.dm_seasonality_sql(ARRAY[measure], order_column IS NOT NULL,
                                                 customer_column IS NOT NULL, quantity_column IS NOT NULL);
BEGIN
    IF measure IS NULL THEN
        RAISE EXCEPTION 'no measure given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY EXECUTE format('WITH base AS MATERIALIZED (%s) SELECT cycle, position, label, seasonal_index, strength, observations FROM (%s) s ORDER BY 1 DESC, 2',
        @extschema@.dm_sales_base_call(rel, time_column, amount_column, order_column, customer_column, quantity_column),
        query);
END
$$;
COMMENT ON FUNCTION dm_seasonality(regclass, text, text, text, text, text, text) IS
    'weekday (ISO 1 = Monday) and monthly seasonality indices (mean 1) of a measure (revenue, lines, orders, customers, quantity), with Hyndman''s strength F_s per cycle (NULL below two full cycles)';

-- The heatmap query over a relation named base (rows with an hour): every weekday x hour cell.
CREATE FUNCTION dm_heatmap_sql(has_orders boolean) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT format($q$
    WITH cells AS (
        SELECT b.isodow, b.hour, b.revenue, b.lines, b.orders FROM base b WHERE b.grain = 'cell'
    )
    SELECT d AS isodow, trim(to_char(date '2024-01-07' + d, 'Day')) AS day_name, h AS hour,
           COALESCE(c.revenue, 0) AS revenue, COALESCE(c.lines, 0) AS lines, %s AS orders,
           COALESCE(c.revenue, 0) / NULLIF(sum(c.revenue) OVER (), 0) AS revenue_share
    FROM generate_series(1, 7) AS d CROSS JOIN generate_series(0, 23) AS h
         LEFT JOIN cells c ON c.isodow = d AND c.hour = h
    WHERE EXISTS (SELECT 1 FROM cells)
    $q$,
    CASE WHEN has_orders THEN 'COALESCE(c.orders, 0)' ELSE 'NULL::bigint' END)
$$;
COMMENT ON FUNCTION dm_heatmap_sql(boolean) IS
    'the query of dm_sales_heatmap over a relation named base (rows of dm_sales_base_sql with hours)';

-- Revenue, lines and orders per ISO weekday x hour of day (7 x 24 cells, empty ones as 0).
CREATE FUNCTION dm_sales_heatmap(rel regclass, time_column text, amount_column text,
                                 order_column text DEFAULT NULL, hour_column text DEFAULT NULL)
RETURNS TABLE (isodow int, day_name text, hour int, revenue float8, lines bigint, orders bigint,
               revenue_share float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
BEGIN
    RETURN QUERY EXECUTE format('WITH base AS MATERIALIZED (%s) SELECT * FROM (%s) s ORDER BY 1, 3',
        @extschema@.dm_sales_base_call(rel, time_column, amount_column, order_column, NULL, NULL, hour_column, true),
        @extschema@.dm_heatmap_sql(order_column IS NOT NULL));
END
$$;
COMMENT ON FUNCTION dm_sales_heatmap(regclass, text, text, text, text) IS
    'revenue, lines, orders and revenue share per ISO weekday (1 = Monday) x hour (0..23), all 168 cells; the hour comes from a timestamp time column or from hour_column';

-- The whole trends analysis in one read of the fact table, as jsonb: series (every grain),
-- seasonality (every available measure) and heatmap (when an hour is known).
CREATE FUNCTION dm_trends(rel regclass, time_column text, amount_column text, order_column text DEFAULT NULL,
                          customer_column text DEFAULT NULL, quantity_column text DEFAULT NULL,
                          hour_column text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the grouped query looks expensive to the planner; compiling it costs more than it saves
AS $$
DECLARE
    e record := @extschema@.dm_time_expressions(rel, time_column, hour_column);
    has_hour boolean := e.hour_sql IS NOT NULL;
    measures text[] := ARRAY['revenue', 'lines']
                       || CASE WHEN order_column IS NOT NULL THEN ARRAY['orders'] ELSE '{}' END
                       || CASE WHEN customer_column IS NOT NULL THEN ARRAY['customers'] ELSE '{}' END
                       || CASE WHEN quantity_column IS NOT NULL THEN ARRAY['quantity'] ELSE '{}' END;
    result jsonb;
BEGIN
    EXECUTE format($q$
        WITH base AS MATERIALIZED (%s),
        series AS (%s), seasonality AS (%s), heatmap AS (%s)
        SELECT jsonb_build_object(
            'series', COALESCE((SELECT jsonb_agg(to_jsonb(s) ORDER BY s.period_grain, s.period_start) FROM series s), '[]'),
            'seasonality', COALESCE((SELECT jsonb_agg(to_jsonb(z) ORDER BY z.measure, z.cycle DESC, z.position)
                                     FROM seasonality z), '[]'),
            'heatmap', COALESCE((SELECT jsonb_agg(to_jsonb(h) ORDER BY h.isodow, h.hour) FROM heatmap h), '[]'))
        $q$,
        @extschema@.dm_sales_base_call(rel, time_column, amount_column, order_column, customer_column,
                                       quantity_column, hour_column, has_hour),
        @extschema@.dm_sales_series_sql(order_column IS NOT NULL, customer_column IS NOT NULL, quantity_column IS NOT NULL),
        @extschema@.dm_seasonality_sql(measures, order_column IS NOT NULL, customer_column IS NOT NULL,
                                       quantity_column IS NOT NULL),
        CASE WHEN has_hour THEN @extschema@.dm_heatmap_sql(order_column IS NOT NULL)
             ELSE 'SELECT NULL::int AS isodow, NULL::int AS hour WHERE false' END)
    INTO result USING ARRAY['day', 'week', 'month'];
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_trends(regclass, text, text, text, text, text, text) IS
    'the whole trends analysis in one read of the fact table: jsonb {series: dm_sales_series rows of every grain, seasonality: dm_seasonality rows of every available measure, heatmap: dm_sales_heatmap rows (empty without an hour)}';
