-- RFM: segment maps, quintile scores with ties, dm_rfm on a small fact table and its errors.
SET search_path = dmine, public;
SET extra_float_digits = 0;
\set SHOW_CONTEXT never

-- The default scheme: every one of the 25 cells (R x FM) and its segment.
SELECT r_score, string_agg(fm_score || ' ' || segment, ' | ' ORDER BY fm_score) AS "FM 1 .. 5"
FROM dm_rfm_segment_map() GROUP BY r_score ORDER BY r_score;
-- The segments in order, best first, with their cells.
SELECT segment_order, segment, string_agg(r_score::text || fm_score, ' ' ORDER BY r_score, fm_score) AS cells
FROM dm_rfm_segment_map() GROUP BY 1, 2 ORDER BY 1;
SELECT segment_order, segment, count(*) AS cells FROM dm_rfm_segment_map('coarse') GROUP BY 1, 2 ORDER BY 1;

-- FM = trunc((F + M) / 2): F and M reach the same cell in different ways.
SELECT dm_rfm_segment(5, 5, 4) AS r5_f5_m4, dm_rfm_segment(5, 4, 5) AS r5_f4_m5, dm_rfm_segment(5, 5, 5) AS r5_f5_m5,
       dm_rfm_segment(1, 5, 5) AS r1_f5_m5, dm_rfm_segment(1, 4, 5) AS r1_f4_m5, dm_rfm_segment(1, 5, 5, 'coarse') AS coarse;
SELECT dm_rfm_segment(NULL, 1, 1) IS NULL AS null_in_null_out;

-- Quintile scores: 1 + floor(5 * strictly worse / total).
SELECT n, dm_rfm_score(n, 10) AS score FROM generate_series(0, 9) AS n;

-- Errors.
SELECT dm_rfm_segment(0, 3, 3);
SELECT dm_rfm_segment(3, 6, 3);
SELECT dm_rfm_segment(3, 3, 3, 'fine');
SELECT dm_rfm_score(10, 10);
SELECT dm_rfm_score(0, 0);

-- A small fact table: 10 customers, a NULL customer line (left out), ties in frequency.
CREATE TEMP TABLE "Sales Lines" ("Customer" text, "Order No" int, "Sold At" timestamp, "Net Amount" numeric(10, 2), note text);
INSERT INTO "Sales Lines" VALUES
    ('c01', 1, '2024-12-30 10:00', 100.00, NULL), ('c01', 2, '2024-12-31 09:00', 50.50, NULL),
    ('c01', 2, '2024-12-31 09:00', 49.50, NULL), ('c01', 3, '2024-11-01 09:00', 10.00, NULL),
    ('c02', 4, '2024-12-20 10:00', 20.00, NULL), ('c02', 5, '2024-12-21 10:00', 20.00, NULL),
    ('c03', 6, '2024-10-01 10:00', 1000.00, NULL),
    ('c04', 7, '2024-06-01 10:00', 5.00, NULL), ('c04', 8, '2024-06-02 10:00', 5.00, NULL),
    ('c05', 9, '2024-12-01 10:00', 300.00, NULL),
    ('c06', 10, '2024-01-15 10:00', 40.00, NULL),
    ('c07', 11, '2024-12-28 10:00', 60.00, NULL), ('c07', 12, '2024-12-29 10:00', 60.00, NULL),
    ('c07', 13, '2024-12-30 10:00', 60.00, NULL),
    ('c08', 14, '2024-03-01 10:00', 15.00, NULL),
    ('c09', 15, '2024-09-09 10:00', 700.00, NULL), ('c09', 16, '2024-09-10 10:00', 700.00, NULL),
    ('c10', 17, '2024-12-15 10:00', 80.00, NULL),
    (NULL, 18, '2024-12-31 23:00', 999.00, 'walk-in');
SELECT * FROM dm_rfm('"Sales Lines"', 'Customer', 'Order No', 'Sold At', 'Net Amount');
-- An explicit as-of date and the coarse scheme.
SELECT customer_key, recency_days, r_score, segment
FROM dm_rfm('"Sales Lines"', 'Customer', 'Order No', 'Sold At', 'Net Amount', as_of => '2025-02-01', scheme => 'coarse')
ORDER BY customer_key LIMIT 3;
-- A view filters and computes columns (here: orders after June).
CREATE TEMP VIEW late_sales AS SELECT * FROM "Sales Lines" WHERE "Sold At" >= '2024-07-01';
SELECT count(*) AS customers, sum(frequency) AS orders FROM dm_rfm('late_sales', 'Customer', 'Order No', 'Sold At', 'Net Amount');

-- Mapping errors name the table or column.
SELECT * FROM dm_rfm('"Sales Lines"', 'customer', 'Order No', 'Sold At', 'Net Amount');
SELECT * FROM dm_rfm('"Sales Lines"', 'Customer', 'Order No', 'Sold At', 'note');
SELECT * FROM dm_rfm('"Sales Lines"', 'Customer', 'Order No', 'Net Amount', 'Net Amount');
SELECT * FROM dm_rfm('"Sales Lines"', 'Customer', 'Order No', 'Sold At', 'Net Amount', scheme => 'nine');
SELECT dm_mapping_relation('no_such_table');
SELECT dm_mapping_relation('"Sales Lines"') AS resolved;
