-- Forecasting: dm_forecast on index, date, timestamp and timestamptz times, the accessors, the
-- forecast type's text and binary forms, every bad-input path with its SQLSTATE, GROUP BY and
-- parallel plans, and the demo warehouse's planted seasonality in the revenue forecast.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(56);

-- A seasonal monthly series with trend (period 12), in four time types, and a short one.
CREATE TEMP TABLE s AS
SELECT i::bigint AS t, (date '2019-01-01' + make_interval(months => i - 1))::date AS d,
       100 + 20 * sin(2 * pi() * i / 12) + 0.5 * i + 2 * sin(i * 7.3) AS y
FROM generate_series(1, 60) AS i;
CREATE TEMP TABLE f AS
SELECT dm_forecast(t, y, 12, '{"period": 12}') AS fi,
       dm_forecast(d, y, 12) AS fd,
       dm_forecast(d::timestamp, y, 12) AS fts,
       dm_forecast(d::timestamptz, y, 12) AS ftz
FROM s;

SELECT is((SELECT count(*)::int FROM f, dm_forecast_points(fi)), 12, 'twelve steps');
SELECT ok((SELECT bool_and(period_start IS NULL AND period_index = 60 + step) FROM f, dm_forecast_points(fi)),
          'an index forecast has period indexes and no period starts');
SELECT is((SELECT period_start FROM f, dm_forecast_points(fd) WHERE step = 1), '2024-01-01'::timestamptz,
          'a monthly date series continues with the next month');
SELECT is((SELECT dm_forecast_info(fd)->>'grain' FROM f), 'month', 'grain month inferred from dates');
SELECT is((SELECT (dm_forecast_info(fd)->>'period')::int FROM f), 12, 'period 12 from the month grain');
SELECT is((SELECT dm_forecast_info(fd)->>'method' FROM f), (SELECT dm_forecast_info(fts)->>'method' FROM f),
          'date and timestamp times give the same model');
SELECT ok((SELECT dm_forecast_info(fd)->>'method' FROM f) ~ '^ETS\([AM],A?d?,[AM]\)$', 'a seasonal ETS model is chosen');
SELECT ok((SELECT bool_and(lo95 < lo80 AND lo80 < point AND point < hi80 AND hi80 < hi95) FROM f, dm_forecast_points(fd)),
          'intervals are nested around the point');
SELECT ok((SELECT corr(p.point, 20 * sin(2 * pi() * (60 + p.step) / 12)) FROM f, dm_forecast_points(fd) p) > 0.9,
          'the forecast follows the season');
SELECT is((SELECT count(*)::int FROM f, dm_forecast_fitted(fd)), 60, 'one fitted row per period');
SELECT ok((SELECT (dm_forecast_info(fd)->>'mase')::float8 < 1 FROM f), 'in-sample MASE below the seasonal naive');
SELECT ok((SELECT dm_forecast_info(fd) ?& ARRAY['model', 'method', 'params', 'aicc', 'sigma', 'fitted_length', 'mase'] FROM f),
          'info has model, method, params, aicc, sigma, fitted_length, mase');

-- Text and binary forms round-trip exactly.
SELECT ok((SELECT fd::text::forecast::text = fd::text FROM f), 'text form round-trips');
SELECT ok((SELECT forecast_send(fd) = forecast_send(fd::text::forecast) FROM f), 'binary form unchanged by a text round-trip');

-- Models by name, points in any order, levels.
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 3, '{"period": 12, "model": "ETS(A,Ad,M)"}'))->>'method' FROM s),
          'ETS(A,Ad,M)', 'a named ETS model');
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 3, '{"model": "theta"}'))->>'method' FROM s), 'Theta', 'theta');
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 3, '{"model": "naive"}'))->>'method' FROM s), 'naive', 'naive');
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 3, '{"period": 12, "model": "combination"}'))->>'method' FROM s),
          'combination', 'combination');
SELECT is((SELECT dm_forecast(t, y, 12, '{"period": 12}')::text FROM (SELECT * FROM s ORDER BY random()) x),
          (SELECT fi::text FROM f), 'points in any order give the same forecast');
