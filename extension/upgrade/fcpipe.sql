-- fcpipe: the forecast step of the pipeline (result_forecasts, latest_forecasts, the options
-- forecast_horizon, forecast_grain and forecast_series), from 0.1.0. Needs dm_forecast.

CREATE TABLE result_forecasts (
    run_id bigint NOT NULL REFERENCES runs ON DELETE CASCADE,
    dimension text NOT NULL,          -- total, product or store
    attribute text NOT NULL,          -- revenue (total), the product attribute (family) or the store column
    value text NOT NULL,              -- the value of the attribute ('' for the total)
    grain text NOT NULL CHECK (grain IN ('week', 'month', 'quarter')),
    period_start date NOT NULL,
    step int NOT NULL,                -- 1..horizon: forecast; 0, -1, ...: history (0 = the last period observed)
    actual float8,                    -- history: the revenue of the period
    point float8,                     -- forecast: the point forecast and its 80% and 95% intervals
    lo80 float8,
    hi80 float8,
    lo95 float8,
    hi95 float8,
    model text,                       -- the model chosen for the series (dm_forecast_info)
    PRIMARY KEY (run_id, dimension, attribute, value, period_start)
);
COMMENT ON TABLE result_forecasts IS
    'forecast step: revenue per period, history (step <= 0, actual) and forecast (step 1..horizon, point and 80%/95% intervals), overall, per product family and per store';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.result_forecasts', '');

CREATE VIEW latest_forecasts WITH (security_barrier) AS
SELECT t.* FROM @extschema@.result_forecasts t WHERE t.run_id = (SELECT run_id FROM @extschema@.latest_run);

COMMENT ON VIEW latest_forecasts IS
    'revenue history and forecast with 80%/95% intervals (overall, per product family, per store) of the latest successful run';


-- The options: forecast_horizon, forecast_grain, forecast_series.

CREATE OR REPLACE FUNCTION dm_mining_options(options jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    defaults constant jsonb := '{"k_min": 2, "k_max": 8, "quick_percent": 10, "contamination": 0.002,
        "n_trees": 100, "sample_size": 1024, "seed": 42, "top_lines": 100, "rfm_scheme": "default",
        "as_of": null, "cluster_features": null, "histogram_bins": 20, "profile_top_n": 5,
        "silhouette_sample": 10000, "breakdown_rows": 100, "histogram_rule": "auto",
        "forecast_horizon": 12, "forecast_grain": "month", "forecast_series": 20}';
    ranges constant jsonb := '{"k_min": [2, 50], "k_max": [2, 50], "n_trees": [1, 10000],
        "sample_size": [2, 100000], "seed": [0, 2147483647], "top_lines": [0, 100000],
        "histogram_bins": [1, 1000], "profile_top_n": [0, 1000], "silhouette_sample": [100, 100000],
        "breakdown_rows": [1, 1000000], "forecast_horizon": [1, 120], "forecast_series": [1, 1000]}';
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
    IF NOT merged->>'forecast_grain' IN ('week', 'month', 'quarter') THEN
        RAISE EXCEPTION 'mining option "forecast_grain" must be "week", "month" or "quarter", got %', merged->'forecast_grain'
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


-- The sales copy is kept for the forecast step.

