-- The histogram of a measure (documented in docs/statistics.md): rule 'log' = bins equal-width
-- in ln(x) over [ln lo, ln hi]; 'fd' = Freedman-Diaconis width 2 IQR n^(-1/3) over [lo, hi], 1
-- to 100 bins (the given bins when the IQR is 0); 'equal' = the given bins over [lo, hi]; 'auto'
-- = log for positive data (lo > 0) with skewness > 1 spanning at least a factor 10, else fd.
-- log needs lo > 0: fd otherwise.
CREATE FUNCTION dm_histogram_rule(rule text, bins int, lo float8, hi float8, skewness float8, p25 float8,
                                  p75 float8, n bigint, OUT rule_used text, OUT bin_count int,
                                  OUT range_lo float8, OUT range_hi float8)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    rule_used := CASE WHEN rule = 'auto' THEN CASE WHEN lo > 0 AND skewness > 1 AND hi / 10 >= lo THEN 'log' ELSE 'fd' END
                      WHEN rule = 'log' AND NOT lo > 0 THEN 'fd'
                      ELSE rule END;
    range_lo := lo;
    range_hi := hi;
    bin_count := bins;
    IF rule_used = 'log' THEN
        range_lo := ln(lo);
        range_hi := ln(hi);
    ELSIF rule_used = 'fd' AND p75 > p25 AND n > 0 THEN
        BEGIN
            bin_count := least(100, greatest(1, ceil((hi / 2 - lo / 2) / ((p75 / 2 - p25 / 2) * 2 * power(n, -1.0 / 3)))))::int;
        EXCEPTION WHEN numeric_value_out_of_range THEN
            bin_count := 100;  -- a range beyond float8 over a tiny IQR
        END;
    END IF;
END
$$;
COMMENT ON FUNCTION dm_histogram_rule(text, int, float8, float8, float8, float8, float8, bigint) IS
    'the histogram rule of a measure (log, fd or equal; auto: log for positive skewed data spanning a factor 10, else Freedman-Diaconis), its bin count and its range (in ln for log)';

-- Whether a dimension's key and its fact column have the same hashable type (compared as they
-- are, else as text).
CREATE FUNCTION dm_profile_same_key_type(fact_table text, d jsonb) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT f.atttypid = k.atttypid AND @extschema@.dm_type_hashable(f.atttypid)
                     FROM pg_attribute f, pg_attribute k
                     WHERE f.attrelid = fact_table::regclass AND f.attname = d->>'column'
                       AND k.attrelid = (d->>'table')::regclass AND k.attname = d->>'key'), false)
$$;
COMMENT ON FUNCTION dm_profile_same_key_type(text, jsonb) IS
    'pipeline internal: whether a mapped dimension key and its fact column have the same hashable type';

-- The orphans of the mapped dimensions: per fact column, the lines whose key is not in the
-- dimension table; one scan of the fact table for all dimensions, keys compared as they are when
-- of the same type, else as text.
CREATE FUNCTION dm_profile_orphans(ctx jsonb, pct float8) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    dims jsonb := COALESCE(m->'dimensions', '[]');
    result jsonb;
BEGIN
    IF jsonb_array_length(dims) = 0 THEN
        RETURN NULL;
    END IF;
    IF @extschema@.dm_relation_distributed((m->>'fact_table')::regclass) THEN
        RETURN @extschema@.dm_profile_orphans_by_column(ctx, pct);
    END IF;
    -- One scan of the fact table, left-joined to the distinct keys of each dimension (hash joins,
    -- parallel): a line is an orphan of a dimension when its key is set and found in no row.
    EXECUTE format($q$
        SELECT jsonb_build_object(%1$s)
        FROM %2$s %3$s
        $q$,
        (SELECT string_agg(format('%L, count(*) FILTER (WHERE f.%I IS NOT NULL AND k%s.key IS NULL)',
                                  d->>'column', d->>'column', i), ', ')
         FROM jsonb_array_elements(dims) WITH ORDINALITY AS x(d, i)),
        CASE WHEN pct < 100 THEN format('%s AS f TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)', m->>'fact_table', pct,
                                       ctx->'options'->>'seed')
             ELSE (m->>'fact_table') || ' AS f' END,
        (SELECT string_agg(format('LEFT JOIN (SELECT DISTINCT %1$I%5$s AS key FROM %2$s) AS k%3$s ON k%3$s.key = f.%4$I%5$s',
                                  d->>'key', (d->>'table')::regclass, i, d->>'column',
                                  CASE WHEN @extschema@.dm_profile_same_key_type(m->>'fact_table', d) THEN '' ELSE '::text' END), ' ')
         FROM jsonb_array_elements(dims) WITH ORDINALITY AS x(d, i)))
        INTO result;
    RETURN result;
