-- Result tables of dmine (docs/results.md) with plausible data for two runs, for the report's
-- tests: run 1 succeeded (mode full), run 2 failed at the anomalies step (mode quick), so the
-- report of run 2 shows a partial run. Load it into a database WITHOUT the dmine extension:
--   psql -v ON_ERROR_STOP=1 -d report_fixture -f report/test/fixture.sql
-- The data are generated with a fixed seed from a synthetic sales table, so they agree with
-- each other (profile, features, clusters, anomalies, RFM) and are the same on every load.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'dmine') THEN
        RAISE EXCEPTION 'the report fixture replaces schema dmine: load it into a database without the dmine extension';
    END IF;
END $$;

DROP SCHEMA IF EXISTS dmine CASCADE;
CREATE SCHEMA dmine;
SET search_path = dmine, public;
SET TimeZone = 'UTC';

CREATE TABLE dmine.runs (
    run_id bigint PRIMARY KEY, config_name text, mode text, steps text[], status text,
    started_at timestamptz, finished_at timestamptz, error text, warehouse jsonb, parameters jsonb);
CREATE TABLE dmine.run_steps (
    run_id bigint REFERENCES dmine.runs, step text, position int, status text,
    started_at timestamptz, finished_at timestamptz, duration_ms float8, rows bigint, error text,
    details jsonb, PRIMARY KEY (run_id, step));
CREATE TABLE dmine.result_profile (
    run_id bigint, column_name text, ordinal int, data_type text, kind text, row_count bigint,
    null_count bigint, null_fraction float8, distinct_estimate bigint, mean float8, stddev float8,
    p25 float8, p50 float8, p75 float8, min_value text, max_value text, skewness float8,
    kurtosis float8, top_values jsonb, histogram jsonb, role text);
CREATE TABLE dmine.result_correlation (run_id bigint, feature_x text, feature_y text, correlation float8);
CREATE TABLE dmine.result_customer_features (
    run_id bigint, customer_key text, recency_days float8, frequency float8, monetary float8,
    avg_basket float8, avg_quantity float8, night_share float8, features float8[]);
CREATE TABLE dmine.result_kmeans_scores (run_id bigint, k int, inertia float8, silhouette float8, chosen boolean);
CREATE TABLE dmine.result_clusters (run_id bigint, customer_key text, cluster int, distance float8);
CREATE TABLE dmine.result_cluster_profiles (
    run_id bigint, cluster int, size bigint, share float8, label text, recency_days float8,
    frequency float8, monetary float8, avg_basket float8, avg_quantity float8, night_share float8,
    centroid jsonb);
CREATE TABLE dmine.result_anomalies (
    run_id bigint, line_key text, customer_key text, occurred_at timestamptz, amount float8,
    quantity float8, score float8, is_anomaly boolean, anomaly_type text, explanation jsonb);
CREATE TABLE dmine.result_anomaly_summary (
    run_id bigint, lines_scored bigint, threshold float8, anomalies bigint, score_histogram jsonb);
CREATE TABLE dmine.result_rfm (
    run_id bigint, customer_key text, recency_days int, frequency bigint, monetary float8,
    r_score int, f_score int, m_score int, fm_score int, segment text);
-- The exploration tables (trends and breakdowns steps). e2e.sh drops them, and the profile's
-- role, in a second database to check the report of an older database.
CREATE TABLE dmine.result_trends (
    run_id bigint, grain text, period_start date, revenue float8, lines bigint, orders bigint,
    customers bigint, trend float8);
CREATE TABLE dmine.result_seasonality (
    run_id bigint, cycle text, position int, label text, seasonal_index float8, strength float8);
CREATE TABLE dmine.result_heatmap (run_id bigint, isodow int, hour int, revenue float8, lines bigint);
CREATE TABLE dmine.result_breakdowns (
    run_id bigint, dimension text, attribute text, value text, revenue float8, lines bigint,
    customers bigint, share float8, growth float8, abc_class text, rank int);
CREATE TABLE dmine.result_concentration (
    run_id bigint, dimension text, attribute text, items bigint, gini float8, top20_share float8,
    a_items bigint);

