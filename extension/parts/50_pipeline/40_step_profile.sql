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
BEGIN
    IF ctx->'mapping'->>'relkind' NOT IN ('r', 'm', 'p') THEN
        pct := NULL;  -- dm_profile samples tables only; a view is profiled whole
    END IF;
    INSERT INTO @extschema@.result_profile
        (run_id, column_name, ordinal, data_type, kind, row_count, null_count, null_fraction,
         distinct_estimate, mean, stddev, p25, p50, p75, min_value, max_value, skewness, kurtosis,
         top_values, histogram)
    SELECT run, p.column_name, p.ordinal, p.data_type, p.kind, p.row_count, p.null_count, p.null_fraction,
           p.distinct_estimate, p.mean, p.stddev, p.p25, p.p50, p.p75, p.min_value, p.max_value,
           (p.stats).skewness, (p.stats).kurtosis, p.top_values, NULL
    FROM @extschema@.dm_profile(rel, CASE WHEN pct < 100 THEN pct END, (ctx->'options'->>'profile_top_n')::int) AS p;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- Equal-width histograms of the numeric columns over [min, max] and the correlations of the
    -- line features, in one more scan.
    lf := @extschema@.dm_pipeline_line_features(ctx);
    FOR col IN
        SELECT column_name, (min_value)::float8 AS lo, (max_value)::float8 AS hi
        FROM @extschema@.result_profile
        WHERE run_id = run AND kind = 'numeric' AND data_type <> 'money'
          AND min_value IS NOT NULL AND max_value IS NOT NULL
        ORDER BY ordinal
    LOOP
        IF col.hi > col.lo AND col.lo > '-Infinity'::float8 AND col.hi < 'Infinity'::float8 THEN
            names := names || col.column_name;
            parts := parts || format('to_jsonb(@extschema@.dm_histogram(%I::float8, %s, %s, %s))',
                                     col.column_name, bins, col.lo, col.hi);
        END IF;
    END LOOP;
    EXECUTE format('SELECT jsonb_build_array(%s), %s FROM %s',
                   CASE WHEN cardinality(parts) > 0 THEN array_to_string(parts, ', ') ELSE '' END,
                   CASE WHEN cardinality(lf.names) >= 2
                        THEN format('@extschema@.dm_corr(CASE WHEN array_position(%1$s, NULL) IS NULL THEN %1$s END)', lf.raw_expr)
                        ELSE 'NULL::float8[]' END,
                   CASE WHEN pct < 100 THEN format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)', rel, pct,
                                                  ctx->'options'->>'seed')
                        ELSE rel::text END)
        INTO hist, corr;
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
                           'correlation_features', to_jsonb(lf.names), 'sample_percent', pct));
END
$$;

