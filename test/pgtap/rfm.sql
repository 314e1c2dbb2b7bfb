-- RFM on the real Online Retail data (retail/README: clean rows = CustomerID present, not a
-- 'C' invoice, Quantity > 0, UnitPrice > 0; as-of 2011-12-10): the published figures, the tie
-- rule, and the segment map.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(23);

-- The segment map: 25 cells, each in exactly one segment; the order of the rules matters.
SELECT is((SELECT count(*)::int FROM dm_rfm_segment_map()), 25, 'default scheme: 25 cells');
SELECT is((SELECT count(DISTINCT segment)::int FROM dm_rfm_segment_map()), 11, 'default scheme: 11 segments');
SELECT is((SELECT count(DISTINCT segment)::int FROM dm_rfm_segment_map('coarse')), 5, 'coarse scheme: 5 segments');
SELECT results_eq(
    $$SELECT dm_rfm_segment(2, 2, 2), dm_rfm_segment(1, 5, 5), dm_rfm_segment(5, 5, 5), dm_rfm_segment(5, 1, 1),
             dm_rfm_segment(4, 1, 1), dm_rfm_segment(3, 3, 3), dm_rfm_segment(3, 1, 2)$$,
    $$VALUES ('Hibernating', 'Can''t Lose Them', 'Champions', 'New Customers', 'Promising', 'Need Attention',
              'About to Sleep')$$,
    'the single-cell segments');
SELECT throws_ok($$SELECT dm_rfm_segment(6, 1, 1)$$, '22023', NULL, 'score above 5: invalid_parameter_value');
SELECT throws_ok($$SELECT dm_rfm_segment(1, 1, 1, 'other')$$, '22023', NULL, 'unknown scheme: invalid_parameter_value');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc WHERE oid = 'dm_rfm_segment(int, int, int, text)'::regprocedure),
          'is', 'dm_rfm_segment is IMMUTABLE PARALLEL SAFE');

-- The Online Retail data, under its own (mixed-case, quoted) column names.
CREATE TABLE retail ("InvoiceNo" text, "StockCode" text, "Description" text, "Quantity" int,
                     "InvoiceDate" timestamp, "UnitPrice" numeric, "CustomerID" int, "Country" text);
SELECT dmine_test.data_available() AS have_data \gset
\if :have_data
SELECT dmine_test.load_csv('retail', 'retail/online_retail.csv.gz') AS loaded \gset
CREATE VIEW "Clean Retail" AS
SELECT *, "Quantity" * "UnitPrice" AS "Amount" FROM retail
WHERE "CustomerID" IS NOT NULL AND "InvoiceNo" NOT LIKE 'C%' AND "Quantity" > 0 AND "UnitPrice" > 0;
CREATE TEMP TABLE rfm AS
SELECT * FROM dm_rfm('"Clean Retail"', 'CustomerID', 'InvoiceNo', 'InvoiceDate', 'Amount', as_of => '2011-12-10');

SELECT is(:loaded::bigint, 541909::bigint, 'Online Retail: 541,909 rows loaded');
SELECT is((SELECT count(*) FROM "Clean Retail"), 397884::bigint, 'clean rows: 397,884');
SELECT is((SELECT count(*) FROM rfm), 4338::bigint, 'RFM over the clean rows: 4,338 customers');
SELECT results_eq($$SELECT frequency, monetary FROM rfm WHERE customer_key = '14646'$$,
                  $$VALUES (73::bigint, 280206.02::float8)$$, 'customer 14646: F = 73, M = 280,206.02');
SELECT results_eq($$SELECT recency_days, frequency, monetary FROM rfm WHERE customer_key = '12346'$$,
                  $$VALUES (326, 1::bigint, 77183.60::float8)$$, 'customer 12346: R = 326, F = 1, M = 77,183.60');
