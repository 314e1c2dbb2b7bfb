-- Pipeline step: anomalies.
-- dm_pipeline_collect, from 0.1.0 (the step keeps its lines with dm_context_top now: this one
-- copies its array at every value): collects values into an array; parallel safe (the partial
-- arrays are concatenated).
-- Its functions are not polymorphic: Citus calls them on the workers without the call's types
-- (array_append and array_cat themselves fail there with "could not determine input data type").
CREATE FUNCTION dm_pipeline_collect_add(s jsonb[], v jsonb) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_append(s, v) $$;
CREATE FUNCTION dm_pipeline_collect_combine(a jsonb[], b jsonb[]) RETURNS jsonb[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.array_cat(a, b) $$;
COMMENT ON FUNCTION dm_pipeline_collect_add(jsonb[], jsonb) IS 'pipeline internal: transition function of dm_pipeline_collect';
COMMENT ON FUNCTION dm_pipeline_collect_combine(jsonb[], jsonb[]) IS 'pipeline internal: combine function of dm_pipeline_collect';
CREATE AGGREGATE dm_pipeline_collect(jsonb) (
    SFUNC = dm_pipeline_collect_add, STYPE = jsonb[], COMBINEFUNC = dm_pipeline_collect_combine, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_pipeline_collect(jsonb) IS
    'pipeline internal: array of the values (like array_agg), with a combine function for parallel plans';

-- Step: anomalies in context (docs/anomaly.md). Pass 1 fits the context summaries: unit price
-- and quantity per product, quantity and amount per customer, hours and weekdays per store (else
-- per customer), extra features overall. Pass 2 scores every line: the surprise of each feature
-- in its group (falling back to the overall group when the group is small), combined as
-- dm_context_score does, in one dm_context_line_score call per line; the flagged lines and the top lines are kept (dm_context_top), then typed
-- and explained in a sentence.
CREATE FUNCTION dm_step_anomalies(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's functions; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    o jsonb := ctx->'options';
    m jsonb := ctx->'mapping';
    dims text[] := @extschema@.dm_pipeline_dimension_columns(m);
    lf record;
    not_null text;
    product text := 'NULL::text';
    store text;
    has_time boolean := m->>'time_type' <> 'date';
    extras text[] := '{}';
    extra_names text[] := '{}';
    fit_extras text := '';
    line_sql text;
    product_key text := 'NULL::int8';
    store_key text;
    names text[];
    sums @extschema@.context_summary[];
    s_price @extschema@.context_summary;
    s_qty_p @extschema@.context_summary;
    s_qty_c @extschema@.context_summary;
    s_amount @extschema@.context_summary;
    s_time @extschema@.context_summary;
    s_extra @extschema@.context_summary[];
    fit record;
    summary record;
    usable bigint;
    n bigint;
    kept bigint;
    flag_count bigint;
    wanted bigint;
    threshold float8;
    auto boolean := o->>'contamination' = 'auto';
    max_kept constant bigint := 1000000;  -- dm_context_top's largest k: the most flagged lines auto keeps
    pass2 text;
    key_types record;
    fit_keys text[];
    i int;
BEGIN
    lf := @extschema@.dm_pipeline_line_features(ctx);
    -- every line feature present (lf.expr is ARRAY[...]::float8[]), tested without converting:
    -- the amount by the source's amount_ok (true exactly when amount is not NULL), the hour by ts
    -- (both NULL exactly when the time is missing or infinite)
    not_null := (SELECT string_agg(CASE e WHEN 'amount::float8' THEN 'amount_ok' WHEN 'hour' THEN 'ts IS NOT NULL'
                                          ELSE e || ' IS NOT NULL' END, ' AND ' ORDER BY k)
                 FROM unnest(string_to_array(substr(lf.expr, 7, length(lf.expr) - 6 - 11), ', ')) WITH ORDINALITY AS u(e, k));
    IF m->>'product_column' IS NOT NULL THEN
        product_key := format('dim_%s', array_position(dims, m->>'product_column'));
        product := product_key || '::text';
    END IF;
    store_key := CASE WHEN m->>'store_column' IS NOT NULL THEN format('dim_%s', array_position(dims, m->>'store_column'))
                      ELSE 'customer_key' END;
    store := store_key || '::text';
    FOR i IN 1 .. COALESCE(jsonb_array_length(m->'extra_features'), 0) LOOP
        extras := extras || format('extra_%s', i);
        extra_names := extra_names || (m->'extra_features'->>(i - 1));
        fit_extras := fit_extras || format(', @extschema@.dm_context_fit(NULL, extra_%s, ''{"scale": "linear"}'')', i);
    END LOOP;

    -- Integer keys are fitted as they are (the summaries their text gives, without a cast a line).
    EXECUTE format('SELECT pg_typeof(%s)::text AS product, pg_typeof(customer_key)::text AS customer, pg_typeof(%s)::text AS store
                    FROM %s LIMIT 1', product_key, store_key, ctx->>'source') INTO key_types;
    fit_keys := ARRAY[product_key, 'customer_key', store_key];
    FOR i IN 1 .. 3 LOOP
        IF COALESCE((ARRAY[key_types.product, key_types.customer, key_types.store])[i], '')
           NOT IN ('smallint', 'integer', 'bigint') THEN
            fit_keys[i] := fit_keys[i] || '::text';
        END IF;
    END LOOP;

    -- Pass 1: the context summaries of the usable lines (every line feature present), in one scan;
    -- the test is the scan's filter (evaluated once a line, not once per aggregate), the lines read
    -- are counted by a plain scan.
    EXECUTE format($q$
        SELECT count(*) AS usable,
               @extschema@.dm_context_fit(%2$s, unit_price) FILTER (WHERE %7$s IS NOT NULL) AS price,
               @extschema@.dm_context_fit(%2$s, quantity, '{"min_spread": 0.3}') AS qty_p,
               @extschema@.dm_context_fit(%8$s, quantity, '{"min_spread": 0.3}') AS qty_c,
               @extschema@.dm_context_fit(%8$s, amount) AS amount,
               @extschema@.dm_context_fit_time(%3$s, ts::timestamp) FILTER (WHERE %5$s) AS at,
               ARRAY[NULL::@extschema@.context_summary %4$s] AS extra
        FROM %6$s
        WHERE %1$s
        $q$, not_null, fit_keys[1], fit_keys[3], fit_extras,
        CASE WHEN has_time THEN 'true' ELSE 'false' END, ctx->>'source', product_key, fit_keys[2])
        INTO fit;
    EXECUTE format('SELECT count(*) FROM %s', ctx->>'source') INTO n;
    usable := fit.usable;
    IF usable < 2 THEN
        RAISE EXCEPTION 'no data: the anomaly step needs at least 2 sales lines with every feature (%) present, found %',
                        array_to_string(lf.names, ', '), COALESCE(usable, 0)
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('%s lines read; a missing, NaN, infinite or beyond 1e300 value leaves a line out', n);
    END IF;
    s_price := fit.price; s_qty_p := fit.qty_p; s_qty_c := fit.qty_c; s_amount := fit.amount; s_time := fit.at;
    s_extra := fit.extra[2:];
    names := ARRAY['price', 'quantity', 'amount', 'time'] || extra_names;
    INSERT INTO @extschema@.result_models (run_id, step, context, feature_names)
    VALUES (run, 'anomalies', ARRAY[s_price, s_qty_p, s_qty_c, s_amount, s_time] || s_extra,
            ARRAY['price by product', 'quantity by product', 'quantity by customer', 'amount by customer',
                  'time by ' || CASE WHEN m->>'store_column' IS NOT NULL THEN 'store' ELSE 'customer' END]
            || extra_names);

    -- Pass 2: every usable line scored against all its summaries by one call (native keys; each
    -- group falls back to all lines), in parallel; count, histogram and the top lines kept. The
    -- summaries come from a CTE (one row). Only lines scoring at least a floor build their jsonb.
    -- With contamination auto, every line above 0.5 is kept too (the highest million at most), by
    -- dm_context_top (an array appended to a line at a time would be copied at every line).
    flag_count := CASE WHEN auto THEN NULL ELSE ceil((o->>'contamination')::float8 * usable)::bigint END;
    wanted := greatest(COALESCE(flag_count, 0), (o->>'top_lines')::bigint);
    line_sql := format($q$CASE WHEN score >= $9 THEN jsonb_build_object(
                 'line_key', line_key, 'customer_key', customer_key::text, 'product', %1$s, 'store', %2$s,
                 'ts', ts::timestamptz, 'at', ts::timestamp, 'amount', amount::float8, 'quantity', quantity::float8,
                 'unit_price', unit_price::float8, 'extras', to_jsonb(ARRAY[NULL::float8 %3$s]), 'score', score) END$q$,
        product, store, (SELECT COALESCE(string_agg(', ' || e, ''), '') FROM unnest(extras) AS e));
    pass2 := format($q$
        WITH s AS (SELECT $1 AS sum_price, $2 AS sum_qty_p, $3 AS sum_qty_c, $4 AS sum_amount, $5 AS sum_time, $6 AS sum_extra)
        SELECT count(score) AS lines,
               count(*) FILTER (WHERE score > 0.5) AS above_half, count(*) FILTER (WHERE score >= $9) AS above_floor,
               @extschema@.dm_histogram(score, 20, 0, 1) AS h,
               @extschema@.dm_context_top(score, %1$s, $7) AS top,
               @extschema@.dm_context_top(score, %1$s, $10) FILTER (WHERE $8 AND score > 0.5) AS flagged_lines
        FROM %2$s CROSS JOIN s
             CROSS JOIN LATERAL @extschema@.dm_context_line_score(
                 s.sum_price, s.sum_qty_p, s.sum_qty_c, s.sum_amount, s.sum_time, %4$s, customer_key, %5$s,
                 unit_price, quantity, amount, ts::timestamp, s.sum_extra, (ARRAY[NULL::float8 %6$s])[2:]) AS score
        WHERE %3$s
        $q$, line_sql, ctx->>'source', not_null, product_key, store_key,
        (SELECT COALESCE(string_agg(', ' || e, ''), '') FROM unnest(extras) AS e));
    -- The floor 0.3: about 2% of ordinary lines (a surprise of ln k + 4 ln 10 x 0.43 nats); when
    -- fewer than wanted lines reach it, the pass runs again from the highest edge of the score
    -- histogram that keeps enough lines.
    EXECUTE pass2 INTO summary USING s_price, s_qty_p, s_qty_c, s_amount, s_time, s_extra, wanted, auto, 0.3::float8, least(usable, max_kept);
    IF summary.above_floor < wanted AND summary.above_floor < summary.lines THEN
        SELECT COALESCE(max(e), '-Infinity') INTO threshold
        FROM (SELECT (summary.h).edges[k] AS e,
                     sum((summary.h).counts[k]) OVER (ORDER BY k DESC) AS above
              FROM generate_subscripts((summary.h).counts, 1) AS k) AS c
        WHERE above >= wanted;
        EXECUTE pass2 INTO summary USING s_price, s_qty_p, s_qty_c, s_amount, s_time, s_extra, wanted, auto,
                                         least(threshold, 0.3)::float8 - 1e-9, least(usable, max_kept);
    END IF;

    CREATE TEMP TABLE dm_pipeline_top ON COMMIT DROP AS
    SELECT x AS line, (x->>'score')::float8 AS score, row_number() OVER (ORDER BY (x->>'score')::float8 DESC, x::text) AS r
    FROM (SELECT unnest(summary.top) AS x UNION SELECT unnest(summary.flagged_lines)) AS u;
    IF auto THEN
        threshold := 0.5;
        flag_count := summary.above_half;
        wanted := greatest(least(flag_count, max_kept), (o->>'top_lines')::bigint);  -- every flagged line kept
    ELSE
        SELECT score INTO threshold FROM pg_temp.dm_pipeline_top WHERE r = flag_count;
        threshold := COALESCE(threshold, 0);
    END IF;
    INSERT INTO @extschema@.result_anomaly_summary (run_id, lines_scored, threshold, anomalies, score_histogram)
    VALUES (run, summary.lines, threshold, flag_count,
            jsonb_build_object('edges', to_jsonb((summary.h).edges), 'counts', to_jsonb((summary.h).counts)));

    INSERT INTO @extschema@.result_anomalies
        (run_id, line_key, customer_key, occurred_at, amount, quantity, score, is_anomaly, anomaly_type, explanation, reason)
    SELECT run, t.line->>'line_key', t.line->>'customer_key', (t.line->>'ts')::timestamptz,
           (t.line->>'amount')::float8, (t.line->>'quantity')::float8, t.score, t.r <= flag_count,
           x.kind, x.explanation,
           @extschema@.dm_pipeline_anomaly_reason(x.kind, t.line, names, s_price, s_qty_p, s_qty_c, s_amount, s_time, s_extra,
                                                  CASE WHEN m->>'store_column' IS NOT NULL THEN 'store' ELSE 'customer' END)
    FROM pg_temp.dm_pipeline_top t,
         LATERAL @extschema@.dm_pipeline_anomaly_type(t.line, names, s_price, s_qty_p, s_qty_c, s_amount, s_time, s_extra) AS x
    WHERE t.r <= wanted
    ORDER BY t.r;
    GET DIAGNOSTICS kept = ROW_COUNT;
    ANALYZE @extschema@.result_anomalies;
    DROP TABLE pg_temp.dm_pipeline_top;
    RETURN jsonb_build_object('rows', kept, 'details', jsonb_build_object(
        'lines_scored', summary.lines, 'anomalies', flag_count, 'threshold', threshold,
        'skipped', jsonb_build_object('lines', n - summary.lines),
        'detector', 'context', 'feature_names', to_jsonb(names), 'contamination', o->'contamination'));
END
$$;
