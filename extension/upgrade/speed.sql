-- 0.1.0 -> speed: the pipeline at warehouse scale.
-- dm_date_key and dm_date_key_sql check the month's length in integer arithmetic (same results,
-- no date built per row); the pipeline's default silhouette_sample is 5000 customers (was 10000);
-- dm_breakdowns converts each grouped part's value to text once.

CREATE OR REPLACE FUNCTION dm_date_key(key bigint) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN key BETWEEN 10000101 AND 99991231 AND key / 100 % 100 BETWEEN 1 AND 12
                     AND key % 100 BETWEEN 1 AND CASE WHEN key / 100 % 100 = 2
                                                     THEN 28 + (key / 10000 % 4 = 0 AND (key / 10000 % 100 <> 0 OR key / 10000 % 400 = 0))::int
                                                     ELSE 30 + (key / 100 % 100 + key / 100 % 100 / 8) % 2 END
                THEN make_date((key / 10000)::int, (key / 100 % 100)::int, (key % 100)::int) END
$$;
COMMENT ON FUNCTION dm_date_key(bigint) IS 'a yyyymmdd integer date key as a date, NULL when it is not a valid date';

CREATE OR REPLACE FUNCTION dm_date_key_sql(expr text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('CASE WHEN (%1$s) BETWEEN 10000101 AND 99991231 AND (%1$s) / 100 %% 100 BETWEEN 1 AND 12 '
                  'AND (%1$s) %% 100 BETWEEN 1 AND CASE WHEN (%1$s) / 100 %% 100 = 2 '
                  'THEN 28 + ((%1$s) / 10000 %% 4 = 0 AND ((%1$s) / 10000 %% 100 <> 0 OR (%1$s) / 10000 %% 400 = 0))::int '
                  'ELSE 30 + ((%1$s) / 100 %% 100 + (%1$s) / 100 %% 100 / 8) %% 2 END '
                  'THEN make_date(((%1$s) / 10000)::int, ((%1$s) / 100 %% 100)::int, ((%1$s) %% 100)::int) END', expr)
$$;

CREATE OR REPLACE FUNCTION dm_mining_options(options jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    defaults constant jsonb := '{"k_min": 2, "k_max": 8, "quick_percent": 10, "contamination": 0.002,
        "n_trees": 100, "sample_size": 1024, "seed": 42, "top_lines": 100, "rfm_scheme": "default",
        "as_of": null, "cluster_features": null, "histogram_bins": 20, "profile_top_n": 5,
        "silhouette_sample": 5000, "breakdown_rows": 100, "histogram_rule": "auto"}';
    ranges constant jsonb := '{"k_min": [2, 50], "k_max": [2, 50], "n_trees": [1, 10000],
        "sample_size": [2, 100000], "seed": [0, 2147483647], "top_lines": [0, 100000],
        "histogram_bins": [1, 1000], "profile_top_n": [0, 1000], "silhouette_sample": [100, 100000],
        "breakdown_rows": [1, 1000000]}';
    merged jsonb;
    key text;
    v jsonb;
    names text[];
