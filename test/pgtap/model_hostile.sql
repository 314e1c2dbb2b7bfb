-- Hostile model text, binary and options: deep nesting, numbers out of range, trees that are
-- not trees, counts beyond bigint, and a sweep of mutated fields through every function that
-- takes a model. Each is a clear error with its SQLSTATE (never XX000), or a usable value.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;

-- Committed tables (in public): binary input goes through COPY in other sessions.
DROP TABLE IF EXISTS public.hostile_bytes, public.hostile_kmeans;
CREATE TABLE public.hostile_bytes (id int, model bytea);
CREATE TABLE public.hostile_kmeans (id int, model kmeans_model);

-- FNV-1a 64 of b, little-endian: the checksum of the model envelope.
CREATE FUNCTION pg_temp.fnv1a64(b bytea) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    h numeric := 14695981039346656037;
    low int;
    out bytea := '\x0000000000000000';
BEGIN
    FOR i IN 0 .. length(b) - 1 LOOP
        low := mod(h, 256)::int;
        h := mod((h - low + (low # get_byte(b, i))) * 1099511628211, 18446744073709551616);
    END LOOP;
    FOR j IN 0 .. 7 LOOP
        out := set_byte(out, j, mod(h, 256)::int);
        h := div(h, 256);
    END LOOP;
    RETURN out;
END
$$;
-- The sealed value v with `len` payload bytes from payload offset `at` replaced by `patch`,
-- its checksum recomputed.
CREATE FUNCTION pg_temp.patched(v bytea, at int, patch bytea) RETURNS bytea LANGUAGE sql AS $$
    SELECT substr(v, 1, 16) || pg_temp.fnv1a64(p) || p
    FROM (SELECT overlay(substr(v, 25) PLACING patch FROM at + 1) AS p) AS s
$$;

CREATE TEMP TABLE pts AS
SELECT i, ARRAY[(i % 4) * 5 + sin(i), (i % 4) * 3 + cos(i * 0.7)]::float8[] AS v
FROM generate_series(1, 400) AS i;
CREATE TEMP TABLE km AS SELECT dm_kmeans(v, 2, '{"n_init": 1, "seed": 5}') AS model FROM pts;
CREATE TEMP TABLE ifm AS SELECT dm_iforest(v, '{"n_trees": 3, "sample_size": 16, "seed": 5}') AS model FROM pts;
CREATE TEMP TABLE kt AS SELECT model::text AS t FROM km;
CREATE TEMP TABLE it AS SELECT model::text AS t FROM ifm;

-- Binary kmeans values with valid checksums: rows (payload offset 17) of 2^64 - 1 and 2^63.
INSERT INTO public.hostile_bytes
SELECT 1, pg_temp.patched(kmeans_model_send(model), 17, '\xffffffffffffffff') FROM km UNION ALL
SELECT 2, pg_temp.patched(kmeans_model_send(model), 17, '\x0000000000000080') FROM km UNION ALL
SELECT 3, pg_temp.patched(kmeans_model_send(model), 0, '\x00000000') FROM km UNION ALL
SELECT 4, pg_temp.patched(kmeans_model_send(model), 0, '\x02000000') FROM km;
\setenv HOSTILE_DB :DBNAME
\set rows_max `psql -X -q -c "COPY (SELECT * FROM public.hostile_bytes WHERE id = 1) TO STDOUT (FORMAT binary)" "$HOSTILE_DB" | psql -X -q -c "COPY public.hostile_kmeans FROM STDIN (FORMAT binary)" "$HOSTILE_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set rows_2p63 `psql -X -q -c "COPY (SELECT * FROM public.hostile_bytes WHERE id = 2) TO STDOUT (FORMAT binary)" "$HOSTILE_DB" | psql -X -q -c "COPY public.hostile_kmeans FROM STDIN (FORMAT binary)" "$HOSTILE_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set k_zero `psql -X -q -c "COPY (SELECT * FROM public.hostile_bytes WHERE id = 3) TO STDOUT (FORMAT binary)" "$HOSTILE_DB" | psql -X -q -c "COPY public.hostile_kmeans FROM STDIN (FORMAT binary)" "$HOSTILE_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set k_same `psql -X -q -c "COPY (SELECT * FROM public.hostile_bytes WHERE id = 4) TO STDOUT (FORMAT binary)" "$HOSTILE_DB" | psql -X -q -c "COPY public.hostile_kmeans FROM STDIN (FORMAT binary)" "$HOSTILE_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`

BEGIN;
SELECT plan(25);

-- Deep nesting: 200,000 levels once crashed the server (stack overflow while printing an error).
SELECT throws_ok($$SELECT regexp_replace(t, '"options":\{.*\}\}$',
                                         '"options":' || repeat('[', 200000) || repeat(']', 200000) || '}')::kmeans_model FROM kt$$,
                 '22P02', 'invalid kmeans model text: JSON nested deeper than 64 levels', 'kmeans_model: options nested 200,000 levels');
SELECT throws_ok($$SELECT (repeat('{"a":', 100000) || '1' || repeat('}', 100000))::kmeans_model$$,
                 '22P02', 'invalid kmeans model text: JSON nested deeper than 64 levels', 'kmeans_model: objects nested 100,000 levels');
SELECT throws_ok($$SELECT replace(t, '"seed":5', '"seed":' || repeat('[', 200000) || repeat(']', 200000))::iforest_model FROM it$$,
                 '22P02', 'invalid Isolation Forest model: JSON nested deeper than 64 levels', 'iforest_model: a field nested 200,000 levels');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, ('{"seed":' || repeat('[', 1000) || repeat(']', 1000) || '}')::jsonb) FROM pts$$,
                 '22023', 'invalid K-Means options: JSON nested deeper than 64 levels', 'dm_kmeans: options nested 1,000 levels');
SELECT throws_ok($$SELECT dm_iforest(v, ('{"seed":' || repeat('[', 1000) || repeat(']', 1000) || '}')::jsonb) FROM pts$$,
                 '22023', 'invalid Isolation Forest option: JSON nested deeper than 64 levels', 'dm_iforest: options nested 1,000 levels');

-- Numbers out of range: once XX000 with the parser's own message.
SELECT throws_ok($$SELECT dm_iforest(v, '{"n_trees": 1e400}') FROM pts$$, '22023',
                 'invalid Isolation Forest option: a number is out of range', 'dm_iforest: n_trees 1e400');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"tol": 1e400}') FROM pts$$, '22023',
                 'invalid K-Means options: a number is out of range', 'dm_kmeans: tol 1e400');
