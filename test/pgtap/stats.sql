-- Exploratory statistics: behaviour, errors, parallel plans, and figures published elsewhere.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(40);

-- Every aggregate is parallel safe with combine, serialize and deserialize functions.
SELECT is(count(*)::int, 0, 'every dmine aggregate has combine/serialize/deserialize and is PARALLEL SAFE')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'dmine'::regnamespace
  AND (a.aggcombinefn = 0 OR (a.aggtranstype = 'internal'::regtype AND (a.aggserialfn = 0 OR a.aggdeserialfn = 0))
       OR p.proparallel <> 's');
SELECT is(count(*)::int, 0, 'every dmine function, aggregate and type has a comment')
FROM pg_depend d
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dmine'
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  AND (d.classid = 'pg_proc'::regclass
       OR (d.classid = 'pg_type'::regclass
           AND EXISTS (SELECT 1 FROM pg_type t WHERE t.oid = d.objid AND t.typcategory <> 'A')))
  AND obj_description(d.objid, d.classid::regclass::name) IS NULL;

-- Errors carry SQLSTATEs.
SELECT throws_ok($$SELECT dm_corr(v) FROM (VALUES (ARRAY[1.0, 2.0]::float8[]), (ARRAY[1.0])) t(v)$$,
                 '2202E', NULL, 'ragged feature vectors: array_subscript_error');
SELECT throws_ok($$SELECT dm_corr(ARRAY[1.0, NULL]::float8[])$$, '22004', NULL, 'NULL element: null_value_not_allowed');
SELECT throws_ok($$SELECT dm_corr(ARRAY['Infinity', 1.0]::float8[])$$, '22000', NULL, 'infinite element: data_exception');
SELECT throws_ok($$SELECT dm_histogram(1.0, -1)$$, '22023', NULL, 'bins out of range: invalid_parameter_value');
SELECT throws_ok($$SELECT dm_histogram(1.0, 5, 'NaN', 1)$$, '22023', NULL, 'NaN bound: invalid_parameter_value');
SELECT throws_ok($$SELECT dm_quantiles(1.0, ARRAY[-0.1])$$, '22023', NULL, 'probability out of range');
SELECT throws_ok($$SELECT dm_quantiles(1.0, '{}')$$, '22023', NULL, 'no probability');
SELECT throws_ok($$SELECT dm_approx_distinct(point(1, 2))$$, '42883', NULL, 'type without hash function');
SELECT throws_ok($$SELECT * FROM dm_profile('pg_class', 101)$$, '22023', NULL, 'sample percent out of range');
SELECT is((SELECT 1), 1, 'the backend survived every error');

-- NaN and infinities never corrupt the figures.
SELECT results_eq(
    $$SELECT (s).count, (s).nan_count, (s).infinity_count, (s).mean, (s).max
      FROM (SELECT dm_stats(x) AS s FROM unnest('{1, NaN, Infinity, -Infinity, 3}'::float8[]) x) t$$,
    $$VALUES (2::bigint, 1::bigint, 2::bigint, 2::float8, 3::float8)$$,
    'NaN and ±Infinity are counted apart');

-- statement_timeout cancels a long aggregate, and the session goes on (PL/pgSQL's OTHERS
-- does not catch cancels, so catch query_canceled explicitly).
CREATE TEMP TABLE timeout_probe (sqlstate text);
SET LOCAL statement_timeout = '300ms';
DO $$
BEGIN
    PERFORM dmine.dm_stats(i) FROM generate_series(1, 200000000) i;
EXCEPTION WHEN query_canceled THEN
    INSERT INTO timeout_probe VALUES ('57014');
END
$$;
SET LOCAL statement_timeout = 0;
SELECT is((SELECT sqlstate FROM timeout_probe), '57014', 'statement_timeout cancels dm_stats');

-- Parallel plans give the serial results.
CREATE TEMP TABLE big AS
SELECT i, (i % 1000) * 0.37 + sin(i) * 50 AS x, cos(i) * 10 + (i % 7) AS y, exp((i % 100) / 25.0) AS z
FROM generate_series(1, 300000) AS i;
-- Temporary tables are not scanned in parallel: use a real one.
CREATE TABLE stats_parallel_probe AS SELECT * FROM big;
ANALYZE stats_parallel_probe;
CREATE TEMP TABLE serial_result AS
SELECT dm_stats(x) AS s, dm_corr(ARRAY[x, y, z]) AS c, dm_histogram(x, 10, 0, 400) AS h,
       dm_approx_distinct(i) AS d, dm_quantiles(z, '{0.1, 0.5, 0.9}') AS q
FROM stats_parallel_probe;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE plan_text (line text);
DO $$
DECLARE r record;
BEGIN
    FOR r IN EXPLAIN SELECT dm_stats(x), dm_corr(ARRAY[x, y, z]) FROM stats_parallel_probe LOOP
        INSERT INTO plan_text VALUES (r."QUERY PLAN");
    END LOOP;
END $$;
SELECT ok(EXISTS (SELECT 1 FROM plan_text WHERE line LIKE '%Partial Aggregate%'),
          'the planner chooses a partial (parallel) aggregate');
CREATE TEMP TABLE parallel_result AS
SELECT dm_stats(x) AS s, dm_corr(ARRAY[x, y, z]) AS c, dm_histogram(x, 10, 0, 400) AS h,
       dm_approx_distinct(i) AS d, dm_quantiles(z, '{0.1, 0.5, 0.9}') AS q
