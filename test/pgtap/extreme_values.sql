-- Finite values near the ends of the double range (±1e308, ±1e160, denormals, -0): every
-- aggregate gives representable answers, serially and through parallel workers' serialized
-- states, and every model it stores reads back (as binary and as text).
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(46);

-- dm_stats and dm_histogram over ±1e308: no Infinity or NaN where the answer is representable.
CREATE TEMP TABLE three AS SELECT unnest('{1e308, 1e308, -1e308}'::float8[]) AS x;
CREATE TEMP TABLE three_stats AS SELECT (dm_stats(x)).* FROM three;
SELECT ok(abs(mean - 1e308 / 3) < 1e294, 'dm_stats: the mean of (1e308, 1e308, -1e308) is 3.33e307') FROM three_stats;
SELECT ok(abs(stddev - 1.1547005383792515e308) < 1e294, 'dm_stats: the sd is 1.15e308') FROM three_stats;
SELECT is(variance, 'Infinity'::float8, 'dm_stats: the variance (1.3e616) is beyond the double range: Infinity') FROM three_stats;
SELECT ok(abs(p01 + 0.96e308) < 1e294 AND p50 = 1e308, 'dm_stats: p01 interpolates between -1e308 and 1e308') FROM three_stats;
SELECT ok(skewness::text NOT IN ('NaN', 'Infinity', '-Infinity'), 'dm_stats: the skewness is finite') FROM three_stats;
SELECT ok((SELECT e[1] = -1e308 AND abs(e[2] + 1e308 / 3) < 1e293 AND abs(e[3] - 1e308 / 3) < 1e293 AND e[4] = 1e308
           FROM (SELECT (dm_histogram(x, 3, -1e308, 1e308)).edges AS e FROM three) t),
          'dm_histogram over [-1e308, 1e308]: finite equal-width edges');
SELECT is((SELECT (h).counts FROM (SELECT dm_histogram(x, 3, -1e308, 1e308) AS h FROM three) t),
          ARRAY[1, 0, 2]::bigint[], 'dm_histogram over [-1e308, 1e308]: counts');
SELECT ok((SELECT bool_and(e::text NOT IN ('NaN', 'Infinity', '-Infinity'))
           FROM (SELECT unnest((dm_histogram(x, 4)).edges) AS e FROM three) t),
          'dm_histogram over the observed range: finite edges');
SELECT is((SELECT dm_quantiles(x, ARRAY[0, 0.25, 1]) FROM three), ARRAY[-1e308, 0, 1e308]::float8[],
          'dm_quantiles: interpolated between ±1e308');
SELECT is((SELECT round((dm_corr(ARRAY[x, -x]))[1][2]::numeric, 12) FROM three), -1::numeric, 'dm_corr of (x, -x) over ±1e308 is -1');
SELECT ok((SELECT abs(c[2][2] / 1.3333333333333333e16 - 1) < 1e-12 AND c[1][1] = 'Infinity'
           FROM (SELECT dm_cov(ARRAY[x, x / 1e300]) AS c FROM three) t),
          'dm_cov: a representable covariance beside one that is not (Infinity)');
SELECT ok((SELECT abs((dm_stats(x)).stddev / 2e-170 - 1) < 1e-12 FROM unnest('{1e-170, -1e-170, 3e-170}'::float8[]) x),
          'dm_stats: the sd of values near 1e-170 is not lost to underflow');

SELECT is((SELECT ARRAY[(s).mean, (s).stddev] FROM (SELECT dm_stats(x) AS s FROM unnest('{5e-324, 0, 1e-323}'::float8[]) x) t),
          ARRAY[5e-324, 5e-324]::float8[], 'dm_stats of denormals: mean and sd are exact denormals');

-- K-Means over extreme values: a readable model, or a clear 22003.
CREATE TEMP TABLE wide (v float8[]);
INSERT INTO wide VALUES ('{1e308}'), ('{-1e308}'), ('{0}');
CREATE TEMP TABLE wide160 (v float8[]);
INSERT INTO wide160 VALUES ('{1e160}'), ('{-1e160}'), ('{0}');
CREATE TEMP TABLE stored (name text, model kmeans_model);
INSERT INTO stored SELECT 'kmeans 1e308', dm_kmeans(v, 2) FROM wide;
INSERT INTO stored SELECT 'kmeans_auto 1e308', dm_kmeans_auto(v, 2, 3) FROM wide;
INSERT INTO stored SELECT 'kmeans 1e160', dm_kmeans(v, 2) FROM wide160;
INSERT INTO stored SELECT 'kmeans_auto 1e160', dm_kmeans_auto(v, 2, 3) FROM wide160;
INSERT INTO stored SELECT 'kmeans unscaled, k = n', dm_kmeans(v, 3, '{"scale": false}') FROM wide;
INSERT INTO stored SELECT 'kmeans 1e160, k = 3', dm_kmeans(v, 3) FROM wide160;
INSERT INTO stored SELECT 'kmeans denormals', dm_kmeans(ARRAY[x], 2) FROM unnest('{5e-324, 0, 1e-323}'::float8[]) x;
SELECT is((SELECT count(*)::int FROM stored WHERE model::text::kmeans_model::text = model::text), 7,
          'every model fitted on ±1e308 and ±1e160 casts to text and back');
