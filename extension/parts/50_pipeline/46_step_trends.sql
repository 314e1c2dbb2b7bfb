-- Steps trends, breakdowns and forecast share one view of the fact table: the sales lines of the
-- pipeline source with a time and an amount (day, hour, order, customer, amount, quantity, unit
-- price, dimension columns), a temporary view made by the first of the steps (which counts the
-- lines skipped), kept across the run's commits while a later step needs it and dropped by the
-- last. Each step reads the fact table through it, in parallel where the plan allows (a copy in
-- a temporary table would cost a write of every line and be read by one process only).

-- The name of the sales view of a run.
CREATE FUNCTION dm_pipeline_sales_name(run bigint) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'dm_pipeline_sales_' || run
$$;
COMMENT ON FUNCTION dm_pipeline_sales_name(bigint) IS 'pipeline internal: the name of the temporary sales view of a run';

-- The sales view of the run: made now (with one count of the lines skipped) unless an earlier
-- step made it. Lines without a time or an amount are left out and counted. keep: a later step
-- uses it (else the caller drops it at its end). Returns {made, lines, skipped: {time, amount}}.
CREATE FUNCTION dm_pipeline_sales(ctx jsonb, keep boolean) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    name text := @extschema@.dm_pipeline_sales_name(run);
    dims text[] := @extschema@.dm_pipeline_dimension_columns(ctx->'mapping');
    cols text := '';
    kind "char";
    counts record;
    ddl text;