-- A synthetic sales table: 1,200 customers, 60,000 lines in 2024, plus injected oddities.
SELECT setseed(0.42) AS seed \gset
CREATE TEMP TABLE fx_sales AS
SELECT i AS line_id,
       'C' || lpad((1 + floor(power(random(), 1.6) * 1200))::int::text, 5, '0') AS customer_key,
       timestamptz '2024-01-01 00:00:00+00' + random() * interval '365 days' AS sold_at,
       round(exp(1.5 + random() * 2.5)::numeric, 2)::float8 AS amount,
       (1 + floor(random() * random() * 9))::int AS quantity,
       (ARRAY['grocery', 'grocery', 'grocery', 'household', 'household', 'electronics', 'garden', 'toys'])
           [1 + floor(random() * 8)::int] AS category,
       (ARRAY['north', 'south', 'east', 'west', 'online'])[1 + floor(random() * 5)::int] AS store
FROM generate_series(1, 60000) AS i;
-- Night shoppers: a fifth of the customers buy mostly late in the day.
UPDATE fx_sales SET sold_at = date_trunc('day', sold_at) + interval '22 hours' + random() * interval '5 hours'
WHERE right(customer_key, 1) IN ('3', '7') AND random() < 0.7;
-- Oddities for the anomaly detector: huge amounts, bulk quantities, small hours.
UPDATE fx_sales SET amount = round((amount * (6 + random() * 10))::numeric, 2)::float8 WHERE line_id % 1500 = 7;
UPDATE fx_sales SET quantity = 60 + (line_id % 50) WHERE line_id % 2500 = 11;
UPDATE fx_sales SET amount = NULL WHERE line_id % 997 = 0;
ALTER TABLE fx_sales ADD COLUMN hour int;
UPDATE fx_sales SET hour = extract(hour FROM sold_at)::int;

-- The runs.
INSERT INTO dmine.runs VALUES
 (1, 'retail', 'full', ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends', 'breakdowns'],
  'succeeded', '2025-01-02 03:00:00+00', '2025-01-02 03:01:52.5+00', NULL,
  '{"fact_table": "shop.sales", "customer": "customer_id", "occurred_at": "sold_at", "amount": "amount",
    "quantity": "quantity", "line_key": "line_id", "currency": "EUR"}',
  '{"k_min": 2, "k_max": 8, "sample_size": 20000, "contamination": 0.002, "trees": 100, "seed": 42}'),
 (2, 'retail', 'quick', ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm'],
  'failed', '2025-01-03 03:00:00+00', '2025-01-03 03:00:41.2+00',
  'step anomalies failed: canceling statement due to statement timeout',
  '{"fact_table": "shop.sales", "customer": "customer_id", "occurred_at": "sold_at", "amount": "amount",
    "quantity": "quantity", "line_key": "line_id", "currency": "EUR"}',
  '{"k_min": 2, "k_max": 6, "sample_size": 5000, "contamination": 0.002, "trees": 50, "seed": 7,
    "statement_timeout": "20s"}');

-- Data profile (the same for both runs).
CREATE TEMP TABLE fx_num AS
SELECT 'line_id' AS c, 1 AS o, 'bigint' AS t, line_id::float8 AS v FROM fx_sales
UNION ALL SELECT 'amount', 4, 'numeric(10,2)', amount FROM fx_sales
UNION ALL SELECT 'quantity', 5, 'integer', quantity FROM fx_sales
UNION ALL SELECT 'hour', 8, 'integer', hour FROM fx_sales;

INSERT INTO dmine.result_profile
SELECT r.run_id, s.c, s.o, s.t, 'numeric', s.n, s.nulls, s.nulls::float8 / s.n, s.d, s.mean, s.sd,
       s.p25, s.p50, s.p75, s.mn::text, s.mx::text,
       s.m3 / nullif(power(s.sd, 3), 0), s.m4 / nullif(power(s.sd, 4), 0) - 3, NULL, h.hist
