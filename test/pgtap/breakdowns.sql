-- Breakdowns by dimension: revenue, lines, customers, share, growth and ABC class per value, the
-- concentration figures, on the demo warehouse and on the French test warehouse (a view as fact
-- table, no foreign keys, tens of thousands of products), checked against plain SQL with window
-- functions.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(26);

SELECT count(*) FROM create_demo_warehouse('bd_demo', scale => 0.05) \g /dev/null
\set schema bd_fr
\set lignes 100000
\set produits 20000
\set clients 2000
\ir ../warehouses/entrepot_fr.sql
SET search_path = dmine, public;
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;  -- scan counts of pg_stat_xact_user_tables: one process

-- The ABC rule and the concentration figures, computed independently with window functions.
CREATE FUNCTION pg_temp.reference_abc(query text)
RETURNS TABLE (value text, revenue numeric, share numeric, abc_class text) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        WITH t AS (%s), w AS (
            SELECT t.v, t.r, sum(t.r) OVER (ORDER BY t.r DESC, t.v ROWS UNBOUNDED PRECEDING) - t.r AS before,
                   sum(t.r) OVER () AS total FROM t)
        SELECT v, round(r, 2), round(r / total, 9),
               CASE WHEN before / total < 0.80 THEN 'A' WHEN before / total < 0.95 THEN 'B' ELSE 'C' END
        FROM w ORDER BY r DESC, v $q$, query);
END
$$;
-- Gini from the Lorenz curve (trapezoids), and the share of the top ceil(20%) values.
CREATE FUNCTION pg_temp.reference_concentration(query text, OUT gini numeric, OUT top20 numeric)
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($q$
        WITH t AS (%s), l AS (
            SELECT t.r, sum(t.r) OVER (ORDER BY t.r ROWS UNBOUNDED PRECEDING) / sum(t.r) OVER () AS y,
                   count(*) OVER () AS n, row_number() OVER (ORDER BY t.r DESC) AS top FROM t),
        z AS (SELECT y, lag(y, 1, 0::numeric) OVER (ORDER BY y) AS y0, n, r, top FROM l)
        SELECT round(1 - sum((y + y0) / n), 9), round(sum(r) FILTER (WHERE top <= ceil(0.2 * n)) / sum(r), 9) FROM z
        $q$, query) INTO gini, top20;
END
$$;

-- 1. The demo warehouse ---------------------------------------------------------------------------
CREATE TEMP TABLE fam AS
SELECT * FROM dm_breakdown('bd_demo.sales_lines', 'amount', 'product_id', 'sold_at', 'customer_id',
                           'bd_demo.products', 'product_id', 'family', 'year');
