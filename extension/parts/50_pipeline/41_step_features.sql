-- Step: customer features. Per customer: recency (days from the last purchase to as_of),
-- frequency (distinct orders), monetary (sum of amounts), average basket (monetary / frequency),
-- average quantity per line, share of night lines (22:00-05:59); the clustered vector is
-- the signed log1p of the chosen features.
CREATE FUNCTION dm_step_features(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off  -- the work is in dmine's aggregates; compiling only adds time
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    chosen text[];
    vector text[] := '{}';
    f text;
    as_of date := (ctx->'options'->>'as_of')::date;
    counts jsonb;
    no_vector bigint;
    lines_without_quantity bigint;
    n bigint;
BEGIN
    IF ctx->'options' ? 'cluster_features' THEN
        SELECT array_agg(x) INTO chosen FROM jsonb_array_elements_text(ctx->'options'->'cluster_features') AS x;
    ELSE
        chosen := ARRAY['recency_days', 'frequency', 'monetary', 'avg_basket', 'avg_quantity'];
    END IF;
    IF ctx->'mapping'->>'quantity_column' IS NULL THEN
        chosen := array_remove(chosen, 'avg_quantity');
    END IF;
    IF ctx->'mapping'->>'time_type' = 'date' THEN
        chosen := array_remove(chosen, 'night_share');
    END IF;
    IF cardinality(chosen) = 0 THEN
        RAISE EXCEPTION 'no customer feature left to cluster' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH f IN ARRAY chosen LOOP
        vector := vector || format('sign(%1$I) * ln(1 + abs(%1$I))', f);
    END LOOP;
    counts := @extschema@.dm_pipeline_customers(ctx, true);
    IF NOT EXISTS (SELECT FROM pg_temp.dm_pipeline_customers) THEN
        RAISE EXCEPTION 'no data: no customer with an order key, a time and an amount on its sales lines'
            USING ERRCODE = 'no_data_found',
                  DETAIL = format('%s lines read, skipped: %s', counts->'lines', counts->'skipped');
    END IF;
    IF as_of IS NULL THEN
        SELECT max(last_day) + 1 INTO as_of FROM pg_temp.dm_pipeline_customers;
    END IF;
    -- A customer whose chosen features are not all defined (no quantity at all) keeps its row,
    -- without a vector: the clustering step skips it.
    EXECUTE format($q$
        INSERT INTO @extschema@.result_customer_features
            (run_id, customer_key, recency_days, frequency, monetary, avg_basket, avg_quantity, night_share, features)
        SELECT $1, customer_key, recency_days, frequency, monetary, avg_basket, avg_quantity, night_share,
               CASE WHEN array_position(v, NULL) IS NULL THEN v END
        FROM (SELECT *, ARRAY[%1$s] AS v
              FROM (SELECT customer_key, ($2 - last_day)::float8 AS recency_days, frequency::float8 AS frequency, monetary,
                           monetary / nullif(frequency, 0) AS avg_basket,
                           quantity / nullif(quantity_lines, 0) AS avg_quantity,
                           CASE WHEN $3 THEN NULL ELSE night_lines::float8 / nullif(time_lines, 0) END AS night_share
                    FROM pg_temp.dm_pipeline_customers) AS c) AS cv
        $q$, array_to_string(vector, ', '))
        USING run, as_of, ctx->'mapping'->>'time_type' = 'date';
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_customer_features;  -- fresh statistics for the queries that join on run_id
    SELECT (sum(lines) - sum(quantity_lines))::bigint INTO lines_without_quantity FROM pg_temp.dm_pipeline_customers;
    DROP TABLE pg_temp.dm_pipeline_customers;
    UPDATE @extschema@.runs SET parameters = parameters || jsonb_build_object('as_of', as_of) WHERE run_id = run;
    SELECT count(*) INTO no_vector FROM @extschema@.result_customer_features WHERE run_id = run AND features IS NULL;
    RETURN jsonb_build_object('rows', n, 'details',
        jsonb_build_object('customers', n, 'as_of', as_of, 'feature_names', to_jsonb(chosen), 'transform', 'sign(x) * ln(1 + |x|)',
                           'lines', counts->'lines', 'skipped', counts->'skipped',
                           'customers_without_vector', no_vector)
        || CASE WHEN ctx->'mapping'->>'quantity_column' IS NOT NULL
                THEN jsonb_build_object('lines_without_quantity', lines_without_quantity) ELSE '{}' END);
END
$$;

