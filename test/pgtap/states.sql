-- State types and summaries: real (non-pseudo) states, exact text round trip, rollups equal to
-- the one-step aggregates on two warehouses, corrupted values rejected, parallel equals serial.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(51);

-- The catalogue: every aggregate splits on Citus (combine function, state type not a pseudo-type)
-- and its final function needs only the state.
SELECT is(count(*)::int, 0, 'no dmine aggregate has a pseudo-type state (Citus pushes them down)')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_type t ON t.oid = a.aggtranstype
WHERE p.pronamespace = 'dmine'::regnamespace AND (t.typtype = 'p' OR a.aggcombinefn = 0);
SELECT is(count(*)::int, 0, 'every final function of a dmine aggregate takes the state alone')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'dmine'::regnamespace AND a.aggfinalfn <> 0 AND a.aggfinalextra;
SELECT is(count(*)::int, 0, 'every state type has text and binary input/output')
FROM pg_type t WHERE t.typnamespace = 'dmine'::regnamespace AND t.typname LIKE '%\_summary'
  AND (t.typreceive = 0 OR t.typsend = 0 OR t.typlen <> -1);

-- Two warehouses: the demo one (numeric amounts, date keys) and entrepot_fr (a view, int keys).
SELECT count(*) FROM create_demo_warehouse('st_demo', scale => 0.02) \g /dev/null
\set schema st_fr
\set lignes 30000
\set produits 2000
\set clients 500
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;
CREATE TEMP VIEW facts AS
    SELECT 'demo' AS wh, date_key::text AS day, amount::float8 AS x, quantity::float8 AS y,
           customer_id::bigint AS key
    FROM st_demo.sales_lines
    UNION ALL
    SELECT 'fr', date_cle::text, montant::float8, quantite::float8, id_client::bigint
    FROM st_fr.lignes_vente;

-- Daily summaries, stored.
CREATE TEMP TABLE daily AS
SELECT wh, day, dm_stats_summary(x) AS s, dm_histogram_summary(x, 20, 0, 2000) AS h,
       dm_comoments_summary(ARRAY[x, y]) AS c, dm_distinct_summary(key) AS d,
       dm_kmeans_summary(ARRAY[x, y]) AS k, dm_iforest_summary(ARRAY[x, y]) AS i
FROM facts GROUP BY wh, day;
CREATE TEMP TABLE one_step AS
SELECT wh, dm_stats(x) AS st, dm_quantiles(x, '{0.1,0.5,0.9}') AS q, dm_histogram(x, 20, 0, 2000) AS h,
       dm_histogram(x, 10) AS h10, dm_corr(ARRAY[x, y]) AS corr, dm_cov(ARRAY[x, y]) AS cov,
       dm_approx_distinct(key) AS nd, dm_kmeans(ARRAY[x, y], 3) AS km, dm_iforest(ARRAY[x, y]) AS forest
FROM facts GROUP BY wh;
CREATE TEMP TABLE rolled AS
SELECT wh, dm_rollup(s) AS s, dm_rollup(h) AS h, dm_rollup(c) AS c, dm_rollup(d) AS d,
       dm_rollup(k) AS k, dm_rollup(i) AS i
FROM daily GROUP BY wh;

CREATE FUNCTION pg_temp.close(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$ SELECT a IS NOT DISTINCT FROM b OR abs(a - b) <= 1e-9 * greatest(abs(a), abs(b)) $$;
CREATE FUNCTION pg_temp.close(a float8[], b float8[]) RETURNS boolean LANGUAGE sql IMMUTABLE
AS $$ SELECT array_length(a, 1) = array_length(b, 1)
             AND bool_and(pg_temp.close(x, y)) FROM unnest(a, b) AS u(x, y) $$;

SELECT is(count(*)::int, 2, 'two warehouses, each with daily summaries') FROM rolled;
SELECT ok(bool_and((dm_summary_stats(r.s)).count = (o.st).count
                   AND (dm_summary_stats(r.s)).null_count = (o.st).null_count
                   AND (dm_summary_stats(r.s)).min = (o.st).min AND (dm_summary_stats(r.s)).max = (o.st).max),
          'stats rollup: counts, min and max equal the one-step dm_stats')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(pg_temp.close((dm_summary_stats(r.s)).mean, (o.st).mean)
                   AND pg_temp.close((dm_summary_stats(r.s)).variance, (o.st).variance)
                   AND pg_temp.close((dm_summary_stats(r.s)).skewness, (o.st).skewness)
                   AND pg_temp.close((dm_summary_stats(r.s)).kurtosis, (o.st).kurtosis)),
          'stats rollup: mean, variance, skewness, kurtosis within 1e-9 relative')
