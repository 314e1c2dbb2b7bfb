-- The pipeline on star schemas: the demo warehouse (foreign keys: dimensions discovered) and the
-- French test warehouse (a view as fact table, an integer yyyymmdd date key, no foreign keys,
-- declared dimensions): the runs succeed, every column gets its role, the breakdowns equal an
-- independent SQL computation, the planted monthly seasonality is recovered by the trends step.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
-- The French warehouse, committed (the runs read it from another session).
\set schema tap_fr
\set lignes 30000
\set produits 3000
\set clients 400
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;
SELECT dmine_test.self_conninfo() AS conn \gset
SELECT dblink_connect('wh_runner', :'conn') \g /dev/null
-- Region is a level further (depots -> regions): declared through a view.
SELECT * FROM dblink('wh_runner', $$SELECT count(*) FROM dmine.create_demo_warehouse('tap_wh', scale => 0.05)$$) AS t(n bigint) \g /dev/null
SELECT dblink_exec('wh_runner', $$CREATE VIEW tap_wh.depot_regions AS
    SELECT d.depot_id, r.region_name FROM tap_wh.depots d JOIN tap_wh.regions r USING (region_id)$$) \g /dev/null
BEGIN;
SELECT plan(25);

-- 1. The demo warehouse, dimensions from its foreign keys ----------------------------------------
SELECT run_id AS demo_run FROM dblink('wh_runner', $$CALL dmine.run_mining('tap_wh')$$) AS t(run_id bigint) \gset
SELECT is((SELECT status FROM runs WHERE run_id = :demo_run), 'succeeded', 'demo: the run succeeds');
SELECT is((SELECT count(*) FROM run_steps WHERE run_id = :demo_run AND status = 'succeeded'), 9::bigint,
          'demo: the nine steps succeed, trends, breakdowns and forecast included');
SELECT results_eq(format('SELECT column_name::text, role FROM result_profile WHERE run_id = %s ORDER BY ordinal', :demo_run),
                  $$VALUES ('line_id', 'identifier'), ('order_id', 'identifier'), ('sold_at', 'timestamp'),
                           ('date_key', 'date'), ('customer_id', 'identifier'), ('product_id', 'identifier'),
                           ('depot_id', 'identifier'), ('quantity', 'measure'), ('unit_price', 'measure'),
                           ('amount', 'measure')$$,
                  'demo: every column has its role');
SELECT results_eq(format($q$SELECT d->>'column', d->>'table', d->>'source', d->>'name', d->'attributes'
                            FROM runs, jsonb_array_elements(warehouse->'dimensions') AS d WHERE run_id = %s
                            ORDER BY d->>'column'$q$, :demo_run),
                  $$VALUES ('customer_id', 'tap_wh.customers', 'foreign key', 'customer', '[]'::jsonb),
                           ('date_key', 'tap_wh.dates', 'foreign key', 'dates', '["month_name", "day_name", "is_weekend"]'),
                           ('depot_id', 'tap_wh.depots', 'foreign key', 'store', '[]'),
                           ('product_id', 'tap_wh.products', 'foreign key', 'product', '["family"]')$$,
                  'demo: the dimensions discovered from the foreign keys, with the attributes chosen by the rule');
SELECT is((SELECT count(*) FROM result_profile WHERE run_id = :demo_run AND role = 'identifier'
           AND (mean IS NOT NULL OR histogram IS NOT NULL OR top_values IS NOT NULL)), 0::bigint,
          'demo: identifiers have no moments, histogram or top values');
SELECT is((SELECT jsonb_object_agg(column_name, orphans) FROM result_profile WHERE run_id = :demo_run AND orphans IS NOT NULL),
          '{"customer_id": 0, "date_key": 0, "depot_id": 0, "product_id": 0}'::jsonb, 'demo: orphans of the dimension keys');
SELECT is((SELECT histogram->>'rule' FROM result_profile WHERE run_id = :demo_run AND column_name = 'amount'), 'log',
          'demo: amounts (positive, skewed) get log-spaced bins');
SELECT is((SELECT count(*) FROM result_profile WHERE run_id = :demo_run AND distinct_exact
           AND column_name IN ('depot_id', 'product_id', 'customer_id')), 3::bigint,
          'demo: small distinct counts are exact');
CREATE TEMP TABLE demo_family AS
SELECT * FROM dblink('wh_runner', $$SELECT p.family, sum(s.amount)::float8, count(*) FROM tap_wh.sales_lines s
                                    JOIN tap_wh.products p USING (product_id) GROUP BY 1$$) AS t(value text, revenue float8, lines bigint);
SELECT is((SELECT count(*) FROM result_breakdowns b FULL JOIN demo_family f USING (value)
           WHERE b.run_id = :demo_run AND b.dimension = 'product' AND b.attribute = 'family'
             AND (f.value IS NULL OR b.value IS NULL OR abs(b.revenue - f.revenue) > 1e-6 * f.revenue OR b.lines <> f.lines)), 0::bigint,
          'demo: revenue and lines by product family equal SQL');
