-- CALL dmine.run_mining on distributed fact tables: every step succeeds, and the per-customer
-- results equal those of a run on the local copy of the same rows. (No transaction block: the
-- procedure commits after every step.)
SET client_min_messages = warning;
SELECT plan(15);

CALL dmine.run_mining(config_name => 'demo_citus', fact_table => 'erp_demo.sales_lines', customer_column => 'customer_id',
                      order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount',
                      quantity_column => 'quantity', line_column => 'line_id', product_column => 'product_id',
                      store_column => 'depot_id', unit_price_column => 'unit_price',
                      steps => '{profile,features,clustering,cluster_profiles,anomalies,rfm,trends,breakdowns,forecast}');
CALL dmine.run_mining(config_name => 'demo_local', fact_table => 'citus_test.demo_local', customer_column => 'customer_id',
                      order_column => 'order_id', time_column => 'sold_at', amount_column => 'amount',
                      quantity_column => 'quantity', line_column => 'line_id', product_column => 'product_id',
                      store_column => 'depot_id', unit_price_column => 'unit_price',
                      steps => '{profile,features,clustering,cluster_profiles,anomalies,rfm,trends,breakdowns,forecast}');
CREATE TEMP TABLE r AS
SELECT (SELECT max(run_id) FROM dmine.runs WHERE config_name = 'demo_citus') AS d,
       (SELECT max(run_id) FROM dmine.runs WHERE config_name = 'demo_local') AS l;

SELECT is((SELECT status FROM dmine.runs WHERE run_id = r.d), 'succeeded', 'run_mining on the distributed demo table succeeds') FROM r;
SELECT is((SELECT array_agg(step ORDER BY position) FROM dmine.run_steps WHERE run_id = r.d AND status = 'succeeded'),
          ARRAY['profile', 'features', 'clustering', 'cluster_profiles', 'anomalies', 'rfm', 'trends', 'breakdowns', 'forecast'],
          'every step succeeded on the distributed table') FROM r;
SELECT is((SELECT count(*) FROM (
              SELECT customer_key, recency_days, frequency, round(monetary::numeric, 6) FROM dmine.result_customer_features WHERE run_id = r.d
              EXCEPT
              SELECT customer_key, recency_days, frequency, round(monetary::numeric, 6) FROM dmine.result_customer_features WHERE run_id = r.l) t),
          0::bigint, 'features: the same customer features as the local run') FROM r;
SELECT cmp_ok((SELECT count(*) FROM dmine.result_customer_features WHERE run_id = r.d), '>', 0::bigint, 'features: rows written') FROM r;
SELECT is((SELECT count(*) FROM (
              SELECT customer_key, recency_days, frequency, round(monetary::numeric, 6), segment FROM dmine.result_rfm WHERE run_id = r.d
              EXCEPT
              SELECT customer_key, recency_days, frequency, round(monetary::numeric, 6), segment FROM dmine.result_rfm WHERE run_id = r.l) t),
          0::bigint, 'rfm: the same scores and segments as the local run') FROM r;
SELECT is((SELECT array_agg(column_name || ':' || row_count || ':' || null_count ORDER BY column_name) FROM dmine.result_profile WHERE run_id = r.d),
          (SELECT array_agg(column_name || ':' || row_count || ':' || null_count ORDER BY column_name) FROM dmine.result_profile WHERE run_id = r.l),
          'profile: the same row and null counts per column as the local run') FROM r;
SELECT cmp_ok((SELECT count(*) FROM dmine.result_clusters WHERE run_id = r.d), '>=', 2::bigint, 'clustering: clusters written') FROM r;
-- The anomaly step in context: summaries fitted on the workers (exact bucket counts), lines scored
-- on the workers, so the same flagged lines with the same scores and types as the local run.
SELECT cmp_ok((SELECT count(*) FROM dmine.result_anomalies WHERE run_id = r.d AND is_anomaly), '>', 0::bigint,
              'anomalies: lines flagged on the distributed table') FROM r;
SELECT is((SELECT count(*) FROM (
              (SELECT line_key, round(score::numeric, 9), anomaly_type, reason FROM dmine.result_anomalies WHERE run_id = r.d AND is_anomaly
               EXCEPT SELECT line_key, round(score::numeric, 9), anomaly_type, reason FROM dmine.result_anomalies WHERE run_id = r.l AND is_anomaly)
              UNION ALL
              (SELECT line_key, round(score::numeric, 9), anomaly_type, reason FROM dmine.result_anomalies WHERE run_id = r.l AND is_anomaly
               EXCEPT SELECT line_key, round(score::numeric, 9), anomaly_type, reason FROM dmine.result_anomalies WHERE run_id = r.d AND is_anomaly)) t),
          0::bigint, 'anomalies: the same flagged lines, scores (1e-9), types and reasons as the local run') FROM r;
SELECT is((SELECT (lines_scored, anomalies, threshold, score_histogram) FROM dmine.result_anomaly_summary WHERE run_id = r.d)::text,
          (SELECT (lines_scored, anomalies, threshold, score_histogram) FROM dmine.result_anomaly_summary WHERE run_id = r.l)::text,
          'anomalies: the same lines scored, threshold and score histogram as the local run') FROM r;
SELECT cmp_ok((SELECT count(*) FROM dmine.result_trends WHERE run_id = r.d), '>', 0::bigint, 'trends: rows written') FROM r;
-- The result tables stay local to the coordinator (plain tables, not in Citus's metadata).
SELECT is((SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'dmine.%'), 0::bigint,
          'the result tables are local tables of the coordinator');

-- The French warehouse: a view over a table distributed by line id.
CALL dmine.run_mining(config_name => 'fr_citus', fact_table => 'entrepot_fr.lignes_vente', customer_column => 'id_client',
                      order_column => 'num_commande', time_column => 'date_cle', amount_column => 'montant',
                      quantity_column => 'quantite', line_column => 'id_ligne', product_column => 'id_produit',
                      store_column => 'id_depot', unit_price_column => 'prix_unitaire',
                      dimensions => '[{"column": "id_produit", "table": "entrepot_fr.produits", "attributes": ["famille"]},
                                      {"column": "id_depot", "table": "entrepot_fr.depots", "attributes": ["region"]}]',
                      steps => '{profile,features,clustering,cluster_profiles,anomalies,rfm,trends,breakdowns,forecast}');
SELECT is((SELECT status FROM dmine.runs WHERE run_id = (SELECT max(run_id) FROM dmine.runs WHERE config_name = 'fr_citus')),
          'succeeded', 'run_mining on the French view over a distributed table succeeds');
SELECT is((SELECT count(*) FROM dmine.run_steps WHERE run_id = (SELECT max(run_id) FROM dmine.runs WHERE config_name = 'fr_citus')
                                                  AND status = 'succeeded'), 9::bigint, 'every step succeeded on the view');
SELECT ok(dmine.dm_relation_distributed('entrepot_fr.lignes_vente') AND dmine.dm_relation_distributed('erp_demo.sales_lines')
          AND NOT dmine.dm_relation_distributed('citus_test.demo_local') AND NOT dmine.dm_relation_distributed('erp_demo.customers'),
          'dm_relation_distributed: distributed tables and views over them, not local or reference tables');
SELECT * FROM finish();
