-- K-Means quality through SQL, against the clustering benchmark (scikit-learn's best SSE,
-- centroid index, automatic k), and parallel plans against serial ones.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(32);

-- A data set as (features, label), loaded from clustering/<name>.csv.gz (id, x0..x(d-1), label).
CREATE FUNCTION pg_temp.load_points(name text, dim int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TEMP TABLE %I_raw (id int, %s, label int)', name,
                   (SELECT string_agg('x' || j || ' float8', ', ') FROM generate_series(0, dim - 1) j));
    PERFORM dmine_test.load_csv(format('%I_raw', name)::regclass, 'clustering/' || name || '.csv.gz');
    EXECUTE format('CREATE TEMP TABLE %I AS SELECT ARRAY[%s]::float8[] AS v, label FROM %I_raw', name,
                   (SELECT string_agg('x' || j, ', ') FROM generate_series(0, dim - 1) j), name);
END
$$;

-- Centroid index (Fränti et al.): true clusters without their own centroid, either way round.
CREATE FUNCTION pg_temp.centroid_index(name text, model kmeans_model) RETURNS int LANGUAGE plpgsql AS $$
DECLARE ci int;
BEGIN
    EXECUTE format($q$
        WITH truth AS (SELECT label AS id, ARRAY[avg(v[1]), avg(v[2])] AS c FROM %I GROUP BY label),
             found AS (SELECT cluster AS id, centroid AS c FROM dmine.dm_kmeans_centroids($1)),
             hit_truth AS (SELECT DISTINCT (SELECT t.id FROM truth t
                                            ORDER BY (t.c[1] - f.c[1])^2 + (t.c[2] - f.c[2])^2 LIMIT 1) AS id
                           FROM found f),
             hit_found AS (SELECT DISTINCT (SELECT f.id FROM found f
                                            ORDER BY (t.c[1] - f.c[1])^2 + (t.c[2] - f.c[2])^2 LIMIT 1) AS id
                           FROM truth t)
        SELECT greatest((SELECT count(*) FROM truth) - (SELECT count(*) FROM hit_truth),
                        (SELECT count(*) FROM found) - (SELECT count(*) FROM hit_found))::int$q$, name)
    INTO ci USING model;
    RETURN ci;
END
$$;

CREATE FUNCTION pg_temp.benchmark_tests() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    model dmine.kmeans_model;
    auto dmine.kmeans_model;
    sse float8;
