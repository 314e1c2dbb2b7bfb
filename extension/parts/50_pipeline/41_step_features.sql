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
    -- Orders first (a hash aggregate), then customers: cheaper than count(DISTINCT order).
    -- Sums in double precision: a numeric sum's state is several times larger (memory).
    EXECUTE format($q$
        CREATE TEMP TABLE dm_pipeline_customers ON COMMIT DROP AS
        WITH orders AS (
            SELECT customer_key, order_key, max(ts) AS last_ts, sum(amount::float8) AS amount, count(*) AS lines,
                   sum(quantity::float8) AS quantity,
                   count(*) FILTER (WHERE hour < 6 OR hour >= 22) AS night_lines
            FROM %1$s
            WHERE customer_key IS NOT NULL
            GROUP BY 1, 2
        )
        SELECT customer_key::text AS customer_key, max(last_ts)::date AS last_day, count(order_key) AS frequency,
               sum(amount)::float8 AS monetary, sum(lines) AS lines, sum(quantity)::float8 AS quantity,
               sum(night_lines) AS night_lines
        FROM orders GROUP BY 1
        $q$, ctx->>'source');
    IF as_of IS NULL THEN
        SELECT max(last_day) + 1 INTO as_of FROM pg_temp.dm_pipeline_customers;
    END IF;
    EXECUTE format($q$
        INSERT INTO @extschema@.result_customer_features
            (run_id, customer_key, recency_days, frequency, monetary, avg_basket, avg_quantity, night_share, features)
        SELECT $1, customer_key, recency_days, frequency, monetary, avg_basket, avg_quantity, night_share,
               ARRAY[%1$s]
        FROM (SELECT customer_key, ($2 - last_day)::float8 AS recency_days, frequency::float8 AS frequency, monetary,
                     monetary / nullif(frequency, 0) AS avg_basket,
                     quantity / nullif(lines, 0) AS avg_quantity,
                     CASE WHEN $3 THEN NULL ELSE night_lines::float8 / nullif(lines, 0) END AS night_share
              FROM pg_temp.dm_pipeline_customers) AS c
        $q$, array_to_string(vector, ', '))
        USING run, as_of, ctx->'mapping'->>'time_type' = 'date';
    GET DIAGNOSTICS n = ROW_COUNT;
    ANALYZE @extschema@.result_customer_features;  -- fresh statistics for the queries that join on run_id
    DROP TABLE pg_temp.dm_pipeline_customers;
    UPDATE @extschema@.runs SET parameters = parameters || jsonb_build_object('as_of', as_of) WHERE run_id = run;
    RETURN jsonb_build_object('rows', n, 'details',
        jsonb_build_object('customers', n, 'as_of', as_of, 'feature_names', to_jsonb(chosen), 'transform', 'sign(x) * ln(1 + |x|)'));
END
$$;

