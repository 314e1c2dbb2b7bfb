-- dm_refresh_summaries: incremental daily summaries on two warehouses (the demo one, a date key;
-- entrepot_fr, a view as fact table with an int YYYYMMDD key), rolled up equal to one scan;
-- a refresh appends only the new periods; bad arguments get clear SQLSTATEs.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(14);

SELECT count(*) FROM create_demo_warehouse('rf_demo', scale => 0.02) \g /dev/null
\set schema rf_fr
\set lignes 20000
\set produits 1000
\set clients 300
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;

-- entrepot_fr: history up to a cut-off first, then the rest arrives.
CREATE TABLE rf_fr.jours (date_cle int, montant stats_summary, clients distinct_summary, points kmeans_summary);
CREATE VIEW rf_fr.avant AS SELECT * FROM rf_fr.lignes_vente
    WHERE date_cle < (SELECT percentile_disc(0.7) WITHIN GROUP (ORDER BY date_cle) FROM rf_fr.lignes_vente);
CREATE TEMP TABLE cols AS SELECT '{"montant": "dmine.dm_stats_summary(montant::float8)",
    "clients": "dmine.dm_distinct_summary(id_client)",
    "points": "dmine.dm_kmeans_summary(ARRAY[montant::float8, quantite])"}'::jsonb AS c;
SELECT is(dm_refresh_summaries('rf_fr.jours', 'rf_fr.avant', 'date_cle', c),
          (SELECT count(DISTINCT date_cle) FROM rf_fr.avant), 'fr: the first refresh adds every day of the history')
FROM cols;
SELECT is(dm_refresh_summaries('rf_fr.jours', 'rf_fr.lignes_vente', 'date_cle', c),
          (SELECT count(DISTINCT date_cle) FROM rf_fr.lignes_vente) - (SELECT count(*) FROM rf_fr.jours),
          'fr: the next refresh adds only the new days') FROM cols;
SELECT is(dm_refresh_summaries('rf_fr.jours', 'rf_fr.lignes_vente', 'date_cle', c), 0::bigint,
          'fr: a refresh with nothing new adds nothing') FROM cols;
SELECT ok((dm_summary_stats(dm_rollup(montant))).count = (SELECT count(montant) FROM rf_fr.lignes_vente)
          AND abs((dm_summary_stats(dm_rollup(montant))).mean - (SELECT avg(montant)::float8 FROM rf_fr.lignes_vente)) < 1e-9
          AND dm_summary_distinct(dm_rollup(clients)) = (SELECT dm_approx_distinct(id_client) FROM rf_fr.lignes_vente),
          'fr: the rolled-up days equal one scan of the fact view (count, mean, distinct customers)')
FROM rf_fr.jours;
SELECT is((dm_kmeans_info(dm_summary_kmeans(dm_rollup(points), 2)) ->> 'rows')::bigint,
          (SELECT count(*) FROM rf_fr.lignes_vente), 'fr: the rolled-up point sample covers every row')
FROM rf_fr.jours;

-- Demo warehouse: a date column, an empty table first (every day), a view as source.
CREATE VIEW rf_demo.daily_source AS SELECT date_key AS day, amount, customer_id FROM rf_demo.sales_lines;
CREATE TABLE rf_demo.daily (day date, amount stats_summary, customers distinct_summary);
SELECT is(dm_refresh_summaries('rf_demo.daily', 'rf_demo.daily_source', 'day',
              '{"amount": "dmine.dm_stats_summary(amount::float8)", "customers": "dmine.dm_distinct_summary(customer_id)"}'),
          (SELECT count(DISTINCT date_key) FROM rf_demo.sales_lines), 'demo: an empty summary table gets every day');
SELECT ok((dm_summary_stats(dm_rollup(amount))).count = (SELECT count(amount) FROM rf_demo.sales_lines)
          AND (dm_summary_stats(dm_rollup(amount))).max = (SELECT max(amount)::float8 FROM rf_demo.sales_lines)
          AND dm_summary_distinct(dm_rollup(customers)) = (SELECT dm_approx_distinct(customer_id) FROM rf_demo.sales_lines),
          'demo: the rolled-up days equal one scan') FROM rf_demo.daily;

-- Errors.
SELECT throws_ok($$SELECT dm_refresh_summaries(NULL, 'rf_demo.daily_source', 'day', '{"amount": "1"}')$$,
                 '22004', NULL, 'a NULL argument: 22004');
SELECT throws_ok($$SELECT dm_refresh_summaries('rf_demo.daily', 'rf_demo.daily_source', 'day', '[]')$$,
                 '22023', NULL, 'columns not an object: 22023');
SELECT throws_ok($$SELECT dm_refresh_summaries('rf_demo.daily', 'rf_demo.daily_source', 'day', '{}')$$,
                 '22023', NULL, 'no column: 22023');
SELECT throws_ok($$SELECT dm_refresh_summaries('rf_demo.daily', 'rf_demo.daily_source', 'day', '{"amount": 1}')$$,
                 '22023', NULL, 'an expression that is not a string: 22023');
SELECT throws_ok($$SELECT dm_refresh_summaries('rf_demo.daily', 'rf_demo.daily_source', 'day', '{"nope": "1"}')$$,
                 '42703', NULL, 'a column missing from the summary table: 42703');
SELECT throws_ok($$SELECT dm_refresh_summaries('rf_demo.daily', 'rf_demo.sales_lines', 'day', '{"amount": "1"}')$$,
                 '42703', NULL, 'the period column missing from the source: 42703');
SELECT is((SELECT count(*) FROM rf_demo.daily), (SELECT count(DISTINCT date_key) FROM rf_demo.sales_lines),
          'failed refreshes added nothing');

SELECT * FROM finish();
ROLLBACK;
