-- Storable summaries on Citus: daily summaries computed from the distributed fact table (pushed
-- down), stored, then rolled up, equal the one-step aggregate over the same rows; a summaries
-- table distributed itself rolls up on the workers.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(24);

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

-- The other summaries: daily from the workers (pushed down), rolled up, read with the accessor.
CREATE TABLE citus_test.daily_all AS
SELECT date_key,
       dmine.dm_histogram_summary(amount::float8, 8, 0, 400) AS h,
       dmine.dm_comoments_summary(ARRAY[amount, quantity, unit_price]::float8[]) AS c,
       dmine.dm_distinct_summary(product_id) AS d
FROM erp_demo.sales_lines GROUP BY date_key;
SELECT citus_test.pushdown('dm_histogram_summary(float8, int, float8, float8)',
    'SELECT date_key, dmine.dm_histogram_summary(amount::float8, 8, 0, 400) FROM erp_demo.sales_lines GROUP BY date_key');
SELECT citus_test.pushdown('dm_comoments_summary(float8[])',
    'SELECT date_key, dmine.dm_comoments_summary(ARRAY[amount, quantity]::float8[]) FROM erp_demo.sales_lines GROUP BY date_key');
SELECT citus_test.pushdown('dm_distinct_summary(anyelement)',
    'SELECT date_key, dmine.dm_distinct_summary(product_id) FROM erp_demo.sales_lines GROUP BY date_key');
SELECT citus_test.pushdown('dm_kmeans_summary(float8[])', 'SELECT dmine.dm_kmeans_summary(f) FROM citus_test.planted');
SELECT is((SELECT (dmine.dm_summary_histogram(dmine.dm_rollup(h))).counts FROM citus_test.daily_all),
          (SELECT (dmine.dm_histogram(amount::float8, 8, 0, 400)).counts FROM citus_test.demo_local),
          'histogram summaries rolled up: the one-step fixed-bounds counts');
SELECT ok(citus_test.close(array(SELECT unnest(dmine.dm_summary_corr(dmine.dm_rollup(c)))),
                           (SELECT array(SELECT unnest(dmine.dm_corr(ARRAY[amount, quantity, unit_price]::float8[]))) FROM citus_test.demo_local), 1e-9),
          'co-moment summaries rolled up: the one-step dm_corr to 1e-9') FROM citus_test.daily_all;
SELECT is((SELECT dmine.dm_summary_distinct(dmine.dm_rollup(d)) FROM citus_test.daily_all),
          (SELECT dmine.dm_approx_distinct(product_id) FROM citus_test.demo_local),
          'distinct summaries rolled up: the one-step estimate');
CREATE TEMP TABLE kms AS SELECT dmine.dm_kmeans_summary(f) AS s FROM citus_test.planted;
SELECT cmp_ok(abs(citus_test.sse(dmine.dm_summary_kmeans(s, 4), 'SELECT f FROM citus_test.planted_local')
                  / citus_test.sse((SELECT dmine.dm_kmeans(f, 4) FROM citus_test.planted_local), 'SELECT f FROM citus_test.planted_local') - 1),
              '<=', 0.001::float8, 'K-Means summary from the workers: SSE within 0.1% of the one-step fit') FROM kms;

-- Context summaries: kept per customer and month in a table distributed like the facts, rolled up on
-- the workers, the same context summary as one scan of the local copy.
CREATE TABLE citus_test.monthly_context (customer_id int, month date, c dmine.context_fit_summary);
SELECT create_distributed_table('citus_test.monthly_context', 'customer_id', colocate_with => 'erp_demo.sales_lines');
INSERT INTO citus_test.monthly_context
SELECT customer_id, date_trunc('month', sold_at)::date, dmine.dm_context_fit_summary(product_id::text, unit_price::float8)
FROM erp_demo.sales_lines GROUP BY 1, 2;
SELECT citus_test.pushdown('dm_rollup(dmine.context_fit_summary)', 'SELECT dmine.dm_rollup(c) FROM citus_test.monthly_context');
CREATE TEMP TABLE cy AS
SELECT dmine.dm_summary_context(dmine.dm_rollup(c))::text AS d FROM citus_test.monthly_context;
SELECT is((SELECT d FROM cy), (SELECT dmine.dm_context_fit(product_id::text, unit_price::float8)::text FROM citus_test.demo_local),
          'monthly context summaries rolled up on the workers: the one-step dm_context_fit');

SELECT * FROM finish();
ROLLBACK;
