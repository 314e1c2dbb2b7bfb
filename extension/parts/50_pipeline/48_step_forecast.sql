-- Step: forecast. The revenue of the next forecast_horizon periods (grain forecast_grain: week,
-- month or quarter) with 80% and 95% intervals, overall, per product family (the first attribute
-- of the product dimension) and per store (the store column), by dm_forecast over the sales view of
-- the run (see 46_step_trends.sql): one GROUP BY fits every series. What the warehouse does not
-- map is left out and recorded in the step's details (not_mapped); per dimension, the forecast_series values
-- with the most revenue are forecast.

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
    -- The cells of the one read: period x product family x store (NULL when not mapped).
    family_sql text := 'NULL::boolean AS in_family, NULL::text AS family';
    family_join text := '';
    store_sql text := 'NULL::text AS store';
    parts text[] := ARRAY['SELECT ''total''::text AS dimension, ''revenue''::text AS attribute, ''''::text AS value, period_start, sum(revenue) AS revenue FROM pg_temp.dm_pipeline_forecast_cells GROUP BY period_start'];
    product_col text;
    ints regtype[] := ARRAY['int2', 'int4', 'int8']::regtype[];
    sort_setting text;
BEGIN
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
            product_col := 'dim_' || array_position(dims, m->>'product_column');
            -- The dimension joined in the read (no temporary table: parallel workers allowed), on
            -- integer keys as they are, else on their text.
            IF @extschema@.dm_base_type((SELECT atttypid FROM pg_attribute WHERE attrelid = sales AND attname = product_col))::regtype
                   = ANY (ints)
               AND @extschema@.dm_base_type((SELECT atttypid FROM pg_attribute WHERE attrelid = (product->>'table')::regclass
                                                 AND attname = product->>'key' AND NOT attisdropped))::regtype = ANY (ints) THEN
                family_join := format('LEFT JOIN (SELECT DISTINCT ON (%1$I) %1$I AS k, %2$I::text AS v, true AS hit FROM %3$s WHERE %1$I IS NOT NULL) f
                                       ON f.k = s.%4$I', product->>'key', family, product->>'table', product_col);
            ELSE
                family_join := format('LEFT JOIN (SELECT DISTINCT ON (k) %1$I::text AS k, %2$I::text AS v, true AS hit FROM %3$s WHERE %1$I IS NOT NULL) f
                                       ON f.k = s.%4$I::text', product->>'key', family, product->>'table', product_col);
            END IF;
            family_sql := 'f.hit AS in_family, f.v AS family';
            parts := parts || format('SELECT ''product'', %L, family, period_start, sum(revenue) FROM pg_temp.dm_pipeline_forecast_cells
                                      WHERE in_family GROUP BY family, period_start', family);
        END IF;
    END IF;
    IF m->>'store_column' IS NULL THEN
        skipped := skipped || jsonb_build_object('dimension', 'store', 'reason', 'no store column mapped');
    ELSE
        store_sql := format('s.dim_%s AS store', array_position(dims, m->>'store_column'));
        parts := parts || format('SELECT ''store'', %L, store::text, period_start, sum(revenue) FROM pg_temp.dm_pipeline_forecast_cells
                                  WHERE store IS NOT NULL GROUP BY store::text, period_start', m->>'store_column');
    END IF;
    -- One read of the lines (a CREATE TABLE AS: parallel workers allowed): the revenue per
    -- period, family and store, a few thousand cells from which every series is cut. The period
    -- comes from a calendar of the days of the lines (their range noted on the view), so that the
    -- planner sees few groups: it then aggregates in each worker, by hashing (sorts are turned
    -- off for this query only: it would sort the lines rather than hash them).
    SELECT (d->>'first_day')::date, (d->>'last_day')::date INTO first_day, last_day
    FROM CAST(obj_description(sales, 'pg_class') AS jsonb) AS d;
    IF first_day IS NULL THEN
        RAISE EXCEPTION 'no data: no sales line with a time and an amount' USING ERRCODE = 'no_data_found';
    END IF;
    sort_setting := current_setting('enable_sort');
    PERFORM set_config('enable_sort', 'off', true);
    EXECUTE format($q$
        CREATE TEMP TABLE dm_pipeline_forecast_cells ON COMMIT DROP AS
        SELECT c.period_start, %2$s, %3$s, sum(s.amount) AS revenue
        FROM %4$s s
        JOIN (SELECT d::date AS day, date_trunc(%1$L, d)::date AS period_start
              FROM generate_series(%6$L::timestamp, %7$L::timestamp, interval '1 day') AS d) c ON c.day = s.day
        %5$s
        GROUP BY 1, 2, 3, 4
        $q$, grain, family_sql, store_sql, sales, family_join, first_day, last_day);
    PERFORM set_config('enable_sort', sort_setting, true);
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
    -- The revenue per series and period (partial periods included, for the count of values).
    EXECUTE 'CREATE TEMP TABLE dm_pipeline_forecast_sums ON COMMIT DROP AS ' || array_to_string(parts, ' UNION ALL ');
    DROP TABLE pg_temp.dm_pipeline_forecast_cells;
    ANALYZE pg_temp.dm_pipeline_forecast_sums;
    -- Per period, the top values per dimension, zeros filled, then numbered.
    EXECUTE format($q$
        CREATE TEMP TABLE dm_pipeline_forecast_points ON COMMIT DROP AS
        WITH sums AS (
            SELECT * FROM pg_temp.dm_pipeline_forecast_sums WHERE period_start BETWEEN %1$L AND %2$L),
        ranked AS (
            SELECT dimension, attribute, value, min(period_start) AS since,
                   row_number() OVER (PARTITION BY dimension ORDER BY sum(revenue) DESC, value) AS r
            FROM sums GROUP BY 1, 2, 3),
        filled AS (
            SELECT k.dimension, k.attribute, k.value, p::date AS period_start, COALESCE(s.revenue, 0)::float8 AS revenue
            FROM ranked k
            CROSS JOIN LATERAL generate_series(k.since, %2$L::date, %3$L::interval) AS p
            LEFT JOIN sums s ON (s.dimension, s.attribute, s.value, s.period_start) = (k.dimension, k.attribute, k.value, p::date)
            WHERE k.r <= %4$s)
        SELECT *, row_number() OVER (PARTITION BY dimension, attribute, value ORDER BY period_start)::bigint AS i
        FROM filled
        $q$, p0, p1, step, top);
    -- The values left out (beyond the top), per dimension.
    SELECT COALESCE(jsonb_agg(jsonb_build_object('dimension', dimension, 'values_left_out', n) ORDER BY dimension), '[]')
    INTO beyond_top
    FROM (SELECT dimension, count(DISTINCT value) - top AS n FROM pg_temp.dm_pipeline_forecast_sums
          GROUP BY 1 HAVING count(DISTINCT value) > top) s;
    DROP TABLE pg_temp.dm_pipeline_forecast_sums;
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
    EXECUTE format('DROP VIEW %s', rel);
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