FROM rolled r JOIN one_step o USING (wh);
-- Quantiles: the rank of the rolled-up quantile within the KLL bound (1% of the rows).
SELECT ok(bool_and(abs(rank_share - p) <= 0.01), 'stats rollup: quantiles within the KLL rank error')
FROM (SELECT r.wh, u.p,
             (SELECT avg((f.x <= u.q)::int) FROM facts f WHERE f.wh = r.wh) AS rank_share
      FROM rolled r, unnest('{0.1,0.5,0.9}'::float8[], dm_summary_quantiles(r.s, '{0.1,0.5,0.9}')) AS u(p, q)) t;
SELECT ok(bool_and(abs((SELECT avg((f.x <= u.q)::int) FROM facts f WHERE f.wh = o.wh) - u.p) <= 0.01),
          'one-step dm_quantiles within the same bound')
FROM one_step o, unnest('{0.1,0.5,0.9}'::float8[], o.q) AS u(p, q);
SELECT ok(bool_and((dm_summary_histogram(r.s, 10)).counts IS NOT NULL
                   AND (SELECT sum(c) FROM unnest((dm_summary_histogram(r.s, 10)).counts) c) = (o.st).count
                   AND (dm_summary_histogram(r.s, 10)).edges = (o.h10).edges),
          'stats rollup: histogram with the one-step edges and every value counted')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(dm_summary_histogram(r.h) = o.h), 'fixed histogram rollup equals the one-step dm_histogram exactly')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(pg_temp.close(ARRAY(SELECT unnest(dm_summary_corr(r.c))), ARRAY(SELECT unnest(o.corr)))
                   AND pg_temp.close(ARRAY(SELECT unnest(dm_summary_cov(r.c))), ARRAY(SELECT unnest(o.cov)))),
          'co-moments rollup: correlation and covariance within 1e-9 relative')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(dm_summary_distinct(r.d) = o.nd), 'HyperLogLog rollup equals the one-step estimate (register union)')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(abs(dm_summary_distinct(r.d) - (SELECT count(DISTINCT key) FROM facts f WHERE f.wh = r.wh))
                   <= 0.04 * (SELECT count(DISTINCT key) FROM facts f WHERE f.wh = r.wh)),
          'HyperLogLog rollup within 4% (5 standard errors) of the exact distinct count')
FROM rolled r;
-- Fewer rows than the sample size: the samples hold every row, so the fits see the same points.
SELECT ok(bool_and(abs((dm_kmeans_info(dm_summary_kmeans(r.k, 3))->>'inertia')::float8
                       - (dm_kmeans_info(o.km)->>'inertia')::float8)
                   <= 0.001 * (dm_kmeans_info(o.km)->>'inertia')::float8),
          'K-Means from the rolled-up sample: SSE within 0.1% of dm_kmeans')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and((dm_kmeans_info(dm_summary_kmeans_auto(r.k, 2, 4))->>'k')::int BETWEEN 2 AND 4),
          'dm_summary_kmeans_auto picks k in range') FROM rolled r;
SELECT ok(bool_and((dm_iforest_info(dm_summary_iforest(r.i))->>'rows_seen') = (dm_iforest_info(o.forest)->>'rows_seen')
                   AND (dm_iforest_info(dm_summary_iforest(r.i))->>'n_trees') = (dm_iforest_info(o.forest)->>'n_trees')),
          'Isolation Forest from the rolled-up pool: same rows and trees as dm_iforest')
FROM rolled r JOIN one_step o USING (wh);

-- Exact text round trip, and the binary form is the bytes behind the text.
SELECT ok(bool_and(s::text::stats_summary::text = s::text), 'stats_summary text round trip') FROM daily;
SELECT ok(bool_and(h::text::histogram_summary::text = h::text), 'histogram_summary text round trip') FROM daily;
SELECT ok(bool_and(c::text::comoments_summary::text = c::text), 'comoments_summary text round trip') FROM daily;
SELECT ok(bool_and(d::text::distinct_summary::text = d::text), 'distinct_summary text round trip') FROM daily;
SELECT ok(bool_and(k::text::kmeans_summary::text = k::text), 'kmeans_summary text round trip') FROM daily;
SELECT ok(bool_and(i::text::iforest_summary::text = i::text), 'iforest_summary text round trip') FROM daily;
SELECT ok(bool_and(stats_summary_send(s) = decode(s::text, 'base64')
                   AND kmeans_summary_send(k) = decode(k::text, 'base64')),
          'binary send gives the bytes of the text form') FROM daily;
