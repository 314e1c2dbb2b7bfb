-- Step: profile. dm_profile of the fact table, histograms of its numeric columns, correlations
-- of the line features.
CREATE FUNCTION dm_step_profile(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    rel regclass := (ctx->'mapping'->>'fact_table')::regclass;
    pct float8 := (ctx->>'sample_percent')::float8;
    bins int := (ctx->'options'->>'histogram_bins')::int;
    n bigint;
    col record;
    parts text[] := '{}';
    names text[] := '{}';
    hist jsonb;
    lf record;
    corr float8[];
    corr_skipped bigint;
    ranges jsonb;
BEGIN
    IF ctx->'mapping'->>'relkind' NOT IN ('r', 'm', 'p') THEN
        pct := NULL;  -- dm_profile samples tables only; a view is profiled whole
    END IF;
    -- The profile rows, and the finite [min, max] of each number column for its histogram.
    WITH p AS (
        SELECT * FROM @extschema@.dm_profile(rel, CASE WHEN pct < 100 THEN pct END, (ctx->'options'->>'profile_top_n')::int)
    ), ins AS (
        INSERT INTO @extschema@.result_profile
            (run_id, column_name, ordinal, data_type, kind, row_count, null_count, null_fraction,
             distinct_estimate, mean, stddev, p25, p50, p75, min_value, max_value, skewness, kurtosis,
             top_values, histogram)
        SELECT run, p.column_name, p.ordinal, p.data_type, p.kind, p.row_count, p.null_count, p.null_fraction,
               p.distinct_estimate, p.mean, p.stddev, p.p25, p.p50, p.p75, p.min_value, p.max_value,
               (p.stats).skewness, (p.stats).kurtosis, p.top_values, NULL
        FROM p
    )
    SELECT count(*), COALESCE(jsonb_agg(jsonb_build_array(p.column_name, (p.stats).min, (p.stats).max) ORDER BY p.ordinal)
                                  FILTER (WHERE (p.stats).count > 0), '[]')
    INTO n, ranges
    FROM p;

    -- Equal-width histograms of the numeric columns over [min, max] and the correlations of the
    -- line features, in one more scan.
    lf := @extschema@.dm_pipeline_line_features(ctx);
    -- Over the finite [min, max] of the statistics (dm_stats sets NaN and infinities apart).
    FOR col IN
        SELECT r.value->>0 AS column_name, (r.value->>1)::float8 AS lo, (r.value->>2)::float8 AS hi,
               @extschema@.dm_float8_expression(a.atttypid, quote_ident(a.attname)) AS number
        FROM jsonb_array_elements(ranges) WITH ORDINALITY AS r(value, i)
        JOIN pg_attribute a ON a.attrelid = rel AND a.attname = r.value->>0
        ORDER BY r.i
    LOOP
        IF col.number IS NOT NULL AND col.hi > col.lo AND col.lo > '-Infinity'::float8 AND col.hi < 'Infinity'::float8 THEN
            names := names || col.column_name;
            parts := parts || format('to_jsonb(@extschema@.dm_histogram(%s, %s, %s, %s))', col.number, bins, col.lo, col.hi);
        END IF;
    END LOOP;
    -- Lines with a missing or unusable feature (NULL, NaN, infinite, beyond 1e300) are left out
    -- of the correlations and counted.
    EXECUTE format('SELECT jsonb_build_array(%s), %s, %s FROM %s',
                   CASE WHEN cardinality(parts) > 0 THEN array_to_string(parts, ', ') ELSE '' END,
                   CASE WHEN cardinality(lf.names) >= 2
                        THEN format('@extschema@.dm_corr(CASE WHEN %s THEN %s END)', lf.raw_ok, lf.raw_expr)
                        ELSE 'NULL::float8[]' END,
                   CASE WHEN cardinality(lf.names) >= 2
                        THEN format('count(*) FILTER (WHERE %s IS NOT TRUE)', lf.raw_ok)
                        ELSE 'NULL::bigint' END,
                   CASE WHEN pct < 100 THEN format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)', rel, pct,
                                                  ctx->'options'->>'seed')
                        ELSE rel::text END)
        INTO hist, corr, corr_skipped;
    IF cardinality(parts) > 0 THEN
        UPDATE @extschema@.result_profile p
        SET histogram = jsonb_build_object('edges', h.value->'edges', 'counts', h.value->'counts')
        FROM jsonb_array_elements(hist) WITH ORDINALITY AS h(value, i)
        WHERE p.run_id = run AND p.column_name = names[h.i];
    END IF;
    IF corr IS NOT NULL THEN
        INSERT INTO @extschema@.result_correlation (run_id, feature_x, feature_y, correlation)
        SELECT run, lf.names[i], lf.names[j], corr[i][j]
        FROM generate_subscripts(lf.names, 1) AS i, generate_subscripts(lf.names, 1) AS j;
    END IF;
    RETURN jsonb_build_object('rows', n, 'details',
        jsonb_build_object('columns', n, 'histogram_columns', cardinality(names),
                           'correlation_features', to_jsonb(lf.names), 'sample_percent', pct,
                           'skipped', jsonb_build_object('correlation_lines', corr_skipped)));
END
$$;

