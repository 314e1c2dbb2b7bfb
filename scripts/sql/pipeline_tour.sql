-- A tour of the mining pipeline in psql: build (or reuse) a warehouse, map it, run the pipeline,
-- follow the run log, and read the results through the latest_* views.
--
--   psql -f scripts/sql/pipeline_tour.sql                  -- demo warehouse at scale 0.1 (100k lines)
--   psql -v scale=1 -f scripts/sql/pipeline_tour.sql       -- the full demo (about 1 million lines)
--   psql -v scale=1 -v mode=quick -f scripts/sql/pipeline_tour.sql
--
-- scripts/run.sh runs it at scale 1. Mapping your own warehouse is step 2: change the table and
-- column names there (names are given as stored; mixed case and spaces are fine).
\set ON_ERROR_STOP 1
\pset footer off
\pset null '-'
\if :{?scale}
\else
\set scale 0.1
\endif
\if :{?mode}
\else
\set mode full
\endif
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dmine;

\echo
\echo '== 1. A warehouse: the demo ERP star schema (customers, products, depots, dates, sales lines)'
\echo '      with planted ground truth: customer groups, seasonality, anomalous lines'
SELECT table_name, to_char(row_count, 'FM999G999G999') AS rows
FROM dmine.create_demo_warehouse('erp_demo', scale => :scale);

\echo
\echo '== 2. Map it: the fact table and the columns the pipeline needs (checked now)'
SELECT config_name, fact_table, customer_column, order_column, time_column, amount_column, quantity_column, line_column
FROM dmine.configure_mining('erp_demo', 'erp_demo.sales_lines',
                            customer_column => 'customer_id', order_column => 'order_id',
                            time_column => 'sold_at', amount_column => 'amount',
                            quantity_column => 'quantity', line_column => 'line_id',
                            options => '{"k_min": 2, "k_max": 8, "contamination": 0.002}');

\echo
\echo '== 3. Run it. Every step commits; another session can watch dmine.run_steps meanwhile.'
\echo '      (CALL it outside a transaction block; mode full or quick; steps => ''{features,clustering}'' to choose)'
\timing on
CALL dmine.run_mining('erp_demo', mode => :'mode');
\timing off

\echo
\echo '== 4. The run log'
SELECT run_id, config_name, mode, status, to_char(finished_at - started_at, 'MI:SS.MS') AS duration,
       parameters->>'as_of' AS as_of
FROM dmine.latest_run;
SELECT step, status, round(duration_ms::numeric / 1000, 2) AS seconds, to_char(rows, 'FM999G999G999') AS rows,
       COALESCE(error, details->>'reason', '') AS note
FROM dmine.latest_steps ORDER BY position;

\echo
\echo '== 5. Results, through the views of the latest successful run'
\echo '-- the columns of the fact table'
SELECT column_name, kind, to_char(row_count, 'FM999G999G999') AS rows, distinct_estimate AS distinct,
       round(mean::numeric, 2) AS mean, round(p50::numeric, 2) AS median, min_value, max_value
FROM dmine.latest_profile ORDER BY ordinal;

\echo '-- K-Means: silhouette and inertia for every k tried (the chosen k is starred)'
SELECT k, round(silhouette::numeric, 3) AS silhouette, round(inertia::numeric, 1) AS inertia,
       CASE WHEN chosen THEN '*' ELSE '' END AS chosen
FROM dmine.latest_kmeans_scores ORDER BY k;

\echo '-- the customer clusters, in original units'
SELECT cluster, label, size, round(100 * share::numeric, 1) AS "share %",
       round(recency_days::numeric) AS "recency (days)", round(frequency::numeric, 1) AS orders,
       round(monetary::numeric) AS monetary, round(avg_basket::numeric) AS "avg basket",
       round(avg_quantity::numeric, 1) AS "avg qty"
FROM dmine.latest_cluster_profiles ORDER BY monetary DESC;

\echo '-- anomalies: the score threshold, the count per type, and the top lines with their explanation'
SELECT to_char(lines_scored, 'FM999G999G999') AS lines_scored, round(threshold::numeric, 3) AS threshold,
       anomalies FROM dmine.latest_anomaly_summary;
SELECT anomaly_type, count(*) AS lines FROM dmine.latest_anomalies WHERE is_anomaly GROUP BY 1 ORDER BY 2 DESC;
SELECT line_key, customer_key, occurred_at::timestamp AS occurred_at, round(amount::numeric, 2) AS amount, quantity,
       round(score::numeric, 3) AS score, anomaly_type,
       (SELECT string_agg(e->>'feature' || ' ' || round((e->>'share')::numeric * 100) || '%', ', ')
        FROM jsonb_array_elements(explanation) AS e) AS explanation
FROM dmine.latest_anomalies ORDER BY score DESC LIMIT 10;

\echo '-- RFM segments (best first)'
SELECT segment, customers, round(100 * share::numeric, 1) AS "share %", round(monetary::numeric) AS monetary,
       round(avg_recency_days::numeric) AS "avg recency", round(avg_frequency::numeric, 1) AS "avg orders",
       round(avg_monetary::numeric) AS "avg monetary"
FROM dmine.latest_rfm_segments ORDER BY segment_order;

\echo
\echo '== 6. How well it found the planted ground truth (demo warehouse only)'
SELECT count(*) FILTER (WHERE a.is_anomaly) AS flagged,
       count(*) FILTER (WHERE a.is_anomaly AND p.line_id IS NOT NULL) AS "flagged and planted",
       (SELECT count(*) FROM erp_demo.planted_anomalies) AS planted,
       count(*) FILTER (WHERE a.is_anomaly AND p.anomaly_type = a.anomaly_type) AS "typed as planted"
FROM dmine.latest_anomalies a LEFT JOIN erp_demo.planted_anomalies p ON p.line_id::text = a.line_key;
SELECT c.cluster, string_agg(g.planted_group || ' ' || g.n, ', ' ORDER BY g.n DESC) AS "planted groups in the cluster"
FROM (SELECT DISTINCT cluster FROM dmine.latest_clusters) AS c
JOIN LATERAL (SELECT pg.planted_group, count(*) AS n FROM dmine.latest_clusters lc
              JOIN erp_demo.planted_customer_groups pg ON pg.customer_id::text = lc.customer_key
              WHERE lc.cluster = c.cluster GROUP BY 1) AS g ON true
GROUP BY c.cluster ORDER BY c.cluster;

\echo
\echo '== 7. Next: schedule it with pg_cron, give dashboards a read-only role (docs/pipeline.md)'
\echo '   SELECT cron.schedule(''mine-erp'', ''0 3 * * *'', $$CALL dmine.run_mining(''erp_demo'')$$);'
\echo '   CREATE ROLE dashboards LOGIN; SELECT dmine.grant_read_access(''dashboards'');'
