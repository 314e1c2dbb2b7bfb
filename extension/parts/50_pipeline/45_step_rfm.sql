-- Step: RFM. From the customer features of the same run when that step ran, else from the
-- fact table; quintile scores with ties equal (dm_rfm_score) and the segment (dm_rfm_segment).
CREATE FUNCTION dm_step_rfm(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    scheme text := ctx->'options'->>'rfm_scheme';
    as_of date := (ctx->'options'->>'as_of')::date;
    from_features boolean;
    counts jsonb;
    n bigint;
BEGIN
    SELECT EXISTS (SELECT FROM @extschema@.run_steps WHERE run_id = run AND step = 'features' AND status = 'succeeded')
    INTO from_features;
    IF from_features THEN
        CREATE TEMP TABLE dm_pipeline_rfm ON COMMIT DROP AS
        SELECT customer_key, recency_days::int AS recency, frequency::bigint AS frequency, monetary
        FROM @extschema@.result_customer_features WHERE run_id = run;
    ELSE
        -- The same customers as the features step (same skipped lines), as_of from them: one scan.
        counts := @extschema@.dm_pipeline_customers(ctx, false);
        IF as_of IS NULL THEN
            SELECT max(last_day) + 1 INTO as_of FROM pg_temp.dm_pipeline_customers;
            UPDATE @extschema@.runs SET parameters = parameters || jsonb_build_object('as_of', as_of) WHERE run_id = run;
        END IF;
        CREATE TEMP TABLE dm_pipeline_rfm ON COMMIT DROP AS
        SELECT customer_key, (as_of - last_day)::int AS recency, frequency, monetary
        FROM pg_temp.dm_pipeline_customers;
        DROP TABLE pg_temp.dm_pipeline_customers;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_temp.dm_pipeline_rfm) THEN
        RAISE EXCEPTION 'no data: no customer with an order key, a time and an amount on its sales lines'
            USING ERRCODE = 'no_data_found',
                  DETAIL = CASE WHEN counts IS NOT NULL THEN format('%s lines read, skipped: %s', counts->'lines', counts->'skipped') END;
    END IF;
    INSERT INTO @extschema@.result_rfm
        (run_id, customer_key, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score, segment)
    SELECT run, customer_key, recency, frequency, monetary, r, f, m, (f + m) / 2,
           @extschema@.dm_rfm_segment(r, f, m, scheme)
    FROM (SELECT t.*,
                 @extschema@.dm_rfm_score(rank() OVER (ORDER BY recency DESC) - 1, count(*) OVER ()) AS r,
                 @extschema@.dm_rfm_score(rank() OVER (ORDER BY frequency) - 1, count(*) OVER ()) AS f,
                 @extschema@.dm_rfm_score(rank() OVER (ORDER BY monetary) - 1, count(*) OVER ()) AS m
          FROM pg_temp.dm_pipeline_rfm t) AS s;
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_rfm;
    DROP TABLE pg_temp.dm_pipeline_rfm;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'customers', n, 'scheme', scheme, 'from', CASE WHEN from_features THEN 'features' ELSE 'fact table' END,
        'tie_rule', 'score = 1 + floor(5 * customers strictly worse / customers)')
        || CASE WHEN counts IS NOT NULL THEN jsonb_build_object('lines', counts->'lines', 'skipped', counts->'skipped')
                ELSE '{}' END);
END
$$;