FROM (SELECT fx_num.c, o, t, count(*) AS n, count(*) - count(v) AS nulls, count(DISTINCT v) AS d,
             avg(v) AS mean, stddev_pop(v) AS sd, min(v) AS mn, max(v) AS mx,
             percentile_cont(0.25) WITHIN GROUP (ORDER BY v) AS p25,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS p50,
             percentile_cont(0.75) WITHIN GROUP (ORDER BY v) AS p75,
             avg(power(v - a.mu, 3)) AS m3, avg(power(v - a.mu, 4)) AS m4
      FROM fx_num JOIN (SELECT c, avg(v) AS mu FROM fx_num GROUP BY c) AS a ON a.c = fx_num.c
      GROUP BY fx_num.c, o, t) AS s
CROSS JOIN (VALUES (1), (2)) AS r(run_id)
CROSS JOIN LATERAL (
    SELECT jsonb_build_object(
             'edges', (SELECT jsonb_agg(round((s.mn + (s.mx - s.mn) * b / 20.0)::numeric, 4) ORDER BY b)
                       FROM generate_series(0, 20) AS b),
             'counts', (SELECT jsonb_agg(coalesce(cnt, 0) ORDER BY b)
                        FROM generate_series(1, 20) AS b
                        LEFT JOIN (SELECT least(width_bucket(v, s.mn, s.mx + 1e-9, 20), 20) AS bucket,
                                          count(*) AS cnt
                                   FROM fx_num WHERE fx_num.c = s.c AND v IS NOT NULL GROUP BY 1) AS w
                               ON w.bucket = b)) AS hist) AS h;

INSERT INTO dmine.result_profile (run_id, column_name, ordinal, data_type, kind, row_count, null_count,
                                  null_fraction, distinct_estimate, min_value, max_value, top_values)
SELECT r.run_id, x.c, x.o, x.t, x.k, 60000, 0, 0, x.d, x.mn, x.mx, x.top
FROM (VALUES (1), (2)) AS r(run_id),
     (SELECT 'customer_id' AS c, 2 AS o, 'integer' AS t, 'key' AS k,
             (SELECT count(DISTINCT customer_key) FROM fx_sales) AS d,
             (SELECT min(customer_key) FROM fx_sales) AS mn, (SELECT max(customer_key) FROM fx_sales) AS mx,
             (SELECT jsonb_agg(jsonb_build_object('value', customer_key, 'count', n, 'share', n / 60000.0) ORDER BY n DESC)
              FROM (SELECT customer_key, count(*) AS n FROM fx_sales GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8) t) AS top
      UNION ALL
      SELECT 'sold_at', 3, 'timestamp with time zone', 'timestamp', 60000,
             (SELECT min(sold_at)::text FROM fx_sales), (SELECT max(sold_at)::text FROM fx_sales), NULL
      UNION ALL
      SELECT 'category', 6, 'text', 'categorical', (SELECT count(DISTINCT category) FROM fx_sales), 'electronics', 'toys',
             (SELECT jsonb_agg(jsonb_build_object('value', category, 'count', n, 'share', n / 60000.0) ORDER BY n DESC)
              FROM (SELECT category, count(*) AS n FROM fx_sales GROUP BY 1) t)
      UNION ALL
      SELECT 'store', 7, 'text', 'categorical', 5, 'east', 'west',
             (SELECT jsonb_agg(jsonb_build_object('value', store, 'count', n, 'share', n / 60000.0) ORDER BY n DESC)
              FROM (SELECT store, count(*) AS n FROM fx_sales GROUP BY 1) t)) AS x;

INSERT INTO dmine.result_correlation
SELECT r.run_id, a.c, b.c, corr(a.v, b.v)
FROM (VALUES (1), (2)) AS r(run_id),
     (SELECT line_id, 'amount' AS c, amount AS v FROM fx_sales UNION ALL
      SELECT line_id, 'quantity', quantity FROM fx_sales UNION ALL
      SELECT line_id, 'hour', hour FROM fx_sales UNION ALL
      SELECT line_id, 'line_id', line_id FROM fx_sales) AS a
