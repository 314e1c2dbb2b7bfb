-- dm_forecast's state type, forecast_summary: a real type (not internal), the final function
-- needing only the state, exact text and binary round trips, combining equal to one pass, and
-- corrupted or hostile values refused with 22P02 (text) or 22P03 (binary), never XX000; on two
-- data shapes (an index series per group, the demo warehouse's dated sales by depot).
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(23);

SELECT is((SELECT count(DISTINCT a.aggtranstype::regtype::text)::int FROM pg_aggregate a
           JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.proname = 'dm_forecast'), 1, 'one state type for every dm_forecast');
SELECT is((SELECT DISTINCT a.aggtranstype::regtype::text FROM pg_aggregate a
           JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.proname = 'dm_forecast'), 'forecast_summary',
          'the state type is forecast_summary');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname = 'dm_forecast' AND a.aggcombinefn <> 0 AND NOT a.aggfinalextra
             AND a.aggserialfn = 0), 8, 'eight dm_forecast aggregates, each with a combine function, no serial function');

-- A state built outside an aggregate, and the same points through an aggregate.
CREATE AGGREGATE pg_temp.fc_state(bigint, float8, int, jsonb) (
    SFUNC = forecast_summary_add_index, STYPE = forecast_summary, COMBINEFUNC = forecast_summary_combine);
CREATE TEMP TABLE pts AS
SELECT g, i::bigint AS t, 100 + 10 * sin(2 * pi() * i / 12) + g * i * 0.3 AS y
FROM generate_series(1, 3) AS g, generate_series(1, 40) AS i;
CREATE TEMP TABLE st AS
SELECT g, pg_temp.fc_state(t, y, 6, '{"period": 12}') AS s, dm_forecast(t, y, 6, '{"period": 12}') AS fc
FROM pts GROUP BY g;
SELECT is((SELECT count(*)::int FROM st WHERE dm_summary_forecast(s)::text = fc::text), 3,
          'dm_summary_forecast of the state is dm_forecast (options and horizon kept in the state)');
SELECT is((SELECT count(*)::int FROM st WHERE s::text::forecast_summary::text = s::text), 3, 'text round trip');
SELECT is((SELECT count(*)::int FROM st WHERE dm_summary_forecast(s::text::forecast_summary)::text = fc::text), 3,
          'a state read back from text forecasts the same');
SELECT is((SELECT dm_summary_forecast(forecast_summary_combine(
               (SELECT pg_temp.fc_state(t, y, 6, '{"period": 12}') FROM pts WHERE g = 2 AND t <= 25),
               (SELECT pg_temp.fc_state(t, y, 6, '{"period": 12}') FROM pts WHERE g = 2 AND t > 25)))::text),
          (SELECT fc::text FROM st WHERE g = 2), 'two halves combined forecast as one pass');
SELECT ok(dm_summary_forecast(NULL) IS NULL, 'no state: NULL');
SELECT ok(forecast_summary_combine(NULL, NULL) IS NULL, 'combining two NULL states: NULL');

-- The demo warehouse: dated sales per depot, stored states forecast later.
SELECT count(*) FROM create_demo_warehouse('fcs_demo', scale => 0.02) \g /dev/null
CREATE AGGREGATE pg_temp.fc_state_date(date, float8, int, jsonb) (
    SFUNC = forecast_summary_add_date, STYPE = forecast_summary, COMBINEFUNC = forecast_summary_combine);
CREATE TEMP TABLE depot_states AS
SELECT depot_id, pg_temp.fc_state_date(date_key, amount::float8, 3, '{"grain": "month"}') AS s,
       dm_forecast(date_key, amount::float8, 3, '{"grain": "month"}')::text AS fc
FROM fcs_demo.sales_lines GROUP BY depot_id;
SELECT is((SELECT count(*)::int FROM depot_states WHERE dm_summary_forecast(s::text::forecast_summary)::text = fc),
          (SELECT count(*)::int FROM depot_states), 'demo warehouse: stored depot states forecast as dm_forecast');

