-- dm_profile on distributed tables. Its one-scan aggregate has two forms: dm_profile_summary(top_n,
-- spec, VARIADIC "any"), which Citus plans as worker_partial_agg but whose VARIADIC "any" row of
-- arguments worker_partial_agg refuses on the workers, and dm_profile_summary(top_n, spec, columns
-- record) over ROW(a, b, ...), with fixed argument types (integer, text, record), which runs on
-- the workers. dm_profile uses the record form on a distributed table: no row reaches the
-- coordinator (no intermediate result), only the shards' summaries. The profile equals that of
-- the local copy: types, counts, nulls, distinct counts, min, max, top values and roles exactly,
-- mean and stddev to 1e-9 relative, quartiles within the sketch's rank error (the shards' KLL
-- sketches are merged, not fed in the local copy's order).
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(23);

-- A summary's order-independent figures (made first: Citus runs no function command after a
-- parallel operation in the transaction; it stays on the coordinator).
SET LOCAL client_min_messages = error;
CREATE FUNCTION pg_temp.order_free(s jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('rows', s->'rows', 'columns',
        (SELECT jsonb_agg(jsonb_build_object('n', c->'n', 'nd', c->'nd', 'exact', c->'exact', 'dk', c->'dk', 'tk', c->'tk',
                                             'count', c->'stats'->'count', 'min', c->'stats'->'min', 'max', c->'stats'->'max',
                                             'top', (SELECT jsonb_agg(e ORDER BY e::text) FROM jsonb_array_elements(
                                                         CASE WHEN jsonb_typeof(c->'top') = 'array' THEN c->'top' ELSE '[]' END) AS e))
                          ORDER BY o)
         FROM jsonb_array_elements(s->'columns') WITH ORDINALITY AS x(c, o)))
$$;
SET LOCAL client_min_messages = warning;

-- A table of mixed types with NULLs, distributed, and its local copy.
CREATE TABLE citus_test.mixed (id int, amount numeric, label text, day date, seen timestamptz, flag boolean, code varchar(8));
INSERT INTO citus_test.mixed
SELECT i, CASE WHEN i % 7 <> 0 THEN round((i * 37 % 1000) / 7.0, 2) END,
       CASE WHEN i % 11 <> 0 THEN 'label ' || (i % 13) END,
       CASE WHEN i % 5 <> 0 THEN date '2024-01-01' + i % 400 END,
       CASE WHEN i % 3 <> 0 THEN timestamptz '2024-01-01 00:00+00' + i * interval '37 minutes' END,
       CASE WHEN i % 4 <> 0 THEN i % 3 = 0 END,
       CASE WHEN i % 9 <> 0 THEN to_char(i % 40, 'FM0000') END
FROM generate_series(1, 20000) AS i;
CREATE TABLE citus_test.mixed_local AS SELECT * FROM citus_test.mixed;
SELECT create_distributed_table('citus_test.mixed', 'id') \g /dev/null
-- A wide table: 95 columns, profiled in two calls (90 columns, then 5), each ROW(...) pushed down.
SELECT format('CREATE TABLE citus_test.wide AS SELECT i AS id, %s FROM generate_series(1, 3000) AS i',
              string_agg(format('CASE WHEN i %% %s <> 0 THEN (i * %s) %% 97 END AS c%s', 2 + c % 5, c, c), ', '))
FROM generate_series(1, 94) AS c \gexec
CREATE TABLE citus_test.wide_local AS SELECT * FROM citus_test.wide;
SELECT create_distributed_table('citus_test.wide', 'id') \g /dev/null

-- The VARIADIC form: planned as a partial aggregate, refused by worker_partial_agg.
SELECT ok(citus_test.plan('SELECT dmine.dm_profile_summary(5, ''vv'', amount, depot_id) FROM erp_demo.sales_lines')
          LIKE '%worker_partial_agg%', 'dm_profile_summary VARIADIC: Citus plans it as a partial aggregate');
SELECT throws_ok('SELECT dmine.dm_profile_summary(5, ''vv'', amount, depot_id) FROM erp_demo.sales_lines',
                 'worker_partial_agg_sfunc could not confirm type correctness',
                 'dm_profile_summary VARIADIC: worker_partial_agg refuses its VARIADIC "any" arguments');

-- The record form: pushed down, on both warehouses and the mixed table.
SELECT citus_test.pushdown('dm_profile_summary(ROW) demo',
    'SELECT dmine.dm_profile_summary(5, ''vvvV'', ROW(amount, depot_id, quantity, order_id::text)) FROM erp_demo.sales_lines');
SELECT citus_test.pushdown('dm_profile_summary(ROW) French view',
    'SELECT dmine.dm_profile_summary(3, ''vV'', ROW(montant, id_client)) FROM entrepot_fr.lignes_vente');
SELECT citus_test.pushdown('dm_profile_summary(ROW) mixed types',
    'SELECT dmine.dm_profile_summary(5, ''vVvvvV'', ROW(amount, label, day, seen, flag, code)) FROM citus_test.mixed');

-- The order-independent figures of the pushed-down summary equal the VARIADIC form's on the local
-- copy: rows, and per column counts, distinct estimate (HLL registers merge exactly), exact
-- distinct counts, date counts and top values (as sets: ties come in another order).
SELECT is(pg_temp.order_free(citus_test.run_pushed(
              'SELECT dmine.dm_summary_profile(dmine.dm_profile_summary(5, ''vVvvvV'', ROW(amount, label, day, seen, flag, code))) FROM citus_test.mixed')::jsonb),
          (SELECT pg_temp.order_free(dmine.dm_summary_profile(dmine.dm_profile_summary(5, 'vVvvvV', amount, label, day, seen, flag, code)))
           FROM citus_test.mixed_local),
          'mixed types: the pushed-down record form equals the local VARIADIC form (order-free figures)');
SELECT ok(citus_test.close(
              ARRAY(SELECT (c->'stats'->>'mean')::float8 FROM jsonb_array_elements(citus_test.run_pushed(
                  'SELECT dmine.dm_summary_profile(dmine.dm_profile_summary(5, ''vvv'', ROW(amount, quantity, unit_price))) FROM erp_demo.sales_lines')::jsonb->'columns') AS c),
              ARRAY(SELECT (c->'stats'->>'mean')::float8 FROM jsonb_array_elements(
                  (SELECT dmine.dm_summary_profile(dmine.dm_profile_summary(5, 'vvv', amount, quantity, unit_price)) FROM citus_test.demo_local)->'columns') AS c),
              1e-9),
          'demo: the pushed-down record form gives the local means to 1e-9');
-- GROUP BY a column other than the distribution column: still split, one partial state per group.
SET LOCAL citus.coordinator_aggregation_strategy = 'disabled';
CREATE TEMP TABLE gd AS
SELECT depot_id, dmine.dm_summary_profile(dmine.dm_profile_summary(5, 'vv', ROW(amount, product_id)))->'columns'->1->>'nd' AS nd
FROM erp_demo.sales_lines GROUP BY depot_id;
RESET citus.coordinator_aggregation_strategy;
SELECT is((SELECT count(*) FROM gd FULL JOIN
               (SELECT depot_id, dmine.dm_summary_profile(dmine.dm_profile_summary(5, 'vv', amount, product_id))->'columns'->1->>'nd' AS nd
                FROM citus_test.demo_local GROUP BY depot_id) l USING (depot_id)
           WHERE gd.nd IS DISTINCT FROM l.nd),
          0::bigint, 'demo: GROUP BY depot, the pushed-down distinct estimates equal the local ones');

-- dm_profile: no gathered rows (an intermediate result of more than 1 kB would fail), and it
-- runs with row-gather disabled.
CREATE TEMP TABLE pd AS SELECT * FROM dmine.dm_profile('erp_demo.sales_lines');
CREATE TEMP TABLE pl AS SELECT * FROM dmine.dm_profile('citus_test.demo_local');
CREATE TEMP TABLE fpd AS SELECT * FROM dmine.dm_profile('entrepot_fr.lignes_vente', top_n => 3);
CREATE TEMP TABLE fpl AS SELECT * FROM dmine.dm_profile('citus_test.fr_local', top_n => 3);
SET LOCAL citus.coordinator_aggregation_strategy = 'disabled';
SET LOCAL citus.max_intermediate_result_size = '1kB';
CREATE TEMP TABLE md AS SELECT * FROM dmine.dm_profile('citus_test.mixed');
CREATE TEMP TABLE ml AS SELECT * FROM dmine.dm_profile('citus_test.mixed_local');
CREATE TEMP TABLE wd AS SELECT * FROM dmine.dm_profile('citus_test.wide');
CREATE TEMP TABLE wl AS SELECT * FROM dmine.dm_profile('citus_test.wide_local');
SELECT lives_ok('SELECT * FROM dmine.dm_profile(''citus_test.mixed'', sample_percent => 50)',
                'dm_profile: a sampled profile runs on the workers too');
SELECT lives_ok('SELECT * FROM dmine.dm_profile(''erp_demo.sales_lines'')',
                'dm_profile: runs with row-gather disabled and no intermediate result (demo)');
SELECT lives_ok('SELECT * FROM dmine.dm_profile(''entrepot_fr.lignes_vente'', top_n => 3)',
                'dm_profile: runs with row-gather disabled and no intermediate result (French view)');
SELECT throws_ok('SELECT count(*) FROM (SELECT * FROM citus_test.mixed OFFSET 0) AS gathered',
                 NULL, 'the 1 kB limit does stop a gather of the rows (the test would see one)');
RESET citus.max_intermediate_result_size;
RESET citus.coordinator_aggregation_strategy;

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
SELECT is((SELECT count(*) FROM (SELECT column_name, ordinal, data_type, kind, row_count, null_count, null_fraction, distinct_estimate,
                                        min_value, max_value, top_values, role, distinct_exact, uniqueness FROM md
                                 EXCEPT
                                 SELECT column_name, ordinal, data_type, kind, row_count, null_count, null_fraction, distinct_estimate,
                                        min_value, max_value, top_values, role, distinct_exact, uniqueness FROM ml) x),
          0::bigint, 'mixed types: the profile (numeric, text, date, timestamptz, boolean, varchar, NULLs) equals single-node');

SELECT is((SELECT count(*) FROM (SELECT column_name, ordinal, data_type, row_count, null_count, distinct_estimate, min_value, max_value,
                                        role, distinct_exact FROM wd
                                 EXCEPT
                                 SELECT column_name, ordinal, data_type, row_count, null_count, distinct_estimate, min_value, max_value,
                                        role, distinct_exact FROM wl) x) + abs((SELECT count(*) FROM wd) - 95),
          0::bigint, 'a table of 95 columns (two calls of the record form): the profile equals single-node');

SELECT * FROM finish();
ROLLBACK;
