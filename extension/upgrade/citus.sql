-- 0.1.0 -> 0.2.0: the pipeline on a Citus distributed fact table.
-- New: dm_relation_distributed(regclass), dm_profile_orphans_by_column(jsonb, float8), and
-- dm_approx_distinct / dm_distinct_summary overloads for 13 concrete types (after states.sql,
-- which makes distinct_summary).
-- Changed (same signatures): dm_profile (exact distinct counts column by column on a distributed
-- table), dm_profile_orphans (delegates to dm_profile_orphans_by_column there), dm_step_anomalies
-- (options, model and threshold as literals in its queries, not parameters), dm_pipeline_collect
-- (over the new non-polymorphic dm_pipeline_collect_add / dm_pipeline_collect_combine).

-- Citus: whether a relation is (or is a view over) a distributed table. Citus 13 runs no
-- GROUPING SETS on a distributed table; the steps that use them group column by column there
-- (each GROUP BY pushed down to the workers) instead of one grouped scan.
CREATE OR REPLACE FUNCTION dm_relation_distributed(rel regclass) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;  -- no Citus here
    END IF;
    -- The relation and, through view rules, every relation it reads; reference tables (method n)
    -- live whole on every node and group as local tables do.
    EXECUTE $q$
        WITH RECURSIVE deps(oid) AS (
            SELECT $1::oid
            UNION
            SELECT d.refobjid FROM deps
            JOIN pg_catalog.pg_rewrite w ON w.ev_class = deps.oid
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = w.oid
                                       AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> deps.oid)
        SELECT EXISTS (SELECT FROM deps JOIN pg_catalog.pg_dist_partition p ON p.logicalrelid = deps.oid
                       WHERE p.partmethod <> 'n')
        $q$ INTO r USING rel;
    RETURN r;
END
$$;
COMMENT ON FUNCTION dm_relation_distributed(regclass) IS
    'whether a relation is a Citus distributed table or a view over one (false without Citus)';

CREATE OR REPLACE FUNCTION dm_profile_orphans_by_column(ctx jsonb, pct float8) RETURNS jsonb
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

CREATE OR REPLACE FUNCTION dm_profile_orphans(ctx jsonb, pct float8) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    dims jsonb := COALESCE(m->'dimensions', '[]');
    cols text[];
    result jsonb;
BEGIN
    IF jsonb_array_length(dims) = 0 THEN
        RETURN NULL;
    END IF;
    cols := ARRAY(SELECT DISTINCT d->>'column' FROM jsonb_array_elements(dims) AS d);
    IF @extschema@.dm_relation_distributed((m->>'fact_table')::regclass) THEN
        RETURN @extschema@.dm_profile_orphans_by_column(ctx, pct);
    END IF;
    EXECUTE format($q$
        WITH g AS MATERIALIZED (
            SELECT array_position(ARRAY[%1$s], 0) AS s, (ARRAY[%2$s])[array_position(ARRAY[%1$s], 0)] AS v, count(*) AS c
            FROM %3$s GROUP BY GROUPING SETS (%4$s)
        )
        SELECT jsonb_build_object(%5$s)
        $q$,
        (SELECT string_agg(format('GROUPING(%I)', c), ', ') FROM unnest(cols) AS c),
        (SELECT string_agg(format('%I::text', c), ', ') FROM unnest(cols) AS c),
        CASE WHEN pct < 100 THEN format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (%s)', m->>'fact_table', pct,
                                       ctx->'options'->>'seed')
             ELSE m->>'fact_table' END,
        (SELECT string_agg(format('(%I)', c), ', ') FROM unnest(cols) AS c),
        (SELECT string_agg(format('%L, (SELECT COALESCE(sum(g.c), 0) FROM g WHERE g.s = %s AND g.v IS NOT NULL
                                        AND NOT EXISTS (SELECT FROM %s k WHERE k.%I::text = g.v))',
                                  d->>'column', array_position(cols, d->>'column'), (d->>'table')::regclass, d->>'key'), ', ')
         FROM jsonb_array_elements(dims) AS d))
        INTO result;
    RETURN result;
END
$$;