SELECT results_eq($$SELECT customer_key, recency_days, frequency, monetary FROM rfm
                    WHERE customer_key IN ('12347', '12348', '17841', '18102') ORDER BY 1$$,
                  $$VALUES ('12347', 3, 7::bigint, 4310::float8), ('12348', 76, 4::bigint, 1797.24::float8),
                           ('17841', 2, 124::bigint, 40991.57::float8), ('18102', 1, 60::bigint, 259657.30::float8)$$,
                  'customers 12347, 12348, 17841, 18102 as in the reference values');
SELECT is((SELECT round(sum(monetary)::numeric, 2) FROM rfm), 8911407.90, 'total monetary 8,911,407.90');
SELECT results_eq($$SELECT round(avg(recency_days), 4), round(avg(frequency), 4), min(recency_days), max(recency_days),
                           max(frequency) FROM rfm$$,
                  $$VALUES (93.0595, 4.2720, 1, 374, 209::bigint)$$,
                  'recency and frequency summaries as in the reference values');
SELECT is((SELECT count(*) FROM dm_rfm('"Clean Retail"', 'CustomerID', 'InvoiceNo', 'InvoiceDate', 'Amount') AS d
           JOIN rfm USING (customer_key)
           WHERE (d.recency_days, d.r_score, d.segment) = (rfm.recency_days, rfm.r_score, rfm.segment)),
          4338::bigint, 'the default as-of date is the day after the last purchase (2011-12-10)');

-- Tie rule: equal values get equal scores; a score is 1 + floor(5 * customers strictly worse / customers).
SELECT is((SELECT count(*) FROM (SELECT frequency FROM rfm GROUP BY 1 HAVING count(DISTINCT f_score) > 1) t)
          + (SELECT count(*) FROM (SELECT recency_days FROM rfm GROUP BY 1 HAVING count(DISTINCT r_score) > 1) t)
          + (SELECT count(*) FROM (SELECT monetary FROM rfm GROUP BY 1 HAVING count(DISTINCT m_score) > 1) t),
          0::bigint, 'equal R, F or M values always get equal scores');
SELECT is((SELECT count(*) FROM rfm r
           WHERE f_score <> 1 + (5 * (SELECT count(*) FROM rfm w WHERE w.frequency < r.frequency)) / 4338
              OR r_score <> 1 + (5 * (SELECT count(*) FROM rfm w WHERE w.recency_days > r.recency_days)) / 4338),
          0::bigint, 'scores follow the documented rule (recent = 5)');
SELECT results_eq($$SELECT f_score, count(*), min(frequency), max(frequency) FROM rfm GROUP BY 1 ORDER BY 1$$,
                  $$VALUES (1, 1493::bigint, 1::bigint, 1::bigint), (2, 835::bigint, 2::bigint, 2::bigint),
                           (3, 508::bigint, 3::bigint, 3::bigint), (4, 802::bigint, 4::bigint, 6::bigint),
                           (5, 700::bigint, 7::bigint, 209::bigint)$$,
                  'frequency quintiles: the 1,493 one-order customers all score 1');
SELECT is((SELECT count(*) FROM rfm WHERE m_score BETWEEN 1 AND 5 AND r_score BETWEEN 1 AND 5), 4338::bigint,
          'every score is 1..5');
SELECT is((SELECT count(*) FROM rfm r JOIN dm_rfm_segment_map() m ON m.r_score = r.r_score AND m.fm_score = r.fm_score
           WHERE m.segment = r.segment AND r.fm_score = (r.f_score + r.m_score) / 2), 4338::bigint,
          'every customer''s segment is its cell''s segment, FM = trunc((F + M) / 2)');
SELECT results_eq($$SELECT segment, count(*) FROM rfm WHERE customer_key IN ('14646', '12346') GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('At Risk', 1::bigint), ('Champions', 1::bigint)$$,
                  '14646 is a Champion, 12346 (one big order, long ago) is At Risk');
SELECT is((SELECT count(DISTINCT segment) FROM rfm), 11::bigint, 'all 11 segments occur');
\else
SELECT skip('the reference data directory is not available', 16);
\endif

SELECT * FROM finish();
ROLLBACK;