JOIN (SELECT line_id, 'amount' AS c, amount AS v FROM fx_sales UNION ALL
      SELECT line_id, 'quantity', quantity FROM fx_sales UNION ALL
      SELECT line_id, 'hour', hour FROM fx_sales UNION ALL
      SELECT line_id, 'line_id', line_id FROM fx_sales) AS b ON b.line_id = a.line_id AND a.c < b.c
GROUP BY r.run_id, a.c, b.c;

-- Customer features.
INSERT INTO dmine.result_customer_features (run_id, customer_key, recency_days, frequency, monetary, avg_basket,
                                            avg_quantity, night_share)
SELECT r.run_id, customer_key,
       round((extract(epoch FROM timestamptz '2025-01-01 00:00:00+00' - max(sold_at)) / 86400)::numeric, 1),
       count(DISTINCT sold_at::date), round(sum(amount)::numeric, 2), round(avg(amount)::numeric, 2),
       round(avg(quantity)::numeric, 2), avg((hour >= 22 OR hour < 6)::int)
FROM fx_sales, (VALUES (1), (2)) AS r(run_id)
GROUP BY r.run_id, customer_key;
UPDATE dmine.result_customer_features
SET features = ARRAY[recency_days, frequency, monetary, avg_basket, avg_quantity, night_share];

-- Clusters: four archetypes by rule (what k-means finds in such data).
INSERT INTO dmine.result_clusters
SELECT run_id, customer_key,
       CASE WHEN night_share > 0.4 THEN 3
            WHEN recency_rank = 1 THEN 2
            WHEN monetary_rank = 4 THEN 0
            ELSE 1 END,
       round((0.2 + random() * 1.6)::numeric, 4)
FROM (SELECT *, ntile(4) OVER (PARTITION BY run_id ORDER BY recency_days DESC) AS recency_rank,
                ntile(4) OVER (PARTITION BY run_id ORDER BY monetary) AS monetary_rank
      FROM dmine.result_customer_features) AS f
ORDER BY run_id, customer_key;

INSERT INTO dmine.result_cluster_profiles
SELECT c.run_id, c.cluster, count(*), count(*)::float8 / sum(count(*)) OVER (PARTITION BY c.run_id),
       (ARRAY['Big spenders', 'Regulars', 'Lapsing', 'Night shoppers'])[c.cluster + 1],
       avg(f.recency_days), avg(f.frequency), avg(f.monetary), avg(f.avg_basket), avg(f.avg_quantity),
       avg(f.night_share),
       jsonb_build_object('recency_days', avg(f.recency_days), 'frequency', avg(f.frequency),
                          'monetary', avg(f.monetary), 'avg_basket', avg(f.avg_basket),
                          'avg_quantity', avg(f.avg_quantity), 'night_share', avg(f.night_share))
FROM dmine.result_clusters c
JOIN dmine.result_customer_features f USING (run_id, customer_key)
GROUP BY c.run_id, c.cluster;

INSERT INTO dmine.result_kmeans_scores VALUES
 (1, 2, 41250000000, 0.412, false), (1, 3, 27810000000, 0.468, false), (1, 4, 18930000000, 0.523, true),
 (1, 5, 16020000000, 0.497, false), (1, 6, 14110000000, 0.452, false), (1, 7, 12870000000, 0.418, false),
 (1, 8, 11950000000, 0.391, false),
 (2, 2, 41300000000, 0.409, false), (2, 3, 27900000000, 0.471, false), (2, 4, 19010000000, 0.519, true),
 (2, 5, 16100000000, 0.493, false), (2, 6, 14200000000, 0.449, false);

-- Anomaly scores of every line (run 1 only: the step failed in run 2).
CREATE TEMP TABLE fx_scores AS
SELECT s.*, z.za, z.zq, z.zh,
       least(0.95, 0.36 + 0.05 * random() + greatest(z.za, z.zq, z.zh)) AS score
