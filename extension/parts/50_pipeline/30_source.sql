-- Pipeline internals ----------------------------------------------------------------------------
-- The FROM item every step reads: the fact table's mapped columns under fixed names
-- (customer_key, order_key, ts, amount, quantity, line_key, hour, extra_1..n), sampled in quick mode.
CREATE FUNCTION dm_pipeline_source(ctx jsonb) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    cols text[];
    extra text;
    i int := 0;
    pct float8 := (ctx->>'sample_percent')::float8;
    rel text := m->>'fact_table';
    from_item text;
    hash_filter text := '';
BEGIN
    cols := ARRAY[format('%I AS customer_key', m->>'customer_column'),
                  format('%I AS order_key', m->>'order_column'),
                  format('%I AS ts', m->>'time_column'),
                  format('%I AS amount', m->>'amount_column'),
                  CASE WHEN m->>'quantity_column' IS NULL THEN 'NULL::float8 AS quantity'
                       ELSE format('%I AS quantity', m->>'quantity_column') END,
                  CASE WHEN m->>'line_column' IS NOT NULL THEN format('%I::text AS line_key', m->>'line_column')
                       WHEN m->>'relkind' IN ('r', 'm') THEN 'ctid::text AS line_key'
                       WHEN m->>'relkind' = 'p' THEN '(tableoid::regclass::text || '':'' || ctid::text) AS line_key'
                       ELSE 'NULL::text AS line_key' END,
                  CASE WHEN m->>'time_type' = 'date' THEN 'NULL::float8 AS hour'
                       ELSE format('(date_part(''hour'', %1$I) + date_part(''minute'', %1$I) / 60) AS hour',
                                   m->>'time_column') END];
    FOR extra IN SELECT jsonb_array_elements_text(m->'extra_features') LOOP
        i := i + 1;
        cols := cols || format('%I::float8 AS extra_%s', extra, i);
    END LOOP;
    from_item := rel;
    IF pct IS NOT NULL AND pct < 100 THEN
        IF m->>'relkind' IN ('r', 'm', 'p') THEN
            -- Whole pages for big tables (fast); rows for small ones (less noisy).
            from_item := format('%s TABLESAMPLE %s (%s) REPEATABLE (%s)', rel,
                                CASE WHEN (m->>'relpages')::bigint >= 1000 THEN 'SYSTEM' ELSE 'BERNOULLI' END,
                                pct, ctx->'options'->>'seed');
        ELSE
            -- Views and foreign tables: a reproducible sample of customers.
            hash_filter := format(' WHERE abs(hashtext(%I::text)::bigint) %% 100000 < %s',
                                  m->>'customer_column', round(pct * 1000));
        END IF;
    END IF;
    RETURN format('(SELECT %s FROM %s%s) AS src', array_to_string(cols, ', '), from_item, hash_filter);
END
$$;
COMMENT ON FUNCTION dm_pipeline_source(jsonb) IS
    'pipeline internal: the sampled or full fact table under the pipeline''s column names';

-- Names of the line features of the anomaly step (and of the correlation matrix).
CREATE FUNCTION dm_pipeline_line_features(ctx jsonb, OUT names text[], OUT expr text, OUT raw_expr text)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    exprs text[] := ARRAY['amount::float8'];
    raws text[] := ARRAY[format('%I::float8', m->>'amount_column')];
    extra text;
    i int := 0;
BEGIN
    names := ARRAY['amount'];
    IF m->>'quantity_column' IS NOT NULL THEN
        names := names || 'quantity'::text;
        exprs := exprs || 'quantity::float8'::text;
        raws := raws || format('%I::float8', m->>'quantity_column');
    END IF;
    IF m->>'time_type' <> 'date' THEN
        names := names || 'hour'::text;
        exprs := exprs || 'hour'::text;
        raws := raws || format('(date_part(''hour'', %1$I) + date_part(''minute'', %1$I) / 60)', m->>'time_column');
    END IF;
    FOR extra IN SELECT jsonb_array_elements_text(m->'extra_features') LOOP
        i := i + 1;
        names := names || extra;
        exprs := exprs || format('extra_%s', i);
        raws := raws || format('%I::float8', extra);
    END LOOP;
    expr := format('ARRAY[%s]::float8[]', array_to_string(exprs, ', '));
    raw_expr := format('ARRAY[%s]::float8[]', array_to_string(raws, ', '));
END
$$;
COMMENT ON FUNCTION dm_pipeline_line_features(jsonb) IS
    'pipeline internal: names and SQL expressions (over the pipeline source, over the fact table) of the line features: amount, quantity, hour, extra features';

