-- Anomalies in context on the real Online Retail data (the clean lines: customer known, no
-- cancellation, quantity and price > 0; product StockCode, store Country, contamination 0.001):
-- the two extreme quantities (80,995 and 74,215, each cancelled right after) and the large manual
-- price adjustments rank in the top 0.1% of scores.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
SELECT dmine_test.self_conninfo() AS conn \gset
SELECT dmine_test.data_available() AS have_data \gset
BEGIN;
SELECT plan(4);
\if :have_data
SELECT dblink_connect('ctxr', :'conn') \g /dev/null
SELECT dblink_exec('ctxr', $$
    CREATE TABLE public.ctx_retail ("InvoiceNo" text, "StockCode" text, "Description" text, "Quantity" int,
                                    "InvoiceDate" timestamp, "UnitPrice" numeric, "CustomerID" int, "Country" text);
    SELECT dmine_test.load_csv('public.ctx_retail', 'retail/online_retail.csv.gz');
    CREATE TABLE public.ctx_retail_lines AS
    SELECT row_number() OVER () AS line_no, *, "Quantity" * "UnitPrice" AS "Amount" FROM public.ctx_retail;
    CREATE VIEW public.ctx_retail_clean AS SELECT * FROM public.ctx_retail_lines
    WHERE "CustomerID" IS NOT NULL AND "InvoiceNo" NOT LIKE 'C%' AND "Quantity" > 0 AND "UnitPrice" > 0$$) \g /dev/null
SELECT r AS run FROM dblink('ctxr', $$CALL dmine.run_mining(config_name => 'ctx_retail', fact_table => 'public.ctx_retail_clean',
    customer_column => 'CustomerID', order_column => 'InvoiceNo', time_column => 'InvoiceDate', amount_column => 'Amount',
    quantity_column => 'Quantity', line_column => 'line_no', product_column => 'StockCode', store_column => 'Country',
    unit_price_column => 'UnitPrice', steps => '{anomalies}', options => '{"contamination": 0.001}')$$) AS t(r bigint) \gset
CREATE TEMP TABLE flagged AS
SELECT l.*, a.score, a.anomaly_type FROM public.ctx_retail_lines l
JOIN result_anomalies a ON a.line_key = l.line_no::text AND a.run_id = :run AND a.is_anomaly;
SELECT is((SELECT anomalies FROM result_anomaly_summary WHERE run_id = :run), 398::bigint, 'the top 0.1%: 398 of 397,884 lines');
SELECT is((SELECT count(*) FROM flagged WHERE "Quantity" IN (80995, 74215) AND anomaly_type = 'quantity'), 2::bigint,
          'the two extreme quantities (80,995 and 74,215) are in the top 0.1%, typed quantity');
-- The manual lines (StockCode M) of 2,500 or more; customer 12744's recur (four of 2,000 to 4,000)
-- and are ordinary for that customer.
SELECT is((SELECT count(*) FROM flagged WHERE "StockCode" = 'M' AND "UnitPrice" >= 2500 AND "CustomerID" <> 12744), 4::bigint,
          'the manual price adjustments of 2,500 or more are in the top 0.1%');
SELECT is((SELECT count(*) FROM public.ctx_retail_lines WHERE "StockCode" = 'M' AND "UnitPrice" >= 2500 AND "CustomerID" <> 12744
           AND "InvoiceNo" NOT LIKE 'C%'), 4::bigint, 'four such manual lines');
\else
SELECT skip('the reference data directory is not available', 4);
\endif
SELECT * FROM finish();
ROLLBACK;
-- after the test's transaction, which holds locks on the lines
\if :have_data
SELECT dblink_exec('ctxr', $$DROP VIEW public.ctx_retail_clean; DROP TABLE public.ctx_retail_lines, public.ctx_retail;
    DELETE FROM dmine.runs WHERE config_name = 'ctx_retail'; DELETE FROM dmine.mining_config WHERE config_name = 'ctx_retail'$$) \g /dev/null
\endif
