-- docs/rfm.md takes UCI Online Retail as table retail (the CSV's column names), the demo
-- warehouse erp_demo, and customer_totals (one row per customer: last purchase, orders, spent).
\ir retail_raw.sql
SELECT count(*) FROM dmine.create_demo_warehouse('erp_demo', scale => 0.05);
CREATE TABLE customer_totals AS
SELECT customer_id, max(sold_at)::date AS last_purchase, count(DISTINCT order_id) AS orders, sum(amount) AS spent
FROM erp_demo.sales_lines GROUP BY customer_id;
