-- docs/statistics.md takes a table sales(region, amount, quantity, hour) and the demo warehouse
-- erp_demo: here sales is the demo's lines with their depot's region.
SELECT count(*) FROM dmine.create_demo_warehouse('erp_demo', scale => 0.05);
CREATE TABLE sales AS
SELECT r.region_name AS region, s.amount::float8 AS amount, s.quantity::float8 AS quantity,
       extract(hour FROM s.sold_at)::float8 AS hour
FROM erp_demo.sales_lines s JOIN erp_demo.depots d USING (depot_id) JOIN erp_demo.regions r USING (region_id);