BEGIN
    IF options IS NULL THEN
        options := '{}';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'mining options must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR key IN SELECT jsonb_object_keys(options) LOOP
        IF NOT defaults ? key THEN
            RAISE EXCEPTION 'unknown mining option "%"', key
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Options: ' || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(defaults) AS k) || '.';
        END IF;
    END LOOP;
    merged := jsonb_strip_nulls(defaults || options);
    -- Integers within ranges.
    FOR key, v IN SELECT e.key, e.value FROM jsonb_each(merged) AS e WHERE ranges ? e.key LOOP
        IF jsonb_typeof(v) <> 'number' OR v::text::numeric <> trunc(v::text::numeric)
           OR v::text::numeric < (ranges->key->>0)::numeric OR v::text::numeric > (ranges->key->>1)::numeric THEN
            RAISE EXCEPTION 'mining option "%" must be an integer from % to %, got %', key,
                            ranges->key->>0, ranges->key->>1, v
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF (merged->>'k_min')::int > (merged->>'k_max')::int THEN
        RAISE EXCEPTION 'mining option k_min (%) is greater than k_max (%)', merged->>'k_min', merged->>'k_max'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v := merged->'quick_percent';
    IF jsonb_typeof(v) <> 'number' OR NOT (v::text::float8 > 0 AND v::text::float8 <= 100) THEN
        RAISE EXCEPTION 'mining option "quick_percent" must be a number in (0, 100], got %', v
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v := merged->'contamination';
    IF NOT (v = '"auto"' OR (jsonb_typeof(v) = 'number' AND v::text::float8 > 0 AND v::text::float8 <= 0.5)) THEN
        RAISE EXCEPTION 'mining option "contamination" must be "auto" or a share in (0, 0.5], got %', v
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT merged->>'rfm_scheme' IN ('default', 'coarse') THEN
        RAISE EXCEPTION 'mining option "rfm_scheme" must be "default" or "coarse", got %', merged->'rfm_scheme'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT merged->>'histogram_rule' IN ('auto', 'log', 'fd', 'equal') THEN
        RAISE EXCEPTION 'mining option "histogram_rule" must be "auto", "log", "fd" or "equal", got %', merged->'histogram_rule'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF merged ? 'as_of' THEN
        BEGIN
            PERFORM (merged->>'as_of')::date;
        EXCEPTION WHEN OTHERS THEN
            RAISE EXCEPTION 'mining option "as_of" must be a date, got %', merged->'as_of'
                USING ERRCODE = 'invalid_parameter_value';
        END;
    END IF;
    IF merged ? 'cluster_features' THEN
        IF jsonb_typeof(merged->'cluster_features') <> 'array' OR jsonb_array_length(merged->'cluster_features') = 0 THEN
            RAISE EXCEPTION 'mining option "cluster_features" must be a non-empty array of feature names'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT array_agg(x) INTO names FROM jsonb_array_elements_text(merged->'cluster_features') AS x;
        IF NOT names <@ ARRAY['recency_days', 'frequency', 'monetary', 'avg_basket', 'avg_quantity', 'night_share'] THEN
            RAISE EXCEPTION 'mining option "cluster_features" has an unknown feature in %', merged->'cluster_features'
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Features: recency_days, frequency, monetary, avg_basket, avg_quantity, night_share.';
        END IF;
    END IF;
    RETURN merged;
END
$$;

CREATE OR REPLACE FUNCTION dm_breakdowns(rel regclass, amount_column text, breakdowns jsonb, time_column text DEFAULT NULL,
                              customer_column text DEFAULT NULL, growth_period text DEFAULT 'month')
