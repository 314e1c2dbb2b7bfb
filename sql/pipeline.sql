-- The mining pipeline on small deterministic data: a warehouse with quoted mixed-case names,
-- a full run, the result tables and views, step selection, and immediate, clear errors.
SET search_path = dmine, public;
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

-- A warehouse whose names need quoting: three clear customer groups, two odd lines.
CREATE SCHEMA "Shop Data";
CREATE TABLE "Shop Data"."Sales Lines" (
    "Line" int PRIMARY KEY, "Customer" text, "Invoice" int, "Sold At" timestamp,
    "Net Amount" numeric(12, 2), "Qty" int, "Discount %" float8);
INSERT INTO "Shop Data"."Sales Lines"
SELECT i, 'k' || lpad(c::text, 2, '0'), o, ts, amount, qty, (i % 4) * 2.5
FROM generate_series(1, 1800) AS i,
     LATERAL (SELECT (i - 1) % 30 + 1 AS c) AS cc,
     LATERAL (SELECT CASE WHEN c <= 10 THEN 1 WHEN c <= 20 THEN 2 ELSE 3 END AS g) AS gg,
     LATERAL (SELECT CASE g WHEN 1 THEN c * 1000 + i / 120          -- frequent buyers
                            WHEN 2 THEN c * 1000 + i / 600          -- occasional, big amounts
                            ELSE c * 1000 + i / 900 END AS o,       -- lapsed
                     CASE g WHEN 3 THEN timestamp '2024-03-01 09:00' + (i % 50) * interval '1 day'
                            ELSE timestamp '2024-11-01 09:00' + (i % 60) * interval '1 day' END
                     + (i % 9) * interval '1 hour' AS ts,
                     CASE g WHEN 1 THEN 20 + i % 7 WHEN 2 THEN 400 + i % 13 ELSE 60 + i % 5 END AS amount,
                     CASE g WHEN 1 THEN 1 + i % 3 WHEN 2 THEN 10 + i % 5 ELSE 2 + i % 2 END AS qty) AS v;
-- Twelve odd lines: huge amounts, absurd quantities, night-time sales.
CREATE TABLE "Shop Data".planted (line int PRIMARY KEY, kind text);
INSERT INTO "Shop Data".planted
SELECT l, kind FROM (VALUES ('amount', ARRAY[77, 377, 677, 977]), ('quantity', ARRAY[222, 522, 822, 1122]),
                            ('hour', ARRAY[555, 855, 1155, 1455])) AS v(kind, lines), unnest(lines) AS l;
UPDATE "Shop Data"."Sales Lines" SET "Net Amount" = 250000 + "Line" WHERE "Line" IN (77, 377, 677, 977);
UPDATE "Shop Data"."Sales Lines" SET "Qty" = 5000 + "Line" WHERE "Line" IN (222, 522, 822, 1122);
UPDATE "Shop Data"."Sales Lines" SET "Sold At" = date_trunc('day', "Sold At") + interval '3 hours'
WHERE "Line" IN (555, 855, 1155, 1455);
ANALYZE "Shop Data"."Sales Lines";

-- Map it (every name is checked now) and run everything.
SELECT config_name, fact_table, customer_column, extra_features
FROM configure_mining('shop', '"Shop Data"."Sales Lines"', customer_column => 'Customer',
                      order_column => 'Invoice', time_column => 'Sold At', amount_column => 'Net Amount',
                      quantity_column => 'Qty', line_column => 'Line', extra_features => '{Discount %}',
                      options => '{"k_max": 5, "contamination": 0.01, "top_lines": 25}');
CALL run_mining('shop');

SELECT run_id, config_name, mode, steps, status, error IS NULL AS no_error, finished_at >= started_at AS timed,
       warehouse->>'fact_table' AS fact_table, parameters->>'as_of' AS as_of
FROM runs;
SELECT step, position, status, rows, duration_ms >= 0 AS timed, error FROM run_steps ORDER BY position;
SELECT run_id, status FROM latest_run;