SELECT is((SELECT count(*)::int FROM stored WHERE (dm_kmeans_info(model)->>'k')::int >= 2), 7,
          'every such model is read by the model functions (its stored binary form decodes)');
SELECT ok((SELECT bool_and((dm_kmeans_info(model)->'scaling'->'sd'->>0)::float8 > 0) FROM stored),
          'their standard deviations are finite and positive');
SELECT is((SELECT dm_kmeans_assign(model, '{0}') IN (dm_kmeans_assign(model, '{-1e308}'), dm_kmeans_assign(model, '{1e308}'))
                   AND dm_kmeans_assign(model, '{-1e308}') <> dm_kmeans_assign(model, '{1e308}')
           FROM stored WHERE name = 'kmeans 1e308'),
          true, 'dm_kmeans_assign: 0 shares a cluster with one of ±1e308, which are apart');
SELECT is((SELECT bool_and(dm_kmeans_distance(model, c.centroid, c.cluster) = 0)
           FROM stored, dm_kmeans_centroids(model) c WHERE name LIKE 'kmeans 1e%'),
          true, 'dm_kmeans_distance of a centroid to itself is 0');
SELECT ok((SELECT abs(dm_kmeans_distance(model, '{-1e160}', dm_kmeans_assign(model, '{1e160}')) - sqrt(6)) < 1e-12
           FROM stored WHERE name = 'kmeans 1e160, k = 3'),
          'dm_kmeans_distance between ±1e160 in sd units is representable (2.4)');
SELECT ok((SELECT count(*) = 2 FROM stored, dm_kmeans_centroids(model) WHERE name = 'kmeans 1e308'),
          'dm_kmeans_centroids reads the model');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"scale": false}') FROM wide$$, '22003', NULL,
                 'unscaled: a cluster SSE beyond the double range is refused with 22003');
SELECT throws_ok($$SELECT dm_kmeans_auto(v, 2, 3, '{"scale": false}') FROM wide160$$, '22003', NULL,
                 'unscaled automatic k: an inertia beyond the double range is refused with 22003');

-- dm_kmeans_refine: rows of ±1e308 and a model whose sd is 5e-324 (never XX000).
CREATE TEMP TABLE ordinary AS SELECT dm_kmeans(v, 2) AS model FROM (VALUES ('{0}'::float8[]), ('{1}'), ('{10}'), ('{11}')) t(v);
SELECT throws_ok($$SELECT dm_kmeans_refine(o.model, w.v) FROM ordinary o, wide w$$, '22003', NULL,
                 'refining an ordinary model on rows of ±1e308: 22003');
SELECT is((SELECT dm_kmeans_refine(s.model, w.v)::text::kmeans_model IS NOT NULL FROM stored s, wide w WHERE s.name = 'kmeans 1e308'),
          true, 'refining a model of ±1e308 on its rows gives a readable model');
CREATE TEMP TABLE tiny_sd AS
SELECT replace(model::text, (dm_kmeans_info(model)->'scaling'->'sd'->>0), '5e-324')::kmeans_model AS model FROM ordinary;
SELECT is((SELECT (dm_kmeans_info(model)->'scaling'->'sd'->>0)::float8 FROM tiny_sd), 5e-324::float8,
          'a model text with sd 5e-324 is read');
SELECT is((SELECT dm_kmeans_refine(model, v)::text::kmeans_model IS NOT NULL FROM tiny_sd, (VALUES ('{0}'::float8[]), ('{10}')) t(v)),
          true, 'refining it, one row per cluster: SSE 0, a readable model');
SELECT throws_ok($$SELECT dm_kmeans_refine(model, v) FROM tiny_sd, (VALUES ('{0}'::float8[]), ('{1}'), ('{10}')) t(v)$$,
                 '22003', NULL, 'refining it: offsets / 5e-324 squared are beyond the double range: 22003');
SELECT is((SELECT dm_kmeans_assign(t.model, '{10}') = dm_kmeans_assign(o.model, '{10}') FROM tiny_sd t, ordinary o), true,
          'dm_kmeans_assign with sd 5e-324 still finds the nearest centroid');

-- Isolation Forest over extreme values: a readable forest.
CREATE TEMP TABLE forest AS
SELECT dm_iforest(ARRAY[x]) AS model
FROM unnest('{1e308, -1e308, 0, 1.7976931348623157e308, -1.7976931348623157e308, 1e160, -1e160, 5e-324, -0}'::float8[]) x;
SELECT is((SELECT model::text::iforest_model::text = model::text FROM forest), true,
          'an iforest model fitted on ±1e308 casts to text and back');
SELECT ok((SELECT dm_iforest_score(model, '{1e308}') BETWEEN 0 AND 1 FROM forest), 'and scores rows');