SELECT is((SELECT array_agg(level ORDER BY level) FROM (SELECT dm_forecast(t, y, 1, '{"levels": [50, 99]}') x FROM s) q,
           dm_forecast_intervals(x)), ARRAY[50, 99]::float8[], 'levels option');
SELECT ok((SELECT bool_and(lo80 IS NULL AND lo95 IS NULL) FROM (SELECT dm_forecast(t, y, 2, '{"levels": [90]}') x FROM s) q,
           dm_forecast_points(x)), 'lo80/lo95 are NULL without those levels');

-- Intermittent demand, nonnegative, grain and zero filling, short series.
CREATE TEMP TABLE demand AS SELECT i::bigint AS t, CASE WHEN i % 4 = 0 THEN 5 + i % 3 ELSE 0 END::float8 AS y
FROM generate_series(1, 40) AS i;
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 4))->>'method' FROM demand), 'SBA', 'intermittent demand: SBA');
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 4, '{"model": "tsb"}'))->>'method' FROM demand), 'TSB', 'tsb');
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 4, '{"model": "croston"}'))->>'method' FROM demand), 'Croston', 'croston');
SELECT ok((SELECT bool_and(lo95 >= 0) FROM (SELECT dm_forecast(t, y, 4, '{"nonnegative": true}') x FROM demand) q,
           dm_forecast_points(x)), 'nonnegative clips the bounds at 0');
SELECT is((SELECT (dm_forecast_info(dm_forecast(d, y, 2, '{"grain": "month"}'))->>'zero_filled')::int
           FROM (VALUES ('2024-01-15'::date, 1.0), ('2024-01-20', 2.0), ('2024-04-02', 3.0)) v(d, y)),
          2, 'missing months are filled with 0');
SELECT is((SELECT actual FROM (SELECT dm_forecast(d, y, 2, '{"grain": "month"}') x
           FROM (VALUES ('2024-01-15'::date, 1.0), ('2024-01-20', 2.0), ('2024-04-02', 3.0)) v(d, y)) q,
           dm_forecast_fitted(x) WHERE pos = 1), 3.0::float8, 'points of one month are summed');
SELECT is((SELECT dm_forecast_info(dm_forecast(t, y, 2))->>'method' FROM s WHERE t <= 4), 'naive',
          'auto on 4 periods: naive');
SELECT is((SELECT (dm_forecast_info(dm_forecast(t, y, 2, '{"max_history": 24}'))->>'fitted_length')::int FROM s), 24,
          'max_history keeps the last periods');
SELECT is((SELECT (dm_forecast_info(dm_forecast(t, y, 2))->>'nulls_skipped')::int
           FROM (SELECT t, CASE WHEN t % 10 = 0 THEN NULL ELSE y END AS y FROM s UNION ALL SELECT NULL, 1) x), 7,
          'rows with a NULL time or value are skipped and counted');
SELECT ok((SELECT dm_forecast(t, y, 2) FROM s WHERE false) IS NULL, 'no row: NULL');

