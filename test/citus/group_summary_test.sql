-- dm_breakdown_summary and dm_sales_summary (state group_summary, behind dm_breakdowns and
-- dm_trends) on distributed tables: pushed down (worker_partial_agg, runs with row-gather
-- disabled), and the rows of dm_group_rows equal the single-node ones on the same rows: the same
-- groups, keys, line counts and exact distinct customers and orders; revenue, quantity and growth
-- to 1e-9 relative (sums of float8 added in another order on the shards). Two warehouses: the demo
-- (distributed by customer_id, integer keys) and the French view (by id_ligne, text keys, an int
-- date key and an hour column). Also a GROUP BY on the distribution column and on another column.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(23);

-- Rows of two group_summary reads that disagree: a group on one side only, or different figures
-- (made before any distributed query: Citus runs no function command after one in a transaction).
CREATE FUNCTION pg_temp.mismatches(d text, l text, by text DEFAULT '') RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format(
        'SELECT count(*) FROM %s d FULL JOIN %s l USING (%s family, key)
         WHERE d.lines IS DISTINCT FROM l.lines OR d.customers IS DISTINCT FROM l.customers
            OR d.orders IS DISTINCT FROM l.orders
            OR citus_test.close(ARRAY[d.revenue, d.quantity, d.growth], ARRAY[l.revenue, l.quantity, l.growth], 1e-9) IS NOT TRUE
            OR d.revenue IS NULL OR l.revenue IS NULL', d, l, by) INTO n;
    RETURN n;
END
$$;

-- dm_breakdown_summary, demo (bigint customer), French view (text customer) -------------------
SELECT citus_test.pushdown('dm_breakdown_summary(text[], float8, bigint, date, text)',
    'SELECT dmine.dm_breakdown_summary(ARRAY[depot_id::text, product_id::text], amount::float8, customer_id::bigint, date_key, ''month'') FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_breakdown_summary(text[], float8, text, date, text)',
    'SELECT dmine.dm_breakdown_summary(ARRAY[id_depot::text, (id_produit % 7)::text], montant::float8, id_client::text, to_date(date_cle::text, ''YYYYMMDD''), ''quarter'') FROM entrepot_fr.lignes_vente');

CREATE TEMP TABLE bd AS
SELECT r.* FROM (SELECT dmine.dm_breakdown_summary(ARRAY[depot_id::text, product_id::text], amount::float8, customer_id::bigint, date_key, 'month') AS s
                 FROM erp_demo.sales_lines) a, LATERAL dmine.dm_group_rows(a.s) r;
CREATE TEMP TABLE bl AS
SELECT r.* FROM (SELECT dmine.dm_breakdown_summary(ARRAY[depot_id::text, product_id::text], amount::float8, customer_id::bigint, date_key, 'month') AS s
                 FROM citus_test.demo_local) a, LATERAL dmine.dm_group_rows(a.s) r;
CREATE TEMP TABLE fbd AS
SELECT r.* FROM (SELECT dmine.dm_breakdown_summary(ARRAY[id_depot::text, (id_produit % 7)::text], montant::float8, id_client::text,
                                                   to_date(date_cle::text, 'YYYYMMDD'), 'quarter') AS s
                 FROM entrepot_fr.lignes_vente) a, LATERAL dmine.dm_group_rows(a.s) r;
CREATE TEMP TABLE fbl AS
SELECT r.* FROM (SELECT dmine.dm_breakdown_summary(ARRAY[id_depot::text, (id_produit % 7)::text], montant::float8, id_client::text,
                                                   to_date(date_cle::text, 'YYYYMMDD'), 'quarter') AS s
                 FROM citus_test.fr_local) a, LATERAL dmine.dm_group_rows(a.s) r;
SELECT cmp_ok((SELECT count(*) FROM bl WHERE growth IS NOT NULL), '>', 0::bigint, 'demo breakdowns: groups with a growth to compare');
SELECT is(pg_temp.mismatches('bd', 'bl'), 0::bigint, 'dm_breakdown_summary (demo): every group equals single-node');
SELECT is((SELECT count(*) FROM bd), (SELECT count(*) FROM bl), 'dm_breakdown_summary (demo): the same number of groups');
SELECT is(pg_temp.mismatches('fbd', 'fbl'), 0::bigint, 'dm_breakdown_summary (French view, text customers): every group equals single-node');

-- dm_sales_summary, demo (bigint keys) and French view (text keys, hour column) ---------------
SELECT citus_test.pushdown('dm_sales_summary(date, int, float8, float8, bigint, bigint)',
    'SELECT dmine.dm_sales_summary(date_key, extract(hour FROM sold_at)::int, amount::float8, quantity::float8, customer_id::bigint, order_id) FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_sales_summary(date, int, float8, float8, text, text)',
    'SELECT dmine.dm_sales_summary(to_date(date_cle::text, ''YYYYMMDD''), heure::int, montant::float8, quantite::float8, id_client::text, num_commande::text) FROM entrepot_fr.lignes_vente');

CREATE TEMP TABLE sd AS
SELECT r.* FROM (SELECT dmine.dm_sales_summary(date_key, extract(hour FROM sold_at)::int, amount::float8, quantity::float8, customer_id::bigint, order_id) AS s
                 FROM erp_demo.sales_lines) a, LATERAL dmine.dm_group_rows(a.s) r;
CREATE TEMP TABLE sl AS
SELECT r.* FROM (SELECT dmine.dm_sales_summary(date_key, extract(hour FROM sold_at)::int, amount::float8, quantity::float8, customer_id::bigint, order_id) AS s
                 FROM citus_test.demo_local) a, LATERAL dmine.dm_group_rows(a.s) r;
CREATE TEMP TABLE fsd AS
SELECT r.* FROM (SELECT dmine.dm_sales_summary(to_date(date_cle::text, 'YYYYMMDD'), heure::int, montant::float8, quantite::float8,
                                               id_client::text, num_commande::text) AS s
                 FROM entrepot_fr.lignes_vente) a, LATERAL dmine.dm_group_rows(a.s) r;
CREATE TEMP TABLE fsl AS
SELECT r.* FROM (SELECT dmine.dm_sales_summary(to_date(date_cle::text, 'YYYYMMDD'), heure::int, montant::float8, quantite::float8,
                                               id_client::text, num_commande::text) AS s
                 FROM citus_test.fr_local) a, LATERAL dmine.dm_group_rows(a.s) r;
SELECT is((SELECT array_agg(DISTINCT family ORDER BY family) FROM sl), '{1,2,3,4}'::int[], 'demo sales: days, weeks, months and cells');
SELECT is(pg_temp.mismatches('sd', 'sl'), 0::bigint, 'dm_sales_summary (demo): every day, week, month and cell equals single-node');
SELECT is(pg_temp.mismatches('fsd', 'fsl'), 0::bigint, 'dm_sales_summary (French view, text keys): every group equals single-node');
-- Orders span shards on the French view (distributed by line): their distinct count is exact.
SELECT is((SELECT sum(orders)::bigint FROM fsd WHERE family = 1),
          (SELECT count(DISTINCT (to_date(date_cle::text, 'YYYYMMDD'), num_commande)) FROM citus_test.fr_local),
          'French view: distinct orders per day exact across shards');

-- GROUP BY the distribution column (whole on the shards) and another column (split) -----------
CREATE TEMP TABLE gd AS
SELECT g.customer_id, r.* FROM (SELECT customer_id, dmine.dm_sales_summary(date_key, NULL, amount::float8, quantity::float8, customer_id::bigint, order_id) AS s
                                FROM erp_demo.sales_lines GROUP BY customer_id) g, LATERAL dmine.dm_group_rows(g.s) r;
CREATE TEMP TABLE gl AS
SELECT g.customer_id, r.* FROM (SELECT customer_id, dmine.dm_sales_summary(date_key, NULL, amount::float8, quantity::float8, customer_id::bigint, order_id) AS s
                                FROM citus_test.demo_local GROUP BY customer_id) g, LATERAL dmine.dm_group_rows(g.s) r;
SELECT lives_ok($$SELECT citus_test.run_pushed('SELECT count(*) FROM (SELECT customer_id, dmine.dm_sales_summary(date_key, NULL, amount::float8, quantity::float8, customer_id::bigint, order_id) FROM erp_demo.sales_lines GROUP BY customer_id) q')$$,
                'GROUP BY customer_id (the distribution column): runs with row-gather disabled');
SELECT is(pg_temp.mismatches('gd', 'gl', 'customer_id,'), 0::bigint, 'GROUP BY customer_id: every customer''s groups equal single-node');
SELECT citus_test.pushdown('dm_breakdown_summary(text[], float8, bigint, date, text)',
    'SELECT depot_id, dmine.dm_breakdown_summary(ARRAY[product_id::text], amount::float8, customer_id::bigint, date_key, ''year'') FROM erp_demo.sales_lines GROUP BY depot_id');
CREATE TEMP TABLE dd AS
SELECT g.depot_id, r.* FROM (SELECT depot_id, dmine.dm_breakdown_summary(ARRAY[product_id::text], amount::float8, customer_id::bigint, date_key, 'year') AS s
                             FROM erp_demo.sales_lines GROUP BY depot_id) g, LATERAL dmine.dm_group_rows(g.s) r;
CREATE TEMP TABLE dl AS
SELECT g.depot_id, r.* FROM (SELECT depot_id, dmine.dm_breakdown_summary(ARRAY[product_id::text], amount::float8, customer_id::bigint, date_key, 'year') AS s
                             FROM citus_test.demo_local GROUP BY depot_id) g, LATERAL dmine.dm_group_rows(g.s) r;
SELECT is(pg_temp.mismatches('dd', 'dl', 'depot_id,'), 0::bigint, 'GROUP BY depot_id (split): every depot''s product groups equal single-node');

-- The functions over them: dm_breakdowns (dimension tables joined: reference tables) and
-- dm_sales_series, with row-gather disabled, equal single-node.
SET LOCAL citus.coordinator_aggregation_strategy = 'disabled';
CREATE TEMP TABLE kd AS SELECT * FROM dmine.dm_breakdowns('erp_demo.sales_lines', 'amount',
    '[{"column": "product_id", "table": "erp_demo.products", "attribute": "family"},
      {"column": "depot_id", "table": "erp_demo.depots", "attribute": "city", "name": "depot"}, {"column": "customer_id"}]',
    'sold_at', 'customer_id');