SELECT throws_ok($$SELECT replace(t, '"threshold":0.5', '"threshold":1e400')::iforest_model FROM it$$, '22P02',
                 'invalid Isolation Forest model: a number is out of range', 'iforest_model: threshold 1e400');
SELECT throws_ok($$SELECT replace(t, '"tol":0.0001', '"tol":1e400')::kmeans_model FROM kt$$, '22P02',
                 'invalid kmeans model text: a number is out of range', 'kmeans_model: tol 1e400');

-- Options of the wrong type or range, as jsonb.
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"n_init": "10"}') FROM pts$$, '22023', NULL, 'dm_kmeans: a string for a number');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"seed": 18446744073709551616}') FROM pts$$, '22023', NULL, 'dm_kmeans: seed 2^64');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"max_iter": -1}') FROM pts$$, '22023', NULL, 'dm_kmeans: a negative count');
SELECT throws_ok($$SELECT dm_kmeans(v, 2, '{"tol": "NaN"}') FROM pts$$, '22023', NULL, 'dm_kmeans: "NaN"');
SELECT throws_ok($$SELECT dm_iforest(v, '{"seed": 9223372036854775808}') FROM pts$$, '22023', NULL, 'dm_iforest: seed 2^63');
SELECT throws_ok($$SELECT dm_iforest(v, '{"contamination": "NaN"}') FROM pts$$, '22023', NULL, 'dm_iforest: "NaN"');