SELECT is((SELECT count(*) FROM result_breakdowns WHERE run_id = :demo_run AND dimension = 'product' AND attribute = 'family'),
          (SELECT count(*) FROM demo_family), 'demo: every family');
-- The planted seasonality is on the orders (revenue also carries the planted amount anomalies).
SELECT cmp_ok((SELECT corr(s.seasonal_index, p.factor) FROM result_seasonality s
               JOIN dblink('wh_runner', 'SELECT month, factor FROM tap_wh.planted_seasonality') AS p(month int, factor float8)
                 ON p.month = s.position
               WHERE s.run_id = :demo_run AND s.measure = 'orders' AND s.cycle = 'month'), '>=', 0.95::float8,
              'demo: the monthly indices of orders correlate >= 0.95 with the planted factors');
SELECT is((SELECT (details->>'read_fact_table')::boolean FROM run_steps WHERE run_id = :demo_run AND step = 'breakdowns'), false,
          'demo: the breakdowns step reuses the read of the trends step');

-- Region through a declared dimension (a view), depot by the store column.
SELECT run_id AS region_run FROM dblink('wh_runner', $$CALL dmine.run_mining(config_name => 'tap_wh_regions',
    fact_table => 'tap_wh.sales_lines', customer_column => 'customer_id', order_column => 'order_id',
    time_column => 'sold_at', amount_column => 'amount', store_column => 'depot_id', steps => '{breakdowns}',
    dimensions => '[{"column": "depot_id", "table": "tap_wh.depot_regions", "attributes": ["region_name"]}]')$$)
    AS t(run_id bigint) \gset
CREATE TEMP TABLE demo_region AS
SELECT * FROM dblink('wh_runner', $$SELECT 'region_name', r.region_name, sum(s.amount)::float8, count(DISTINCT s.customer_id)
                                    FROM tap_wh.sales_lines s JOIN tap_wh.depot_regions r USING (depot_id) GROUP BY 1, 2
                                    UNION ALL
                                    SELECT 'depot_id', depot_id::text, sum(amount)::float8, count(DISTINCT customer_id)
                                    FROM tap_wh.sales_lines GROUP BY 1, 2$$) AS t(attribute text, value text, revenue float8, customers bigint);
SELECT is((SELECT count(*) FROM result_breakdowns b FULL JOIN demo_region r USING (attribute, value)
           WHERE b.run_id = :region_run AND b.dimension = 'store'
             AND (r.value IS NULL OR b.value IS NULL OR abs(b.revenue - r.revenue) > 1e-6 * r.revenue OR b.customers <> r.customers)), 0::bigint,
          'demo: revenue and customers by region (declared dimension) and by depot equal SQL');
SELECT is((SELECT count(*) FROM result_breakdowns WHERE run_id = :region_run AND dimension = 'store'), 17::bigint,
          'demo: 5 regions and 12 depots');