END
$$;
-- The same on a Citus distributed fact table (no GROUPING SETS there): one grouped scan per
-- dimension column, each GROUP BY pushed down to the workers, the keys looked up on the coordinator.
CREATE FUNCTION dm_profile_orphans_by_column(ctx jsonb, pct float8) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    d jsonb;
    n bigint;
    result jsonb := '{}';
BEGIN
    FOR d IN SELECT * FROM jsonb_array_elements(COALESCE(m->'dimensions', '[]')) LOOP
        EXECUTE format($q$
            WITH g AS MATERIALIZED (SELECT %1$I::text AS v, count(*) AS c FROM %2$s GROUP BY 1)
            SELECT COALESCE(sum(g.c), 0)::bigint FROM g
            WHERE g.v IS NOT NULL AND NOT EXISTS (SELECT FROM %3$s k WHERE k.%4$I::text = g.v)
            $q$,
            d->>'column',
            CASE WHEN pct < 100 THEN format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)', m->>'fact_table', pct,
                                           ctx->'options'->>'seed')
                 ELSE m->>'fact_table' END,
            (d->>'table')::regclass, d->>'key')
            INTO n;
        result := result || jsonb_build_object(d->>'column', n);
    END LOOP;
    RETURN result;
END
$$;
COMMENT ON FUNCTION dm_profile_orphans_by_column(jsonb, float8) IS
    'pipeline internal: dm_profile_orphans on a Citus distributed fact table (one grouped scan per dimension column)';
