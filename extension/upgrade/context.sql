-- context: anomalies in context (0.1.0 -> 0.2.0 part). Plain SQL run inside the upgrade script.

CREATE TYPE context_summary;
CREATE FUNCTION context_summary_in(cstring) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_summary_out(context_summary) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_summary_recv(internal) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION context_summary_send(context_summary) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE context_summary (
    INPUT = context_summary_in, OUTPUT = context_summary_out,
    RECEIVE = context_summary_recv, SEND = context_summary_send,
    INTERNALLENGTH = VARIABLE, STORAGE = extended
);
COMMENT ON TYPE context_summary IS
    'typical value and spread of a measure per group key (or hour and weekday counts per group), with an overall group; text form is JSON';

-- Fitting: one scan, per key a sparse bucket count (bounded per key), merged across workers.
CREATE FUNCTION dm_context_fit_accum(internal, text, float8) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_accum(internal, text, float8, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(internal, text, timestamp) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_fit_time_accum(internal, text, timestamp, jsonb) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_final(internal) RETURNS context_summary
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dm_context_fit(key text, value float8) (
    SFUNC = dm_context_fit_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(text, float8) IS
    'context summary of a measure per key (log scale, min_rows 20, min_spread 0.05): median and Laplace spread per key and overall';
CREATE AGGREGATE dm_context_fit(key text, value float8, options jsonb) (
    SFUNC = dm_context_fit_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit(text, float8, jsonb) IS
    'context summary of a measure per key with options (read from the first row): scale (log, linear), min_rows, min_spread';
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp) (
    SFUNC = dm_context_fit_time_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp) IS
    'context summary of the times of the lines per key: counts per hour and per weekday (min_rows 100)';
CREATE AGGREGATE dm_context_fit_time(key text, at timestamp, options jsonb) (
    SFUNC = dm_context_fit_time_accum, STYPE = internal, SSPACE = 20000,
    FINALFUNC = dm_context_final, COMBINEFUNC = dm_context_combine,
    SERIALFUNC = dm_context_serialize, DESERIALFUNC = dm_context_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_fit_time(text, timestamp, jsonb) IS
    'context summary of the times of the lines per key with options (read from the first row): min_rows';

-- Using a summary.
CREATE FUNCTION dm_context_surprise(summary context_summary, key text, value float8, side text DEFAULT 'both',
                                    leave_out boolean DEFAULT true) RETURNS float8
    AS 'MODULE_PATHNAME', 'dm_context_surprise' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_surprise(context_summary, text, float8, text, boolean) IS
    'surprise of a value in its group (-ln of its Laplace tail probability; side both, high or low); NULL when the group is unknown or has fewer than min_rows lines (key NULL: the overall group)';
CREATE FUNCTION dm_context_surprise(summary context_summary, key text, at timestamp,
                                    leave_out boolean DEFAULT true) RETURNS float8
    AS 'MODULE_PATHNAME', 'dm_context_surprise_time' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_surprise(context_summary, text, timestamp, boolean) IS
    'surprise of the hour and weekday of a line in its group (-ln of the share of lines at hours, or weekdays, at most as frequent); NULL when the group is unknown or too small';
CREATE FUNCTION dm_context_explain(summary context_summary, key text, value float8, side text DEFAULT 'both',
                                   leave_out boolean DEFAULT true) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dm_context_explain' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_explain(context_summary, text, float8, text, boolean) IS
    'the figures behind dm_context_surprise: level, key, lines, typical, spread, ratio, surprise, tail_probability';
CREATE FUNCTION dm_context_explain(summary context_summary, key text, at timestamp,
                                   leave_out boolean DEFAULT true) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'dm_context_explain_time' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_explain(context_summary, text, timestamp, boolean) IS
    'the figures behind dm_context_surprise for a time: level, key, lines, hour, weekday, hour_share, weekday_share, part, surprise, tail_probability';
CREATE FUNCTION dm_context_typical(summary context_summary, key text) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_typical(context_summary, text) IS
    'the typical value (median) of a group; NULL when unknown or smaller than min_rows (key NULL: overall)';
CREATE FUNCTION dm_context_info(summary context_summary) RETURNS jsonb
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_info(context_summary) IS
    'the summary without its groups: kind, scale, min_rows, min_spread, rows_seen, skipped, lines, groups, groups_with_min_rows, typical';
CREATE FUNCTION dm_context_score(surprises float8[]) RETURNS float8
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dm_context_score(float8[]) IS
    'context score in [0, 1] from the surprises of a line''s features (NULLs ignored): R = max(0, (max - ln k) / ln 10), score = R / (R + 4); 0.5 = one ordinary line in 10,000';

-- The k lines of highest score (ties by the line's bytes), in bounded memory, parallel.
CREATE FUNCTION dm_context_top_accum(internal, float8, jsonb, bigint) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dm_context_top_final(internal) RETURNS jsonb[]
    AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dm_context_top(score float8, line jsonb, k bigint) (
    SFUNC = dm_context_top_accum, STYPE = internal, SSPACE = 10000,
    FINALFUNC = dm_context_top_final, COMBINEFUNC = dm_context_top_combine,
    SERIALFUNC = dm_context_top_serialize, DESERIALFUNC = dm_context_top_deserialize, PARALLEL = SAFE
);
COMMENT ON AGGREGATE dm_context_top(float8, jsonb, bigint) IS
    'the k lines of highest score as jsonb[], highest first (k read from the first row, 0 to 1,000,000); NULL scores or lines are skipped';

-- Two surprises of one line taken together (the product's and the customer's view of a
-- quantity): -ln P(E1 + E2 >= s) for independent unit exponentials, s - ln(1 + s) with s their
-- sum; one of them alone when the other is NULL.
CREATE FUNCTION dm_context_joint(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE (a + b) - ln(1 + a + b) END $$;
COMMENT ON FUNCTION dm_context_joint(float8, float8) IS
    'two surprises of one line together: s - ln(1 + s) with s their sum (both must be unusual); one alone when the other is NULL';
-- The sum of two surprises, one alone when the other is NULL (the pipeline's quantity: unusual for
-- the product and for the customer).
CREATE FUNCTION dm_context_sum(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT COALESCE(a + b, a, b) $$;
COMMENT ON FUNCTION dm_context_sum(float8, float8) IS
    'the sum of two surprises of one line; one alone when the other is NULL';

-- Result tables: the reason of every kept line, the context summaries of a run.
ALTER TABLE @extschema@.result_anomalies ADD COLUMN reason text;
ALTER TABLE @extschema@.result_models ADD COLUMN context @extschema@.context_summary[];
CREATE OR REPLACE VIEW @extschema@.latest_anomalies WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_anomalies t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);

-- The anomaly step (replaced) and its reason helpers (new).
-- Step: anomalies in context (docs/anomaly.md). Pass 1 fits the context summaries: unit price
-- and quantity per product, quantity and amount per customer, hours and weekdays per store (else
-- per customer), extra features overall. Pass 2 scores every line: the surprise of each feature
-- in its group (falling back to the overall group when the group is small), combined by
-- dm_context_score; the flagged lines and the top lines are kept (dm_context_top), then typed
-- and explained in a sentence.
CREATE OR REPLACE FUNCTION dm_step_anomalies(ctx jsonb) RETURNS jsonb
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
    surprise_sql text;
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
    flag_count bigint;
    wanted bigint;
    threshold float8;
    auto boolean := o->>'contamination' = 'auto';
    pass2 text;
    i int;
BEGIN
    lf := @extschema@.dm_pipeline_line_features(ctx);
    not_null := format('array_position(%s, NULL) IS NULL', lf.expr);
    IF m->>'product_column' IS NOT NULL THEN
        product := format('dim_%s::text', array_position(dims, m->>'product_column'));
    END IF;
    store := CASE WHEN m->>'store_column' IS NOT NULL THEN format('dim_%s::text', array_position(dims, m->>'store_column'))
                  ELSE 'customer_key::text' END;
    FOR i IN 1 .. COALESCE(jsonb_array_length(m->'extra_features'), 0) LOOP
        extras := extras || format('extra_%s', i);
        extra_names := extra_names || (m->'extra_features'->>(i - 1));
        fit_extras := fit_extras || format(', @extschema@.dm_context_fit(NULL, extra_%s, ''{"scale": "linear"}'') FILTER (WHERE usable)', i);
    END LOOP;

    -- Pass 1: the context summaries of the usable lines (every line feature present), in one scan.
    EXECUTE format($q$
        SELECT count(*) AS lines, count(*) FILTER (WHERE usable) AS usable,
               @extschema@.dm_context_fit(%2$s, unit_price) FILTER (WHERE usable AND %2$s IS NOT NULL) AS price,
               @extschema@.dm_context_fit(%2$s, quantity, '{"min_spread": 0.3}') FILTER (WHERE usable) AS qty_p,
               @extschema@.dm_context_fit(customer_key::text, quantity, '{"min_spread": 0.3}') FILTER (WHERE usable) AS qty_c,
               @extschema@.dm_context_fit(customer_key::text, amount) FILTER (WHERE usable) AS amount,
               @extschema@.dm_context_fit_time(%3$s, ts::timestamp) FILTER (WHERE usable AND %5$s) AS at,
               ARRAY[NULL::@extschema@.context_summary %4$s] AS extra
        FROM (SELECT *, %1$s AS usable FROM %6$s) AS lines
        $q$, not_null, product, store, fit_extras, CASE WHEN has_time THEN 'true' ELSE 'false' END, ctx->>'source')
        INTO fit;
    usable := fit.usable;
    n := fit.lines;
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

    -- The surprises of a line (nats), in the order of names: a group too small falls back to all lines.
    surprise_sql := format($q$ARRAY[
        COALESCE(@extschema@.dm_context_surprise($1, %1$s, unit_price), @extschema@.dm_context_surprise($1, NULL, unit_price)),
        @extschema@.dm_context_sum(COALESCE(@extschema@.dm_context_surprise($2, %1$s, quantity, 'high'), @extschema@.dm_context_surprise($2, NULL, quantity, 'high')),
                                     @extschema@.dm_context_surprise($3, customer_key::text, quantity, 'high')),
        COALESCE(@extschema@.dm_context_surprise($4, customer_key::text, amount, 'high'), @extschema@.dm_context_surprise($4, NULL, amount, 'high')),
        COALESCE(@extschema@.dm_context_surprise($5, %2$s, ts::timestamp), @extschema@.dm_context_surprise($5, NULL, ts::timestamp))
        %3$s]$q$, product, store,
        (SELECT COALESCE(string_agg(format(', @extschema@.dm_context_surprise(($6)[%s], NULL, %s)', k, e), '' ORDER BY k), '')
         FROM unnest(extras) WITH ORDINALITY AS u(e, k)));

    -- Pass 2: every usable line scored, in parallel; count, histogram and the top lines kept. Only
    -- lines scoring at least `floor` build their jsonb (most lines score near 0); when fewer
    -- than wanted do, the pass runs again with every line.
    flag_count := CASE WHEN auto THEN NULL ELSE ceil((o->>'contamination')::float8 * usable)::bigint END;
    wanted := greatest(COALESCE(flag_count, 0), (o->>'top_lines')::bigint);
    pass2 := format($q$
        SELECT count(score) AS lines, count(*) - count(score) AS skipped,
               count(*) FILTER (WHERE score > 0.5) AS above_half, count(*) FILTER (WHERE score >= $9) AS above_floor,
               @extschema@.dm_histogram(score, 20, 0, 1) AS h,
               @extschema@.dm_context_top(score, line, $7) AS top,
               @extschema@.dm_pipeline_collect(line) FILTER (WHERE $8 AND score > 0.5) AS flagged_lines
        FROM (SELECT *, CASE WHEN %1$s THEN %2$s END AS f FROM %3$s) AS lines
             CROSS JOIN LATERAL @extschema@.dm_context_score(lines.f) AS score
             CROSS JOIN LATERAL (SELECT CASE WHEN score >= $9 THEN jsonb_build_object(
                 'line_key', line_key, 'customer_key', customer_key::text, 'product', %4$s, 'store', %5$s,
                 'ts', ts::timestamptz, 'at', ts::timestamp, 'amount', amount::float8, 'quantity', quantity::float8,
                 'unit_price', unit_price::float8, 'extras', to_jsonb(ARRAY[NULL::float8 %6$s]), 'score', score) END AS line) AS l
        $q$, not_null, surprise_sql, ctx->>'source', product, store,
        (SELECT COALESCE(string_agg(', ' || e, ''), '') FROM unnest(extras) AS e));
    EXECUTE pass2 INTO summary USING s_price, s_qty_p, s_qty_c, s_amount, s_time, s_extra, wanted, auto, 0.1::float8;
    IF summary.above_floor < wanted AND summary.above_floor < summary.lines THEN
        EXECUTE pass2 INTO summary USING s_price, s_qty_p, s_qty_c, s_amount, s_time, s_extra, wanted, auto, '-Infinity'::float8;
    END IF;

    CREATE TEMP TABLE dm_pipeline_top ON COMMIT DROP AS
    SELECT x AS line, (x->>'score')::float8 AS score, row_number() OVER (ORDER BY (x->>'score')::float8 DESC, x::text) AS r
    FROM (SELECT unnest(summary.top) AS x UNION SELECT unnest(summary.flagged_lines)) AS u;
    IF auto THEN
        threshold := 0.5;
        flag_count := summary.above_half;
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
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_anomalies;
    DROP TABLE pg_temp.dm_pipeline_top;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'lines_scored', summary.lines, 'anomalies', flag_count, 'threshold', threshold,
        'skipped', jsonb_build_object('lines', summary.skipped),
        'detector', 'context', 'feature_names', to_jsonb(names), 'contamination', o->'contamination'));
END
$$;

-- The anomaly step's types and reasons: for a kept line (the jsonb of dm_step_anomalies), the
-- surprise of every feature in its context, the type, and a sentence with the numbers.

-- The surprises of a line, in the order price, quantity, amount, time, extra features (NULL for a
-- feature without a summary or a value); each from its group, else from all lines.
CREATE FUNCTION dm_pipeline_line_surprises(line jsonb, s_price context_summary, s_qty_p context_summary,
                                           s_qty_c context_summary, s_amount context_summary,
                                           s_time context_summary, s_extra context_summary[]) RETURNS float8[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY[
        COALESCE(@extschema@.dm_context_surprise(s_price, line->>'product', (line->>'unit_price')::float8),
                 @extschema@.dm_context_surprise(s_price, NULL, (line->>'unit_price')::float8)),
        @extschema@.dm_context_sum(COALESCE(@extschema@.dm_context_surprise(s_qty_p, line->>'product', (line->>'quantity')::float8, 'high'),
                                              @extschema@.dm_context_surprise(s_qty_p, NULL, (line->>'quantity')::float8, 'high')),
                                     @extschema@.dm_context_surprise(s_qty_c, line->>'customer_key', (line->>'quantity')::float8, 'high')),
        COALESCE(@extschema@.dm_context_surprise(s_amount, line->>'customer_key', (line->>'amount')::float8, 'high'),
                 @extschema@.dm_context_surprise(s_amount, NULL, (line->>'amount')::float8, 'high')),
        COALESCE(@extschema@.dm_context_surprise(s_time, line->>'store', (line->>'at')::timestamp),
                 @extschema@.dm_context_surprise(s_time, NULL, (line->>'at')::timestamp))]
        || ARRAY(SELECT @extschema@.dm_context_surprise(s_extra[k], NULL, (line->'extras'->>k)::float8)
                 FROM generate_subscripts(s_extra, 1) AS k ORDER BY k)
$$;
COMMENT ON FUNCTION dm_pipeline_line_surprises(jsonb, context_summary, context_summary, context_summary, context_summary, context_summary, context_summary[]) IS
    'pipeline internal: the surprise of every feature of a kept line in its context (price, quantity, amount, time, extra features)';

-- The type of a line and its explanation (features by surprise, the type first). The amount is the
-- price times the quantity: when the price or the quantity is itself at least half as surprising
-- as the amount, the line is typed by that cause.
CREATE FUNCTION dm_pipeline_anomaly_type(line jsonb, names text[], s_price context_summary, s_qty_p context_summary,
                                         s_qty_c context_summary, s_amount context_summary, s_time context_summary,
                                         s_extra context_summary[], OUT kind text, OUT explanation jsonb)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s float8[] := @extschema@.dm_pipeline_line_surprises(line, s_price, s_qty_p, s_qty_c, s_amount, s_time, s_extra);
    total float8;
BEGIN
    SELECT names[k] INTO kind FROM unnest(s) WITH ORDINALITY AS u(v, k) WHERE v IS NOT NULL ORDER BY v DESC, k LIMIT 1;
    IF kind = 'amount' AND greatest(COALESCE(s[1], 0), COALESCE(s[2], 0)) >= 0.5 * s[3] THEN
        kind := CASE WHEN COALESCE(s[1], 0) >= COALESCE(s[2], 0) THEN 'price' ELSE 'quantity' END;
    END IF;
    SELECT sum(v) INTO total FROM unnest(s) AS v;
    SELECT jsonb_agg(jsonb_build_object('feature', names[k], 'contribution', v,
                                        'share', CASE WHEN total > 0 THEN v / total END)
                     ORDER BY names[k] = kind DESC, v DESC, k)
    INTO explanation
    FROM unnest(s) WITH ORDINALITY AS u(v, k) WHERE v IS NOT NULL;
END
$$;
COMMENT ON FUNCTION dm_pipeline_anomaly_type(jsonb, text[], context_summary, context_summary, context_summary, context_summary, context_summary, context_summary[]) IS
    'pipeline internal: the anomaly type of a kept line and its features by surprise';

-- A number for a sentence: 2 decimals, or a ratio with 1 (3 below 1).
CREATE FUNCTION dm_pipeline_num(x float8, ratio boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN x IS NULL THEN '?'
                WHEN ratio AND abs(x) < 1 THEN round(x::numeric, 3)::text
                WHEN ratio THEN round(x::numeric, 1)::text
                WHEN abs(x) >= 1e15 THEN x::text
                ELSE round(x::numeric, 2)::text END
$$;

-- The sentence saying why a kept line is unusual, with its numbers.
CREATE FUNCTION dm_pipeline_anomaly_reason(kind text, line jsonb, names text[], s_price context_summary,
                                           s_qty_p context_summary, s_qty_c context_summary, s_amount context_summary,
                                           s_time context_summary, s_extra context_summary[], store_word text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e jsonb;
    c jsonb;
    k int;
    v float8;
    at timestamp := (line->>'at')::timestamp;
BEGIN
    CASE kind
    WHEN 'price' THEN
        v := (line->>'unit_price')::float8;
        e := @extschema@.dm_context_explain(s_price, line->>'product', v);
        IF e IS NOT NULL THEN
            RETURN format('unit price %s is %s× the usual price of product %s (%s, %s lines)', @extschema@.dm_pipeline_num(v),
                          @extschema@.dm_pipeline_num((e->>'ratio')::float8, true), line->>'product',
                          @extschema@.dm_pipeline_num((e->>'typical')::float8), e->>'lines');
        END IF;
        e := @extschema@.dm_context_explain(s_price, NULL, v);
        RETURN format('unit price %s is %s× the usual unit price of all lines (%s; %s)', @extschema@.dm_pipeline_num(v),
                      @extschema@.dm_pipeline_num((e->>'ratio')::float8, true), @extschema@.dm_pipeline_num((e->>'typical')::float8),
                      CASE WHEN line->>'product' IS NULL THEN 'no product' ELSE format('product %s has few lines', line->>'product') END);
    WHEN 'quantity' THEN
        v := (line->>'quantity')::float8;
        c := @extschema@.dm_context_explain(s_qty_c, line->>'customer_key', v, 'high');
        e := COALESCE(@extschema@.dm_context_explain(s_qty_p, line->>'product', v, 'high'),
                      @extschema@.dm_context_explain(s_qty_p, NULL, v, 'high'));
        RETURN format('quantity %s is %s', @extschema@.dm_pipeline_num(v), concat_ws(' and ',
            CASE WHEN c IS NOT NULL THEN format('%s× this customer''s usual %s', @extschema@.dm_pipeline_num((c->>'ratio')::float8, true),
                                                @extschema@.dm_pipeline_num((c->>'typical')::float8)) END,
            CASE WHEN e IS NOT NULL THEN format('%s× the usual %s of %s', @extschema@.dm_pipeline_num((e->>'ratio')::float8, true),
                                                @extschema@.dm_pipeline_num((e->>'typical')::float8),
                                                CASE WHEN e->>'level' = 'group' THEN 'product ' || (line->>'product') ELSE 'all lines' END) END));
    WHEN 'amount' THEN
        v := (line->>'amount')::float8;
        e := COALESCE(@extschema@.dm_context_explain(s_amount, line->>'customer_key', v, 'high'),
                      @extschema@.dm_context_explain(s_amount, NULL, v, 'high'));
        RETURN format('amount %s is %s× %s (%s)', @extschema@.dm_pipeline_num(v), @extschema@.dm_pipeline_num((e->>'ratio')::float8, true),
                      CASE WHEN e->>'level' = 'group' THEN 'this customer''s usual line' ELSE 'the usual line of all customers' END,
                      @extschema@.dm_pipeline_num((e->>'typical')::float8));
    WHEN 'time' THEN
        e := COALESCE(@extschema@.dm_context_explain(s_time, line->>'store', at),
                      @extschema@.dm_context_explain(s_time, NULL, at));
        IF e->>'part' = 'weekday' THEN
            RETURN format('sale on a %s; %s%% of %s are on that weekday', trim(to_char(at, 'Day')),
                          round(100 * (e->>'weekday_share')::numeric, 2),
                          CASE WHEN e->>'level' = 'group' THEN format('this %s''s sales', store_word) ELSE 'all sales' END);
        END IF;
        RETURN format('sale at %s; %s%% of %s are between %s:00 and %s:00', to_char(at, 'HH24:MI'),
                      round(100 * (e->>'hour_share')::numeric, 2),
                      CASE WHEN e->>'level' = 'group' THEN format('this %s''s sales', store_word) ELSE 'all sales' END,
                      lpad((e->>'hour'), 2, '0'), lpad((((e->>'hour')::int + 1) % 24)::text, 2, '0'));
    ELSE
        k := array_position(names, kind) - 4;
        IF k IS NULL OR k < 1 THEN
            RETURN NULL;
        END IF;
        v := (line->'extras'->>k)::float8;
        e := @extschema@.dm_context_explain(s_extra[k], NULL, v);
        RETURN format('%s %s is %s spreads from its usual %s', kind, @extschema@.dm_pipeline_num(v),
                      @extschema@.dm_pipeline_num((e->>'deviations')::float8, true), @extschema@.dm_pipeline_num((e->>'typical')::float8));
    END CASE;
END
$$;
COMMENT ON FUNCTION dm_pipeline_anomaly_reason(text, jsonb, text[], context_summary, context_summary, context_summary, context_summary, context_summary, context_summary[], text) IS
    'pipeline internal: the sentence saying why a kept line is unusual, with its numbers';
COMMENT ON FUNCTION dm_pipeline_num(float8, boolean) IS
    'pipeline internal: a number for an anomaly reason (2 decimals; ratios 1, or 3 below 1)';

-- As every routine of the extension (99_search_path.sql).
ALTER FUNCTION @extschema@.dm_context_joint(float8, float8) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION @extschema@.dm_context_sum(float8, float8) SET search_path = pg_catalog, pg_temp;