-- Combining states of different settings is refused.
SELECT throws_ok($$SELECT forecast_summary_combine(forecast_summary_add_index(NULL, 1, 1, 3),
                                                    forecast_summary_add_index(NULL, 2, 1, 4))$$,
                 '22023', NULL, 'combining states of different horizons: 22023');

SELECT throws_ok($$SELECT forecast_summary_add_index(forecast_summary_add_date(NULL, date '2024-01-01', 1, 2), 5, 1, 2)$$,
                 '22023', NULL, 'a bigint time into a state of dates: 22023');

-- Corrupted text: 22P02.
SELECT throws_ok($$SELECT 'not base64!'::forecast_summary$$, '22P02', NULL, 'text outside base64: 22P02');
SELECT throws_ok($$SELECT 'Zg=='::forecast_summary$$, '22P02', NULL, 'too short: 22P02');
SELECT throws_ok($$SELECT dm_stats_summary(1)::text::forecast_summary$$, '22P02', NULL, 'another type''s state: 22P02');
SELECT throws_ok($$SELECT left(s::text, -8)::forecast_summary FROM st LIMIT 1$$, '22P02', NULL, 'truncated: 22P02');
SELECT throws_ok($$SELECT encode(set_byte(decode(s::text, 'base64'), 40, 255 - get_byte(decode(s::text, 'base64'), 40)), 'base64')::forecast_summary
                   FROM st LIMIT 1$$, '22P02', NULL, 'a flipped payload byte (checksum): 22P02');

-- Hostile payloads in a valid envelope (resealed): rejected with 22P02, or read cleanly.
\i :root/test/pgtap/setup/reseal.sql
SELECT is(pg_temp.reseal(decode(s::text, 'base64')), decode(s::text, 'base64'), 'the test resealer reproduces the checksum')
FROM st LIMIT 1;
-- A small state (4 points, options with a grain) keeps the loop short.
SELECT ok(pg_temp.hostile(pg_temp.fc_state_date(d, v, 2, '{"grain": "day"}')::text, 'forecast_summary', 'dm_summary_forecast') <@ '{ok,22P02,22000,22023,22003}',
          'hostile states: rejected (22P02) or read cleanly, never an internal error')
FROM (VALUES ('2024-01-01'::date, 1::float8), ('2024-01-02', 2), ('2024-01-03', 3), ('2024-01-04', 2)) AS x(d, v);

-- Binary: the sent bytes through COPY BINARY (written by printf, no file), then corrupted: 22P03.
CREATE FUNCTION pg_temp.copy_in(payload bytea) RETURNS text LANGUAGE sql AS $f$
    WITH copy_data AS (
        SELECT '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea || '\x0001'::bytea
               || int4send(length(payload)) || payload || '\xffff'::bytea AS b)
    SELECT format('COPY received FROM PROGRAM %L WITH (FORMAT binary)',
                  'printf ''' || string_agg('\' || (get_byte(b, i) >> 6) || ((get_byte(b, i) >> 3) & 7)
                                            || (get_byte(b, i) & 7), '' ORDER BY i) || '''')
    FROM copy_data, generate_series(0, length(b) - 1) AS i
$f$;
CREATE TEMP TABLE sent AS
SELECT forecast_summary_send(pg_temp.fc_state(t, y, 2, '{}')) AS bytes FROM pts WHERE g = 1 AND t <= 5;
CREATE TEMP TABLE received (s forecast_summary);
SELECT lives_ok((SELECT pg_temp.copy_in(bytes) FROM sent), 'binary receive of sent bytes');
SELECT is((SELECT forecast_summary_send(s) FROM received), (SELECT bytes FROM sent), 'binary send/receive round trip');
SELECT throws_ok((SELECT pg_temp.copy_in(set_byte(bytes, 40, get_byte(bytes, 40) # 1)) FROM sent), '22P03', NULL,
                 'a flipped byte in the binary form: 22P03');
SELECT throws_ok((SELECT pg_temp.copy_in(substring(bytes FROM 1 FOR 30)) FROM sent), '22P03', NULL,
                 'a truncated binary form: 22P03');

SELECT * FROM finish();
ROLLBACK;