-- Profile: one row per column; histograms of numeric columns; correlation of the line features.
SELECT column_name, ordinal, data_type, kind, role, row_count, null_count, distinct_estimate, distinct_exact,
       min_value, max_value, histogram->>'rule' AS rule, jsonb_array_length(histogram->'counts') AS bins
FROM latest_profile ORDER BY ordinal;
SELECT feature_x, feature_y, round(correlation::numeric, 3) AS correlation
FROM latest_correlation WHERE feature_x < feature_y ORDER BY 1, 2;

-- Customer features and clusters: the three groups are found.
SELECT customer_key, recency_days, frequency, monetary, round(avg_basket::numeric, 2) AS avg_basket,
       round(avg_quantity::numeric, 2) AS avg_quantity, round(night_share::numeric, 3) AS night_share,
       cardinality(features) AS dims
FROM latest_customer_features WHERE customer_key IN ('k01', 'k11', 'k21') ORDER BY 1;
SELECT k, chosen FROM latest_kmeans_scores ORDER BY k;
SELECT count(DISTINCT cluster) AS clusters,
       count(*) FILTER (WHERE same_as_group_leader) AS customers_with_their_group
FROM (SELECT cluster = first_value(cluster) OVER (PARTITION BY (substr(customer_key, 2)::int - 1) / 10
                                                  ORDER BY customer_key) AS same_as_group_leader, cluster
      FROM latest_clusters) AS t;
SELECT size, round(share::numeric, 3) AS share, label, recency_days, frequency, monetary,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(centroid) AS k) AS centroid_features
FROM latest_cluster_profiles ORDER BY monetary;

-- Anomalies: the odd lines are flagged, typed by the top feature of their explanation.
SELECT lines_scored, anomalies, jsonb_array_length(score_histogram->'counts') AS bins,
       (SELECT sum(c::bigint) FROM jsonb_array_elements_text(score_histogram->'counts') AS c) AS counted
FROM latest_anomaly_summary;
SELECT count(*) AS kept, count(*) FILTER (WHERE is_anomaly) AS flagged,
       count(*) FILTER (WHERE is_anomaly AND p.line IS NOT NULL) AS planted_flagged,
       count(*) FILTER (WHERE p.kind = a.anomaly_type OR (p.kind = 'hour' AND a.anomaly_type = 'time')) AS typed_as_planted,
       bool_and(a.anomaly_type = a.explanation->0->>'feature') AS type_is_top_feature,
       min(jsonb_array_length(a.explanation)) AS features
FROM latest_anomalies a LEFT JOIN "Shop Data".planted p ON p.line::text = a.line_key;

-- RFM: scores and segments.
SELECT customer_key, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score, segment
FROM latest_rfm WHERE customer_key IN ('k01', 'k11', 'k21') ORDER BY 1;
SELECT segment, customers, round(share::numeric, 3) AS share, segment_order FROM latest_rfm_segments ORDER BY segment_order;

-- The models are kept and score new data.
SELECT step, kmeans IS NOT NULL AS kmeans, iforest IS NOT NULL AS iforest, cardinality(context) AS context, feature_names FROM result_models ORDER BY step;
SELECT dm_context_surprise(context[4], NULL, 250000) > dm_context_surprise(context[4], NULL, 25) AS odd_line_scores_higher
FROM result_models WHERE step = 'anomalies';

-- Selected steps: RFM alone (from the fact table); the other steps are logged as skipped.
CALL run_mining('shop', steps => '{rfm}');
SELECT step, status, details->>'reason' AS reason, details->>'from' AS rfm_from
FROM run_steps WHERE run_id = (SELECT max(run_id) FROM runs) ORDER BY position;
SELECT count(*) AS same_rfm FROM result_rfm a JOIN result_rfm b USING (customer_key)
WHERE a.run_id = 1 AND b.run_id = 2 AND (a.r_score, a.f_score, a.m_score, a.segment) = (b.r_score, b.f_score, b.m_score, b.segment);
-- The views follow the latest successful run (run 2 has no clusters).
SELECT (SELECT run_id FROM latest_run) AS latest, (SELECT count(*) FROM latest_clusters) AS clusters,
       (SELECT count(*) FROM latest_rfm) AS rfm;

