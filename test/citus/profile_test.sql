-- dm_profile on distributed tables. Its one-scan aggregate, dm_profile_summary(top_n, spec,
-- VARIADIC "any"), has a real state type, so Citus plans it as worker_partial_agg, but Citus's
-- worker_partial_agg checks the row of arguments against the aggregate's declared argument types
-- (int, text, "any": three) and fails on the workers; dm_profile therefore gathers the rows of
-- that scan on the coordinator (an intermediate result), and its other scans (exact distinct
-- counts, top values) are pushed down. The profile equals that of the local copy: types, counts,
-- nulls, distinct counts, min, max, top values and roles exactly, mean and stddev to 1e-9
-- relative, quartiles within the sketch's rank error (the gathered rows arrive in another order).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(8);

-- Why: the VARIADIC "any" aggregate cannot run under worker_partial_agg.
SELECT ok(citus_test.plan('SELECT dmine.dm_profile_summary(5, ''vv'', amount, depot_id) FROM erp_demo.sales_lines')
          LIKE '%worker_partial_agg%', 'dm_profile_summary: Citus plans it as a partial aggregate');
SELECT throws_ok('SELECT dmine.dm_profile_summary(5, ''vv'', amount, depot_id) FROM erp_demo.sales_lines',
                 'worker_partial_agg_sfunc could not confirm type correctness',
                 'dm_profile_summary: worker_partial_agg refuses its VARIADIC "any" arguments');

CREATE TEMP TABLE pd AS SELECT * FROM dmine.dm_profile('erp_demo.sales_lines');
CREATE TEMP TABLE pl AS SELECT * FROM dmine.dm_profile('citus_test.demo_local');
CREATE TEMP TABLE fpd AS SELECT * FROM dmine.dm_profile('entrepot_fr.lignes_vente', top_n => 3);
CREATE TEMP TABLE fpl AS SELECT * FROM dmine.dm_profile('citus_test.fr_local', top_n => 3);

SELECT is((SELECT count(*) FROM pd), 10::bigint, 'demo: every column profiled on the distributed table');
SELECT is((SELECT count(*) FROM (SELECT column_name, ordinal, data_type, kind, row_count, null_count, null_fraction, distinct_estimate,
                                        min_value, max_value, top_values, role, distinct_exact, uniqueness FROM pd
                                 EXCEPT
                                 SELECT column_name, ordinal, data_type, kind, row_count, null_count, null_fraction, distinct_estimate,
                                        min_value, max_value, top_values, role, distinct_exact, uniqueness FROM pl) x),
          0::bigint, 'demo: types, counts, nulls, distinct counts, min, max, top values and roles equal single-node');
SELECT is((SELECT count(*) FROM pd JOIN pl USING (column_name)
           WHERE NOT citus_test.close(ARRAY[pd.mean, pd.stddev], ARRAY[pl.mean, pl.stddev], 1e-9)),
          0::bigint, 'demo: means and standard deviations equal single-node to 1e-9');
SELECT cmp_ok((SELECT max(citus_test.rank_error(format('SELECT %I::float8 FROM citus_test.demo_local', column_name),
                                                 '{0.25,0.5,0.75}', ARRAY[p25, p50, p75]))
               FROM pd WHERE kind = 'numeric'), '<=', 0.02::float8, 'demo: quartiles within 2% rank of the true ones');
SELECT is((SELECT count(*) FROM (SELECT column_name, data_type, kind, row_count, null_count, distinct_estimate,
                                        min_value, max_value, top_values, role, distinct_exact FROM fpd
                                 EXCEPT
                                 SELECT column_name, data_type, kind, row_count, null_count, distinct_estimate,
                                        min_value, max_value, top_values, role, distinct_exact FROM fpl) x),
          0::bigint, 'French view: the profile (top 3 values) equals single-node');
SELECT is((SELECT count(*) FROM fpd JOIN fpl USING (column_name)
           WHERE NOT citus_test.close(ARRAY[fpd.mean, fpd.stddev], ARRAY[fpl.mean, fpl.stddev], 1e-9)),
          0::bigint, 'French view: means and standard deviations equal single-node to 1e-9');

SELECT * FROM finish();
ROLLBACK;
