-- A short exploratory session over a generated sales table (run by scripts/run.sh).
\pset footer off
CREATE EXTENSION IF NOT EXISTS dmine;
SET search_path = public, dmine;

DROP TABLE IF EXISTS demo_sales;
CREATE TABLE demo_sales AS
SELECT i AS line_id,
       (random() * 999)::int + 1 AS customer_id,
       round((exp(random() * 4) * 10)::numeric, 2)::float8 AS amount,
       (1 + floor(random() * 12))::int AS quantity,
       extract(hour FROM now() - random() * interval '365 days')::int AS hour
FROM generate_series(1, 200000) AS i;
ANALYZE demo_sales;

\echo '== describe(amount)'
SELECT (s).count, round((s).mean::numeric, 2) AS mean, round((s).stddev::numeric, 2) AS stddev,
       (s).min, (s).p25, (s).p50, (s).p75, (s).max,
       round((s).skewness::numeric, 3) AS skewness
FROM (SELECT dm_stats(amount) AS s FROM demo_sales) AS t;

\echo '== correlation of amount, quantity, hour'
SELECT dm_corr(ARRAY[amount, quantity, hour]) AS corr FROM demo_sales;

\echo '== histogram of amount (10 bins)'
SELECT b.bin, round(b.lower::numeric, 1) AS lower, round(b.upper::numeric, 1) AS upper, b.count
FROM (SELECT dm_histogram(amount, 10) AS h FROM demo_sales) AS x, dm_histogram_bins(x.h) AS b;

\echo '== column profile'
SELECT column_name, data_type, row_count, null_count, distinct_estimate,
       round(mean::numeric, 2) AS mean, round(stddev::numeric, 2) AS stddev, min_value, max_value
FROM dm_profile('demo_sales');
