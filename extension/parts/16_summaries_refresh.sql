-- Incremental mining: append the summaries of the periods a summary table does not hold yet
-- (docs/summaries.md, "Incremental mining"). The expressions are the caller's own SQL over the
-- source's columns, run with the caller's rights (SECURITY INVOKER).
CREATE FUNCTION dm_refresh_summaries(summaries regclass, source regclass, period_column name,
                                     columns jsonb) RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    targets text := '';
    exprs text := '';
    col record;
    added bigint;
BEGIN
    IF summaries IS NULL OR source IS NULL OR period_column IS NULL OR columns IS NULL THEN
        RAISE EXCEPTION 'dm_refresh_summaries: no argument may be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF jsonb_typeof(columns) <> 'object' OR columns = '{}'::jsonb THEN
        RAISE EXCEPTION 'columns must be a non-empty JSON object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Map each summary column to its expression, e.g. {"amount": "dmine.dm_stats_summary(amount::float8)"}.';
    END IF;
    FOR col IN SELECT r.rel, r.what FROM (VALUES (summaries, 'summary table'), (source, 'source')) r(rel, what)
               WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = r.rel AND a.attname = period_column
                                 AND a.attnum > 0 AND NOT a.attisdropped) LOOP
        RAISE EXCEPTION 'column "%" does not exist in the % %', period_column, col.what, col.rel
            USING ERRCODE = 'undefined_column';
    END LOOP;
    FOR col IN SELECT key, value FROM jsonb_each(columns) ORDER BY key LOOP
        IF jsonb_typeof(col.value) <> 'string' THEN
            RAISE EXCEPTION 'the expression of column "%" must be a JSON string', col.key
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = summaries AND a.attname = col.key
                       AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" does not exist in the summary table %', col.key, summaries
                USING ERRCODE = 'undefined_column';
        END IF;
        targets := targets || ', ' || quote_ident(col.key);
        exprs := exprs || ', (' || (col.value #>> '{}') || ')';
    END LOOP;
    -- One refresh at a time per summary table: concurrent ones would append the same periods.
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', summaries);
    EXECUTE format('INSERT INTO %1$s (%3$I%4$s) SELECT %3$I%5$s FROM %2$s
                    WHERE %3$I > (SELECT max(%3$I) FROM %1$s) OR NOT EXISTS (SELECT FROM %1$s)
                    GROUP BY %3$I', summaries, source, period_column, targets, exprs);
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
COMMENT ON FUNCTION dm_refresh_summaries(regclass, regclass, name, jsonb) IS
    'append to a summary table one row per period of the source newer than its last one (columns: summary column -> SQL expression); returns the rows added';