CREATE OR REPLACE FUNCTION dm_step_trends(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    m jsonb := ctx->'mapping';
    sales jsonb;
    rel regclass;
    t jsonb;
    n_series bigint;
    n_seasonality bigint;
    n_heatmap bigint;
BEGIN
    sales := @extschema@.dm_pipeline_sales(ctx, ARRAY(SELECT jsonb_array_elements_text(ctx->'steps')) && ARRAY['breakdowns', 'forecast']);
    rel := ('pg_temp.' || @extschema@.dm_pipeline_sales_name(run))::regclass;
    t := @extschema@.dm_trends(rel, 'day', 'amount', 'order_key', 'customer_key',
                               CASE WHEN m->>'quantity_column' IS NOT NULL THEN 'quantity' END,
                               CASE WHEN m->>'time_type' <> 'date' THEN 'hour' END);
    IF jsonb_array_length(t->'series') = 0 THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount'
            USING ERRCODE = 'no_data_found', DETAIL = format('skipped: %s', sales->'skipped');
    END IF;
    INSERT INTO @extschema@.result_trends
        (run_id, grain, period_start, days, revenue, lines, orders, customers, quantity, trend, growth_prev, growth_year)
    SELECT run, s.period_grain, s.period_start, s.days, s.revenue, s.lines, s.orders, s.customers, s.quantity,
           s.trend, s.growth_prev, s.growth_year
    FROM jsonb_to_recordset(t->'series') AS s(period_grain text, period_start date, days int, revenue float8,
                                              lines bigint, orders bigint, customers bigint, quantity float8,
                                              trend float8, growth_prev float8, growth_year float8);
    GET DIAGNOSTICS n_series = ROW_COUNT;
    INSERT INTO @extschema@.result_seasonality
        (run_id, measure, cycle, "position", label, seasonal_index, strength, observations)
    SELECT run, z.measure, z.cycle, z.position, z.label, z.seasonal_index, z.strength, z.observations
    FROM jsonb_to_recordset(t->'seasonality') AS z(measure text, cycle text, "position" int, label text,
                                                   seasonal_index float8, strength float8, observations int);
    GET DIAGNOSTICS n_seasonality = ROW_COUNT;
    INSERT INTO @extschema@.result_heatmap (run_id, isodow, day_name, hour, revenue, lines, orders, revenue_share)
    SELECT run, h.isodow, h.day_name, h.hour, h.revenue, h.lines, h.orders, h.revenue_share
    FROM jsonb_to_recordset(t->'heatmap') AS h(isodow int, day_name text, hour int, revenue float8, lines bigint,
                                               orders bigint, revenue_share float8);
    GET DIAGNOSTICS n_heatmap = ROW_COUNT;
    RETURN jsonb_build_object('rows', n_series, 'details', jsonb_build_object(
        'periods', (SELECT jsonb_object_agg(grain, n) FROM (SELECT grain, count(*) AS n FROM @extschema@.result_trends
                                                            WHERE run_id = run GROUP BY grain) g),
        'seasonality_rows', n_seasonality, 'heatmap_cells', n_heatmap,
        'read_fact_table', (sales->>'made')::boolean,
        'skipped', COALESCE(sales->'skipped', '"see the trends step"'::jsonb)));
END
$$;

CREATE OR REPLACE FUNCTION dm_step_breakdowns(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    m jsonb := ctx->'mapping';
    keep int := (ctx->'options'->>'breakdown_rows')::int;
    dims text[] := @extschema@.dm_pipeline_dimension_columns(m);
    sales jsonb;
    rel regclass;
    specs jsonb := '[]';
    dim_names text[] := '{}';
    attr_names text[] := '{}';
    left_out jsonb := '[]';
    d jsonb;
    a text;
    n bigint;
    forecast_next boolean;
BEGIN
    forecast_next := 'forecast' = ANY (ARRAY(SELECT jsonb_array_elements_text(ctx->'steps')));
    sales := @extschema@.dm_pipeline_sales(ctx, forecast_next);
    rel := ('pg_temp.' || @extschema@.dm_pipeline_sales_name(run))::regclass;
    -- The breakdowns: dimension k is named k here, its names kept in dim_names / attr_names.
    IF m->>'product_column' IS NOT NULL THEN
        specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, m->>'product_column'));
        dim_names := dim_names || 'product'::text;
        attr_names := attr_names || (m->>'product_column');
    END IF;
    IF m->>'store_column' IS NOT NULL THEN
        specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, m->>'store_column'));
        dim_names := dim_names || 'store'::text;
        attr_names := attr_names || (m->>'store_column');
    END IF;
    specs := specs || jsonb_build_object('column', 'customer_key');
    dim_names := dim_names || 'customer'::text;
    attr_names := attr_names || (m->>'customer_column');
    FOR d IN SELECT e FROM jsonb_array_elements(m->'dimensions') AS e LOOP
        FOR a IN SELECT jsonb_array_elements_text(d->'attributes') LOOP
            IF jsonb_array_length(specs) = 20 THEN  -- dm_breakdowns' limit
                left_out := left_out || jsonb_build_object('dimension', d->>'name', 'attribute', a);
                CONTINUE;
            END IF;
            specs := specs || jsonb_build_object('column', 'dim_' || array_position(dims, d->>'column'),
                                                 'table', d->>'table', 'key', d->>'key', 'attribute', a);
            dim_names := dim_names || (d->>'name');
            attr_names := attr_names || a;
        END LOOP;
    END LOOP;
    SELECT jsonb_agg(s || jsonb_build_object('name', i::text) ORDER BY i) INTO specs
    FROM jsonb_array_elements(specs) WITH ORDINALITY AS e(s, i);

    CREATE TEMP TABLE dm_pipeline_breakdowns ON COMMIT DROP AS
    SELECT b.dimension::int AS k, b.* FROM @extschema@.dm_breakdowns(rel, 'amount', specs, 'day', 'customer_key', 'month') b;
    IF NOT EXISTS (SELECT FROM pg_temp.dm_pipeline_breakdowns) THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount'
            USING ERRCODE = 'no_data_found', DETAIL = format('skipped: %s', sales->'skipped');
    END IF;
    INSERT INTO @extschema@.result_breakdowns
        (run_id, dimension, attribute, value, revenue, lines, customers, share, cumulative_share, "rank", growth, abc_class)
    SELECT run, dim_names[b.k], attr_names[b.k], b.value, b.revenue, b.lines, b.customers, b.share, b.cumulative_share,
           b.rank, b.growth, b.abc_class
    FROM pg_temp.dm_pipeline_breakdowns b
    WHERE b.rank <= keep;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO @extschema@.result_concentration
        (run_id, dimension, attribute, items, revenue, gini, top20_share, a_items, b_items, c_items, a_share)
    SELECT run, dim_names[b.k], attr_names[b.k], count(*), sum(b.revenue), @extschema@.dm_gini(array_agg(b.revenue)),
           @extschema@.dm_top_share(array_agg(b.revenue), 0.2), count(*) FILTER (WHERE b.abc_class = 'A'),
           count(*) FILTER (WHERE b.abc_class = 'B'), count(*) FILTER (WHERE b.abc_class = 'C'),
           COALESCE(sum(b.share) FILTER (WHERE b.abc_class = 'A'), 0)
    FROM pg_temp.dm_pipeline_breakdowns b
    GROUP BY b.k;
    DROP TABLE pg_temp.dm_pipeline_breakdowns;
    IF NOT forecast_next THEN
        EXECUTE format('DROP TABLE %s', rel);  -- else the forecast step drops it
    END IF;
    RETURN jsonb_build_object('rows', n, 'details', jsonb_build_object(
        'breakdowns', (SELECT jsonb_agg(jsonb_build_object('dimension', dim_names[i], 'attribute', attr_names[i]) ORDER BY i)
                       FROM generate_subscripts(dim_names, 1) AS i),
        'rows_kept_per_breakdown', keep, 'left_out', left_out,
        'read_fact_table', (sales->>'made')::boolean,
        'skipped', COALESCE(sales->'skipped', '"see the trends step"'::jsonb)));