-- A tree whose 257 last-level nodes share two children: once accepted (an 8-bit parent counter).
CREATE TEMP TABLE shared_tree (t text);
DO $$
DECLARE
    n int := 513; -- a complete binary tree of 513 nodes: 256 inner, 257 on the last level
    feature int[] := '{}';
    threshold text[] := '{}';
    lft int[] := '{}';
    sz int[] := array_fill(1, ARRAY[515]);
BEGIN
    FOR i IN REVERSE n - 1 .. 0 LOOP
        sz[i + 1] := CASE WHEN i >= 256 THEN 2 ELSE sz[2 * i + 2] + sz[2 * i + 3] END;
    END LOOP;
    FOR i IN 0 .. n - 1 LOOP
        feature := feature || 0;
        threshold := threshold || '0.5'::text;
        lft := lft || CASE WHEN i >= 256 THEN n ELSE 2 * i + 1 END;
    END LOOP;
    INSERT INTO shared_tree SELECT format(
        '{"format":"dmine.iforest","version":1,"features":1,"n_trees":1,"sample_size":514,"max_depth":64,'
        '"rows_seen":514,"nulls_skipped":0,"seed":0,"contamination":"auto","threshold":0.5,'
        '"trees":[{"feature":[%s,-1,-1],"threshold":[%s,null,null],"left":[%s,-1,-1],"size":[%s]}]}',
        array_to_string(feature, ','), array_to_string(threshold, ','), array_to_string(lft, ','),
        array_to_string(sz, ','));
END
$$;
SELECT throws_ok($$SELECT t::iforest_model FROM shared_tree$$, '22P02',
                 'invalid Isolation Forest model: tree 0 node 513: child of more than one node', 'iforest_model: 257 parents');

-- Row counts beyond bigint: once accepted, with a cluster size of -9223372036854775808.
SELECT throws_ok($$SELECT regexp_replace(regexp_replace(t, '"rows":400', '"rows":18446744073709551615'),
                                         '"cluster_sizes":\[[^]]*\]', '"cluster_sizes":[9223372036854775808,9223372036854775808]')::kmeans_model FROM kt$$,
                 '22P02', 'invalid kmeans model text: "rows" must be an integer between 0 and 9223372036854775807', 'kmeans_model: rows 2^64 - 1');
SELECT is((SELECT min(size) FROM dm_kmeans_centroids((SELECT regexp_replace(regexp_replace(regexp_replace(t, '"rows":400', '"rows":9223372036854775807'),
                 '"cluster_sizes":\[[^]]*\]', '"cluster_sizes":[4611686018427387904,4611686018427387904]'), '"sampled":false', '"sampled":true')::kmeans_model FROM kt))),
          4611686018427387904::bigint, 'kmeans_model: rows 2^63 - 1 are fine and sizes stay positive');
SELECT is(:'rows_max'::text, 'ERROR:  corrupted kmeans model: row counts must be representable as bigint', 'binary kmeans_model: rows 2^64 - 1');
SELECT is(:'rows_2p63'::text, 'ERROR:  corrupted kmeans model: row counts must be representable as bigint', 'binary kmeans_model: rows 2^63');
SELECT is(:'k_zero'::text, 'ERROR:  corrupted kmeans model: k out of range', 'binary kmeans_model: k 0 with a valid checksum');
SELECT is(:'k_same'::text, '', 'binary kmeans_model: an unchanged field with a recomputed checksum is accepted');