COMMENT ON FUNCTION dm_profile_orphans(jsonb, float8) IS
    'pipeline internal: per mapped dimension column, the fact lines whose key is not in the dimension table';

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
    rules text[] := '{}';
    hist jsonb;
    lf record;
    corr float8[];
    corr_skipped bigint;
    ranges jsonb;
    m jsonb := ctx->'mapping';
    keys text[] := ARRAY[m->>'customer_column', m->>'order_column', m->>'line_column']
                   || @extschema@.dm_pipeline_dimension_columns(m);
    orphan_counts jsonb;
    rule text := COALESCE(ctx->'options'->>'histogram_rule', 'auto');
    hb record;
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
             top_values, histogram, role, distinct_exact, uniqueness)
        SELECT run, p.column_name, p.ordinal, p.data_type, p.kind, p.row_count, p.null_count, p.null_fraction,
               p.distinct_estimate, p.mean, p.stddev, p.p25, p.p50, p.p75, p.min_value, p.max_value,
               (p.stats).skewness, (p.stats).kurtosis, p.top_values, NULL,
               CASE WHEN p.column_name = ANY (keys) AND p.role NOT IN ('date', 'timestamp') THEN 'identifier' ELSE p.role END, p.distinct_exact, p.uniqueness
        FROM p
    )
    SELECT count(*), COALESCE(jsonb_agg(jsonb_build_array(p.column_name, (p.stats).min, (p.stats).max) ORDER BY p.ordinal)
                                  FILTER (WHERE (p.stats).count > 0), '[]')
    INTO n, ranges
    FROM p;
    -- Mapped keys (but dates) are identifiers: no moments, no top values.
    UPDATE @extschema@.result_profile p
    SET mean = NULL, stddev = NULL, p25 = NULL, p50 = NULL, p75 = NULL, skewness = NULL, kurtosis = NULL, top_values = NULL
    WHERE p.run_id = run AND p.column_name = ANY (keys) AND p.role = 'identifier';
    orphan_counts := @extschema@.dm_profile_orphans(ctx, pct);

    -- Equal-width histograms of the numeric columns over [min, max] and the correlations of the
    -- line features, in one more scan.
    lf := @extschema@.dm_pipeline_line_features(ctx);
    -- Over the finite [min, max] of the statistics (dm_stats sets NaN and infinities apart).
    -- Measures: their shape (dm_histogram_rule); dates and timestamps: over time; keys: none.
    FOR col IN
        SELECT p.column_name, p.role, p.skewness, p.p25, p.p75, p.row_count - p.null_count AS n,
               p.min_value, p.max_value, a.atttypid,
               (r.value->>1)::float8 AS lo, (r.value->>2)::float8 AS hi,
               @extschema@.dm_float8_expression(a.atttypid, quote_ident(a.attname)) AS number
        FROM @extschema@.result_profile p
        JOIN pg_attribute a ON a.attrelid = rel AND a.attname = p.column_name
        LEFT JOIN jsonb_array_elements(ranges) AS r(value) ON r.value->>0 = p.column_name
        WHERE p.run_id = run AND p.role IN ('measure', 'date', 'timestamp')
        ORDER BY p.ordinal
    LOOP
        IF col.role = 'measure' AND col.number IS NOT NULL AND col.hi > col.lo
           AND col.lo > '-Infinity'::float8 AND col.hi < 'Infinity'::float8 THEN
            hb := @extschema@.dm_histogram_rule(rule, bins, col.lo, col.hi, col.skewness, col.p25, col.p75, col.n);
            names := names || col.column_name;
            rules := rules || hb.rule_used;
            parts := parts || format('to_jsonb(@extschema@.dm_histogram(%s, %s, %s, %s))',
                                     CASE WHEN hb.rule_used = 'log' THEN format('ln(CASE WHEN %1$s > 0 THEN %1$s END)', col.number)
                                          ELSE col.number END,
                                     hb.bin_count, hb.range_lo, hb.range_hi);
        ELSIF col.role IN ('date', 'timestamp') AND col.min_value IS NOT NULL AND col.max_value > col.min_value
              AND col.min_value NOT IN ('infinity', '-infinity') AND col.max_value NOT IN ('infinity', '-infinity')
              AND @extschema@.dm_base_type(col.atttypid) IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                                                              'int4'::regtype, 'int8'::regtype) THEN
            names := names || col.column_name;
            rules := rules || 'time'::text;
            parts := parts || format('to_jsonb(@extschema@.dm_histogram(date_part(''epoch'', %s), %s, %s, %s))',
                                     CASE WHEN @extschema@.dm_base_type(col.atttypid) IN ('int4'::regtype, 'int8'::regtype)
                                          THEN format('(%s)::timestamp', @extschema@.dm_date_key_sql(quote_ident(col.column_name)))
                                          WHEN @extschema@.dm_base_type(col.atttypid) = 'date'::regtype
                                          THEN format('%I::timestamp', col.column_name)
                                          ELSE format('CASE WHEN isfinite(%1$I) THEN %1$I END', col.column_name) END,
                                     bins, extract(epoch FROM col.min_value::timestamptz),
                                     extract(epoch FROM col.max_value::timestamptz));
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
        SET histogram = jsonb_build_object(
                'rule', rules[h.i], 'counts', h.value->'counts',
                'edges', CASE rules[h.i]
                    WHEN 'log' THEN (SELECT jsonb_agg(exp(e::float8) ORDER BY k) FROM jsonb_array_elements_text(h.value->'edges') WITH ORDINALITY AS x(e, k))
                    WHEN 'time' THEN (SELECT jsonb_agg(to_char(to_timestamp(e::float8) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') ORDER BY k)
                                      FROM jsonb_array_elements_text(h.value->'edges') WITH ORDINALITY AS x(e, k))
                    ELSE h.value->'edges' END)
        FROM jsonb_array_elements(hist) WITH ORDINALITY AS h(value, i)
        WHERE p.run_id = run AND p.column_name = names[h.i];
    END IF;
    IF orphan_counts IS NOT NULL THEN
        UPDATE @extschema@.result_profile p SET orphans = (o.value)::bigint
        FROM jsonb_each_text(orphan_counts) AS o WHERE p.run_id = run AND p.column_name = o.key;
    END IF;
    IF corr IS NOT NULL THEN
        INSERT INTO @extschema@.result_correlation (run_id, feature_x, feature_y, correlation)
        SELECT run, lf.names[i], lf.names[j], corr[i][j]
        FROM generate_subscripts(lf.names, 1) AS i, generate_subscripts(lf.names, 1) AS j;
    END IF;
    RETURN jsonb_build_object('rows', n, 'details',
        jsonb_build_object('columns', n, 'histogram_columns', cardinality(names),
                           'histogram_rules', (SELECT jsonb_object_agg(names[i], rules[i]) FROM generate_subscripts(names, 1) AS i),
                           'roles', (SELECT jsonb_object_agg(column_name, role ORDER BY ordinal) FROM @extschema@.result_profile
                                     WHERE run_id = run),
                           'orphans', orphan_counts,
                           'correlation_features', to_jsonb(lf.names), 'sample_percent', pct,
                           'skipped', jsonb_build_object('correlation_lines', corr_skipped)));
END
$$;