BEGIN
    IF NOT dmine_test.data_available() THEN
        RETURN NEXT skip('reference data not available', 24);
        RETURN;
    END IF;
    CREATE TEMP TABLE sklearn_sse (dataset text, k int, sse float8);
    EXECUTE format('COPY sklearn_sse FROM %L WITH (FORMAT csv, HEADER)',
                   (SELECT data_dir FROM dmine_test.settings) || '/clustering/sklearn_kmeanspp_sse.csv');
    FOR r IN SELECT * FROM (VALUES ('s1', 2, true), ('s2', 2, true), ('s3', 2, true), ('s4', 2, true),
                                   ('a1', 2, true), ('a2', 2, true), ('a3', 2, true),
                                   ('unbalance', 2, true), ('iris', 4, false), ('wine', 13, false))
                           AS t(name, dim, check_ci)
    LOOP
        PERFORM pg_temp.load_points(r.name, r.dim);
        EXECUTE format('SELECT dmine.dm_kmeans(v, (SELECT k FROM sklearn_sse WHERE dataset = %L),
                                               ''{"scale": false}'') FROM %I', r.name, r.name) INTO model;
        sse := (dmine.dm_kmeans_info(model)->>'inertia')::float8;
        RETURN NEXT cmp_ok(sse, '<=', 1.001 * (SELECT s.sse FROM sklearn_sse s WHERE dataset = r.name),
                           format('%s: SSE %s within 0.1%% of scikit-learn''s best k-means++ SSE', r.name, sse));
        IF r.check_ci THEN
            RETURN NEXT is(pg_temp.centroid_index(r.name, model), 0, r.name || ': centroid index 0');
        END IF;
    END LOOP;

    -- Automatic k by silhouette over 2..20.
    PERFORM pg_temp.load_points('r15', 2);
    FOR r IN SELECT * FROM (VALUES ('s1', 15), ('r15', 15)) AS t(name, k) LOOP
        EXECUTE format('SELECT dmine.dm_kmeans_auto(v, 2, 20, ''{"n_init": 3}'') FROM %I', r.name) INTO auto;
        RETURN NEXT is((dmine.dm_kmeans_info(auto)->>'k')::int, r.k, r.name || ': silhouette picks k = ' || r.k);
        RETURN NEXT is(jsonb_array_length(dmine.dm_kmeans_info(auto)->'scores'), 19,
                       r.name || ': inertia and silhouette recorded for k = 2..20');
    END LOOP;
    -- Iris has 3 species, but two of them overlap: silhouette prefers 2 (0.681 against 0.553 for
    -- k = 3 in raw units, as scikit-learn's silhouette_score gives); see docs/clustering.md.
    SELECT dmine.dm_kmeans_auto(v, 2, 20, '{"scale": false}') INTO auto FROM iris;
    RETURN NEXT is((dmine.dm_kmeans_info(auto)->>'k')::int, 2, 'iris: silhouette picks k = 2, not the 3 species');
    RETURN NEXT is(round((dmine.dm_kmeans_info(auto)->'scores'->1->>'silhouette')::numeric, 4), 0.5528,
                   'iris: silhouette at k = 3 is 0.5528, as scikit-learn');
END
$$;
SELECT * FROM pg_temp.benchmark_tests();

-- Parallel plans: the same model on exact inputs, the same quality on sampled ones.
CREATE TABLE kmeans_parallel_probe AS
SELECT i, ARRAY[(i % 5) * 4 + sin(i * 0.37), ((i % 5) * 7) % 5 * 4 + cos(i * 0.11), sin(i * 1.7) * (i % 3)]::float8[] AS v
FROM generate_series(1, 250000) AS i;
INSERT INTO kmeans_parallel_probe VALUES (0, NULL);
ANALYZE kmeans_parallel_probe;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_models AS
SELECT (SELECT dm_kmeans(v, 5) FROM kmeans_parallel_probe) AS sampled,
       (SELECT dm_kmeans(v, 5) FROM kmeans_parallel_probe WHERE i <= 60000) AS exact,
       (SELECT dm_kmeans_auto(v, 2, 6) FROM kmeans_parallel_probe WHERE i <= 60000) AS auto;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE plan_text (line text);
DO $$
DECLARE r record;
BEGIN
    FOR r IN EXPLAIN SELECT dm_kmeans(v, 5) FROM kmeans_parallel_probe LOOP
        INSERT INTO plan_text VALUES (r."QUERY PLAN");
    END LOOP;
END $$;
SELECT ok(EXISTS (SELECT 1 FROM plan_text WHERE line LIKE '%Partial Aggregate%'), 'dm_kmeans runs as a parallel aggregate');
CREATE TEMP TABLE parallel_models AS
SELECT (SELECT dm_kmeans(v, 5) FROM kmeans_parallel_probe) AS sampled,
       (SELECT dm_kmeans(v, 5) FROM kmeans_parallel_probe WHERE i <= 60000) AS exact,
       (SELECT dm_kmeans_auto(v, 2, 6) FROM kmeans_parallel_probe WHERE i <= 60000) AS auto;
SELECT is(p.exact::text, s.exact::text, 'up to the sample size, parallel and serial plans give the same model')
FROM serial_models s, parallel_models p;
SELECT is(p.auto::text, s.auto::text, 'the same for automatic k') FROM serial_models s, parallel_models p;
SELECT ok((dm_kmeans_info(p.sampled)->>'sampled')::boolean AND (dm_kmeans_info(p.sampled)->>'rows')::int = 250000
          AND (dm_kmeans_info(p.sampled)->>'nulls_skipped')::int = 1,
          'beyond it, a sample of 250,000 rows (and the NULL row counted)') FROM parallel_models p;
-- Exact SSE of each model over every row.
CREATE TEMP TABLE full_sse AS
SELECT sum(dm_kmeans_distance(s.sampled, v) ^ 2) AS serial, sum(dm_kmeans_distance(p.sampled, v) ^ 2) AS parallel
FROM kmeans_parallel_probe, serial_models s, parallel_models p;
SELECT cmp_ok(abs(parallel / serial - 1), '<', 0.001::float8, 'parallel and serial SSE within 0.1%') FROM full_sse;
-- The exact refinement pass in parallel equals the serial one.
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE refined_serial AS SELECT dm_kmeans_refine(s.sampled, v) AS m FROM kmeans_parallel_probe, serial_models s;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TEMP TABLE refined_parallel AS SELECT dm_kmeans_refine(s.sampled, v) AS m FROM kmeans_parallel_probe, serial_models s;
SELECT is((SELECT dm_kmeans_info(m)->'cluster_sizes' FROM refined_parallel),
          (SELECT dm_kmeans_info(m)->'cluster_sizes' FROM refined_serial), 'refinement: exact sizes in parallel');
SELECT cmp_ok(abs((dm_kmeans_info(p.m)->>'inertia')::float8 / (dm_kmeans_info(s.m)->>'inertia')::float8 - 1), '<',
              1e-9::float8, 'refinement: the same SSE in parallel') FROM refined_serial s, refined_parallel p;
SELECT ok(NOT (dm_kmeans_info(m)->>'sampled')::boolean AND (dm_kmeans_info(m)->>'inertia')::float8
          <= (SELECT serial FROM full_sse) * (1 + 1e-12), 'refinement: exact statistics, SSE not worse')
FROM refined_serial;
DROP TABLE kmeans_parallel_probe;

SELECT * FROM finish();
ROLLBACK;