FROM fx_sales s
CROSS JOIN LATERAL (
    SELECT greatest(0, abs(ln(coalesce(s.amount, 20)) - 2.75) / 0.72 - 1) * 0.09 AS za,
           greatest(0, (s.quantity - 4) / 3.0) * 0.05 AS zq,
           CASE WHEN s.hour BETWEEN 1 AND 4 THEN 0.05 + 0.04 * coalesce(s.amount, 0) / 60 ELSE 0 END AS zh) AS z;

INSERT INTO dmine.result_anomaly_summary
SELECT 1, count(*), 0.62, count(*) FILTER (WHERE score >= 0.62),
       jsonb_build_object(
         'edges', (SELECT jsonb_agg(round((0.35 + b * 0.03)::numeric, 2) ORDER BY b) FROM generate_series(0, 20) AS b),
         'counts', (SELECT jsonb_agg(coalesce(n, 0) ORDER BY b) FROM generate_series(1, 20) AS b
                    LEFT JOIN (SELECT least(width_bucket(score, 0.35, 0.95, 20), 20) AS bucket, count(*) AS n
                               FROM fx_scores GROUP BY 1) AS w ON w.bucket = b))
FROM fx_scores;

INSERT INTO dmine.result_anomalies
SELECT 1, line_id::text, customer_key, sold_at, amount, quantity, round(score::numeric, 4), score >= 0.62,
       CASE greatest(za, zq, zh) WHEN za THEN 'amount' WHEN zq THEN 'quantity' ELSE 'hour' END,
       (SELECT jsonb_agg(jsonb_build_object('feature', f, 'contribution', round(w::numeric, 3)) ORDER BY w DESC)
        FROM (VALUES ('amount', za + 0.004), ('quantity', zq + 0.002), ('hour', zh + 0.001)) AS e(f, w))
FROM (SELECT * FROM fx_scores ORDER BY score DESC LIMIT 250) AS top;

-- RFM (run 1 only).
INSERT INTO dmine.result_rfm
SELECT run_id, customer_key, recency_days::int, frequency::bigint, monetary, r, f, m, round((f + m) / 2.0)::int,
       CASE WHEN r >= 4 AND round((f + m) / 2.0) >= 4 THEN 'Champions'
            WHEN r >= 3 AND round((f + m) / 2.0) >= 3 THEN 'Loyal'
            WHEN r >= 4 THEN 'Potential loyalists'
            WHEN r <= 2 AND round((f + m) / 2.0) >= 4 THEN 'Cannot lose them'
            WHEN r <= 2 AND round((f + m) / 2.0) >= 3 THEN 'At risk'
            WHEN r <= 2 THEN 'Hibernating'
            ELSE 'Need attention' END
FROM (SELECT run_id, customer_key, recency_days, frequency, monetary,
             ntile(5) OVER (ORDER BY recency_days DESC) AS r,
             ntile(5) OVER (ORDER BY frequency) AS f,
             ntile(5) OVER (ORDER BY monetary) AS m
      FROM dmine.result_customer_features WHERE run_id = 1) AS x;

-- Steps.
INSERT INTO dmine.run_steps
SELECT 1, step, pos, 'succeeded', ts, ts + ms * interval '1 millisecond', ms, rws, NULL, det
FROM (VALUES
  ('profile', 1, timestamptz '2025-01-02 03:00:00.2+00', 8420.0, (SELECT count(*) FROM dmine.result_profile WHERE run_id = 1),
   '{"columns": 8, "rows_read": 60000}'::jsonb),
  ('features', 2, '2025-01-02 03:00:08.7+00', 6310.0, (SELECT count(*) FROM dmine.result_customer_features WHERE run_id = 1),
   '{"feature_names": ["recency_days", "frequency", "monetary", "avg_basket", "avg_quantity", "night_share"]}'),
  ('clustering', 3, '2025-01-02 03:00:15.1+00', 38950.0, (SELECT count(*) FROM dmine.result_clusters WHERE run_id = 1),
   '{"feature_names": ["recency_days", "frequency", "monetary", "avg_basket", "avg_quantity", "night_share"], "k": 4, "scaling": "zscore"}'),
  ('cluster_profiles', 4, '2025-01-02 03:00:54.1+00', 1240.0, 4, '{}'),
  ('anomalies', 5, '2025-01-02 03:00:55.4+00', 45820.0, (SELECT count(*) FROM dmine.result_anomalies WHERE run_id = 1),
   '{"trees": 100, "sample_size": 256, "threshold": 0.62}'),
  ('rfm', 6, '2025-01-02 03:01:41.3+00', 6150.0, (SELECT count(*) FROM dmine.result_rfm WHERE run_id = 1), NULL),
  ('trends', 7, '2025-01-02 03:01:47.5+00', 2100.0, NULL, '{"grains": ["day", "week", "month"]}'),
  ('breakdowns', 8, '2025-01-02 03:01:49.6+00', 2900.0, NULL, '{"breakdowns": 3}')
) AS s(step, pos, ts, ms, rws, det);

