-- Step: breakdowns. dm_breakdowns over the sales copy of the run (see 46_step_trends.sql), every
-- breakdown in one scan with the dimension tables joined: by product, store and customer key,
-- then by every attribute of every mapped dimension. The top breakdown_rows values of each are
-- kept; the concentration (Gini, top 20% share, ABC counts) is over all values.
CREATE FUNCTION dm_step_breakdowns(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    m jsonb := ctx->'mapping';
    keep int := (ctx->'options'->>'breakdown_rows')::int;
    dims text[] := @extschema@.dm_pipeline_dimension_columns(m);
    sales jsonb;
    rel regclass;
    specs jsonb := '[]';
    dim_names text[] := '{}';
    attr_names text[] := '{}';
    left_out jsonb := '[]';
    d jsonb;
    a text;
    n bigint;
    forecast_next boolean;
BEGIN
    forecast_next := 'forecast' = ANY (ARRAY(SELECT jsonb_array_elements_text(ctx->'steps')));
    sales := @extschema@.dm_pipeline_sales(ctx, forecast_next);
    rel := ('pg_temp.' || @extschema@.dm_pipeline_sales_name(run))::regclass;
    -- The breakdowns: dimension k is named k here, its names kept in dim_names / attr_names.
    IF m->>'product_column' IS NOT NULL THEN
        specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, m->>'product_column'));
        dim_names := dim_names || 'product'::text;
        attr_names := attr_names || (m->>'product_column');
    END IF;
    IF m->>'store_column' IS NOT NULL THEN
        specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, m->>'store_column'));
        dim_names := dim_names || 'store'::text;
        attr_names := attr_names || (m->>'store_column');
    END IF;
    specs := specs || jsonb_build_object('column', 'customer_key');
    dim_names := dim_names || 'customer'::text;
    attr_names := attr_names || (m->>'customer_column');
    FOR d IN SELECT e FROM jsonb_array_elements(m->'dimensions') AS e LOOP
        FOR a IN SELECT jsonb_array_elements_text(d->'attributes') LOOP
            IF jsonb_array_length(specs) = 20 THEN  -- dm_breakdowns' limit
                left_out := left_out || jsonb_build_object('dimension', d->>'name', 'attribute', a);
                CONTINUE;
            END IF;
            specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, d->>'column'),
                                                 'table', d->>'table', 'key', d->>'key', 'attribute', a);
            dim_names := dim_names || (d->>'name');
            attr_names := attr_names || a;
        END LOOP;
    END LOOP;
    SELECT jsonb_agg(s || jsonb_build_object('name', i::text) ORDER BY i) INTO specs
    FROM jsonb_array_elements(specs) WITH ORDINALITY AS e(s, i);

    CREATE TEMP TABLE dm_pipeline_breakdowns ON COMMIT DROP AS
    SELECT b.dimension::int AS k, b.* FROM @extschema@.dm_breakdowns(rel, 'amount', specs, 'day', 'customer_key', 'month') b;
    IF NOT EXISTS (SELECT FROM pg_temp.dm_pipeline_breakdowns) THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount'
            USING ERRCODE = 'no_data_found', DETAIL = format('skipped: %s', sales->'skipped');
    END IF;
    INSERT INTO @extschema@.result_breakdowns
        (run_id, dimension, attribute, value, revenue, lines, customers, share, cumulative_share, "rank", growth, abc_class)
    SELECT run, dim_names[b.k], attr_names[b.k], b.value, b.revenue, b.lines, b.customers, b.share, b.cumulative_share,
           b.rank, b.growth, b.abc_class
    FROM pg_temp.dm_pipeline_breakdowns b
    WHERE b.rank <= keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO @extschema@.result_concentration
        (run_id, dimension, attribute, items, revenue, gini, top20_share, a_items, b_items, c_items, a_share)
    SELECT run, dim_names[b.k], attr_names[b.k], count(*), sum(b.revenue), @extschema@.dm_gini(array_agg(b.revenue)),
           @extschema@.dm_top_share(array_agg(b.revenue), 0.2), count(*) FILTER (WHERE b.abc_class = 'A'),
           count(*) FILTER (WHERE b.abc_class = 'B'), count(*) FILTER (WHERE b.abc_class = 'C'),
           COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'A'), 0)
    FROM pg_temp.dm_pipeline_breakdowns b
    GROUP BY b.k;
    DROP TABLE pg_temp.dm_pipeline_breakdowns;
    IF NOT forecast_next THEN
        EXECUTE format('DROP VIEW %s', rel);  -- else the forecast step drops it
    END IF;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'breakdowns', (SELECT jsonb_agg(jsonb_build_object('dimension', dim_names[i], 'attribute', attr_names[i]) ORDER BY i)
                       FROM generate_subscripts(dim_names, 1) AS i),
        'rows_kept_per_breakdown', keep, 'left_out', left_out,
        'read_fact_table', (sales->>'made')::boolean,
        'skipped', COALESCE(sales->'skipped', '"see the trends step"'::jsonb)));
END
$$;
