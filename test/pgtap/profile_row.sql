-- dm_profile_summary(top_n, spec, columns record): the profile with the columns as one row,
-- ROW(a, b, ...), the form with fixed argument types that Citus runs on its workers. On one
-- node it gives exactly the summary of the VARIADIC form over the same columns: on two
-- warehouses (the demo one, entrepot_fr's view), a generated table of mixed types with NULLs,
-- the real Online Retail data, a table's whole row (dropped columns skipped); its states roll up
-- with the VARIADIC form's; dm_profile (VARIADIC form on one node) handles a lone composite column;
-- bad arguments fail with their SQLSTATEs.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(30);
SET LOCAL max_parallel_workers_per_gather = 0; -- one serial pass: the sketches see the same order

SELECT count(*) FROM create_demo_warehouse('pr_demo', scale => 0.02) \g /dev/null
\set schema pr_fr
\set lignes 15000
\set produits 1500
\set clients 300
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;

-- 1. The same summary as the VARIADIC form ---------------------------------------------------------
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 'vvvvVvvv', ROW(customer_id, amount, date_key, sold_at, product_id::text,
                                                                           quantity > 3, CASE WHEN line_id % 4 = 0 THEN NULL ELSE unit_price END,
                                                                           CASE WHEN line_id % 3 = 0 THEN NULL ELSE depot_id END)))
           FROM pr_demo.sales_lines),
          (SELECT dm_summary_profile(dm_profile_summary(5, 'vvvvVvvv', customer_id, amount, date_key, sold_at, product_id::text,
                                                        quantity > 3, CASE WHEN line_id % 4 = 0 THEN NULL ELSE unit_price END,
                                                        CASE WHEN line_id % 3 = 0 THEN NULL ELSE depot_id END))
           FROM pr_demo.sales_lines),
          'demo warehouse (numeric, date, timestamptz, text, boolean, NULLs): the record form gives the VARIADIC summary');
SELECT is((SELECT dm_summary_profile(dm_profile_summary(3, 'vvvTv', ROW(id_client, montant, date_cle, date_cle::text, heure))) FROM pr_fr.lignes_vente),
          (SELECT dm_summary_profile(dm_profile_summary(3, 'vvvTv', id_client, montant, date_cle, date_cle::text, heure)) FROM pr_fr.lignes_vente),
          'entrepot_fr (a view, yyyymmdd keys, smallint): the same summary');
SELECT is((SELECT dm_summary_profile(dm_profile_summary(0, 'vT', ROW(prix_unitaire, statut))) FROM pr_fr.lignes_vente_base),
          (SELECT dm_summary_profile(dm_profile_summary(0, 'vT', prix_unitaire, statut)) FROM pr_fr.lignes_vente_base),
          '... with top_n = 0');

CREATE DOMAIN pg_temp.positive AS numeric CHECK (VALUE > 0);
CREATE TEMP TABLE mixed AS
SELECT i AS id,
       CASE WHEN i % 7 <> 0 THEN round((i * 37 % 1000) / 7.0, 2) END AS amount,
       CASE WHEN i % 11 <> 0 THEN 'label ' || (i % 13) END AS label,
       CASE WHEN i % 5 <> 0 THEN date '2024-01-01' + i % 400 END AS day,
       CASE WHEN i % 3 <> 0 THEN timestamptz '2024-01-01 00:00+00' + i * interval '37 minutes' END AS seen,
       CASE WHEN i % 4 <> 0 THEN i % 3 = 0 END AS flag,
       CASE WHEN i % 9 <> 0 THEN to_char(i % 40, 'FM0000') END::varchar(8) AS code,
       (i % 17)::char(4) AS padded,
       (i % 500)::numeric::money AS price,
       (1 + i % 23)::numeric::pg_temp.positive AS dom,
       CASE WHEN i % 6 <> 0 THEN to_char(date '2024-01-01' + i % 90, 'YYYY-MM-DD') END AS iso_text,
       CASE WHEN i % 8 <> 0 THEN point(i % 5, i % 3) END AS pt,
       (i * 1.5)::float4 AS f4, i::float8 / 7 AS f8, (i % 300)::int2 AS small, i::int8 * 1000003 AS big
FROM generate_series(1, 6000) AS i;
SELECT is((SELECT dm_summary_profile(dm_profile_summary(4, 'vvVvvvVVtvTtvvvv', ROW(id, amount, label, day, seen, flag, code, padded, price, dom,
                                                                                   iso_text, pt, f4, f8, small, big))) FROM mixed),
          (SELECT dm_summary_profile(dm_profile_summary(4, 'vvVvvvVVtvTtvvvv', id, amount, label, day, seen, flag, code, padded, price, dom,
                                                        iso_text, pt, f4, f8, small, big)) FROM mixed),
          'mixed types (numeric, text, date, timestamptz, boolean, varchar, char, money, a domain, ISO texts, point, floats, integers, NULLs): the same summary');