INSERT INTO dmine.run_steps VALUES
 (2, 'profile', 1, 'succeeded', '2025-01-03 03:00:00.1+00', '2025-01-03 03:00:05.3+00', 5200, 8, NULL, '{"columns": 8}'),
 (2, 'features', 2, 'succeeded', '2025-01-03 03:00:05.3+00', '2025-01-03 03:00:09.9+00', 4600,
  (SELECT count(*) FROM dmine.result_customer_features WHERE run_id = 2), NULL, NULL),
 (2, 'clustering', 3, 'succeeded', '2025-01-03 03:00:09.9+00', '2025-01-03 03:00:19.8+00', 9900,
  (SELECT count(*) FROM dmine.result_clusters WHERE run_id = 2), NULL, '{"k": 4}'),
 (2, 'cluster_profiles', 4, 'succeeded', '2025-01-03 03:00:19.8+00', '2025-01-03 03:00:21.0+00', 1200, 4, NULL, NULL),
 (2, 'anomalies', 5, 'failed', '2025-01-03 03:00:21.0+00', '2025-01-03 03:00:41.2+00', 20200, NULL,
  'canceling statement due to statement timeout', '{"trees": 50}');

-- Profile roles (run 1 and 2).
UPDATE dmine.result_profile SET role = CASE column_name
    WHEN 'line_id' THEN 'identifier' WHEN 'customer_id' THEN 'identifier' WHEN 'sold_at' THEN 'timestamp'
    WHEN 'category' THEN 'category' WHEN 'store' THEN 'category' ELSE 'measure' END;

-- Sales over time (run 1): two years of days with a planted trend (+8 % a year), monthly
-- factors (December peak, February low) and weekday factors (Saturday peak, Sunday low).
SELECT setseed(0.17) AS seed2 \gset
CREATE TEMP TABLE fx_days AS
SELECT d::date AS day,
       3200 * (1 + 0.08 * (d::date - date '2023-01-01') / 365.0) AS base,
       (ARRAY[0.85, 0.72, 0.9, 0.95, 1.0, 1.02, 0.93, 0.88, 1.0, 1.05, 1.22, 1.48])[extract(month FROM d)::int] AS mf,
       (ARRAY[0.88, 0.9, 0.95, 1.0, 1.12, 1.38, 0.77])[extract(isodow FROM d)::int] AS wf
FROM generate_series(date '2023-01-01', date '2024-12-31', interval '1 day') AS d;
ALTER TABLE fx_days ADD COLUMN revenue float8;
UPDATE fx_days SET revenue = round((base * mf * wf * (0.9 + 0.2 * random()))::numeric, 2);

INSERT INTO dmine.result_trends
SELECT 1, g.grain, g.start, sum(revenue), round(sum(revenue) / 20.4)::bigint, round(sum(revenue) / 49)::bigint,
       round(least(1200, sum(revenue) / 61))::bigint, sum(base * wf)
FROM fx_days
CROSS JOIN LATERAL (VALUES ('day', day), ('week', date_trunc('week', day)::date),
                           ('month', date_trunc('month', day)::date)) AS g(grain, start)