CREATE TEMP TABLE kd_series AS SELECT * FROM dmine.dm_sales_series('erp_demo.sales_lines', 'sold_at', 'amount', 'week', 'order_id', 'customer_id', 'quantity');
RESET citus.coordinator_aggregation_strategy;
CREATE TEMP TABLE kl AS SELECT * FROM dmine.dm_breakdowns('citus_test.demo_local', 'amount',
    '[{"column": "product_id", "table": "erp_demo.products", "attribute": "family"},
      {"column": "depot_id", "table": "erp_demo.depots", "attribute": "city", "name": "depot"}, {"column": "customer_id"}]',
    'sold_at', 'customer_id');
CREATE TEMP TABLE kl_series AS SELECT * FROM dmine.dm_sales_series('citus_test.demo_local', 'sold_at', 'amount', 'week', 'order_id', 'customer_id', 'quantity');
SELECT is((SELECT count(*) FROM kd FULL JOIN kl USING (dimension, attribute, value)
           WHERE kd.lines IS DISTINCT FROM kl.lines OR kd.customers IS DISTINCT FROM kl.customers
              OR kd.rank IS DISTINCT FROM kl.rank OR kd.abc_class IS DISTINCT FROM kl.abc_class
              OR citus_test.close(ARRAY[kd.revenue, kd.share, kd.growth], ARRAY[kl.revenue, kl.share, kl.growth], 1e-9) IS NOT TRUE
              OR kd.revenue IS NULL OR kl.revenue IS NULL), 0::bigint,
          'dm_breakdowns (products, depots, customers; row-gather disabled): every value equals single-node');
SELECT is((SELECT count(*) FROM kd_series d FULL JOIN kl_series l USING (period_start)
           WHERE d.lines IS DISTINCT FROM l.lines OR d.orders IS DISTINCT FROM l.orders OR d.customers IS DISTINCT FROM l.customers
              OR NOT citus_test.close(ARRAY[d.revenue, d.quantity, d.trend, d.growth_prev, d.growth_year],
                                      ARRAY[l.revenue, l.quantity, l.trend, l.growth_prev, l.growth_year], 1e-9)
              OR d.revenue IS NULL OR l.revenue IS NULL), 0::bigint,
          'dm_sales_series (weeks; row-gather disabled): every week equals single-node');

SELECT * FROM finish();
ROLLBACK;
