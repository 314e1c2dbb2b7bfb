-- A 0.1.0 database as a user leaves it: models in tables of their own, their scores, a
-- configuration and a pipeline run (test/upgrade/check.sh, before ALTER EXTENSION UPDATE).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT count(*) FROM dmine.create_demo_warehouse('up_demo', scale => 0.005);
CREATE TABLE public.points AS
SELECT i, ARRAY[(i % 7)::float8 + sin(i), (i % 3)::float8 * 2 + cos(i), (i % 11)::float8 / 3] AS f
FROM generate_series(1, 600) i;
CREATE TABLE public.user_models (name text PRIMARY KEY, model dmine.kmeans_model, as_text text);
INSERT INTO user_models (name, model) SELECT 'kmeans', dmine.dm_kmeans(f, 3) FROM points;
INSERT INTO user_models (name, model) SELECT 'kmeans_options', dmine.dm_kmeans(f, 4, '{"seed": 7}') FROM points;
INSERT INTO user_models (name, model) SELECT 'kmeans_auto', dmine.dm_kmeans_auto(f, 2, 5) FROM points;
INSERT INTO user_models (name, model)
SELECT 'kmeans_refined', dmine.dm_kmeans_refine(m.model, p.f) FROM user_models m, points p WHERE m.name = 'kmeans' GROUP BY m.name;
UPDATE user_models SET as_text = model::text;
CREATE TABLE public.user_forests (name text PRIMARY KEY, model dmine.iforest_model, as_text text);
INSERT INTO user_forests (name, model) SELECT 'iforest', dmine.dm_iforest(f) FROM points;
INSERT INTO user_forests (name, model) SELECT 'iforest_options', dmine.dm_iforest(f, '{"contamination": 0.02, "seed": 3}') FROM points;
UPDATE user_forests SET as_text = model::text;
CREATE TABLE public.user_scores AS
SELECT m.name, p.i, dmine.dm_kmeans_assign(m.model, p.f)::float8 AS score FROM user_models m, points p
UNION ALL
SELECT m.name, p.i, dmine.dm_iforest_score(m.model, p.f) FROM user_forests m, points p;
SELECT * FROM dmine.configure_mining('up_demo', 'up_demo.sales_lines',
    customer_column => 'customer_id', order_column => 'order_id', time_column => 'sold_at',
    amount_column => 'amount', quantity_column => 'quantity', line_column => 'line_id');
CALL dmine.run_mining('up_demo');
CREATE TABLE public.old_results AS
SELECT (SELECT count(*) FROM dmine.latest_rfm) AS rfm, (SELECT count(*) FROM dmine.latest_clusters) AS clusters,
       (SELECT count(*) FROM dmine.latest_anomalies) AS anomalies, (SELECT count(*) FROM dmine.latest_steps) AS steps,
       (SELECT run_id FROM dmine.latest_run) AS run_id;