-- Errors.
SELECT throws_ok($$SELECT dm_forecast(t, y, 0) FROM s$$, '22023', NULL, 'horizon 0');
SELECT throws_ok($$SELECT dm_forecast(t, y, -3) FROM s$$, '22023', NULL, 'negative horizon');
SELECT throws_ok($$SELECT dm_forecast(t, y, 1000000) FROM s$$, '22023', NULL, 'huge horizon');
SELECT throws_ok($$SELECT dm_forecast(t, y, NULL) FROM s$$, '22004', NULL, 'NULL horizon');
SELECT throws_ok($$SELECT dm_forecast(t, 'NaN'::float8, 2) FROM s$$, '22000', NULL, 'NaN value');
SELECT throws_ok($$SELECT dm_forecast(t, 'Infinity'::float8, 2) FROM s$$, '22000', NULL, 'infinite value');
SELECT throws_ok($$SELECT dm_forecast(1::bigint, y, 2) FROM s$$, '22000', NULL, 'duplicate period index');
SELECT throws_ok($$SELECT dm_forecast('infinity'::date, y, 2) FROM s$$, '22000', NULL, 'infinite date');
SELECT throws_ok($$SELECT dm_forecast(t, y - 200, 2, '{"model": "ETS(M,N,N)"}') FROM s$$, '22000',
                 'ETS(M,N,N) needs positive values, the series has zero or negative ones', 'negative values with a multiplicative model');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"model": "ETS(A,A,A)", "period": 12}') FROM s WHERE t <= 10$$, '22000',
                 'ETS(A,A,A) needs at least 21 periods, the series has 10', 'too few points for the model');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"model": "ETS(A,N,A)"}') FROM s$$, '22023', NULL, 'seasonal model without a period');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"min_history": 100}') FROM s$$, '22000', NULL, 'min_history');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"model": "arima"}') FROM s$$, '22023', NULL, 'unknown model');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"colour": 1}') FROM s$$, '22023', NULL, 'unknown option');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"grain": "month"}') FROM s$$, '22023', NULL, 'grain with an index time');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"levels": [100]}') FROM s$$, '22023', NULL, 'level 100');
SELECT throws_ok($$SELECT dm_forecast(t, y, 2, '{"period": 0}') FROM s$$, '22023', NULL, 'period 0');

-- Hostile text input of the type.
SELECT throws_ok($$SELECT 'nonsense'::forecast$$, '22P02', NULL, 'not JSON');
SELECT throws_ok($$SELECT '{}'::forecast$$, '22P02', NULL, 'empty object');
SELECT throws_ok($$SELECT replace(fd::text, '"period":12', '"period":0')::forecast FROM f$$, '22P02', NULL, 'period out of range');
SELECT throws_ok($$SELECT replace(fd::text, '"point":[', '"point":[1e400,')::forecast FROM f$$, '22P02', NULL, 'number out of range');
SELECT throws_ok($$SELECT regexp_replace(fd::text, '"point":\[[^]]*\]', '"point":[]')::forecast FROM f$$, '22P02', NULL, 'empty horizon');

-- The demo warehouse: monthly revenue keeps the planted month factors, per depot too (GROUP BY).
SELECT count(*) FROM create_demo_warehouse('fc_demo', scale => 0.05) \g /dev/null
SELECT ok((SELECT corr(p.point, s.factor) FROM (SELECT dm_forecast(sold_at, amount::float8, 12, '{"grain": "month"}') AS fc
           FROM fc_demo.sales_lines) q, dm_forecast_points(fc) p
           JOIN fc_demo.planted_seasonality s ON s.month = extract(month FROM p.period_start)) > 0.6,
          'the planted seasonality appears in the revenue forecast');
SELECT is((SELECT count(*)::int FROM (SELECT depot_id, dm_forecast(date_key, amount::float8, 3, '{"grain": "month"}') AS fc
           FROM fc_demo.sales_lines GROUP BY depot_id) q WHERE fc IS NOT NULL),
          (SELECT count(DISTINCT depot_id)::int FROM fc_demo.sales_lines), 'one forecast per depot');

-- A parallel plan (partial aggregates, serialised states, combined) gives the serial result.
CREATE TABLE fc_par AS SELECT g, i::bigint AS t, 50 + 10 * sin(i + g) + g AS y
FROM generate_series(1, 60) AS g, generate_series(1, 48) AS i;
ANALYZE fc_par;
CREATE TEMP TABLE serial_fc AS SELECT g, dm_forecast(t, y, 3)::text AS fc FROM fc_par GROUP BY g;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_hashagg = off;
SELECT is((SELECT count(*)::int FROM (SELECT g, dm_forecast(t, y, 3)::text AS fc FROM fc_par GROUP BY g) p
           JOIN serial_fc s USING (g) WHERE p.fc = s.fc), 60, 'parallel plan: same forecasts');

SELECT * FROM finish();
ROLLBACK;
