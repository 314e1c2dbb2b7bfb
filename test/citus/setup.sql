-- Fixtures of the Citus suite, run on the coordinator (dmine and pgtap created on every node).
-- Two warehouses of different shapes, each fact table kept twice with the same rows: a local
-- copy on the coordinator (the single-node reference) and a distributed table (4 shards per
-- worker). The demo is distributed by customer_id, the French one (a view over a base table) by
-- id_ligne; a planted anomaly set scores Isolation Forest on both sides.
SET client_min_messages = warning;
SET citus.shard_count = 8;
CREATE SCHEMA citus_test;

SELECT count(*) FROM dmine.create_demo_warehouse('erp_demo', 0.15) \g /dev/null
-- Dimensions become reference tables (copied to every node), the fact table is distributed; a
-- distributed table's primary key must hold the distribution column.
ALTER TABLE erp_demo.planted_anomalies DROP CONSTRAINT planted_anomalies_line_id_fkey;
ALTER TABLE erp_demo.sales_lines DROP CONSTRAINT sales_lines_pkey CASCADE;
ALTER TABLE erp_demo.sales_lines ADD PRIMARY KEY (customer_id, line_id);
CREATE TABLE citus_test.demo_local AS SELECT * FROM erp_demo.sales_lines;
SELECT create_reference_table('erp_demo.' || t)
FROM unnest(ARRAY['regions', 'depots', 'dates', 'products', 'customers', 'planted_anomalies']) AS t \g /dev/null
SELECT create_distributed_table('erp_demo.sales_lines', 'customer_id') \g /dev/null
SELECT truncate_local_data_after_distributing_table('erp_demo.sales_lines') \g /dev/null

\set schema entrepot_fr
\set lignes 60000
\set produits 5000
\set clients 1500
\ir ../warehouses/entrepot_fr.sql
SET client_min_messages = warning;
CREATE TABLE citus_test.fr_local AS SELECT * FROM entrepot_fr.lignes_vente;
SELECT create_distributed_table('entrepot_fr.lignes_vente_base', 'id_ligne') \g /dev/null
SELECT truncate_local_data_after_distributing_table('entrepot_fr.lignes_vente_base') \g /dev/null

-- A planted set for K-Means and Isolation Forest: 20,000 points in 4 well-separated 3-d clusters
-- and 60 far outliers (every 333rd point).
CREATE TABLE citus_test.planted (id int PRIMARY KEY, f float8[] NOT NULL, outlier boolean NOT NULL);
INSERT INTO citus_test.planted
SELECT i, ARRAY[6 * (i % 4) + dmine.dm_demo_uniform(i, 1) + dmine.dm_demo_uniform(i, 2) + dmine.dm_demo_uniform(i, 3),
                6 * (i % 2) + dmine.dm_demo_uniform(i, 4) + dmine.dm_demo_uniform(i, 5) + dmine.dm_demo_uniform(i, 6),
                dmine.dm_demo_uniform(i, 7) + dmine.dm_demo_uniform(i, 8) + dmine.dm_demo_uniform(i, 9)],
       false
FROM generate_series(1, 20000) AS i;
UPDATE citus_test.planted
SET f = ARRAY[-8 - 4 * dmine.dm_demo_uniform(id, 10), 14 + 4 * dmine.dm_demo_uniform(id, 11), 8 + 3 * dmine.dm_demo_uniform(id, 12)],
    outlier = true
WHERE id % 333 = 0;
CREATE TABLE citus_test.planted_local AS SELECT * FROM citus_test.planted;
SELECT create_distributed_table('citus_test.planted', 'id') \g /dev/null
SELECT truncate_local_data_after_distributing_table('citus_test.planted') \g /dev/null
ANALYZE;