-- 2. The French warehouse: a view, a yyyymmdd date key, no foreign keys ----------------------------
SELECT run_id AS fr_run FROM dblink('wh_runner', $$CALL dmine.run_mining(config_name => 'tap_fr',
    fact_table => 'tap_fr.lignes_vente', customer_column => 'id_client', order_column => 'num_commande',
    time_column => 'date_cle', amount_column => 'montant', quantity_column => 'quantite', line_column => 'id_ligne',
    product_column => 'id_produit', store_column => 'id_depot', unit_price_column => 'prix_unitaire',
    dimensions => '[{"column": "id_produit", "table": "tap_fr.produits", "attributes": ["famille"]},
                    {"column": "id_depot", "table": "tap_fr.depots", "attributes": ["region"]},
                    {"column": "id_client", "table": "tap_fr.clients", "key": "id_client"}]')$$) AS t(run_id bigint) \gset
SELECT is((SELECT status FROM runs WHERE run_id = :fr_run), 'succeeded', 'French: the run succeeds');
SELECT results_eq(format('SELECT column_name::text, role FROM result_profile WHERE run_id = %s ORDER BY ordinal', :fr_run),
                  $$VALUES ('id_ligne', 'identifier'), ('num_commande', 'identifier'), ('date_cle', 'date'),
                           ('heure', 'measure'), ('id_client', 'identifier'), ('id_produit', 'identifier'),
                           ('id_depot', 'identifier'), ('quantite', 'measure'), ('prix_unitaire', 'measure'),
                           ('montant', 'measure')$$,
                  'French: every column has its role (the yyyymmdd key is a date)');
SELECT results_eq(format('SELECT min_value, max_value, histogram->>''rule'' FROM result_profile WHERE run_id = %s AND column_name = ''date_cle''', :fr_run),
                  $$VALUES ('2022-01-01', '2024-12-31', 'time')$$, 'French: the date key has its range as dates and a histogram over time');
SELECT results_eq(format($q$SELECT d->>'source', d->'attributes' FROM runs, jsonb_array_elements(warehouse->'dimensions') AS d
                            WHERE run_id = %s ORDER BY d->>'column'$q$, :fr_run),
                  $$VALUES ('declared', '["type_client", "region"]'::jsonb), ('declared', '["region"]'),
                           ('declared', '["famille"]')$$,
                  'French: declared dimensions only (no foreign keys); the customers'' attributes chosen by the rule');
CREATE TEMP TABLE fr_truth AS
SELECT * FROM dblink('wh_runner', $$
    SELECT 'product', 'famille', p.famille, sum(l.montant)::float8, count(*) FROM tap_fr.lignes_vente l JOIN tap_fr.produits p USING (id_produit) GROUP BY 3
    UNION ALL
    SELECT 'store', 'region', d.region, sum(l.montant)::float8, count(*) FROM tap_fr.lignes_vente l JOIN tap_fr.depots d USING (id_depot) GROUP BY 3
    UNION ALL
    SELECT 'store', 'id_depot', id_depot::text, sum(montant)::float8, count(*) FROM tap_fr.lignes_vente GROUP BY 3
    UNION ALL
    SELECT 'customer', 'region', c.region, sum(l.montant)::float8, count(*) FROM tap_fr.lignes_vente l JOIN tap_fr.clients c USING (id_client) GROUP BY 3
    $$) AS t(dimension text, attribute text, value text, revenue float8, lines bigint);
SELECT is((SELECT count(*) FROM (SELECT * FROM result_breakdowns WHERE run_id = :fr_run
                                   AND (dimension, attribute) IN (SELECT dimension, attribute FROM fr_truth)) b
           FULL JOIN fr_truth t USING (dimension, attribute, value)
           WHERE t.value IS NULL OR b.value IS NULL OR abs(b.revenue - t.revenue) > 1e-6 * t.revenue OR b.lines <> t.lines), 0::bigint,
          'French: revenue and lines by famille, depot region, depot and customer region equal SQL');
SELECT is((SELECT sum(share) FILTER (WHERE abc_class = 'A') >= 0.8 AND sum(share) FILTER (WHERE abc_class = 'A') - min(share) FILTER (WHERE abc_class = 'A') < 0.8
           FROM result_breakdowns WHERE run_id = :fr_run AND dimension = 'store' AND attribute = 'id_depot'), true,
          'French: class A = the depots making the first 80% of revenue');
SELECT is((SELECT items FROM result_concentration WHERE run_id = :fr_run AND dimension = 'product' AND attribute = 'id_produit'),
          (SELECT count(DISTINCT value)::bigint FROM dblink('wh_runner', 'SELECT id_produit::text FROM tap_fr.lignes_vente') AS t(value text)),
          'French: the concentration is over every product sold (not only the rows kept)');
SELECT cmp_ok((SELECT corr(s.seasonal_index, p.facteur) FROM result_seasonality s
               JOIN dblink('wh_runner', 'SELECT mois, facteur FROM tap_fr.saisonnalite_plantee') AS p(mois int, facteur float8)
                 ON p.mois = s.position
               WHERE s.run_id = :fr_run AND s.measure = 'revenue' AND s.cycle = 'month'), '>=', 0.95::float8,
              'French: the monthly revenue indices correlate >= 0.95 with the planted factors');
SELECT is((SELECT count(*) FROM result_trends t
           JOIN dblink('wh_runner', $$SELECT date_trunc('month', to_date(date_cle::text, 'YYYYMMDD'))::date, sum(montant)::float8
                                     FROM tap_fr.lignes_vente GROUP BY 1$$) AS m(month date, revenue float8)
             ON m.month = t.period_start
           WHERE t.run_id = :fr_run AND t.grain = 'month' AND abs(t.revenue - m.revenue) <= 1e-6 * m.revenue), 36::bigint,
          'French: the revenue of each of the 36 months equals SQL');

-- 3. Errors name what is missing ----------------------------------------------------------------------
SELECT throws_ok($$SELECT configure_mining('tap_bad', 'tap_fr.lignes_vente', 'id_client', 'num_commande', 'date_cle', 'montant',
                       dimensions => '[{"column": "id_produit", "table": "tap_fr.no_such_table"}]')$$,
                 '42P01', NULL, 'an unknown dimension table is an error');
SELECT throws_like($$SELECT configure_mining('tap_bad', 'tap_fr.lignes_vente', 'id_client', 'num_commande', 'date_cle', 'montant',
                         dimensions => '[{"column": "id_produit", "table": "tap_fr.produits", "attributes": ["couleur"]}]')$$,
                   '%"couleur" (the dimension attribute)%', 'an unknown attribute is an error naming it');

SELECT * FROM finish();
ROLLBACK;
SELECT dblink_exec('wh_runner', $$DELETE FROM dmine.runs WHERE config_name IN ('tap_wh', 'tap_wh_regions', 'tap_fr');
    DELETE FROM dmine.mining_config WHERE config_name IN ('tap_wh', 'tap_wh_regions', 'tap_fr');
    DROP SCHEMA tap_wh CASCADE; DROP SCHEMA tap_fr CASCADE$$) \g /dev/null
SELECT dblink_disconnect('wh_runner') \g /dev/null