SELECT ok(bool_and(dm_summary_stats(s::text::stats_summary) = dm_summary_stats(s)), 'a summary read back gives the same figures')
FROM daily;
SELECT ok((dm_kmeans_info(dm_kmeans_refine((SELECT km FROM one_step WHERE wh = 'demo'), ARRAY[x, y]))->>'rows')::bigint
          = count(*), 'dm_kmeans_refine over kmeans_refine_summary: one pass over every row')
FROM facts WHERE wh = 'demo';

-- Transition and final functions are plain functions too.
SELECT is((dm_summary_stats(stats_summary_add(stats_summary_add(NULL, 1), 3))).mean, 2::float8,
          'transition functions called outside an aggregate');
SELECT is(dm_summary_stats(NULL::stats_summary), dm_stats(x), 'a NULL summary reads as no rows')
FROM (SELECT 1::float8 WHERE false) t(x);
SELECT ok(stats_summary_combine(NULL, NULL) IS NULL, 'combining two NULL states gives NULL');

-- Errors.
SELECT throws_ok($$SELECT dm_summary_histogram(dm_stats_summary(x), 0) FROM generate_series(1, 10) x$$,
                 '22023', NULL, 'accessor bins out of range: 22023');
SELECT throws_ok($$SELECT stats_summary_histogram(dm_stats_summary(x)) FROM generate_series(1, 10) x$$,
                 '22023', NULL, 'histogram final of a summary without bins: 22023');
SELECT throws_ok($$SELECT dm_summary_quantiles(dm_stats_summary(x), '{2}') FROM generate_series(1, 10) x$$,
                 '22023', NULL, 'accessor probability out of range: 22023');
SELECT throws_ok($$SELECT dm_quantiles(1, array_fill(0.5::float8, ARRAY[100001]))$$,
                 '22023', NULL, 'more probabilities than a state carries: 22023');
SELECT throws_ok($$SELECT kmeans_summary_fit(dm_kmeans_summary(ARRAY[x, x])) FROM generate_series(1, 10) x$$,
                 '22023', NULL, 'fitting a point sample without k: 22023');
SELECT throws_ok($$SELECT dm_summary_kmeans(dm_kmeans_summary(ARRAY[x, x]), 0) FROM generate_series(1, 10) x$$,
                 '22023', NULL, 'accessor k out of range: 22023');
SELECT throws_ok($$SELECT dm_summary_kmeans_auto(dm_kmeans_summary(ARRAY[x, x]), 3, 2) FROM generate_series(1, 10) x$$,
                 '22023', NULL, 'accessor k_max < k_min: 22023');
SELECT throws_ok($$SELECT dm_rollup(h) FROM (SELECT dm_histogram_summary(1, 5, 0, 1) UNION ALL
                                             SELECT dm_histogram_summary(1, 6, 0, 1)) t(h)$$,
                 '22023', NULL, 'rolling up histograms with different bins: 22023');
SELECT throws_ok($$SELECT dm_rollup(c) FROM (SELECT dm_comoments_summary('{1,2}') UNION ALL
                                             SELECT dm_comoments_summary('{1,2,3}')) t(c)$$,
                 '2202E', NULL, 'rolling up co-moments of different dimensions: 2202E');

-- Corrupted values: 22P02 from text, never an internal error.
SELECT throws_ok($$SELECT 'not base64!'::stats_summary$$, '22P02', NULL, 'text outside base64: 22P02');
SELECT throws_ok($$SELECT 'Zg=='::stats_summary$$, '22P02', NULL, 'too short: 22P02');
SELECT throws_ok($$SELECT s::text::distinct_summary FROM daily LIMIT 1$$, '22P02', NULL, 'another type''s state: 22P02');
SELECT throws_ok($$SELECT left(h::text, -8)::histogram_summary FROM daily LIMIT 1$$, '22P02', NULL, 'truncated: 22P02');
SELECT throws_ok($$SELECT encode(set_byte(decode(c::text, 'base64'), 40, 255 - get_byte(decode(c::text, 'base64'), 40)), 'base64')::comoments_summary
                   FROM daily LIMIT 1$$, '22P02', NULL, 'a flipped payload byte (checksum): 22P02');
