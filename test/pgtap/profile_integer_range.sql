-- dm_profile's min and max of integer columns come from the summary's statistics (exact below
-- 2^53 in magnitude) and are read again beyond: on the demo warehouse, entrepot_fr's view and a
-- generated table with int2/int4/int8 extremes, domains and NULL columns, they equal min() and
-- max() of the column.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(4);

SELECT count(*) FROM create_demo_warehouse('pi_demo', scale => 0.02) \g /dev/null
\set schema pi_fr
\set lignes 5000
\set produits 500
\set clients 200
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;

CREATE DOMAIN pg_temp.small_count AS int2 CHECK (VALUE >= -100);
CREATE TABLE pg_temp.wide_ints (big int8, near int8, i4 int4, i2 int2, d pg_temp.small_count, empty int8, txt text);
INSERT INTO pg_temp.wide_ints
SELECT CASE WHEN g = 3 THEN 9007199254740993 WHEN g = 4 THEN -9223372036854775808 ELSE g END,
       CASE WHEN g = 5 THEN 9007199254740991 WHEN g = 6 THEN -9007199254740991 ELSE -g END,
       CASE g WHEN 1 THEN 2147483647 WHEN 2 THEN -2147483648 ELSE g * 7 END,
       CASE g WHEN 1 THEN 32767 WHEN 2 THEN -32768 ELSE NULL END,
       CASE WHEN g % 2 = 0 THEN -100 + g END, NULL, g::text
FROM generate_series(1, 40) AS g;

-- Every integer column of the table, compared with its own min() and max() as text.
CREATE FUNCTION pg_temp.integer_ranges_match(rel regclass) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    c record;
    lo text;
    hi text;
BEGIN
    FOR c IN SELECT p.column_name, p.min_value, p.max_value, p.role FROM dmine.dm_profile(rel) p
             JOIN pg_attribute a ON a.attrelid = rel AND a.attname = p.column_name
             WHERE dmine.dm_base_type(a.atttypid) IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) LOOP
        EXECUTE format('SELECT min(%1$I)::text, max(%1$I)::text FROM %2$s', c.column_name, rel) INTO lo, hi;
        IF c.role = 'date' THEN  -- a yyyymmdd key shows its dates
            lo := dmine.dm_date_key(lo::bigint)::text;
            hi := dmine.dm_date_key(hi::bigint)::text;
        END IF;
        IF (c.min_value, c.max_value) IS DISTINCT FROM (lo, hi) THEN
            RAISE WARNING '% of %: % .. % against % .. %', c.column_name, rel, c.min_value, c.max_value, lo, hi;
            RETURN false;
        END IF;
    END LOOP;
    RETURN true;
END
$$;

SELECT ok(pg_temp.integer_ranges_match('pi_demo.sales_lines'), 'demo warehouse: integer ranges as min() and max()');
SELECT ok(pg_temp.integer_ranges_match('pi_fr.lignes_vente'), 'entrepot_fr: integer ranges as min() and max()');
SELECT ok(pg_temp.integer_ranges_match('pg_temp.wide_ints'), 'extremes beyond 2^53, domains, NULL columns: exact ranges');
SELECT results_eq($$SELECT min_value, max_value FROM dm_profile('pg_temp.wide_ints') WHERE column_name IN ('big', 'empty') ORDER BY ordinal$$,
                  $$VALUES ('-9223372036854775808', '9007199254740993'), (NULL, NULL)$$,
                  'an int8 beyond 2^53 keeps its exact digits; an all-NULL column has no range');

SELECT * FROM finish();
ROLLBACK;