-- The same aggregates in parallel plans: partial states serialized by workers, merged by the leader.
CREATE TABLE extreme_rows AS
SELECT i, (ARRAY[1e308, -1e308, 1.7976931348623157e308, -1.7976931348623157e308, 1e160, -1e160,
                 5e-324, -5e-324, 0, -0.0, 1, -1e-300])[1 + i % 12]::float8 AS x
FROM generate_series(1, 60000) AS i;
ANALYZE extreme_rows;
CREATE TEMP TABLE serial_stats AS SELECT (dm_stats(x)).* FROM extreme_rows;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL force_parallel_mode = on;
CREATE TEMP TABLE plan_text (line text);
DO $$
DECLARE r record;
BEGIN
    FOR r IN EXPLAIN SELECT dmine.dm_stats(x) FROM extreme_rows LOOP
        INSERT INTO plan_text VALUES (r."QUERY PLAN");
    END LOOP;
END $$;
SELECT ok(EXISTS (SELECT 1 FROM plan_text WHERE line LIKE '%Partial Aggregate%'), 'the plan is a partial (parallel) aggregate');
CREATE TEMP TABLE parallel_stats AS SELECT (dm_stats(x)).* FROM extreme_rows;
SELECT is(p.count, 60000::bigint, 'parallel dm_stats saw every row') FROM parallel_stats p;
SELECT ok(abs(p.mean - s.mean) < 1e293 AND abs(p.mean) < 1e300, 'parallel dm_stats: the mean is finite and the serial one')
FROM parallel_stats p, serial_stats s;
SELECT ok(abs(p.stddev / s.stddev - 1) < 1e-12 AND p.stddev < 'Infinity', 'parallel dm_stats: the sd is finite and the serial one')
FROM parallel_stats p, serial_stats s;
SELECT ok(p.skewness::text NOT IN ('NaN', 'Infinity') AND p.kurtosis::text NOT IN ('NaN', 'Infinity'),
          'parallel dm_stats: skewness and kurtosis are finite') FROM parallel_stats p;
SELECT ok(p.p01 = -1.7976931348623157e308 AND p.p99 = 1.7976931348623157e308
          AND ARRAY[p.p05, p.p25, p.p50, p.p75, p.p95]::text[] && '{NaN, Infinity, -Infinity}' IS FALSE,
          'parallel dm_stats: finite quantiles') FROM parallel_stats p;
SELECT ok((SELECT bool_and(q::text NOT IN ('NaN', 'Infinity', '-Infinity'))
           FROM unnest((SELECT dm_quantiles(x, ARRAY[0.01, 0.3, 0.5, 0.99]) FROM extreme_rows)) q),
          'parallel dm_quantiles: finite');
SELECT ok((SELECT bool_and(e::text NOT IN ('NaN', 'Infinity', '-Infinity'))
           FROM unnest((SELECT (dm_histogram(x, 10)).edges FROM extreme_rows)) e),
          'parallel dm_histogram (observed range): finite edges');
SELECT is((SELECT (SELECT sum(c) FROM unnest((h).counts) c)::bigint + (h).below + (h).above
           FROM (SELECT dm_histogram(x, 7, -1.7976931348623157e308, 1.7976931348623157e308) AS h FROM extreme_rows) t),
          60000::bigint, 'parallel dm_histogram (fixed bounds): every row counted');
SELECT is((SELECT round((dm_corr(ARRAY[x, -x]))[1][2]::numeric, 12) FROM extreme_rows), -1::numeric,
          'parallel dm_corr: exact correlation of extreme values');
SELECT ok((SELECT bool_and(c::text <> 'NaN') FROM unnest((SELECT dm_cov(ARRAY[x, -x]) FROM extreme_rows)) c),
          'parallel dm_cov: never NaN (Infinity where beyond the double range)');
SELECT ok((SELECT dm_approx_distinct(x) BETWEEN 10 AND 13 FROM extreme_rows), 'parallel dm_approx_distinct');
CREATE TEMP TABLE parallel_models AS
SELECT dm_kmeans(ARRAY[x], 3) AS model, dm_kmeans_auto(ARRAY[x], 2, 4) AS auto FROM extreme_rows;
SELECT is((SELECT model::text::kmeans_model::text = model::text AND auto::text::kmeans_model::text = auto::text
           FROM parallel_models), true, 'parallel dm_kmeans and dm_kmeans_auto: readable models');
SELECT is((SELECT dm_kmeans_refine(model, ARRAY[x])::text::kmeans_model IS NOT NULL FROM parallel_models, extreme_rows
           GROUP BY model::text), true, 'parallel dm_kmeans_refine: a readable model');
SELECT is((SELECT dm_iforest(ARRAY[x])::text::iforest_model IS NOT NULL FROM extreme_rows), true,
          'parallel dm_iforest: a readable model');
SELECT ok((SELECT count(*) = 1 AND bool_and(mean < 'Infinity' AND stddev < 'Infinity')
           FROM dm_profile('extreme_rows') WHERE column_name = 'x'),
          'dm_profile of the extreme column: finite mean and sd');
SELECT * FROM finish();
ROLLBACK;
