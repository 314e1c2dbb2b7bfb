-- yyyymmdd integer date keys (dm_date_key and its per-row SQL dm_date_key_sql): the month length
-- is checked in integer arithmetic; every key of every day 0..32 of months 0..13 over two
-- centuries (leap years, 1900 and 2000 included) is read exactly as the calendar does.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE keys AS
    SELECT (y * 10000 + m * 100 + d)::bigint AS key, y, m, d
    FROM generate_series(1899, 2101) AS y, generate_series(0, 13) AS m, generate_series(0, 32) AS d;
-- The calendar's answer: a day that exists (a date built from the first of the month).
CREATE TEMP TABLE truth AS
    SELECT key, CASE WHEN m BETWEEN 1 AND 12 AND d >= 1
                          AND d <= extract(day FROM make_date(y, m, 1) + interval '1 month' - interval '1 day')
                     THEN make_date(y, m, d) END AS day
    FROM keys;
SELECT is((SELECT count(*) FROM truth t WHERE dm_date_key(t.key) IS DISTINCT FROM t.day), 0::bigint,
          'dm_date_key reads every key as the calendar does (203 years, days 0..32, months 0..13)');
SELECT is((SELECT count(*) FROM truth WHERE day IS NOT NULL), (date '2102-01-01' - date '1899-01-01')::bigint,
          'as many valid keys as days in those years');
SELECT ok(dm_date_key(20240229) = date '2024-02-29' AND dm_date_key(20000229) = date '2000-02-29'
          AND dm_date_key(19000229) IS NULL AND dm_date_key(20230229) IS NULL, 'February 29: leap years only');
SELECT ok(dm_date_key(20231131) IS NULL AND dm_date_key(20231231) = date '2023-12-31' AND dm_date_key(20230831) = date '2023-08-31'
          AND dm_date_key(20230931) IS NULL, 'months of 30 and 31 days');
SELECT ok(dm_date_key(9991231) IS NULL AND dm_date_key(100000101) IS NULL AND dm_date_key(99991231) = date '9999-12-31',
          'keys outside years 1000..9999 are not dates');
CREATE FUNCTION pg_temp.wrong_sql_keys() RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM truth t WHERE (%s) IS DISTINCT FROM t.day', dmine.dm_date_key_sql('t.key')) INTO n;
    RETURN n;
END $f$;
SELECT is(pg_temp.wrong_sql_keys(), 0::bigint, 'dm_date_key_sql, evaluated per row, agrees with the calendar');
SELECT * FROM finish();
ROLLBACK;
