-- Storable summaries on Citus: daily summaries computed from the distributed fact table (pushed
-- down), stored, then rolled up, equal the one-step aggregate over the same rows; a summaries
-- table distributed itself rolls up on the workers.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(9);

SELECT citus_test.pushdown('dm_stats_summary(float8)',
    'SELECT date_key, dmine.dm_stats_summary(amount::float8) FROM erp_demo.sales_lines GROUP BY date_key');
CREATE TABLE citus_test.daily AS
SELECT date_key, dmine.dm_stats_summary(amount::float8) AS s FROM erp_demo.sales_lines GROUP BY date_key;
CREATE TEMP TABLE one AS
SELECT (SELECT dmine.dm_summary_stats(dmine.dm_rollup(s)) FROM citus_test.daily) AS r,
       (SELECT dmine.dm_stats(amount::float8) FROM citus_test.demo_local) AS l;
SELECT ok(citus_test.close(ARRAY[(r).count, (r).mean, (r).variance, (r).min, (r).max, (r).skewness, (r).kurtosis],
                           ARRAY[(l).count, (l).mean, (l).variance, (l).min, (l).max, (l).skewness, (l).kurtosis], 1e-9),
          'daily summaries from the workers, rolled up: the one-step dm_stats to 1e-9') FROM one;
SELECT cmp_ok(citus_test.rank_error('SELECT amount::float8 FROM citus_test.demo_local', '{0.05,0.25,0.5,0.75,0.95}',
                                    (SELECT dmine.dm_summary_quantiles(dmine.dm_rollup(s), '{0.05,0.25,0.5,0.75,0.95}') FROM citus_test.daily)),
              '<=', 0.02::float8, 'rolled-up quantiles within 2% rank');

-- Summaries kept per customer and month in a table distributed like the facts.
CREATE TABLE citus_test.monthly (customer_id int, month date, s dmine.stats_summary);
SELECT create_distributed_table('citus_test.monthly', 'customer_id', colocate_with => 'erp_demo.sales_lines');
INSERT INTO citus_test.monthly
SELECT customer_id, date_trunc('month', sold_at)::date, dmine.dm_stats_summary(amount::float8)
FROM erp_demo.sales_lines GROUP BY 1, 2;
SELECT citus_test.pushdown('dm_rollup(dmine.stats_summary)', 'SELECT dmine.dm_rollup(s) FROM citus_test.monthly');
-- (Distributed results go to temporary tables first: see aggregates_test.sql.)
CREATE TEMP TABLE y AS
SELECT dmine.dm_summary_stats(dmine.dm_rollup(s)) AS x FROM citus_test.monthly WHERE month >= '2024-01-01';
SELECT ok(citus_test.close(
              (SELECT ARRAY[(x).count, (x).mean, (x).variance, (x).max] FROM y),
              (SELECT ARRAY[(x).count, (x).mean, (x).variance, (x).max]
               FROM (SELECT dmine.dm_stats(amount::float8) AS x FROM citus_test.demo_local WHERE sold_at >= '2024-01-01') t), 1e-9),
          'monthly summaries of 2024 rolled up on the workers: dm_stats of 2024 to 1e-9');
CREATE TEMP TABLE pc AS
SELECT customer_id, round((dmine.dm_summary_stats(dmine.dm_rollup(s))).mean::numeric, 9) AS m FROM citus_test.monthly GROUP BY 1;
SELECT is((SELECT count(*) FROM (
              SELECT customer_id, m FROM pc
              EXCEPT
              SELECT customer_id, round((dmine.dm_stats(amount::float8)).mean::numeric, 9) FROM citus_test.demo_local GROUP BY 1) t),
          0::bigint, 'per customer (the distribution column): rolled-up means equal the one-step means');
CREATE TEMP TABLE one_summary AS SELECT s::text AS t FROM citus_test.monthly ORDER BY customer_id, month LIMIT 1;
SELECT is(t::dmine.stats_summary::text, t, 'a stored summary survives its text round trip') FROM one_summary;

SELECT * FROM finish();
ROLLBACK;