RETURNS TABLE (dimension text, attribute text, value text, revenue float8, lines bigint, customers bigint,
               share float8, cumulative_share float8, "rank" int, growth float8, abc_class text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off  -- compiling the wide query costs more than it saves
SET hash_mem_multiplier = 16  -- hash every grouping set in the one scan (spills to disk past it)
AS $$
DECLARE
    s record;
    n int;
    values_sql text := '';
    sep text;
    query text;
    value_list text := '';
    text_list text := '';
    sets text := '';
    kinds text := '';
    joins text := '';
    names text := '';
    day_sql text := 'NULL::date';
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
    IF customer_column IS NOT NULL THEN
        PERFORM @extschema@.dm_explore_column(rel, customer_column, 'customer key');
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
        sep := CASE WHEN i > 1 THEN ', ' ELSE '' END;
        values_sql := values_sql || format(', %s AS v%s', s.value_sql, i);
        value_list := value_list || format('%sv%s', sep, i);
        text_list := text_list || format(' WHEN %s THEN g.v%1$s::text', i);
        joins := joins || s.join_sql;
        -- Per value x customer (totals, distinct customers) and per value x period (growth); their
        -- GROUPING(v1..vn, customer, bucket) bits: 1 for each argument not grouped.
        sets := sets || format('%s(v%s, customer), (v%2$s, bucket)', sep, i);
        kinds := kinds || format('%s(%s, %s, ''customer''), (%2$s, %4$s, ''bucket'')', sep, i,
                                 (1 << (n + 2)) - 1 - (1 << (n + 2 - i)) - 2, (1 << (n + 2)) - 1 - (1 << (n + 2 - i)) - 1);
        names := names || format('%s(%s, %L, %L)', sep, i, s.dimension, s.attribute);
    END LOOP;
    -- One read of the fact table (joined to the dimensions), hashed into every grouping set at once.
    query := format($q$
        WITH g AS (
            SELECT GROUPING(%7$s, customer, bucket) AS gid, %7$s, customer, bucket,
                   COALESCE(sum(amount), 0) AS revenue, count(*) AS lines, min(day) AS lo, max(day) AS hi
            FROM (SELECT f.%2$I::float8 AS amount, %3$s AS customer, %4$s AS day,
                         date_trunc($1, (%4$s)::timestamp)::date AS bucket %5$s
                  FROM %1$s f %6$s) s
            GROUP BY GROUPING SETS (%8$s)
        ), parts AS (  -- NULL values (unmatched keys) stay one group: GROUP BY, not a join, pairs the parts
            SELECT kind.k, CASE kind.k %12$s END AS value, g.customer,
                   CASE WHEN kind.kind = 'bucket' THEN g.bucket END AS bucket, g.revenue,
                   CASE WHEN kind.kind = 'customer' THEN g.lines END AS lines, g.lo, g.hi
            FROM g JOIN (VALUES %9$s) AS kind(k, gid, kind) ON kind.gid = g.gid
        ), range_ AS (
            SELECT min(lo) AS lo, max(hi) AS hi, date_trunc($1, max(hi)::timestamp)::date AS last_start FROM parts
        ), covered AS MATERIALIZED (  -- the last period of the data and the one before, and their days in the data
            -- (materialized: one row, never recomputed for each row it is joined with)
            SELECT r.last_start, (r.last_start - ('1 ' || $1)::interval)::date AS prev_start,
                   r.hi - r.last_start + 1 AS days_last,
                   r.last_start - greatest(r.lo, (r.last_start - ('1 ' || $1)::interval)::date) AS days_prev
            FROM range_ r
        ), totals AS (
            SELECT p.k, p.value, COALESCE(sum(p.revenue) FILTER (WHERE p.lines IS NOT NULL), 0) AS revenue,
                   sum(p.lines)::bigint AS lines, %10$s AS customers,
                   CASE WHEN v.days_prev > 0
                        THEN COALESCE(sum(p.revenue) FILTER (WHERE p.lines IS NULL AND p.bucket = v.last_start), 0) / v.days_last END AS rev_last,
                   CASE WHEN v.days_prev > 0
                        THEN sum(p.revenue) FILTER (WHERE p.lines IS NULL AND p.bucket = v.prev_start) / v.days_prev END AS rev_prev
            FROM parts p CROSS JOIN covered v GROUP BY p.k, p.value, v.days_last, v.days_prev
        ), ranked AS (
            SELECT t.*, row_number() OVER w AS r,
                   t.revenue / NULLIF(sum(t.revenue) OVER (PARTITION BY t.k), 0) AS share,
                   sum(t.revenue) OVER (w ROWS UNBOUNDED PRECEDING) / NULLIF(sum(t.revenue) OVER (PARTITION BY t.k), 0) AS cum
            FROM totals t
            WINDOW w AS (PARTITION BY t.k ORDER BY t.revenue DESC, t.value)
        )
        SELECT nm.dimension, nm.attribute, x.value, x.revenue, x.lines, x.customers, x.share, x.cum, x.r::int,
               COALESCE(x.rev_last, 0) / NULLIF(x.rev_prev, 0) - 1,
               CASE WHEN x.cum - x.share < 0.80 THEN 'A' WHEN x.cum - x.share < 0.95 THEN 'B' ELSE 'C' END
        FROM ranked x JOIN (VALUES %11$s) AS nm(k, dimension, attribute) ON nm.k = x.k
        ORDER BY x.k, x.r
        $q$,
        rel, amount_column,
        CASE WHEN customer_column IS NULL THEN 'NULL::int' ELSE format('f.%I', customer_column) END,
        day_sql, values_sql, joins, value_list, sets, kinds,
        CASE WHEN customer_column IS NULL THEN 'NULL::bigint' ELSE 'count(p.customer) FILTER (WHERE p.lines IS NOT NULL)' END,
        names, text_list);
    RAISE DEBUG 'dm_breakdowns: %', query;
    RETURN QUERY EXECUTE query USING growth_period;
END
$$;
