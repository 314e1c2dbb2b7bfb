-- docs/pipeline.md takes the demo warehouse erp_demo (and its configuration), a table
-- sales.order_lines of another shape, and the French test warehouse entrepot_fr.
SELECT count(*) FROM dmine.create_demo_warehouse('erp_demo', scale => 0.02);
CREATE SCHEMA sales;
CREATE TABLE sales.order_lines AS
SELECT line_id, order_id AS order_no, customer_id AS client_id, sold_at AS ordered_at, amount AS net_amount,
       quantity AS qty
FROM erp_demo.sales_lines;
\set lignes 20000
\set produits 2000
\set clients 300
\ir ../../warehouses/entrepot_fr.sql
-- Online Retail (its first 50,000 lines: the example maps it, the figures are in rfm.md).
CREATE SCHEMA "Retail Data";
CREATE TABLE "Retail Data"."Online Retail" ("InvoiceNo" text, "StockCode" text, "Description" text, "Quantity" int,
                     "InvoiceDate" timestamp, "UnitPrice" numeric, "CustomerID" int, "Country" text);
\set load '\\copy "Retail Data"."Online Retail" FROM PROGRAM ''gzip -dc ' :data '/retail/online_retail.csv.gz | head -50001'' WITH (FORMAT csv, HEADER)'
:load
-- The dashboards role of the example is created by the page.
SET client_min_messages = warning;
DROP ROLE IF EXISTS dashboards;