FROM stats_parallel_probe;
SELECT is((p.s).count, (s.s).count, 'parallel count') FROM serial_result s, parallel_result p;
SELECT ok(abs((p.s).mean - (s.s).mean) <= 1e-9 * abs((s.s).mean), 'parallel mean within 1e-9') FROM serial_result s, parallel_result p;
SELECT ok(abs((p.s).variance - (s.s).variance) <= 1e-9 * (s.s).variance, 'parallel variance within 1e-9') FROM serial_result s, parallel_result p;
SELECT ok(abs((p.s).skewness - (s.s).skewness) <= 1e-9 * abs((s.s).skewness), 'parallel skewness within 1e-9') FROM serial_result s, parallel_result p;
SELECT ok(abs((p.s).kurtosis - (s.s).kurtosis) <= 1e-9 * abs((s.s).kurtosis), 'parallel kurtosis within 1e-9') FROM serial_result s, parallel_result p;
SELECT ok((p.s).min = (s.s).min AND (p.s).max = (s.s).max, 'parallel min and max') FROM serial_result s, parallel_result p;
SELECT ok(
    (SELECT bool_and(abs(a - b) <= 1e-9) FROM unnest(s.c, p.c) AS u(a, b)), 'parallel correlation within 1e-9')
FROM serial_result s, parallel_result p;
SELECT is((p.h).counts, (s.h).counts, 'parallel fixed histogram identical') FROM serial_result s, parallel_result p;
SELECT is(p.d, s.d, 'parallel distinct estimate identical (HyperLogLog merges exactly)') FROM serial_result s, parallel_result p;
-- Sketch quantiles: the rank of each returned value is within the sketch's error (0.7%, tested
-- at 1%) of the requested probability; ties make a value's rank an interval.
CREATE TEMP TABLE quantile_ranks AS
SELECT plan, u.p, (SELECT count(*) FROM stats_parallel_probe WHERE z < u.q)::float8 / 300000 AS lo,
       (SELECT count(*) FROM stats_parallel_probe WHERE z <= u.q)::float8 / 300000 AS hi
FROM (SELECT 'serial' AS plan, q FROM serial_result UNION ALL SELECT 'parallel', q FROM parallel_result) r,
     unnest('{0.1, 0.5, 0.9}'::float8[], r.q) AS u(p, q);
SELECT ok(bool_and(p BETWEEN lo - 0.01 AND hi + 0.01), plan || ' sketch quantiles within the rank error')
FROM quantile_ranks GROUP BY plan ORDER BY plan;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
DROP TABLE stats_parallel_probe;

-- Iris (Fisher 1936): published summary figures.
CREATE TEMP TABLE iris (id int, x0 float8, x1 float8, x2 float8, x3 float8, label int);
SELECT is(dmine_test.load_csv('iris', 'clustering/iris.csv.gz'), 150::bigint, 'iris loaded');
SELECT results_eq(
    $$SELECT (s).count, (s).min, (s).max, round((s).mean::numeric, 2), round((s).stddev::numeric, 2)
      FROM (SELECT dm_stats(x0) AS s FROM iris) t$$,
    $$VALUES (150::bigint, 4.3::float8, 7.9::float8, 5.84, 0.83)$$,
    'iris sepal length: n 150, min 4.3, max 7.9, mean 5.84, SD 0.83');
-- The published petal-length SD (1.76) is the population SD; the sample SD is 1.765.
SELECT results_eq(
    $$SELECT round((s).mean::numeric, 2), round(sqrt((s).variance * ((s).count - 1) / (s).count)::numeric, 2),
             round((s).stddev::numeric, 3)
      FROM (SELECT dm_stats(x2) AS s FROM iris) t$$,
    $$VALUES (3.76, 1.76, 1.765)$$, 'iris petal length: mean 3.76, population SD 1.76 (sample SD 1.765)');
SELECT is(round((dm_corr(ARRAY[x2, x3]))[1][2]::numeric, 4), 0.9629, 'iris petal length/width correlation 0.9629')
FROM iris;

-- Online Retail (Chen, Sain & Guo 2012): figures computed with pandas.
CREATE TEMP TABLE retail (invoice_no text, stock_code text, description text, quantity int,
                          invoice_date timestamp, unit_price float8, customer_id int, country text);
SELECT is(dmine_test.load_csv('retail', 'retail/online_retail.csv.gz'), 541909::bigint, 'retail loaded');
CREATE TEMP TABLE retail_stats AS SELECT dm_stats(quantity) AS q, dm_stats(unit_price) AS p FROM retail;
SELECT is((q).count, 541909::bigint, 'retail: 541,909 quantities') FROM retail_stats;
SELECT is(round((q).mean::numeric, 4), 9.5522, 'retail Quantity mean 9.5522') FROM retail_stats;
SELECT is(round((q).stddev::numeric, 3), 218.081, 'retail Quantity sample std 218.081') FROM retail_stats;
SELECT ok((q).min = -80995 AND (q).max = 80995, 'retail Quantity min -80995, max 80995') FROM retail_stats;
SELECT ok((q).p25 = 1 AND (q).p50 = 3 AND (q).p75 = 10, 'retail Quantity p25 1, median 3, p75 10 (sketch)') FROM retail_stats;
SELECT is(round((p).mean::numeric, 4), 4.6111, 'retail UnitPrice mean 4.6111') FROM retail_stats;
SELECT is((p).p50, 2.08::float8, 'retail UnitPrice median 2.08 (sketch)') FROM retail_stats;
SELECT is(dm_approx_distinct(customer_id) BETWEEN 4372 * 0.97 AND 4372 * 1.03, true,
          'retail distinct customers within 3% of 4,372') FROM retail;
SELECT is(null_count, 135080::bigint, 'dm_profile: 135,080 rows without CustomerID')
FROM dm_profile('retail') WHERE column_name = 'customer_id';

SELECT * FROM finish();
ROLLBACK;