-- Quick mode samples rows (small tables: row sampling).
CALL run_mining('shop', mode => 'quick', steps => '{features,rfm}', options => '{"quick_percent": 50}');
SELECT mode, status, parameters->>'sample_percent' AS sample_percent,
       (SELECT rows FROM run_steps s WHERE s.run_id = r.run_id AND step = 'features') BETWEEN 1 AND 30 AS customers
FROM runs r WHERE run_id = (SELECT max(run_id) FROM runs);

-- A mapping given as arguments is saved under its name and runs the same way.
CALL run_mining(config_name => 'shop again', fact_table => '"Shop Data"."Sales Lines"',
                customer_column => 'Customer', order_column => 'Invoice', time_column => 'Sold At',
                amount_column => 'Net Amount', steps => '{features,clustering,cluster_profiles}');
SELECT config_name, quantity_column IS NULL AS no_quantity FROM mining_config ORDER BY 1;
SELECT step, status, details->'feature_names' AS feature_names FROM run_steps
WHERE run_id = (SELECT max(run_id) FROM runs) AND step = 'features';

-- Errors come at once and name what is wrong; no run is logged for them.
SELECT count(*) AS runs_before FROM runs;
CALL run_mining('nope');
CALL run_mining();
CALL run_mining('shop', mode => 'fast');
CALL run_mining('shop', steps => '{rfm,clusters}');
CALL run_mining('shop', steps => '{clustering}');
CALL run_mining('shop', steps => '{features,cluster_profiles}');
CALL run_mining('shop', options => '{"k_max": 1}');
CALL run_mining('shop', options => '{"kmax": 4}');
CALL run_mining('shop', options => '{"contamination": 2}');
CALL run_mining(fact_table => '"Shop Data"."Sales lines"', customer_column => 'Customer', order_column => 'Invoice',
                time_column => 'Sold At', amount_column => 'Net Amount');
CALL run_mining(fact_table => '"Shop Data"."Sales Lines"', customer_column => 'customer', order_column => 'Invoice',
                time_column => 'Sold At', amount_column => 'Net Amount');
CALL run_mining(fact_table => '"Shop Data"."Sales Lines"', customer_column => 'Customer', order_column => 'Invoice',
                time_column => 'Customer', amount_column => 'Net Amount');
CALL run_mining(fact_table => '"Shop Data"."Sales Lines"', customer_column => 'Customer');
CALL run_mining('shop', customer_column => 'Customer');
SELECT configure_mining('bad', '"Shop Data"."Sales Lines"', 'Customer', 'Invoice', 'Sold At', 'Net Amount',
                        extra_features => '{Discount}');
-- Inside a transaction block it cannot commit after each step.
BEGIN;
CALL run_mining('shop');
ROLLBACK;
SELECT count(*) AS runs_after FROM runs;

-- A table that went away since it was mapped.
ALTER TABLE "Shop Data"."Sales Lines" RENAME TO "Old Lines";
CALL run_mining('shop');
ALTER TABLE "Shop Data"."Old Lines" RENAME TO "Sales Lines";

-- Old runs can be purged (never the latest successful one).
SELECT purge_runs(1) AS purged;
SELECT run_id, config_name, status FROM runs ORDER BY run_id;

-- The demo warehouse at a tiny scale: the star schema and its ground truth.
SELECT * FROM create_demo_warehouse('regress_demo', scale => 0.005);
SELECT planted_group, count(*) FROM regress_demo.planted_customer_groups GROUP BY 1 ORDER BY 1;
SELECT anomaly_type, count(*) FROM regress_demo.planted_anomalies GROUP BY 1 ORDER BY 1;
SELECT config_name, fact_table FROM mining_config WHERE config_name = 'regress_demo';
SELECT create_demo_warehouse('Shop Data', 0.005);
SELECT create_demo_warehouse('x', 0);
SET client_min_messages = warning;
DROP SCHEMA regress_demo CASCADE;

DELETE FROM runs;
DELETE FROM mining_config;
DROP SCHEMA "Shop Data" CASCADE;