-- A sweep: every field of both model texts replaced by hostile values or deleted, then every
-- function taking a model. Each outcome is success or a SQLSTATE other than XX000.
CREATE FUNCTION pg_temp.kmeans_outcome(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m kmeans_model;
BEGIN
    m := t::kmeans_model;
    PERFORM m::text, kmeans_model_send(m), dm_kmeans_info(m);
    PERFORM * FROM dm_kmeans_centroids(m);
    PERFORM dm_kmeans_assign(m, '{1,2}'), dm_kmeans_distance(m, '{1,2}'), dm_kmeans_distance(m, '{1,2}', 1);
    PERFORM dm_kmeans_refine(m, v) FROM pts;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;
CREATE FUNCTION pg_temp.iforest_outcome(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    m iforest_model;
BEGIN
    m := t::iforest_model;
    PERFORM m::text, iforest_model_send(m), dm_iforest_info(m);
    PERFORM dm_iforest_score(m, '{1,2}'), dm_iforest_is_anomaly(m, '{1,2}'), dm_iforest_contributions(m, '{1,2}');
    PERFORM * FROM dm_iforest_explain(m, '{1,2}');
    PERFORM * FROM dm_iforest_explain(m, '{1,2}', '{a,b}');
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;
CREATE TEMP TABLE hostile_values (v text);
INSERT INTO hostile_values VALUES ('"x"'), ('"NaN"'), ('null'), ('true'), ('[]'), ('{}'), ('-1'), ('0'), ('1.5'),
    ('1e400'), ('-1e400'), ('1e308'), ('5e-324'), ('9223372036854775808'), ('18446744073709551615'),
    ('18446744073709551616'), ('2147483648'), (repeat('[', 100) || repeat(']', 100));
CREATE TEMP TABLE kmeans_paths AS
SELECT ARRAY[k] AS p FROM kt, jsonb_object_keys(t::jsonb) AS k
UNION ALL SELECT p::text[] FROM (VALUES ('{scaling,mean}'), ('{scaling,sd,0}'), ('{scaling,enabled}'), ('{options,seed}'),
    ('{options,tol}'), ('{options,n_init}'), ('{centroids,0}'), ('{centroids,0,0}'), ('{cluster_sizes,0}'), ('{cluster_sse,1}'),
    ('{scores,0}'), ('{scores,0,k}'), ('{scores,0,inertia}')) AS x (p);
CREATE TEMP TABLE iforest_paths AS
SELECT ARRAY[k] AS p FROM it, jsonb_object_keys(t::jsonb) AS k
UNION ALL SELECT p::text[] FROM (VALUES ('{trees,0}'), ('{trees,0,feature}'), ('{trees,0,feature,0}'), ('{trees,0,left,0}'),
    ('{trees,0,left,1}'), ('{trees,0,size,0}'), ('{trees,0,size,1}'), ('{trees,0,threshold,0}'), ('{trees,2,left}')) AS x (p);
CREATE TEMP TABLE outcomes AS
SELECT 'kmeans' AS model, pg_temp.kmeans_outcome(jsonb_set(t::jsonb, p, v::jsonb)::text) AS state
FROM kt, kmeans_paths, hostile_values
UNION ALL SELECT 'kmeans', pg_temp.kmeans_outcome((t::jsonb #- p)::text) FROM kt, kmeans_paths
UNION ALL SELECT 'kmeans', pg_temp.kmeans_outcome(left(t, n)) FROM kt, generate_series(0, 600, 17) AS n
UNION ALL SELECT 'iforest', pg_temp.iforest_outcome(jsonb_set(t::jsonb, p, v::jsonb)::text)
FROM it, iforest_paths, hostile_values
UNION ALL SELECT 'iforest', pg_temp.iforest_outcome((t::jsonb #- p)::text) FROM it, iforest_paths
UNION ALL SELECT 'iforest', pg_temp.iforest_outcome(left(t, n)) FROM it, generate_series(0, 1500, 31) AS n;
SELECT is((SELECT count(*)::int FROM outcomes WHERE state = 'XX000'), 0, 'mutated model texts: no XX000');
SELECT ok((SELECT count(*) FROM outcomes WHERE model = 'kmeans' AND state = 'ok') > 0
          AND (SELECT count(*) FROM outcomes WHERE model = 'kmeans' AND state = '22P02') > 300,
          'mutated kmeans texts: some usable, most rejected as 22P02');
SELECT ok((SELECT count(*) FROM outcomes WHERE model = 'iforest' AND state = 'ok') > 0
          AND (SELECT count(*) FROM outcomes WHERE model = 'iforest' AND state = '22P02') > 300,
          'mutated iforest texts: some usable, most rejected as 22P02');

SELECT * FROM finish();
ROLLBACK;
DROP TABLE public.hostile_bytes, public.hostile_kmeans;
