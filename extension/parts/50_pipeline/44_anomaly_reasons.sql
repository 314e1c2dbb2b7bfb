-- The anomaly step's types and reasons: for a kept line (the jsonb of dm_step_anomalies), the
-- surprise of every feature in its context, the type, and a sentence with the numbers.

-- The surprises of a line, in the order price, quantity, amount, time, extra features (NULL for a
-- feature without a summary or a value); each from its group, else from all lines
-- (dm_context_line_explain, the figures of the step's score).
CREATE FUNCTION dm_pipeline_line_surprises(line jsonb, s_price context_summary, s_qty_p context_summary,
                                           s_qty_c context_summary, s_amount context_summary,
                                           s_time context_summary, s_extra context_summary[]) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    extras float8[] := ARRAY(SELECT (line->'extras'->>k)::float8 FROM generate_subscripts(s_extra, 1) AS k ORDER BY k);
    e jsonb;
BEGIN
    -- a simple expression: its call keeps the decoded summaries for the transaction (a SQL
    -- function would decode them again on every call)
    e := @extschema@.dm_context_line_explain(s_price, s_qty_p, s_qty_c, s_amount, s_time,
            line->>'product', line->>'customer_key', line->>'store', (line->>'unit_price')::float8,
            (line->>'quantity')::float8, (line->>'amount')::float8, (line->>'at')::timestamp, s_extra, extras);
    RETURN ARRAY(SELECT (v #>> '{}')::float8 FROM jsonb_array_elements(e->'surprises') WITH ORDINALITY AS u(v, k) ORDER BY k);
END
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
    -- as dm_context_line_explain's feature: the amount is the price times the quantity
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