BEGIN
    IF to_regclass('pg_temp.' || name) IS NOT NULL THEN
        RETURN jsonb_build_object('made', false);
    END IF;
    -- Views (or copies) of earlier runs of this session left by a failed step.
    FOR cols, kind IN SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema()
                        AND c.relname LIKE 'dm\_pipeline\_sales\_%' AND c.relkind IN ('r', 'v') LOOP
        EXECUTE format('DROP %s pg_temp.%I', CASE WHEN kind = 'v' THEN 'VIEW' ELSE 'TABLE' END, cols);
    END LOOP;
    cols := '';
    FOR i IN 1 .. cardinality(dims) LOOP
        cols := cols || format(', dim_%s', i);
    END LOOP;
    -- On Citus a temporary view stays on the coordinator: made without the DDL propagation that
    -- would warn so at every run.
    ddl := current_setting('citus.enable_ddl_propagation', true);
    IF ddl IS NOT NULL THEN
        PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    END IF;
    EXECUTE format($q$
        CREATE TEMP VIEW %I AS
        SELECT ts::date AS day, date_part('hour', ts)::int AS hour, order_key, customer_key, amount, quantity,
               unit_price %s
        FROM %s
        WHERE ts IS NOT NULL AND amount_ok
        $q$, name, cols, ctx->>'source');
    IF ddl IS NOT NULL THEN
        PERFORM set_config('citus.enable_ddl_propagation', ddl, true);
    END IF;
    -- The count in a CREATE TABLE AS: its scan may use parallel workers (an EXECUTE ... INTO cannot).
    EXECUTE format($q$
        CREATE TEMP TABLE dm_pipeline_sales_counts ON COMMIT DROP AS
        SELECT count(*) FILTER (WHERE ts IS NOT NULL AND amount_ok) AS lines,
               count(*) FILTER (WHERE ts IS NULL) AS no_time,
               count(*) FILTER (WHERE ts IS NOT NULL AND NOT amount_ok) AS no_amount,
               min(ts) FILTER (WHERE amount_ok)::date AS first_day, max(ts) FILTER (WHERE amount_ok)::date AS last_day
        FROM %s
        $q$, ctx->>'source');
    SELECT * INTO counts FROM pg_temp.dm_pipeline_sales_counts;
    DROP TABLE pg_temp.dm_pipeline_sales_counts;
    -- The range of days, for the steps that cut periods (the forecast's calendar).
    EXECUTE format('COMMENT ON VIEW pg_temp.%I IS %L', name,
                   jsonb_build_object('first_day', counts.first_day, 'last_day', counts.last_day));
    RETURN jsonb_build_object('made', true, 'lines', counts.lines,
                              'skipped', jsonb_build_object('time', counts.no_time, 'amount', counts.no_amount));
END
$$;
COMMENT ON FUNCTION dm_pipeline_sales(jsonb, boolean) IS
    'pipeline internal: the temporary sales view of a run (day, hour, order_key, customer_key, amount, quantity, unit_price, dim_1..n of the lines with a time and an amount), made by the first of the trends, breakdowns and forecast steps';

-- Step: trends. dm_trends over the sales view: series per day, week and month (trend, growth),
-- seasonality indices of every measure, weekday x hour heatmap (when the time has an hour).
CREATE FUNCTION dm_step_trends(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    m jsonb := ctx->'mapping';
    sales jsonb;
    rel regclass;
    t jsonb;
    n_series bigint;
    n_seasonality bigint;
    n_heatmap bigint;
    keep boolean := ARRAY(SELECT jsonb_array_elements_text(ctx->'steps')) && ARRAY['breakdowns', 'forecast'];
BEGIN
    sales := @extschema@.dm_pipeline_sales(ctx, keep);
    rel := ('pg_temp.' || @extschema@.dm_pipeline_sales_name(run))::regclass;
    t := @extschema@.dm_trends(rel, 'day', 'amount', 'order_key', 'customer_key',
                               CASE WHEN m->>'quantity_column' IS NOT NULL THEN 'quantity' END,
                               CASE WHEN m->>'time_type' <> 'date' THEN 'hour' END);
    IF jsonb_array_length(t->'series') = 0 THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount'
            USING ERRCODE = 'no_data_found', DETAIL = format('skipped: %s', sales->'skipped');
    END IF;
    INSERT INTO @extschema@.result_trends
        (run_id, grain, period_start, days, revenue, lines, orders, customers, quantity, trend, growth_prev, growth_year)
    SELECT run, s.period_grain, s.period_start, s.days, s.revenue, s.lines, s.orders, s.customers, s.quantity,
           s.trend, s.growth_prev, s.growth_year
    FROM jsonb_to_recordset(t->'series') AS s(period_grain text, period_start date, days int, revenue float8,
                                              lines bigint, orders bigint, customers bigint, quantity float8,
                                              trend float8, growth_prev float8, growth_year float8);
    GET DIAGNOSTICS n_series = ROW_COUNT;
    INSERT INTO @extschema@.result_seasonality
        (run_id, measure, cycle, "position", label, seasonal_index, strength, observations)
    SELECT run, z.measure, z.cycle, z.position, z.label, z.seasonal_index, z.strength, z.observations
    FROM jsonb_to_recordset(t->'seasonality') AS z(measure text, cycle text, "position" int, label text,
                                                   seasonal_index float8, strength float8, observations int);
    GET DIAGNOSTICS n_seasonality = ROW_COUNT;
    INSERT INTO @extschema@.result_heatmap (run_id, isodow, day_name, hour, revenue, lines, orders, revenue_share)
    SELECT run, h.isodow, h.day_name, h.hour, h.revenue, h.lines, h.orders, h.revenue_share
    FROM jsonb_to_recordset(t->'heatmap') AS h(isodow int, day_name text, hour int, revenue float8, lines bigint,
                                               orders bigint, revenue_share float8);
    GET DIAGNOSTICS n_heatmap = ROW_COUNT;
    IF NOT keep THEN
        EXECUTE format('DROP VIEW %s', rel);
    END IF;
    RETURN jsonb_build_object('rows', n_series, 'details', jsonb_build_object(
        'periods', (SELECT jsonb_object_agg(grain, n) FROM (SELECT grain, count(*) AS n FROM @extschema@.result_trends
                                                            WHERE run_id = run GROUP BY grain) g),
        'seasonality_rows', n_seasonality, 'heatmap_cells', n_heatmap,
        'read_fact_table', (sales->>'made')::boolean,
        'skipped', COALESCE(sales->'skipped', '"see the trends step"'::jsonb)));
END
$$;
