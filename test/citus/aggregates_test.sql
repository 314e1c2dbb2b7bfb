-- Every splittable dmine aggregate on distributed tables: pushed down to the workers
-- (worker_partial_agg, runs with row-gather disabled) and equal to the single-node result on the
-- same rows (local copies on the coordinator). Two warehouses (demo by customer_id, the French
-- view by id_ligne) and a planted set.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(64);

-- Exact figures of dm_stats (and the quantiles within the sketch's rank error) -------------------
CREATE TEMP TABLE st AS
SELECT (SELECT dmine.dm_stats(amount::float8) FROM erp_demo.sales_lines) AS d,
       (SELECT dmine.dm_stats(amount::float8) FROM citus_test.demo_local) AS l,
       (SELECT dmine.dm_stats(montant::float8) FROM entrepot_fr.lignes_vente) AS fd,
       (SELECT dmine.dm_stats(montant::float8) FROM citus_test.fr_local) AS fl;
SELECT citus_test.pushdown('dm_stats(float8)', 'SELECT dmine.dm_stats(amount::float8) FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_stats(float8)', 'SELECT (dmine.dm_stats(montant::float8)).mean FROM entrepot_fr.lignes_vente');
SELECT ok(citus_test.close(ARRAY[(d).count, (d).null_count, (d).mean, (d).variance, (d).min, (d).max, (d).skewness, (d).kurtosis],
                           ARRAY[(l).count, (l).null_count, (l).mean, (l).variance, (l).min, (l).max, (l).skewness, (l).kurtosis], 1e-9),
          'dm_stats (demo): count, mean, variance, min, max, skewness, kurtosis equal single-node to 1e-9') FROM st;
SELECT ok(citus_test.close(ARRAY[(fd).count, (fd).mean, (fd).variance, (fd).min, (fd).max, (fd).skewness, (fd).kurtosis],
                           ARRAY[(fl).count, (fl).mean, (fl).variance, (fl).min, (fl).max, (fl).skewness, (fl).kurtosis], 1e-9),
          'dm_stats (French view): moments equal single-node to 1e-9') FROM st;
SELECT cmp_ok(citus_test.rank_error('SELECT amount::float8 FROM citus_test.demo_local', '{0.01,0.05,0.25,0.5,0.75,0.95,0.99}',
                                    ARRAY[(d).p01, (d).p05, (d).p25, (d).p50, (d).p75, (d).p95, (d).p99]), '<=', 0.02::float8,
              'dm_stats (demo): distributed p01..p99 within 2% rank of the true quantiles') FROM st;

-- (Distributed results are computed into temporary tables first: a distributed subquery inside
-- a pgTAP call would make Citus run the call through a connection of its own.)

-- dm_quantiles and dm_histogram (one summary state) ---------------------------------------------------
SELECT citus_test.pushdown('dm_quantiles(float8, float8[])', 'SELECT dmine.dm_quantiles(amount::float8, ''{0.1,0.5,0.9}'') FROM erp_demo.sales_lines');
CREATE TEMP TABLE q AS
SELECT (SELECT dmine.dm_quantiles(amount::float8, '{0.1,0.5,0.9}') FROM erp_demo.sales_lines) AS d,
       (SELECT dmine.dm_quantiles(date_cle::float8, '{0.25,0.5,0.75}') FROM entrepot_fr.lignes_vente) AS fd;
SELECT cmp_ok(citus_test.rank_error('SELECT amount::float8 FROM citus_test.demo_local', '{0.1,0.5,0.9}', d),
              '<=', 0.02::float8, 'dm_quantiles (demo): within 2% rank') FROM q;
SELECT cmp_ok(citus_test.rank_error('SELECT date_cle::float8 FROM citus_test.fr_local', '{0.25,0.5,0.75}', fd),
              '<=', 0.02::float8, 'dm_quantiles (French view, date key): within 2% rank') FROM q;
SELECT citus_test.pushdown('dm_histogram(float8, int)', 'SELECT dmine.dm_histogram(amount::float8, 20) FROM erp_demo.sales_lines');
CREATE TEMP TABLE h AS
SELECT (SELECT dmine.dm_histogram(montant::float8, 10) FROM entrepot_fr.lignes_vente) AS d,
       (SELECT dmine.dm_histogram(montant::float8, 10) FROM citus_test.fr_local) AS l,
       (SELECT count(*) FROM citus_test.fr_local) AS n,
       (SELECT dmine.dm_histogram(amount::float8, 8, 0, 400) FROM erp_demo.sales_lines) AS fixd,
       (SELECT dmine.dm_histogram(amount::float8, 8, 0, 400) FROM citus_test.demo_local) AS fixl;
SELECT ok(citus_test.close((d).edges, (l).edges, 1e-9), 'dm_histogram (French view): the same edges') FROM h;
SELECT ok((SELECT max(abs(x - y)) FROM unnest((d).counts, (l).counts) AS u(x, y)) <= 0.02 * n,
          'dm_histogram (French view): bin counts within 2% of the rows of single-node') FROM h;
SELECT citus_test.pushdown('dm_histogram(float8, int, float8, float8)', 'SELECT dmine.dm_histogram(amount::float8, 8, 0, 400) FROM erp_demo.sales_lines');
SELECT is((fixd).counts, (fixl).counts, 'dm_histogram fixed bounds (demo): exactly the single-node counts') FROM h;

-- Co-moments ----------------------------------------------------------------------------------------
SELECT citus_test.pushdown('dm_corr(float8[])', 'SELECT dmine.dm_corr(ARRAY[amount, quantity, unit_price]::float8[]) FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_cov(float8[])', 'SELECT dmine.dm_cov(ARRAY[montant, quantite, heure]::float8[]) FROM entrepot_fr.lignes_vente');
CREATE TEMP TABLE c AS
SELECT (SELECT dmine.dm_corr(ARRAY[amount, quantity, unit_price]::float8[]) FROM erp_demo.sales_lines) AS d,
       (SELECT dmine.dm_corr(ARRAY[amount, quantity, unit_price]::float8[]) FROM citus_test.demo_local) AS l,
       (SELECT dmine.dm_cov(ARRAY[montant, quantite, heure]::float8[]) FROM entrepot_fr.lignes_vente) AS fd,
       (SELECT dmine.dm_cov(ARRAY[montant, quantite, heure]::float8[]) FROM citus_test.fr_local) AS fl;
SELECT ok(citus_test.close(array(SELECT unnest(d)), array(SELECT unnest(l)), 1e-9), 'dm_corr (demo): equal single-node to 1e-9') FROM c;
SELECT ok(citus_test.close(array(SELECT unnest(fd)), array(SELECT unnest(fl)), 1e-9), 'dm_cov (French view): equal single-node to 1e-9') FROM c;

-- Distinct counts (HyperLogLog: about 1% standard error) --------------------------------------------
SELECT citus_test.pushdown('dm_approx_distinct(anyelement)', 'SELECT dmine.dm_approx_distinct(product_id) FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_approx_distinct(anyelement)', 'SELECT dmine.dm_approx_distinct(id_client::text) FROM entrepot_fr.lignes_vente');
CREATE TEMP TABLE dc AS
SELECT (SELECT dmine.dm_approx_distinct(order_id) FROM erp_demo.sales_lines) AS d,
       (SELECT dmine.dm_approx_distinct(order_id) FROM citus_test.demo_local) AS dl,
       (SELECT count(DISTINCT order_id) FROM citus_test.demo_local) AS exact,
       (SELECT dmine.dm_approx_distinct(id_client::text) FROM entrepot_fr.lignes_vente) AS fd,
       (SELECT dmine.dm_approx_distinct(id_client::text) FROM citus_test.fr_local) AS fl,
       (SELECT count(DISTINCT id_client) FROM citus_test.fr_local) AS fexact;
SELECT ok(abs(d - dl) <= 0.04 * exact, 'dm_approx_distinct (demo orders): within 4% of the single-node estimate') FROM dc;
SELECT ok(abs(fd - fl) <= 0.04 * fexact, 'dm_approx_distinct (French clients): within 4% of the single-node estimate') FROM dc;

-- K-Means: the SSE of the distributed fit within 0.1% of the single-node fit's ------------------------
SELECT citus_test.pushdown('dm_kmeans(float8[], int)', 'SELECT dmine.dm_kmeans(f, 4) FROM citus_test.planted');
SELECT citus_test.pushdown('dm_kmeans_auto(float8[], int, int)', 'SELECT dmine.dm_kmeans_auto(f, 2, 6) FROM citus_test.planted');
CREATE TEMP TABLE km AS
SELECT (SELECT dmine.dm_kmeans(f, 4) FROM citus_test.planted) AS d,
       (SELECT dmine.dm_kmeans(f, 4) FROM citus_test.planted_local) AS l,
       (SELECT dmine.dm_kmeans_auto(f, 2, 6) FROM citus_test.planted) AS ad,
       (SELECT dmine.dm_kmeans_auto(f, 2, 6) FROM citus_test.planted_local) AS al,
       -- Every point kept (the demo lines pass the default sample size of 100,000): each shard draws
       -- its own sample stream, so two sampled fits differ by their sampling error, not by Citus.
       (SELECT dmine.dm_kmeans(ARRAY[ln(1 + amount), quantity]::float8[], 3, '{"sample_size": 1000000}') FROM erp_demo.sales_lines) AS ld,
       (SELECT dmine.dm_kmeans(ARRAY[ln(1 + amount), quantity]::float8[], 3, '{"sample_size": 1000000}') FROM citus_test.demo_local) AS ll;
SELECT l AS km_local FROM km \gset
CREATE TEMP TABLE kr AS
SELECT (SELECT dmine.dm_kmeans_refine(:'km_local'::dmine.kmeans_model, f) FROM citus_test.planted) AS d,
       (SELECT dmine.dm_kmeans_refine(:'km_local'::dmine.kmeans_model, f) FROM citus_test.planted_local) AS l;
SELECT cmp_ok(abs(citus_test.sse(d, 'SELECT f FROM citus_test.planted_local') / citus_test.sse(l, 'SELECT f FROM citus_test.planted_local') - 1),
              '<=', 0.001::float8, 'dm_kmeans (planted): SSE within 0.1% of single-node') FROM km;
SELECT cmp_ok(abs(citus_test.sse(ad, 'SELECT f FROM citus_test.planted_local') / citus_test.sse(al, 'SELECT f FROM citus_test.planted_local') - 1),
              '<=', 0.001::float8, 'dm_kmeans_auto (planted): SSE within 0.1% of single-node') FROM km;
SELECT is((dmine.dm_kmeans_info(ad)->>'k')::int, (dmine.dm_kmeans_info(al)->>'k')::int, 'dm_kmeans_auto (planted): the same k') FROM km;
SELECT citus_test.pushdown('dm_kmeans_refine(dmine.kmeans_model, float8[])', format('SELECT dmine.dm_kmeans_refine(%L::dmine.kmeans_model, f) FROM citus_test.planted', l)) FROM km;
SELECT cmp_ok(abs(citus_test.sse(d, 'SELECT f FROM citus_test.planted_local') / citus_test.sse(l, 'SELECT f FROM citus_test.planted_local') - 1),
              '<=', 1e-9::float8, 'dm_kmeans_refine (planted): the same SSE as single-node') FROM kr;
SELECT cmp_ok(abs(citus_test.sse(ld, 'SELECT ARRAY[ln(1 + amount), quantity]::float8[] FROM citus_test.demo_local')
                  / citus_test.sse(ll, 'SELECT ARRAY[ln(1 + amount), quantity]::float8[] FROM citus_test.demo_local') - 1),
              '<=', 0.001::float8, 'dm_kmeans (demo lines): SSE within 0.1% of single-node') FROM km;

-- Isolation Forest: AUC on the planted outliers within 0.01 of the single-node model's --------------
SELECT citus_test.pushdown('dm_iforest(float8[])', 'SELECT dmine.dm_iforest(f) FROM citus_test.planted');
CREATE TEMP TABLE iso AS
SELECT (SELECT dmine.dm_iforest(f, '{"seed": 7}') FROM citus_test.planted) AS d,
       (SELECT dmine.dm_iforest(f, '{"seed": 7}') FROM citus_test.planted_local) AS l;
SELECT cmp_ok(abs(citus_test.auc(d) - citus_test.auc(l)), '<=', 0.01::float8, 'dm_iforest (planted): AUC within 0.01 of single-node') FROM iso;
SELECT cmp_ok(citus_test.auc(d), '>=', 0.95::float8, 'dm_iforest (planted): the distributed model finds the outliers (AUC >= 0.95)') FROM iso;

-- Context summaries and top lines: bucket counts merged exactly, so the same summary ---------------
SELECT citus_test.pushdown('dm_context_fit(text, float8)', 'SELECT dmine.dm_context_fit(product_id::text, unit_price::float8) FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_context_fit(text, float8, jsonb)', 'SELECT dmine.dm_context_fit(id_client::text, quantite::float8, ''{"min_spread": 0.3}'') FROM entrepot_fr.lignes_vente');
SELECT citus_test.pushdown('dm_context_fit_time(text, timestamp)', 'SELECT dmine.dm_context_fit_time(depot_id::text, sold_at::timestamp) FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_context_top(float8, jsonb, bigint)', 'SELECT dmine.dm_context_top(amount::float8, jsonb_build_object(''line'', line_id), 25) FROM erp_demo.sales_lines');
CREATE TEMP TABLE cx AS
SELECT (SELECT dmine.dm_context_fit(product_id::text, unit_price::float8) FROM erp_demo.sales_lines)::text AS pd,
       (SELECT dmine.dm_context_fit(product_id::text, unit_price::float8) FROM citus_test.demo_local)::text AS pl,
       (SELECT dmine.dm_context_fit(id_client::text, quantite::float8, '{"min_spread": 0.3}') FROM entrepot_fr.lignes_vente)::text AS qd,
       (SELECT dmine.dm_context_fit(id_client::text, quantite::float8, '{"min_spread": 0.3}') FROM citus_test.fr_local)::text AS ql,
       (SELECT dmine.dm_context_fit_time(depot_id::text, sold_at::timestamp) FROM erp_demo.sales_lines)::text AS td,
       (SELECT dmine.dm_context_fit_time(depot_id::text, sold_at::timestamp) FROM citus_test.demo_local)::text AS tl,
       (SELECT dmine.dm_context_top(amount::float8, jsonb_build_object('line', line_id), 25) FROM erp_demo.sales_lines) AS od,
       (SELECT dmine.dm_context_top(amount::float8, jsonb_build_object('line', line_id), 25) FROM citus_test.demo_local) AS ol,
       (SELECT dmine.dm_context_top(montant::float8, jsonb_build_object('ligne', id_ligne), 25) FROM entrepot_fr.lignes_vente) AS fod,
       (SELECT dmine.dm_context_top(montant::float8, jsonb_build_object('ligne', id_ligne), 25) FROM citus_test.fr_local) AS fol;
SELECT ok(pd = pl, 'dm_context_fit (demo prices per product): the same summary as single-node') FROM cx;
SELECT ok(qd = ql, 'dm_context_fit with options (French quantities per customer): the same summary as single-node') FROM cx;
SELECT ok(td = tl, 'dm_context_fit_time (demo times per depot): the same summary as single-node') FROM cx;
SELECT ok(od = ol AND fod = fol AND cardinality(od) = 25, 'dm_context_top (both warehouses): the same 25 lines as single-node') FROM cx;
SELECT lives_ok($$SELECT citus_test.run_pushed('SELECT count(*) FROM (SELECT customer_id, dmine.dm_context_fit(product_id::text, quantity::float8) FROM erp_demo.sales_lines GROUP BY customer_id) t')$$,
                'dm_context_fit GROUP BY the distribution column runs on the shards');

-- Every splittable aggregate of dmine has a real state type (else Citus pulls every row) -------------
SELECT is(array(SELECT DISTINCT p.proname::text FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
                WHERE p.pronamespace = 'dmine'::regnamespace AND a.aggcombinefn <> 0 AND a.aggtranstype = 'internal'::regtype
                ORDER BY 1), '{}'::text[], 'no dmine aggregate with a combine function keeps an internal state');

-- GROUP BY: on the distribution column (whole on each shard), and on another column (split) ----------
SELECT lives_ok($$SELECT citus_test.run_pushed('SELECT count(*) FROM (SELECT customer_id, dmine.dm_stats(amount::float8), dmine.dm_kmeans(ARRAY[amount, quantity]::float8[], 2), dmine.dm_iforest(ARRAY[amount, quantity]::float8[], ''{"n_trees": 10}'') FROM erp_demo.sales_lines GROUP BY customer_id) t')$$,
                'GROUP BY the distribution column runs whole on the shards, whatever the state type');
CREATE TEMP TABLE g AS
SELECT customer_id, (dmine.dm_stats(amount::float8)).mean AS m, dmine.dm_approx_distinct(product_id) AS n
FROM erp_demo.sales_lines GROUP BY customer_id;
SELECT is((SELECT count(*) FROM (
              SELECT customer_id, m, n FROM g
              EXCEPT
              SELECT customer_id, (dmine.dm_stats(amount::float8)).mean, dmine.dm_approx_distinct(product_id)
              FROM citus_test.demo_local GROUP BY customer_id) AS t), 0::bigint,
          'GROUP BY customer_id: every group equals single-node');
SELECT citus_test.pushdown('dm_stats(float8)', 'SELECT id_depot, dmine.dm_stats(montant::float8) FROM entrepot_fr.lignes_vente GROUP BY id_depot');
CREATE TEMP TABLE gd AS SELECT id_depot, dmine.dm_stats(montant::float8) AS s FROM entrepot_fr.lignes_vente GROUP BY id_depot;
SELECT is((SELECT count(*) FROM gd d
           JOIN (SELECT id_depot, dmine.dm_stats(montant::float8) AS s FROM citus_test.fr_local GROUP BY id_depot) l USING (id_depot)
           WHERE NOT citus_test.close(ARRAY[(d.s).count, (d.s).mean, (d.s).variance, (d.s).max],
                                      ARRAY[(l.s).count, (l.s).mean, (l.s).variance, (l.s).max], 1e-9)), 0::bigint,
          'GROUP BY id_depot (not the distribution column, split): every group equals single-node to 1e-9');

SELECT * FROM finish();
ROLLBACK;