SELECT is((SELECT dm_summary_profile(dm_profile_summary(4, 'tttt', ROW(amount, label, day, flag))) FROM mixed),
          (SELECT dm_summary_profile(dm_profile_summary(4, 'tttt', amount, label, day, flag)) FROM mixed),
          '... every column by its text');
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 'V', ROW(label))) FROM mixed),
          (SELECT dm_summary_profile(dm_profile_summary(5, 'V', label)) FROM mixed),
          '... a single column');
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 'vv', ROW(amount, day))) FROM mixed WHERE id < 0),
          (SELECT dm_summary_profile(dm_profile_summary(5, 'vv', amount, day)) FROM mixed WHERE id < 0),
          'no row: the empty profile, as the VARIADIC form');

-- A table's whole row as ROW(w.*): its live columns (a dropped column is none). The row value
-- itself (w, or w::record, which keeps its type) matches both forms.
CREATE TEMP TABLE whole AS SELECT id, amount, label, day, flag FROM mixed;
ALTER TABLE whole DROP COLUMN label;
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 'vvvv', ROW(w.*))) FROM whole AS w),
          (SELECT dm_summary_profile(dm_profile_summary(5, 'vvvv', id, amount, day, flag)) FROM whole),
          'a whole row of a table with a dropped column: its live columns');
SELECT is((SELECT dm_summary_profile(profile_summary_add_row(NULL, 5, 'vvvv', w)) FROM whole AS w WHERE id = 10),
          (SELECT dm_summary_profile(dm_profile_summary(5, 'vvvv', id, amount, day, flag)) FROM whole WHERE id = 10),
          '... the row value itself, given to the transition function: the dropped column skipped');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'vvvv', w) FROM whole AS w$$, '42725', NULL,
                 '... the row value w matches both forms: 42725 (write ROW(w.*), or ROW(x) to profile one composite column)');

-- A NULL row is skipped (the VARIADIC form counts a row of NULLs).
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 'vv', CASE WHEN id % 2 = 0 THEN ROW(amount, day) END)) FROM mixed),
          (SELECT dm_summary_profile(dm_profile_summary(5, 'vv', amount, day)) FROM mixed WHERE id % 2 = 0),
          'a NULL row is skipped');
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 'vv', NULL::record)) FROM mixed), dm_summary_profile(NULL),
          '... only NULL rows: a NULL summary');

-- Real data: the Online Retail transactions.
CREATE TEMP TABLE retail ("InvoiceNo" text, "StockCode" text, "Description" text, "Quantity" int,
                          "InvoiceDate" timestamp, "UnitPrice" numeric, "CustomerID" int, "Country" text);
SELECT dmine_test.data_available() AS have_data \gset
\if :have_data
SELECT dmine_test.load_csv('retail', 'retail/online_retail.csv.gz') \g /dev/null
\endif
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 'VVVvvvvV', ROW("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                                                           "UnitPrice", "CustomerID", "Country"))) FROM retail),
          (SELECT dm_summary_profile(dm_profile_summary(5, 'VVVvvvvV', "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
                                                        "UnitPrice", "CustomerID", "Country")) FROM retail),
          'Online Retail (541,909 real rows, NULL customers): the same summary');