CREATE OR REPLACE FUNCTION dm_profile(rel regclass, sample_percent float8 DEFAULT NULL, top_n int DEFAULT 5)
RETURNS TABLE (
    column_name name,
    ordinal int,
    data_type text,
    kind text,                 -- numeric, text, temporal, boolean or other
    row_count bigint,          -- rows examined (the sample's rows in quick mode)
    null_count bigint,
    null_fraction float8,
    distinct_estimate bigint,  -- HyperLogLog estimate, about 0.8% standard error
    mean float8,
    stddev float8,
    p25 float8,
    p50 float8,
    p75 float8,
    min_value text,
    max_value text,
    stats @extschema@.stats,   -- every dm_stats figure, numeric columns only
    top_values jsonb,          -- [{"value": ..., "count": ...}], most frequent first; categories, texts, booleans
    role text,                 -- identifier, category, date, timestamp, measure, text or boolean (dm_column_role)
    distinct_exact boolean,    -- distinct_estimate is exact (an estimate up to 10000 is recounted exactly)
    uniqueness float8          -- distinct values / non-null values
)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    source text;
    col record;
    parts text[] := '{}';
    chunks text[] := '{}';
    summary jsonb;
    item jsonb;
    total bigint;
    i int := 0;
    exact_cols text[] := '{}';
    exact_names text[] := '{}';
    exact jsonb := '{}';
    exact_n bigint;
    keys text[];
    is_date_key boolean;
BEGIN
    IF sample_percent IS NOT NULL AND NOT (sample_percent > 0 AND sample_percent <= 100) THEN
        RAISE EXCEPTION 'sample_percent must be in (0, 100], got %', sample_percent
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF top_n IS NULL OR top_n < 0 OR top_n > 1000 THEN
        RAISE EXCEPTION 'top_n must be between 0 and 1000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    source := rel::text;
    IF sample_percent IS NOT NULL AND sample_percent < 100 THEN
        source := format('%s TABLESAMPLE SYSTEM (%s) REPEATABLE (42)', rel::text, sample_percent);
    END IF;

    -- One aggregate expression per column, gathered in a single scan. Distinct values by the
    -- type's hash, else by their text; statistics of numbers with a float8 conversion; min and
    -- max of numbers, texts and dates/times; counts only for the rest.
    FOR col IN
        SELECT a.attname, a.attnum, t.typcategory AS category,
               @extschema@.dm_float8_expression(a.atttypid, quote_ident(a.attname)) AS number,
               @extschema@.dm_type_hashable(a.atttypid) AS hashable, @extschema@.dm_base_type(a.atttypid) AS base
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        i := i + 1;
        parts := parts || (format(
            'jsonb_build_object(''n'', count(%1$I), ''nd'', @extschema@.dm_approx_distinct(%2$s), %3$s, %4$s)',
            col.attname,
            CASE WHEN col.category IN ('N', 'D', 'S', 'B') AND col.hashable
                 THEN quote_ident(col.attname) ELSE quote_ident(col.attname) || '::text' END,
            CASE WHEN col.number IS NOT NULL
                 THEN format('''stats'', to_jsonb(@extschema@.dm_stats(%s))', col.number)
                 ELSE '''stats'', NULL::jsonb' END,
            CASE WHEN col.category IN ('N', 'D', 'S')
                 THEN format('''min'', to_jsonb(min(%1$I)) #>> ''{}'', ''max'', to_jsonb(max(%1$I)) #>> ''{}''', col.attname)
                 ELSE '''min'', NULL::text, ''max'', NULL::text' END)
            -- Values that read as dates: yyyymmdd integers, ISO text dates and date-times.
            || CASE WHEN col.base IN ('int4'::regtype, 'int8'::regtype)
                    THEN format(' || jsonb_build_object(''dk'', count(*) FILTER (WHERE %s IS NOT NULL))',
                                @extschema@.dm_date_key_sql(quote_ident(col.attname)))
                    WHEN col.category = 'S'
                    THEN format(' || jsonb_build_object(''dk'', count(*) FILTER (WHERE %1$I::text ~ ''^\d{4}-?\d{2}-?\d{2}$''),'
                                ' ''tk'', count(*) FILTER (WHERE %1$I::text ~ ''^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}''))', col.attname)
                    ELSE '' END);
        -- jsonb_build_array takes at most 100 arguments: build chunks of 50 columns.
        IF cardinality(parts) = 50 THEN
            chunks := chunks || format('jsonb_build_array(%s)', array_to_string(parts, ', '));
            parts := '{}';
        END IF;
    END LOOP;
    IF cardinality(parts) > 0 THEN
        chunks := chunks || format('jsonb_build_array(%s)', array_to_string(parts, ', '));
    END IF;
    IF i = 0 THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT jsonb_build_object(''rows'', count(*), ''columns'', %s) FROM %s',
                   array_to_string(chunks, ' || '), source)
        INTO summary;
    total := (summary->>'rows')::bigint;

    -- Distinct counts estimated at most 10000: counted exactly, all such columns in one grouped scan.
    i := 0;
    FOR col IN
        SELECT a.attname, @extschema@.dm_type_hashable(a.atttypid) AS hashable
        FROM pg_attribute a
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        item := summary->'columns'->i;
        i := i + 1;
        IF (item->>'nd')::bigint <= 10000 AND (item->>'n')::bigint > 0 THEN
            exact_cols := exact_cols || CASE WHEN col.hashable THEN quote_ident(col.attname)
                                             ELSE quote_ident(col.attname) || '::text' END;
            exact_names := exact_names || col.attname::text;
        END IF;
    END LOOP;
    IF cardinality(exact_cols) > 0 AND @extschema@.dm_relation_distributed(rel) THEN
        -- Citus: one count per column (each pushed down), no GROUPING SETS on a distributed table.
        exact := '{}';
        FOR i IN 1 .. cardinality(exact_cols) LOOP
            EXECUTE format('SELECT count(DISTINCT %s) FROM %s', exact_cols[i], source) INTO exact_n;
            exact := exact || jsonb_build_object(exact_names[i], exact_n);
        END LOOP;
    ELSIF cardinality(exact_cols) > 0 THEN
        EXECUTE format('SELECT jsonb_object_agg(($1)[s], n) FROM (SELECT s, count(*) FILTER (WHERE NOT is_null) AS n FROM (
                            SELECT array_position(ARRAY[%1$s], 0) AS s, (ARRAY[%2$s])[array_position(ARRAY[%1$s], 0)] AS is_null
                            FROM %3$s GROUP BY GROUPING SETS (%4$s)) g GROUP BY s) c',
                       (SELECT string_agg(format('GROUPING(%s)', e), ', ') FROM unnest(exact_cols) AS e),
                       (SELECT string_agg(format('(%s) IS NULL', e), ', ') FROM unnest(exact_cols) AS e),
                       source,
                       (SELECT string_agg(format('(%s)', e), ', ') FROM unnest(exact_cols) AS e))
            INTO exact USING exact_names;
    END IF;
    -- Columns that are keys: single-column primary keys and unique constraints, foreign keys.
    keys := ARRAY(SELECT DISTINCT a.attname::text FROM pg_constraint c
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                  WHERE c.conrelid = rel AND (c.contype = 'f' OR (c.contype IN ('p', 'u') AND cardinality(c.conkey) = 1)));

    i := 0;
    FOR col IN
        SELECT a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) AS type_name,
               t.typcategory AS category, format_type(@extschema@.dm_base_type(a.atttypid), NULL) AS base_name
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        item := summary->'columns'->i;
        i := i + 1;
        column_name := col.attname;
        ordinal := col.attnum;
        data_type := col.type_name;
        kind := CASE col.category WHEN 'N' THEN 'numeric' WHEN 'S' THEN 'text'
                    WHEN 'D' THEN 'temporal' WHEN 'B' THEN 'boolean' ELSE 'other' END;
        row_count := total;
        null_count := total - (item->>'n')::bigint;
        null_fraction := CASE WHEN total > 0 THEN null_count::float8 / total END;
        distinct_exact := COALESCE(exact ? col.attname, false) OR (item->>'n')::bigint = 0;
        distinct_estimate := CASE WHEN distinct_exact THEN COALESCE((exact->>col.attname)::bigint, 0)
                                  ELSE LEAST((item->>'nd')::bigint, (item->>'n')::bigint) END;
        uniqueness := CASE WHEN (item->>'n')::bigint > 0 THEN distinct_estimate::float8 / (item->>'n')::bigint END;
        role := @extschema@.dm_column_role(col.category, col.base_name, col.attname = ANY (keys),
                                           @extschema@.dm_key_like_name(col.attname),
                                           col.attname ~* '(^|[^a-z])code([^a-z]|$)',
                                           (item->>'n')::bigint, distinct_estimate,
                                           (item->>'dk')::bigint, (item->>'tk')::bigint);
        is_date_key := role = 'date' AND col.category = 'N';
        stats := CASE WHEN item->'stats' IS NOT NULL AND jsonb_typeof(item->'stats') = 'object'
                      THEN jsonb_populate_record(NULL::@extschema@.stats, item->'stats') END;
        mean := stats.mean;
        stddev := stats.stddev;
        p25 := stats.p25;
        p50 := stats.p50;
        p75 := stats.p75;
        min_value := COALESCE(item->>'min', stats.min::text);
        max_value := COALESCE(item->>'max', stats.max::text);
        IF is_date_key THEN
            min_value := @extschema@.dm_date_key(min_value::bigint)::text;
            max_value := @extschema@.dm_date_key(max_value::bigint)::text;
        END IF;
        IF role IN ('identifier', 'date', 'timestamp') THEN
            -- Keys and dates: counts and range, no moments.
            stats := NULL; mean := NULL; stddev := NULL; p25 := NULL; p50 := NULL; p75 := NULL;
        END IF;
        top_values := NULL;
        IF role IN ('category', 'text', 'boolean') AND top_n > 0 THEN
            -- Values keep their JSON type (ISO dates, booleans); other types group by their text.
            EXECUTE format(
                'SELECT jsonb_agg(jsonb_build_object(''value'', to_jsonb(v), ''count'', c) ORDER BY c DESC, o)
                 FROM (SELECT %1$s AS v, count(*) AS c, min(%1$s::text) AS o FROM %2$s WHERE %3$I IS NOT NULL
                       GROUP BY 1 ORDER BY 2 DESC, 3 LIMIT %4$s) AS top',
                CASE WHEN col.category IN ('S', 'D', 'B') THEN quote_ident(col.attname)
                     ELSE quote_ident(col.attname) || '::text' END,
                source, col.attname, top_n)
                INTO top_values;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION dm_step_anomalies(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    o jsonb := ctx->'options';
    lf record;
    model @extschema@.iforest_model;
    threshold float8;
    not_null text;
    summary record;
    wanted bigint;
    fit_source text := ctx->>'source';
    fit_rows float8 := greatest(200000, 2 * (o->>'n_trees')::float8 * (o->>'sample_size')::float8);
    fit_percent float8;
    fit text;
    usable bigint;
    n bigint;
BEGIN
    lf := @extschema@.dm_pipeline_line_features(ctx);
    not_null := format('array_position(%s, NULL) IS NULL', lf.expr);
    -- The trees see at most n_trees x sample_size lines: on a big table in full mode they grow
    -- from a block sample of at least 200,000 lines (less reading); every line is still scored.
    IF ctx->>'sample_percent' IS NULL AND ctx->'mapping'->>'relkind' IN ('r', 'm', 'p')
       AND (ctx->'mapping'->>'reltuples')::float8 > 2 * fit_rows THEN
        fit_percent := round((100 * fit_rows / (ctx->'mapping'->>'reltuples')::float8)::numeric, 2);
        fit_source := @extschema@.dm_pipeline_source(jsonb_set(ctx, '{sample_percent}', to_jsonb(fit_percent)));
    END IF;
    -- The options as a literal, not a parameter: Citus ships the partial aggregate to the workers,
    -- where a parameter inside its polymorphic wrapper would have no type.
    fit := format('SELECT @extschema@.dm_iforest(%s, %L::jsonb) FILTER (WHERE %s), count(*) FROM %s', lf.expr,
                  jsonb_build_object('n_trees', o->'n_trees', 'sample_size', o->'sample_size',
                                     'seed', o->'seed', 'contamination', o->'contamination'),
                  not_null, fit_source);
    BEGIN
        EXECUTE fit INTO model, n;
    EXCEPTION WHEN SQLSTATE '22000' THEN
        -- A forest needs two lines: with fewer usable ones, say so (counted only on this path).
        EXECUTE format('SELECT count(*) FILTER (WHERE %s), count(*) FROM %s', not_null, fit_source) INTO usable, n;
        IF usable >= 2 THEN
            RAISE;
        END IF;
    END;
    IF model IS NULL THEN
        RAISE EXCEPTION 'no data: the anomaly step needs at least 2 sales lines with every feature (%) present, found %',
                        array_to_string(lf.names, ', '), COALESCE(usable, 0)
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('%s lines read%s; a missing, NaN, infinite or beyond 1e300 value leaves a line out', n,
                                  CASE WHEN fit_percent IS NOT NULL THEN format(' (a %s%% sample)', fit_percent) ELSE '' END);
    END IF;
    threshold := (@extschema@.dm_iforest_info(model)->>'threshold')::float8;
    INSERT INTO @extschema@.result_models (run_id, step, iforest, feature_names) VALUES (run, 'anomalies', model, lf.names);

    -- One pass, a parallel aggregate: every line scored; count, histogram, and the flagged lines.
    -- A line missing a feature (see dm_pipeline_number) gets no score: counted in the same pass.
    -- The model and threshold as literals: on Citus every aggregate of this pass is split to the
    -- workers, and parameters inside the partial aggregates would reach them without a type.
    EXECUTE format($q$
        SELECT count(score) AS lines, count(*) - count(score) AS skipped,
               count(*) FILTER (WHERE score > %4$s) AS flagged,
               @extschema@.dm_histogram(score, 20, 0, 1) AS h,
               @extschema@.dm_pipeline_collect(jsonb_build_object(
                   'line_key', line_key, 'customer_key', customer_key, 'ts', ts::timestamptz, 'amount', amount::float8,
                   'quantity', quantity::float8, 'f', f, 'score', score)) FILTER (WHERE score > %4$s) AS flagged_lines
        FROM (SELECT *, %1$s AS f FROM %2$s) AS lines
             -- In FROM, the score is computed once per line (not once per use) and in parallel.
             CROSS JOIN LATERAL @extschema@.dm_iforest_score(%5$L::@extschema@.iforest_model, CASE WHEN %3$s THEN lines.f END) AS score
        $q$, lf.expr, ctx->>'source', not_null, threshold::text || '::float8', model::text)
        INTO summary;
    INSERT INTO @extschema@.result_anomaly_summary (run_id, lines_scored, threshold, anomalies, score_histogram)
    VALUES (run, summary.lines, threshold, summary.flagged,
            jsonb_build_object('edges', to_jsonb((summary.h).edges), 'counts', to_jsonb((summary.h).counts)));
    CREATE TEMP TABLE dm_pipeline_top ON COMMIT DROP AS
    SELECT (x->>'line_key') AS line_key, (x->>'customer_key') AS customer_key, (x->>'ts')::timestamptz AS ts,
           (x->>'amount')::float8 AS amount, (x->>'quantity')::float8 AS quantity,
           ARRAY(SELECT jsonb_array_elements_text(x->'f')::float8) AS f, (x->>'score')::float8 AS score
    FROM unnest(summary.flagged_lines) AS x;
    wanted := greatest(summary.flagged, (o->>'top_lines')::bigint);
    IF summary.flagged < wanted THEN
        -- Fewer flagged lines than top_lines: one more pass for the top lines by score.
        EXECUTE format($q$
            INSERT INTO pg_temp.dm_pipeline_top
            SELECT * FROM (SELECT line_key, customer_key::text, ts::timestamptz, amount::float8, quantity::float8,
                                  f, @extschema@.dm_iforest_score($1, f) AS score
                           FROM (SELECT *, %1$s AS f FROM %2$s WHERE %3$s) AS lines) AS s
            WHERE score <= $2
            ORDER BY score DESC LIMIT $3
            $q$, lf.expr, ctx->>'source', not_null)
            USING model, threshold, wanted - summary.flagged;
    END IF;
    INSERT INTO @extschema@.result_anomalies
        (run_id, line_key, customer_key, occurred_at, amount, quantity, score, is_anomaly, anomaly_type, explanation)
    SELECT run, s.line_key, s.customer_key, s.ts::timestamptz, s.amount, s.quantity, s.score, s.score > threshold,
           e.top, e.explanation
    FROM (SELECT * FROM pg_temp.dm_pipeline_top ORDER BY score DESC LIMIT wanted) AS s,
         LATERAL (SELECT (array_agg(x.name ORDER BY x.rank))[1] AS top,
                         jsonb_agg(jsonb_build_object('feature', x.name, 'contribution', x.contribution,
                                                      'share', x.share) ORDER BY x.rank) AS explanation
                  FROM @extschema@.dm_iforest_explain(model, s.f, lf.names) AS x) AS e
    ORDER BY s.score DESC;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_anomalies;
    DROP TABLE pg_temp.dm_pipeline_top;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'lines_scored', summary.lines, 'anomalies', summary.flagged, 'threshold', threshold,
        'skipped', jsonb_build_object('lines', summary.skipped),
        'fit_sample_percent', fit_percent,
        'feature_names', to_jsonb(lf.names), 'contamination', o->'contamination',
        'n_trees', o->'n_trees', 'sample_size', o->'sample_size'));
END
$$;

-- dm_approx_distinct and dm_distinct_summary for the common key and value types. Citus splits an
-- aggregate only when the argument's type is the declared one (worker_partial_agg checks it), so
-- the polymorphic (anyelement) form is never pushed down; these exact overloads, which
-- PostgreSQL prefers to anyelement, are. Same state, same hashing, same figures.
DO $overloads$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric', 'text',
                             'character varying', 'date', 'timestamp without time zone',
                             'timestamp with time zone', 'boolean', 'uuid'] LOOP
        EXECUTE format($q$
            CREATE AGGREGATE @extschema@.dm_approx_distinct(x %1$s) (
                SFUNC = @extschema@.distinct_summary_add, STYPE = @extschema@.distinct_summary,
                SSPACE = 16500, FINALFUNC = @extschema@.dm_summary_distinct,
                COMBINEFUNC = @extschema@.distinct_summary_combine, PARALLEL = SAFE);
            CREATE AGGREGATE @extschema@.dm_distinct_summary(x %1$s) (
                SFUNC = @extschema@.distinct_summary_add, STYPE = @extschema@.distinct_summary,
                SSPACE = 16500, COMBINEFUNC = @extschema@.distinct_summary_combine, PARALLEL = SAFE);
            COMMENT ON AGGREGATE @extschema@.dm_approx_distinct(%1$s) IS
                'HyperLogLog estimate of the number of distinct non-NULL values (as dm_approx_distinct(anyelement); pushed down by Citus)';
            COMMENT ON AGGREGATE @extschema@.dm_distinct_summary(%1$s) IS
                'HyperLogLog summary of the distinct non-NULL values (as dm_distinct_summary(anyelement); pushed down by Citus)';
            $q$, t);
    END LOOP;
END
$overloads$;

-- Its functions are not polymorphic: Citus calls them on the workers without the call's types
-- (array_append and array_cat themselves fail there with "could not determine input data type").
CREATE OR REPLACE FUNCTION dm_pipeline_collect_add(s jsonb[], v jsonb) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_append(s, v) $$;
CREATE OR REPLACE FUNCTION dm_pipeline_collect_combine(a jsonb[], b jsonb[]) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_cat(a, b) $$;
COMMENT ON FUNCTION dm_pipeline_collect_add(jsonb[], jsonb) IS 'pipeline internal: transition function of dm_pipeline_collect';
COMMENT ON FUNCTION dm_pipeline_collect_combine(jsonb[], jsonb[]) IS 'pipeline internal: combine function of dm_pipeline_collect';
CREATE OR REPLACE AGGREGATE dm_pipeline_collect(jsonb) (
    SFUNC = dm_pipeline_collect_add, STYPE = jsonb[], COMBINEFUNC = dm_pipeline_collect_combine, PARALLEL = SAFE
);