GROUP BY g.grain, g.start;
-- The trend of a grain: the planted trend without the seasons (weekday factors average out).
UPDATE dmine.result_trends t SET trend = x.tr
FROM (SELECT date_trunc('month', day)::date AS m, avg(base) * 30.4375 AS tr FROM fx_days GROUP BY 1) AS x
WHERE t.grain = 'month' AND t.period_start = x.m;
UPDATE dmine.result_trends SET trend = NULL WHERE grain = 'day';

INSERT INTO dmine.result_seasonality
SELECT 1, 'month', m, trim(to_char(make_date(2024, m, 1), 'Month')), idx / avg(idx) OVER (), 0.86
FROM (SELECT extract(month FROM day)::int AS m, avg(revenue / base) AS idx FROM fx_days GROUP BY 1) AS s
UNION ALL
SELECT 1, 'weekday', w, trim(to_char(date '2024-01-07' + w, 'Day')), idx / avg(idx) OVER (), 0.58
FROM (SELECT extract(isodow FROM day)::int AS w, avg(revenue / (base * mf)) AS idx FROM fx_days GROUP BY 1) AS s;

INSERT INTO dmine.result_heatmap
SELECT 1, extract(isodow FROM sold_at)::int, hour, round(sum(amount)::numeric, 2), count(*)
FROM fx_sales GROUP BY 2, 3;

-- Breakdowns (run 1): by category, by store and by product (400 products with skewed sales).
CREATE TEMP TABLE fx_lines AS
SELECT *, 'P' || lpad((1 + floor(400 * power(((line_id * 2654435761::bigint) % 1000003) / 1000003.0, 3.5)))::int::text, 4, '0') AS product
FROM fx_sales;
CREATE TEMP TABLE fx_break AS
SELECT dimension, attribute, value, sum(amount) AS revenue, count(*) AS lines, count(DISTINCT customer_key) AS customers,
       (sum(amount) FILTER (WHERE sold_at >= '2024-12-01') / 31) / nullif(sum(amount) FILTER (WHERE sold_at >= '2024-11-01' AND sold_at < '2024-12-01') / 30, 0) - 1 AS growth
FROM fx_lines
CROSS JOIN LATERAL (VALUES ('product', 'category', category), ('store', 'store', store),
                           ('product', 'product', product)) AS b(dimension, attribute, value)
GROUP BY 1, 2, 3;
INSERT INTO dmine.result_breakdowns
SELECT 1, dimension, attribute, value, revenue, lines, customers, share, growth,
       CASE WHEN cum - share < 0.8 THEN 'A' WHEN cum - share < 0.95 THEN 'B' ELSE 'C' END, rank
FROM (SELECT *, revenue / sum(revenue) OVER w0 AS share,
             sum(revenue) OVER (w0 ORDER BY revenue DESC, value) / sum(revenue) OVER w0 AS cum,
             row_number() OVER (w0 ORDER BY revenue DESC, value)::int AS rank
      FROM fx_break WINDOW w0 AS (PARTITION BY dimension, attribute)) AS x;
INSERT INTO dmine.result_concentration
SELECT 1, dimension, attribute, count(*),
       2 * sum(asc_rank * revenue) / (count(*) * sum(revenue)) - (count(*) + 1)::float8 / count(*),
       sum(revenue) FILTER (WHERE rank <= ceil(0.2 * n)) / sum(revenue),
       count(*) FILTER (WHERE abc_class = 'A')
FROM (SELECT *, count(*) OVER (PARTITION BY dimension, attribute) AS n,
             row_number() OVER (PARTITION BY dimension, attribute ORDER BY revenue, value) AS asc_rank
      FROM dmine.result_breakdowns WHERE run_id = 1) AS x
GROUP BY dimension, attribute;
UPDATE dmine.run_steps SET rows = (SELECT count(*) FROM dmine.result_trends WHERE run_id = 1) WHERE run_id = 1 AND step = 'trends';
UPDATE dmine.run_steps SET rows = (SELECT count(*) FROM dmine.result_breakdowns WHERE run_id = 1) WHERE run_id = 1 AND step = 'breakdowns';

ANALYZE;