SELECT results_eq($$SELECT value, round(revenue::numeric, 2), round(share::numeric, 9), abc_class FROM fam ORDER BY rank$$,
                  $$SELECT * FROM pg_temp.reference_abc('SELECT p.family AS v, sum(s.amount) AS r FROM bd_demo.sales_lines s
                                                         JOIN bd_demo.products p USING (product_id) GROUP BY 1')$$,
                  'by product family: revenue, share and ABC class as with window functions');
SELECT results_eq($$SELECT value, lines, customers FROM fam ORDER BY value$$,
                  $$SELECT p.family, count(*), count(DISTINCT s.customer_id) FROM bd_demo.sales_lines s
                    JOIN bd_demo.products p USING (product_id) GROUP BY 1 ORDER BY 1$$,
                  'by product family: lines and distinct customers');
SELECT is((SELECT round(growth::numeric, 9) FROM fam WHERE value = 'Garden'),
          (SELECT round(((sum(amount) FILTER (WHERE sold_at >= '2024-01-01') / 366)
                         / (sum(amount) FILTER (WHERE sold_at < '2024-01-01') / 364) - 1)::numeric, 9)
           FROM bd_demo.sales_lines s JOIN bd_demo.products p USING (product_id) WHERE p.family = 'Garden'),
          'growth over the last year: daily averages (2024: 366 days, 2023: the 364 days with data)');
SELECT is((SELECT round(max(cumulative_share)::numeric, 12) FROM fam), 1::numeric, 'cumulative share ends at 1');

CREATE TEMP TABLE prod AS SELECT * FROM dm_breakdown('bd_demo.sales_lines', 'amount', 'product_id');
SELECT results_eq($$SELECT value, round(revenue::numeric, 2), round(share::numeric, 9), abc_class FROM prod ORDER BY rank$$,
                  $$SELECT * FROM pg_temp.reference_abc('SELECT product_id::text AS v, sum(amount) AS r
                                                         FROM bd_demo.sales_lines GROUP BY 1')$$,
                  'by product: ABC classes as with window functions');
SELECT results_eq($$SELECT round(gini::numeric, 9), round(top20_share::numeric, 9), items, a_items + b_items + c_items
                    FROM dm_concentration('bd_demo.sales_lines', 'amount', 'product_id')$$,
                  $$SELECT r.gini, r.top20, 240::bigint, 240::bigint
                    FROM pg_temp.reference_concentration('SELECT sum(amount) AS r FROM bd_demo.sales_lines GROUP BY product_id') r$$,
                  'Gini and top-20% share of products as from the Lorenz curve');
SELECT ok((SELECT a_share >= 0.80 AND a_share - (SELECT max(share) FROM prod WHERE abc_class = 'A') < 0.80
           FROM dm_concentration('bd_demo.sales_lines', 'amount', 'product_id')),
          'class A makes the first 80% of revenue and no more than needed');
SELECT results_eq($$SELECT value, rank FROM dm_top('bd_demo.sales_lines', 'amount', 'customer_id', 3)$$,
                  $$SELECT customer_id::text, row_number() OVER (ORDER BY sum(amount) DESC)::int FROM bd_demo.sales_lines
                    GROUP BY 1 ORDER BY sum(amount) DESC LIMIT 3$$,
                  'top customers');

-- Every breakdown in one scan of the fact table.
SELECT seq_scan AS scans_before FROM pg_stat_xact_user_tables WHERE relid = 'bd_demo.sales_lines'::regclass \gset
CREATE TEMP TABLE many AS
SELECT * FROM dm_breakdowns('bd_demo.sales_lines', 'amount',
    '[{"column": "product_id", "table": "bd_demo.products", "attribute": "family"},
      {"column": "depot_id", "table": "bd_demo.depots", "key": "depot_id", "attribute": "city", "name": "depot"},
      {"column": "customer_id"}]', 'sold_at', 'customer_id');
SELECT is((SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'bd_demo.sales_lines'::regclass) - :scans_before,
          1::bigint, 'dm_breakdowns: three breakdowns, dimensions joined, one read of the fact table');
SELECT results_eq($$SELECT dimension, attribute, count(*), round(sum(share)::numeric, 9) FROM many GROUP BY 1, 2 ORDER BY 1, 2$$,
                  $$VALUES ('customer_id', 'customer_id', 250::bigint, 1::numeric), ('depot', 'city', 12::bigint, 1::numeric),
                           ('products', 'family', 8::bigint, 1::numeric)$$,
                  'dm_breakdowns: dimension names, one row per value, shares adding to 1');
SELECT results_eq($$SELECT value, round(revenue::numeric, 6), abc_class FROM many WHERE dimension = 'products' ORDER BY rank$$,
                  $$SELECT value, round(revenue::numeric, 6), abc_class FROM fam ORDER BY rank$$,
                  'dm_breakdowns gives the same figures as dm_breakdown');

-- 2. The French warehouse: a view as fact table, yyyymmdd key, no foreign keys ---------------
CREATE TEMP TABLE fr AS
SELECT * FROM dm_breakdowns('bd_fr.lignes_vente', 'montant',
    '[{"column": "id_produit", "table": "bd_fr.produits", "attribute": "famille"},
      {"column": "id_depot", "table": "bd_fr.depots", "attribute": "region"},
      {"column": "id_client", "table": "bd_fr.clients", "attribute": "region", "name": "clients"},
      {"column": "id_produit"}]', 'date_cle', 'id_client', 'year');
SELECT results_eq($$SELECT value, round(revenue::numeric, 2), round(share::numeric, 9), abc_class FROM fr
                    WHERE dimension = 'depots' ORDER BY rank$$,
                  $$SELECT * FROM pg_temp.reference_abc('SELECT d.region AS v, sum(l.montant) AS r FROM bd_fr.lignes_vente l
                                                         JOIN bd_fr.depots d USING (id_depot) GROUP BY 1')$$,
                  'French warehouse: revenue by depot region, ABC as with window functions');
SELECT results_eq($$SELECT value, lines, customers FROM fr WHERE dimension = 'clients' ORDER BY value$$,
                  $$SELECT c.region, count(*), count(DISTINCT l.id_client) FROM bd_fr.lignes_vente l
                    JOIN bd_fr.clients c USING (id_client) GROUP BY 1 ORDER BY 1$$,
                  'French warehouse: lines and customers by customer region');
SELECT is((SELECT count(*) FROM fr WHERE dimension = 'id_produit'),
          (SELECT count(DISTINCT id_produit) FROM bd_fr.lignes_vente), 'French warehouse: every product sold has its row');
SELECT results_eq($$SELECT value, abc_class FROM fr WHERE dimension = 'id_produit' ORDER BY value$$,
                  $$SELECT value, abc_class FROM pg_temp.reference_abc('SELECT id_produit::text AS v, sum(montant) AS r
                                                                        FROM bd_fr.lignes_vente GROUP BY 1') ORDER BY value$$,
                  'French warehouse: ABC classes of the products as with window functions');
SELECT results_eq($$SELECT round(gini::numeric, 9), round(top20_share::numeric, 9)
                    FROM dm_concentration('bd_fr.lignes_vente', 'montant', 'id_produit')$$,
                  $$SELECT gini, top20 FROM pg_temp.reference_concentration('SELECT sum(montant) AS r FROM bd_fr.lignes_vente
                                                                            GROUP BY id_produit')$$,
                  'French warehouse: Gini and top-20% share of products as from the Lorenz curve');
SELECT is((SELECT round(growth::numeric, 9) FROM fr WHERE dimension = 'produits' AND value = 'Jardin'),
          (SELECT round(((sum(montant) FILTER (WHERE date_cle >= 20240101) / 366)
                         / (sum(montant) FILTER (WHERE date_cle BETWEEN 20230101 AND 20231231) / 365) - 1)::numeric, 9)
           FROM bd_fr.lignes_vente l JOIN bd_fr.produits p USING (id_produit) WHERE p.famille = 'Jardin'),
          'French warehouse: growth of a family over the last year (integer date key)');
-- A key of another type than the fact column (text vs integer) is compared as text.
CREATE TEMP TABLE depots_txt AS SELECT id_depot::text AS code, region FROM bd_fr.depots;
SELECT results_eq($$SELECT value, round(revenue::numeric, 6) FROM dm_breakdown('bd_fr.lignes_vente', 'montant', 'id_depot', dimension => 'depots_txt',
                                                             dimension_key => 'code', attribute => 'region') ORDER BY 1$$,
                  $$SELECT value, round(revenue::numeric, 6) FROM fr WHERE dimension = 'depots' ORDER BY 1$$,
                  'a text dimension key joins an integer fact column');

-- 3. Errors and edge cases -----------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM dm_breakdown('bd_demo.sales_lines', 'amount', 'produit')$$, '42703',
                 'column "produit" (the breakdown column) does not exist in bd_demo.sales_lines', 'unknown column: 42703 naming it');
SELECT throws_ok($$SELECT * FROM dm_breakdown('bd_demo.sales_lines', 'amount', 'product_id', dimension => 'bd_demo.products',
                                              attribute => 'famille')$$, '42703', NULL, 'unknown attribute: 42703');
SELECT throws_ok($$SELECT * FROM dm_breakdowns('bd_demo.sales_lines', 'amount', '[{"column": "product_id", "table": "nowhere", "attribute": "x"}]')$$,
                 '42P01', NULL, 'unknown dimension table: 42P01');
SELECT throws_ok($$SELECT * FROM dm_breakdown('bd_demo.sales_lines', 'sold_at', 'product_id')$$, '42804', NULL,
                 'a timestamp as amount: 42804');
SELECT throws_ok($$SELECT * FROM dm_breakdown('bd_demo.sales_lines', 'amount', 'product_id', 'sold_at', growth_period => 'week')$$,
                 '22023', NULL, 'unknown growth period: 22023');
SELECT throws_ok($$SELECT * FROM dm_breakdown('bd_demo.sales_lines', 'amount', 'product_id', attribute => 'family')$$,
                 '22023', NULL, 'an attribute without a dimension table: 22023');
CREATE TEMP TABLE no_sales (product_id int, amount numeric, sold_at date);
SELECT results_eq($$SELECT (SELECT count(*) FROM dm_breakdown('no_sales', 'amount', 'product_id', 'sold_at')),
                           (SELECT count(*) FROM dm_concentration('no_sales', 'amount', 'product_id'))$$,
                  $$VALUES (0::bigint, 0::bigint)$$, 'an empty table: empty results, no error');
SELECT results_eq($$SELECT dm_gini(ARRAY[5, 5, 5, 5]::float8[]), dm_gini(ARRAY[0, 0, 0, 8]::float8[]),
                           dm_top_share(ARRAY[1, 1, 1, 1, 6]::float8[]), dm_gini('{}'::float8[])$$,
                  $$VALUES (0::float8, 0.75::float8, 0.6::float8, NULL::float8)$$, 'dm_gini and dm_top_share on known values');

SELECT * FROM finish();
ROLLBACK;