END
$$;


-- The forecast step.

-- The revenue per period of every series, in pg_temp.dm_pipeline_forecast_points (dropped at
-- commit): (dimension, attribute, value, i, period_start, revenue), i = 1 .. n in time order, the
-- periods without a sale filled with 0 from the series' first sale to the last period. The first
-- and last periods are left out when the data covers them only in part (a partial period looks
-- like a drop). Returns {first_period, last_period, family_attribute, not_mapped: [{dimension,
-- reason}], periods_left_out, values_left_out}.
CREATE FUNCTION dm_pipeline_forecast_points(ctx jsonb, sales regclass, grain text) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m jsonb := ctx->'mapping';
    top int := (ctx->'options'->>'forecast_series')::int;
    dims text[] := @extschema@.dm_pipeline_dimension_columns(m);
    step interval := CASE grain WHEN 'week' THEN '7 days' WHEN 'month' THEN '1 month' ELSE '3 months' END;
    first_day date;
    last_day date;
    p0 date;
    p1 date;
    left_out jsonb := '[]';
    skipped jsonb := '[]';
    beyond_top jsonb;
    product jsonb;
    family text;
    -- The lines of each series, over the sales copy (named by the placeholder @sales@).
    parts text[] := ARRAY['SELECT ''total''::text AS dimension, ''revenue''::text AS attribute, ''''::text AS value, day, amount FROM @sales@'];
    lines text;
BEGIN
    EXECUTE format('SELECT min(day), max(day) FROM %s', sales) INTO first_day, last_day;
    IF first_day IS NULL THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount' USING ERRCODE = 'no_data_found';
    END IF;
    p0 := date_trunc(grain, first_day)::date;
    p1 := date_trunc(grain, last_day)::date;
    -- A period is whole when the data reaches its first day (+1: a shop closed on Sundays) and its
    -- last day (-1).
    IF first_day > p0 + 1 THEN
        left_out := left_out || jsonb_build_object('period_start', p0, 'reason', format('partial: the data starts on %s', first_day));
        p0 := (p0 + step)::date;
    END IF;
    IF last_day < (p1 + step)::date - 2 THEN
        left_out := left_out || jsonb_build_object('period_start', p1, 'reason', format('partial: the data ends on %s', last_day));
        p1 := (p1 - step)::date;
    END IF;
    -- Product family: the first attribute of the product dimension.
    IF m->>'product_column' IS NULL THEN
        skipped := skipped || jsonb_build_object('dimension', 'product', 'reason', 'no product column mapped');
    ELSE
        SELECT d INTO product FROM jsonb_array_elements(COALESCE(m->'dimensions', '[]')) AS d
        WHERE d->>'column' = m->>'product_column' AND jsonb_array_length(d->'attributes') > 0 LIMIT 1;
        IF product IS NULL THEN
            skipped := skipped || jsonb_build_object('dimension', 'product',
                                                     'reason', 'no product dimension with an attribute (family) mapped');
        ELSE
            family := product->'attributes'->>0;
            EXECUTE format('CREATE TEMP TABLE dm_pipeline_forecast_family ON COMMIT DROP AS
                            SELECT DISTINCT ON (k) %I::text AS k, %I::text AS v FROM %s WHERE %1$I IS NOT NULL',
                           product->>'key', family, product->>'table');
            ANALYZE pg_temp.dm_pipeline_forecast_family;
            parts := parts || format('SELECT ''product'', %L, f.v, s.day, s.amount FROM @sales@ s
                                      JOIN pg_temp.dm_pipeline_forecast_family f ON f.k = s.dim_%s::text',
                                     family, array_position(dims, m->>'product_column'));
        END IF;
    END IF;
    IF m->>'store_column' IS NULL THEN
        skipped := skipped || jsonb_build_object('dimension', 'store', 'reason', 'no store column mapped');
    ELSE
        parts := parts || format('SELECT ''store'', %L, dim_%s::text, day, amount FROM @sales@ WHERE dim_%2$s IS NOT NULL',
                                 m->>'store_column', array_position(dims, m->>'store_column'));
    END IF;
    lines := replace(array_to_string(parts, ' UNION ALL '), '@sales@', sales::text);
    -- Per period, the top values per dimension, zeros filled, then numbered.
    EXECUTE format($q$
        CREATE TEMP TABLE dm_pipeline_forecast_points ON COMMIT DROP AS
        WITH lines AS (%1$s),
        sums AS (
            SELECT dimension, attribute, value, date_trunc(%2$L, day)::date AS period_start, sum(amount) AS revenue
            FROM lines WHERE day >= %3$L AND day < (%4$L::date + %5$L::interval) GROUP BY 1, 2, 3, 4),
        ranked AS (
            SELECT dimension, attribute, value, min(period_start) AS since,
                   row_number() OVER (PARTITION BY dimension ORDER BY sum(revenue) DESC, value) AS r
            FROM sums GROUP BY 1, 2, 3),
        filled AS (
            SELECT k.dimension, k.attribute, k.value, p::date AS period_start, COALESCE(s.revenue, 0)::float8 AS revenue
            FROM ranked k
            CROSS JOIN LATERAL generate_series(k.since, %4$L::date, %5$L::interval) AS p
            LEFT JOIN sums s ON (s.dimension, s.attribute, s.value, s.period_start) = (k.dimension, k.attribute, k.value, p::date)
            WHERE k.r <= %6$s)
        SELECT *, row_number() OVER (PARTITION BY dimension, attribute, value ORDER BY period_start)::bigint AS i
        FROM filled
        $q$, lines, grain, p0, p1, step, top);
    -- The values left out (beyond the top), per dimension.
    EXECUTE format($q$
        SELECT COALESCE(jsonb_agg(jsonb_build_object('dimension', dimension, 'values_left_out', n) ORDER BY dimension), '[]') FROM (
            SELECT dimension, count(DISTINCT value) - %2$s AS n FROM (%1$s) l GROUP BY 1 HAVING count(DISTINCT value) > %2$s) s
        $q$, lines, top) INTO beyond_top;
    RETURN jsonb_build_object('first_period', p0, 'last_period', p1, 'family_attribute', family, 'not_mapped', skipped,
                              'periods_left_out', left_out, 'values_left_out', beyond_top);
END
$$;
COMMENT ON FUNCTION dm_pipeline_forecast_points(jsonb, regclass, text) IS
    'pipeline internal: the revenue per period of the series of the forecast step (total, product family, store) in a temporary table';

-- Every series in one GROUP BY (period index as time, the season length of the grain); when a
-- series fails (a defect in the data dm_forecast refuses), one series at a time, the failing ones
-- named in the details. A run with no series of 3 whole periods succeeds with no rows.
CREATE FUNCTION dm_step_forecast(ctx jsonb) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
DECLARE
    run bigint := (ctx->>'run_id')::bigint;
    grain text := COALESCE(ctx->'options'->>'forecast_grain', 'month');
    horizon int := COALESCE((ctx->'options'->>'forecast_horizon')::int, 12);
    grain_step interval;
    period int;
    opts jsonb;
    sales jsonb;
    rel regclass;
    points jsonb;
    n bigint := 0;
    too_short jsonb;
    failed jsonb := '[]';
    s record;
    e_message text;
BEGIN
    period := CASE grain WHEN 'week' THEN 52 WHEN 'month' THEN 12 ELSE 4 END;
    grain_step := CASE grain WHEN 'week' THEN interval '7 days' WHEN 'month' THEN interval '1 month' ELSE interval '3 months' END;
    opts := jsonb_build_object('period', period, 'nonnegative', true);
    sales := @extschema@.dm_pipeline_sales(ctx, false);
    rel := ('pg_temp.' || @extschema@.dm_pipeline_sales_name(run))::regclass;
    points := @extschema@.dm_pipeline_forecast_points(ctx, rel, grain);
    -- A series of fewer than 3 periods gives no forecast worth showing.
    SELECT COALESCE(jsonb_agg(jsonb_build_object('dimension', dimension, 'value', value, 'periods', k)
                              ORDER BY dimension, value), '[]') INTO too_short
    FROM (SELECT dimension, value, count(*) AS k FROM pg_temp.dm_pipeline_forecast_points GROUP BY 1, 2 HAVING count(*) < 3) s;
    DELETE FROM pg_temp.dm_pipeline_forecast_points p
    WHERE (p.dimension, p.value) IN (SELECT e->>'dimension', e->>'value' FROM jsonb_array_elements(too_short) AS e);
    -- Two seasons of history but not three: AICc seldom affords the season's parameters, so the
    -- season seen twice is kept with ETS(A,N,A) (additive: zero periods allowed; 10 points beyond
    -- the season for its parameters); else auto.
    ALTER TABLE pg_temp.dm_pipeline_forecast_points ADD COLUMN model jsonb;
    UPDATE pg_temp.dm_pipeline_forecast_points p
    SET model = jsonb_build_object('model', CASE WHEN c.n >= 2 * period AND c.n < 3 * period AND c.n >= period + 10
                                                    THEN 'ETS(A,N,A)' ELSE 'auto' END)
    FROM (SELECT dimension, attribute, value, count(*) AS n FROM pg_temp.dm_pipeline_forecast_points GROUP BY 1, 2, 3) c
    WHERE (p.dimension, p.attribute, p.value) = (c.dimension, c.attribute, c.value);
    IF EXISTS (SELECT FROM pg_temp.dm_pipeline_forecast_points) THEN
        BEGIN
            CREATE TEMP TABLE dm_pipeline_forecasts ON COMMIT DROP AS
            SELECT dimension, attribute, value, max(period_start) AS last_period,
                   @extschema@.dm_forecast(i, revenue, horizon, opts || model) AS fc
            FROM pg_temp.dm_pipeline_forecast_points
            GROUP BY 1, 2, 3;
        EXCEPTION WHEN OTHERS THEN
            CREATE TEMP TABLE dm_pipeline_forecasts ON COMMIT DROP AS
            SELECT dimension, attribute, value, max(period_start) AS last_period,
                   @extschema@.dm_forecast(i, revenue, horizon, opts || model) AS fc
            FROM pg_temp.dm_pipeline_forecast_points
            GROUP BY 1, 2, 3
            WITH NO DATA;
            FOR s IN SELECT DISTINCT dimension, attribute, value FROM pg_temp.dm_pipeline_forecast_points ORDER BY 1, 2, 3 LOOP
                BEGIN
                    INSERT INTO pg_temp.dm_pipeline_forecasts
                    SELECT s.dimension, s.attribute, s.value, max(period_start), @extschema@.dm_forecast(i, revenue, horizon, opts || model)
                    FROM pg_temp.dm_pipeline_forecast_points p
                    WHERE (p.dimension, p.attribute, p.value) = (s.dimension, s.attribute, s.value);
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT;
                    failed := failed || jsonb_build_object('dimension', s.dimension, 'value', s.value, 'error', e_message);
                END;
            END LOOP;
        END;
        INSERT INTO @extschema@.result_forecasts
            (run_id, dimension, attribute, value, grain, period_start, step, actual, model)
        SELECT run, p.dimension, p.attribute, p.value, grain, p.period_start,
               (p.i - max(p.i) OVER (PARTITION BY p.dimension, p.attribute, p.value))::int, p.revenue,
               @extschema@.dm_forecast_info(f.fc)->>'method'
        FROM pg_temp.dm_pipeline_forecast_points p
        JOIN pg_temp.dm_pipeline_forecasts f USING (dimension, attribute, value);
        INSERT INTO @extschema@.result_forecasts
            (run_id, dimension, attribute, value, grain, period_start, step, point, lo80, hi80, lo95, hi95, model)
        SELECT run, f.dimension, f.attribute, f.value, grain, (f.last_period + x.step * grain_step)::date,
               x.step, x.point, x.lo80, x.hi80, x.lo95, x.hi95, @extschema@.dm_forecast_info(f.fc)->>'method'
        FROM pg_temp.dm_pipeline_forecasts f, @extschema@.dm_forecast_points(f.fc) AS x;
        GET DIAGNOSTICS n = ROW_COUNT;
        DROP TABLE pg_temp.dm_pipeline_forecasts;
    END IF;
    DROP TABLE pg_temp.dm_pipeline_forecast_points;
    EXECUTE format('DROP TABLE %s', rel);
    RETURN jsonb_build_object('rows', n, 'details', points || jsonb_build_object(
        'grain', grain, 'horizon', horizon, 'period', period,
        'series', COALESCE((SELECT jsonb_object_agg(dimension, k) FROM (SELECT dimension, count(DISTINCT value) AS k
                   FROM @extschema@.result_forecasts WHERE run_id = run GROUP BY 1) s), '{}'),
        'models', COALESCE((SELECT jsonb_object_agg(model, k) FROM (SELECT model, count(DISTINCT (dimension, value)) AS k
                   FROM @extschema@.result_forecasts WHERE run_id = run AND step = 1 GROUP BY 1) s), '{}'),
        'too_short', too_short, 'failed', failed,
        'read_fact_table', (sales->>'made')::boolean,
        'skipped', COALESCE(sales->'skipped', '"see the trends step"'::jsonb)));
END
$$;

COMMENT ON FUNCTION dm_step_forecast(jsonb) IS 'pipeline internal: the forecast step of run_mining';
REVOKE EXECUTE ON FUNCTION dm_step_forecast(jsonb) FROM PUBLIC;


-- run_mining with the forecast step.

CREATE OR REPLACE PROCEDURE run_mining(
    config_name text DEFAULT NULL,
    mode text DEFAULT 'full',
    steps text[] DEFAULT NULL,
    fact_table text DEFAULT NULL,
    customer_column text DEFAULT NULL,
    order_column text DEFAULT NULL,
    time_column text DEFAULT NULL,
    amount_column text DEFAULT NULL,
    quantity_column text DEFAULT NULL,
    line_column text DEFAULT NULL,
    extra_features text[] DEFAULT NULL,
    options jsonb DEFAULT NULL,
    INOUT run_id bigint DEFAULT NULL,
    product_column text DEFAULT NULL,
    store_column text DEFAULT NULL,
    unit_price_column text DEFAULT NULL,
    dimensions jsonb DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    all_steps constant text[] := ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends',
                                       'breakdowns', 'forecast'];
    caller_path text;
    pinned text;
    v_config text;
    v_mode text;
    v_steps text[];
    v_options jsonb;
    v_run bigint;
    cfg @extschema@.mining_config;
    mapping jsonb;
    ctx jsonb;
    lock_key bigint;
    step_name text;
    needed text;
    pos int;
    n_steps int;
    t0 timestamptz;
    result jsonb;
    unavailable text[] := '{}';  -- steps failed, or skipped because of a failure
    failures text[] := '{}';
    failed_steps text[] := '{}';
    stop boolean := false;       -- cancelled, or the log cannot be written: no more steps
    e_message text;
    e_state text;
    e_detail text;
    e_hint text;
    f_message text;              -- the first failure, raised at the end
    f_state text;
    f_detail text;
    f_hint text;
BEGIN
    -- Fails here ("invalid transaction termination") when called inside a transaction block.
    COMMIT;
    caller_path := pg_catalog.current_setting('search_path');
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    v_config := config_name;
    v_mode := COALESCE(mode, 'full');
    n_steps := cardinality(all_steps);

    -- The configuration: given by name, or by a mapping (saved under config_name, by default the
    -- fact table's name).
    IF fact_table IS NOT NULL THEN
        v_config := COALESCE(v_config, fact_table);
        PERFORM @extschema@.dm_configure_mining(v_config, fact_table, customer_column, order_column, time_column,
                                                amount_column, quantity_column, line_column,
                                                COALESCE(extra_features, '{}'), COALESCE(options, '{}'), caller_path,
                                                product_column, store_column, unit_price_column, dimensions);
        options := NULL;
    ELSIF customer_column IS NOT NULL OR order_column IS NOT NULL OR time_column IS NOT NULL
          OR amount_column IS NOT NULL OR quantity_column IS NOT NULL OR line_column IS NOT NULL
          OR extra_features IS NOT NULL OR product_column IS NOT NULL OR store_column IS NOT NULL
          OR unit_price_column IS NOT NULL OR dimensions IS NOT NULL THEN
        RAISE EXCEPTION 'a column mapping needs fact_table'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give fact_table with the columns, or only the name of a configuration.';
    END IF;
    IF v_config IS NULL THEN
        RAISE EXCEPTION 'run_mining needs a configuration name or a fact_table with its columns'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'CALL dmine.run_mining(''name'') runs a configuration made with dmine.configure_mining(...).';
    END IF;
    SELECT * INTO cfg FROM @extschema@.mining_config c WHERE c.config_name = v_config;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'mining configuration "%" does not exist', v_config
            USING ERRCODE = 'undefined_object',
                  HINT = 'Create it with dmine.configure_mining(...) or pass fact_table and its columns; see dmine.mining_config.';
    END IF;
    mapping := @extschema@.dm_mining_mapping(cfg);
    v_options := @extschema@.dm_mining_options(cfg.options || COALESCE(options, '{}'));

    IF v_mode NOT IN ('full', 'quick') THEN
        RAISE EXCEPTION 'mode must be ''full'' or ''quick'', got "%"', v_mode USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF steps IS NULL THEN
        v_steps := all_steps;
    ELSE
        IF cardinality(steps) = 0 THEN
            RAISE EXCEPTION 'steps must not be empty' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOREACH step_name IN ARRAY steps LOOP
            IF step_name IS NULL OR NOT step_name = ANY (all_steps) THEN
                RAISE EXCEPTION 'unknown step "%"', step_name
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Steps: ' || array_to_string(all_steps, ', ') || '.';
            END IF;
        END LOOP;
        v_steps := ARRAY(SELECT s FROM unnest(all_steps) WITH ORDINALITY AS a(s, i) WHERE s = ANY (steps) ORDER BY i);
        IF 'clustering' = ANY (v_steps) AND NOT 'features' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "clustering" needs step "features" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF 'cluster_profiles' = ANY (v_steps) AND NOT 'clustering' = ANY (v_steps) THEN
            RAISE EXCEPTION 'step "cluster_profiles" needs step "clustering" in the same run' USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    -- Claim the configuration (a session advisory lock, kept across the commits) and log the run.
    BEGIN
        lock_key := @extschema@.dm_run_claim(v_config);
        INSERT INTO @extschema@.runs (config_name, mode, steps, status, warehouse, parameters, backend_pid)
        VALUES (v_config, v_mode, v_steps, 'running', mapping,
                v_options || jsonb_build_object('sample_percent',
                                                CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END),
                pg_backend_pid())
        RETURNING runs.run_id INTO v_run;
        UPDATE @extschema@.run_claims c SET run_id = v_run WHERE c.config_name = v_config;
        ctx := jsonb_build_object('run_id', v_run, 'mapping', mapping, 'options', v_options, 'mode', v_mode, 'steps', v_steps,
                                  'sample_percent', CASE WHEN v_mode = 'quick' THEN v_options->'quick_percent' END);
        ctx := ctx || jsonb_build_object('source', @extschema@.dm_pipeline_source(ctx));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.dm_run_unlock(lock_key);
        PERFORM @extschema@.dm_run_raise(e_message, e_state, e_detail, e_hint);
    END;
    COMMIT;

    -- search_path is pinned again first thing after every COMMIT. PL/pgSQL serves interrupts at
    -- the start of every statement, so a cancel that comes during a COMMIT ends the CALL at the
    -- next statement, outside any exception block: that session is then idle, which ends its
    -- claim (dm_run_claim_alive), and its next claim releases its lock (dmine_run.lock_key).
    FOR i IN 1 .. n_steps LOOP  -- (no expression here: it runs before the path is pinned)
        BEGIN
            pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            pos := i;
            step_name := all_steps[pos];
            e_message := NULL;
            t0 := NULL;
            -- clustering needs features, cluster_profiles needs clustering; the others stand alone.
            needed := CASE step_name WHEN 'clustering' THEN 'features' WHEN 'cluster_profiles' THEN 'clustering' END;
            IF NOT step_name = ANY (v_steps) OR needed = ANY (unavailable) THEN
                IF step_name = ANY (v_steps) THEN
                    unavailable := unavailable || step_name;
                END IF;
                PERFORM @extschema@.dm_run_steps_skipped(v_run, ARRAY[step_name], pos,
                    CASE WHEN step_name = ANY (v_steps) THEN format('step %s failed', needed) ELSE 'not selected' END);
            ELSE
                t0 := clock_timestamp();
                INSERT INTO @extschema@.run_steps (run_id, step, position, status, started_at)
                VALUES (v_run, step_name, pos, 'running', t0);
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                    e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            pos := i;
            step_name := all_steps[i];
        END;
        IF e_message IS NULL AND t0 IS NOT NULL THEN
            COMMIT;
            BEGIN
                pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
                -- The step's as_of may have been set by the features step.
                ctx := jsonb_set(ctx, '{options,as_of}',
                                 COALESCE((SELECT r.parameters->'as_of' FROM @extschema@.runs r WHERE r.run_id = v_run), 'null'));
                EXECUTE format('SELECT @extschema@.dm_step_%s($1)', step_name) INTO result USING ctx;
                UPDATE @extschema@.run_steps s
                SET status = 'succeeded', finished_at = clock_timestamp(),
                    duration_ms = 1000 * extract(epoch FROM clock_timestamp() - t0),
                    rows = (result->>'rows')::bigint, details = result->'details'
                WHERE s.run_id = v_run AND s.step = step_name;
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                        e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
            END;
        END IF;
        IF e_message IS NOT NULL THEN
            -- The step failed (its work is rolled back) or could not be logged.
            BEGIN
                failed_steps := failed_steps || step_name;
                unavailable := unavailable || step_name;
                failures := failures || format('step %s failed: %s', step_name, e_message);
                IF f_message IS NULL THEN
                    f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
                END IF;
                stop := e_state = '57014';  -- a cancel or statement_timeout stops the run
                PERFORM @extschema@.dm_run_step_failed(v_run, step_name, pos, t0, e_message, e_state, e_detail);
            EXCEPTION WHEN OTHERS OR query_canceled THEN
                stop := true;  -- the log cannot be written (a lock_timeout, a cancel): give up
            END;
        END IF;
        EXIT WHEN stop;
        COMMIT;
    END LOOP;

    -- The outcome, then the claim released: each guarded on its own.
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_finished(v_run, CASE WHEN cardinality(failures) = 0 THEN 'succeeded' ELSE 'failed' END,
                                           NULLIF(array_to_string(failures, '; '), ''));
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_state = RETURNED_SQLSTATE,
                                e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
        IF f_message IS NULL THEN
            f_message := e_message; f_state := e_state; f_detail := e_detail; f_hint := e_hint;
            failed_steps := ARRAY['(the run log)'];
        END IF;
    END;
    IF stop THEN
        BEGIN
            PERFORM @extschema@.dm_run_steps_skipped(v_run, all_steps[pos + 1:], pos + 1, 'the run was stopped');
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            NULL;  -- the run's status says it; the steps stay as they are
        END;
    END IF;
    COMMIT;
    BEGIN
        pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        PERFORM @extschema@.dm_run_release(v_config, lock_key);
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        PERFORM @extschema@.dm_run_unlock(lock_key);  -- the claim row stays, and is dead without the lock
    END;
    COMMIT;
    pinned := pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);

    IF f_message IS NOT NULL THEN
        PERFORM @extschema@.dm_run_raise(
            format('mining run %s (configuration "%s") failed at step%s %s: %s', v_run, v_config,
                   CASE WHEN cardinality(failed_steps) > 1 THEN 's' ELSE '' END, array_to_string(failed_steps, ', '),
                   CASE WHEN cardinality(failures) > 1 THEN array_to_string(failures, '; ') ELSE f_message END),
            f_state, f_detail, f_hint);
    END IF;
    run_id := v_run;
END
$$;

COMMENT ON PROCEDURE run_mining(text, text, text[], text, text, text, text, text, text, text, text[], jsonb, bigint, text, text, text, jsonb) IS
    'runs the mining pipeline (profile, features, clustering, cluster_profiles, anomalies, rfm, trends, breakdowns, forecast) on a configuration or a mapping; mode full or quick; commits after every step; returns the run id';