SELECT throws_ok($$SELECT encode(set_byte(decode(c::text, 'base64'), 4, 9), 'base64')::comoments_summary
                   FROM daily LIMIT 1$$, '22P02', NULL, 'an unknown format version: 22P02');

-- Hostile payloads with a valid envelope: every byte of small states set to 0, 1, 127 and 255,
-- resealed (size, checksum: Fletcher-64, the kind of states; FNV-1a for kind 0); each is
-- rejected with 22P02 or, if accepted, reads cleanly.
\i :root/test/pgtap/setup/reseal.sql
SELECT is(pg_temp.reseal(decode(c::text, 'base64')), decode(c::text, 'base64'), 'the test resealer reproduces the checksum')
FROM daily LIMIT 1;
SELECT ok(pg_temp.hostile(c::text, 'comoments_summary', 'dm_summary_cov') <@ '{ok,22P02,22000,22003}',
          'hostile co-moments: rejected (22P02) or read cleanly') FROM daily WHERE wh = 'fr' LIMIT 1;
SELECT ok(pg_temp.hostile(h::text, 'histogram_summary', 'dm_summary_histogram') <@ '{ok,22P02}',
          'hostile histogram: rejected (22P02) or read cleanly') FROM daily LIMIT 1;
SELECT ok(pg_temp.hostile(dm_stats_summary(x)::text, 'stats_summary', 'dm_summary_stats') <@ '{ok,22P02}',
          'hostile stats summary: rejected (22P02) or read cleanly') FROM generate_series(1, 3) x;
SELECT ok(pg_temp.hostile(dm_kmeans_summary(ARRAY[x, 1])::text, 'kmeans_summary', 'kmeans_summary_fit') <@ '{ok,22P02,22023,22000}',
          'hostile kmeans summary: rejected (22P02) or read cleanly') FROM generate_series(1, 2) x;
SELECT ok(pg_temp.hostile(dm_iforest_summary(ARRAY[x, 1])::text, 'iforest_summary', 'dm_summary_iforest') <@ '{ok,22P02,22000}',
          'hostile iforest summary: rejected (22P02) or read cleanly') FROM generate_series(1, 2) x;

-- Parallel query: the same aggregates, partial states flattened by the workers and combined.
CREATE TABLE dmine_test.states_par AS SELECT g, (g % 97)::float8 AS x, sin(g)::float8 AS y FROM generate_series(1, 200000) g;
ANALYZE dmine_test.states_par;
CREATE TEMP TABLE serial_run AS
SELECT dm_stats(x) AS st, dm_corr(ARRAY[x, y]) AS corr, dm_approx_distinct(g) AS nd,
       dm_histogram(x, 10, 0, 100) AS h, dm_summary_stats(dm_stats_summary(y)) AS sy FROM dmine_test.states_par;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
CREATE FUNCTION pg_temp.explain_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END $$;
SELECT is((SELECT count(*) FROM pg_temp.explain_lines('SELECT dm_stats(x), dm_corr(ARRAY[x, y]) FROM dmine_test.states_par') AS e(line)
           WHERE line LIKE '%Partial Aggregate%'), 1::bigint, 'the plan is parallel (partial aggregate)');
SELECT ok((p.st).count = (s.st).count AND pg_temp.close((p.st).mean, (s.st).mean)
          AND pg_temp.close((p.st).variance, (s.st).variance) AND (p.st).p50 = (s.st).p50
          AND pg_temp.close(ARRAY(SELECT unnest(p.corr)), ARRAY(SELECT unnest(s.corr)))
          AND p.nd = s.nd AND p.h = s.h AND pg_temp.close((p.sy).mean, (s.sy).mean),
          'parallel results equal serial ones')
FROM serial_run s,
     (SELECT dm_stats(x) AS st, dm_corr(ARRAY[x, y]) AS corr, dm_approx_distinct(g) AS nd,
             dm_histogram(x, 10, 0, 100) AS h, dm_summary_stats(dm_stats_summary(y)) AS sy FROM dmine_test.states_par) p;

SELECT * FROM finish();
ROLLBACK;