-- 2. States: roll up with the VARIADIC form's, text round trip, parallel plans --------------------
CREATE TEMP TABLE halves AS
SELECT dm_profile_summary(5, 'vvV', ROW(customer_id, amount, product_id::text)) AS s FROM pr_demo.sales_lines WHERE line_id % 2 = 0
UNION ALL
SELECT dm_profile_summary(5, 'vvV', customer_id, amount, product_id::text) FROM pr_demo.sales_lines WHERE line_id % 2 = 1;
CREATE FUNCTION pg_temp.core(p jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE
AS $$ SELECT jsonb_build_object('rows', p->'rows', 'columns', jsonb_agg(jsonb_build_object('n', c->'n', 'nd', c->'nd', 'exact', c->'exact',
                                          'count', c->'stats'->'count', 'min', c->'stats'->'min', 'max', c->'stats'->'max',
                                          'top', CASE WHEN jsonb_typeof(c->'top') = 'array' THEN (SELECT jsonb_agg(e ORDER BY (e->>1)::bigint DESC, e->>0) FROM jsonb_array_elements(c->'top') e) END)))
      FROM jsonb_array_elements(p->'columns') AS c $$;
SELECT is((SELECT pg_temp.core(dm_summary_profile(dm_rollup(s))) FROM halves),
          (SELECT pg_temp.core(dm_summary_profile(dm_profile_summary(5, 'vvV', customer_id, amount, product_id::text))) FROM pr_demo.sales_lines),
          'a record-form state rolls up with a VARIADIC-form state: the figures of one pass');
SELECT is((SELECT count(*) FROM halves WHERE dm_summary_profile(s::text::profile_summary) = dm_summary_profile(s)), 2::bigint,
          '... both survive their text form');
CREATE TEMP TABLE daily AS
SELECT date_key, dm_profile_summary(5, 'vvV', ROW(customer_id, amount, product_id::text)) AS s FROM pr_demo.sales_lines GROUP BY date_key;
SELECT is((SELECT count(*) FROM daily d
           WHERE dm_summary_profile(d.s) <> (SELECT dm_summary_profile(dm_profile_summary(5, 'vvV', customer_id, amount, product_id::text))
                                           FROM pr_demo.sales_lines l WHERE l.date_key = d.date_key)),
          0::bigint, 'GROUP BY day: every group''s summary equals the VARIADIC form''s');
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT is((SELECT pg_temp.core(dm_summary_profile(dm_profile_summary(3, 'vvvT', ROW(id_client, prix_unitaire, date_cle, date_cle::text)))) FROM pr_fr.lignes_vente_base),
          (SELECT pg_temp.core(dm_summary_profile(dm_profile_summary(3, 'vvvT', id_client, prix_unitaire, date_cle, date_cle::text))) FROM pr_fr.lignes_vente_base),
          'a parallel plan of the record form: the counts, distinct values and top values of the VARIADIC form');
SET LOCAL max_parallel_workers_per_gather = 0;

-- 3. dm_profile on one node: a lone composite column (it would match both forms) -------------------
CREATE TYPE pg_temp.pair AS (x int, y text);
CREATE TEMP TABLE lone AS SELECT (i % 3, 'p' || (i % 3))::pg_temp.pair AS p FROM generate_series(1, 30) AS i;
SELECT is((SELECT top_values FROM dm_profile('lone')),
          '[{"count": 10, "value": "(0,p0)"}, {"count": 10, "value": "(1,p1)"}, {"count": 10, "value": "(2,p2)"}]'::jsonb,
          'dm_profile of a lone composite column: profiled by its text');
SELECT is((SELECT dm_summary_profile(dm_profile_summary(5, 't', p::text)) FROM lone),
          (SELECT dm_summary_profile(dm_profile_summary(5, 't', ROW(p))) FROM lone),
          '... p::text and ROW(p) give the same summary');

-- 4. Errors ------------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT dm_profile_summary(5, 'vv', ROW(i, i, i)) FROM generate_series(1, 3) AS i$$, '22023',
                 'the column spec must have one letter per column', 'a spec shorter than the row: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'vvvvv', ROW(w.*)) FROM whole AS w$$, '22023',
                 'the column spec must have one letter per column', 'a letter for the dropped column: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'x', ROW(i)) FROM generate_series(1, 3) AS i$$, '22023',
                 'the column spec letters are v, t, V or T', 'a bad spec letter: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(5, '', ROW()) FROM generate_series(1, 3) AS i$$, '22023',
                 'dm_profile_summary takes 1 to 100 columns', 'an empty row: 22023');
SELECT throws_ok(format('SELECT dm_profile_summary(5, %L, ROW(%s)) FROM generate_series(1, 3) AS i',
                        repeat('v', 101), (SELECT string_agg('i', ', ') FROM generate_series(1, 101))), '22023',
                 'dm_profile_summary takes 1 to 100 columns', 'a row of 101 columns: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(NULL, 'v', ROW(i)) FROM generate_series(1, 3) AS i$$, '22004',
                 'top_n must not be NULL', 'a NULL top_n: 22004');
SELECT throws_ok($$SELECT dm_profile_summary(-1, 'v', ROW(i)) FROM generate_series(1, 3) AS i$$, '22023',
                 'top_n must be between 0 and 1000', 'top_n out of range: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(5, NULL, ROW(i)) FROM generate_series(1, 3) AS i$$, '22004',
                 'the column spec must not be NULL', 'a NULL spec: 22004');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'vv', CASE WHEN i % 2 = 0 THEN ROW(i, 'a') ELSE ROW('b'::text, i) END) FROM generate_series(1, 4) AS i$$,
                 '22023', 'the rows given to dm_profile_summary must all have the same row type',
                 'rows of different row types: 22023');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'v', ROW(json_build_object('a', i))) FROM generate_series(1, 3) AS i$$, '42883',
                 NULL, 'a column type without hash function hashed by value: 42883');
SELECT throws_ok($$SELECT dm_profile_summary(5, 'v', i::record) FROM generate_series(1, 3) AS i$$, '42846',
                 NULL, 'not a row (an integer cast to record): 42846');

SELECT * FROM finish();
ROLLBACK;
