-- The kmeans_model type: validated text and binary input, exact round trips through the text
-- form, COPY (text and binary) and pg_dump/pg_restore, and per-row functions that decode a
-- model once per query.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;

-- Committed tables (in public): the round trips go through other sessions (psql, pg_dump,
-- pg_restore).
DROP TABLE IF EXISTS public.kmeans_src, public.kmeans_restored, public.kmeans_copied, public.kmeans_bytes, public.kmeans_rejected;
CREATE TABLE public.kmeans_src (id int, model kmeans_model);
CREATE TEMP TABLE pts AS
SELECT i, ARRAY[(i % 4) * 5 + sin(i), (i % 4) * 3 + cos(i * 0.7), i % 11]::float8[] AS v
FROM generate_series(1, 3000) AS i;
INSERT INTO public.kmeans_src
SELECT 1, dm_kmeans(v, 4) FROM pts UNION ALL
SELECT 2, dm_kmeans(v, 3, '{"scale": false, "seed": 12345678901234567890, "tol": 0}') FROM pts UNION ALL
SELECT 3, dm_kmeans_auto(v, 2, 6) FROM pts UNION ALL
SELECT 4, dm_kmeans(v, 4, '{"sample_size": 500}') FROM pts UNION ALL
SELECT 5, dm_kmeans(v, 1) FROM pts;
INSERT INTO public.kmeans_src SELECT 6, dm_kmeans_refine(model, v) FROM public.kmeans_src, pts WHERE id = 4;
CREATE TABLE public.kmeans_restored (LIKE public.kmeans_src);
CREATE TABLE public.kmeans_copied (LIKE public.kmeans_src);
CREATE TABLE public.kmeans_rejected (LIKE public.kmeans_src);
CREATE TABLE public.kmeans_bytes (id int, model bytea);
INSERT INTO public.kmeans_bytes
SELECT 1, set_byte(kmeans_model_send(model), 60, get_byte(kmeans_model_send(model), 60) # 1) FROM public.kmeans_src WHERE id = 1
UNION ALL SELECT 2, set_byte(kmeans_model_send(model), 4, 9) FROM public.kmeans_src WHERE id = 1
UNION ALL SELECT 3, substr(kmeans_model_send(model), 1, 30) FROM public.kmeans_src WHERE id = 1;

\setenv KMEANS_DB :DBNAME
-- pg_dump (custom format) and pg_restore, into another table.
\! pg_dump -Fc --data-only -t public.kmeans_src "$KMEANS_DB" | pg_restore --data-only -f - | sed 's/public\.kmeans_src/public.kmeans_restored/' | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 "$KMEANS_DB"
-- COPY in binary format.
\! psql -X -q -c "COPY public.kmeans_src TO STDOUT (FORMAT binary)" "$KMEANS_DB" | psql -X -q -c "COPY public.kmeans_copied FROM STDIN (FORMAT binary)" "$KMEANS_DB"
-- Damaged binary values (the wire format of bytea and kmeans_model is the same).
\set bad_checksum `psql -X -q -c "COPY (SELECT * FROM public.kmeans_bytes WHERE id = 1) TO STDOUT (FORMAT binary)" "$KMEANS_DB" | psql -X -q -c "COPY public.kmeans_rejected FROM STDIN (FORMAT binary)" "$KMEANS_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set bad_version `psql -X -q -c "COPY (SELECT * FROM public.kmeans_bytes WHERE id = 2) TO STDOUT (FORMAT binary)" "$KMEANS_DB" | psql -X -q -c "COPY public.kmeans_rejected FROM STDIN (FORMAT binary)" "$KMEANS_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set bad_length `psql -X -q -c "COPY (SELECT * FROM public.kmeans_bytes WHERE id = 3) TO STDOUT (FORMAT binary)" "$KMEANS_DB" | psql -X -q -c "COPY public.kmeans_rejected FROM STDIN (FORMAT binary)" "$KMEANS_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`

BEGIN;
SELECT plan(27);

-- Round trips are exact: the same bytes.
SELECT is((SELECT count(*)::int FROM public.kmeans_src), 6, 'six models: scaled, raw, automatic k, sampled, one cluster, refined');
SELECT is((SELECT count(*)::int FROM public.kmeans_src s WHERE kmeans_model_send(s.model) = kmeans_model_send(s.model::text::kmeans_model)),
          6, 'text form round trip is exact');
SELECT is((SELECT count(*)::int FROM public.kmeans_src s JOIN public.kmeans_restored r USING (id)
           WHERE kmeans_model_send(s.model) = kmeans_model_send(r.model)), 6, 'pg_dump / pg_restore round trip is exact');
SELECT is((SELECT count(*)::int FROM public.kmeans_src s JOIN public.kmeans_copied c USING (id)
           WHERE kmeans_model_send(s.model) = kmeans_model_send(c.model)), 6, 'binary COPY round trip is exact');
SELECT is((SELECT dm_kmeans_info(model)->>'seed' FROM public.kmeans_src WHERE id = 2), NULL, 'seed sits in options');
SELECT is((SELECT dm_kmeans_info(model)->'options'->>'seed' FROM public.kmeans_src WHERE id = 2), '12345678901234567890',
          '64-bit seeds survive');

-- Damaged binary values are rejected with invalid_binary_representation messages.
SELECT is(:'bad_checksum'::text, 'ERROR:  corrupted kmeans model: checksum mismatch', 'binary input: flipped bit');
SELECT is(:'bad_version'::text, 'ERROR:  unsupported kmeans model format version 9', 'binary input: unknown format version');
SELECT is(:'bad_length'::text, 'ERROR:  corrupted kmeans model: size mismatch', 'binary input: truncated value');
SELECT is((SELECT count(*)::int FROM public.kmeans_rejected), 0, 'nothing damaged was stored');

-- Hand-made text: accepted when consistent, otherwise invalid_text_representation naming the field.
CREATE TEMP TABLE hand AS SELECT
'{"type":"dmine.kmeans_model","version":1,"k":2,"dim":2,"rows":4,"nulls_skipped":0,"points_used":4,
  "sampled":false,"inertia":1.0,"silhouette":null,"iterations":0,"converged":true,"refinements":0,
  "centroids":[[0,0],[10,10]],"cluster_sizes":[2,2],"cluster_sse":[0.5,0.5],
  "scaling":{"enabled":false,"mean":[5,5],"sd":[5,5]},"scores":[{"k":2,"inertia":1.0,"silhouette":null}],
  "options":{"scale":false}}'::text AS t;
SELECT is((SELECT dm_kmeans_assign(t::kmeans_model, '{9,8}') FROM hand), 2, 'a hand-made model is usable');
SELECT is((SELECT t::kmeans_model::text::kmeans_model::text = t::kmeans_model::text FROM hand), true,
          'its canonical text round-trips');
SELECT throws_ok($$SELECT replace(t, '"inertia":1.0', '"inertia":2.0')::kmeans_model FROM hand$$, '22P02',
                 'invalid kmeans model text: "inertia" must be the sum of cluster_sse', 'inconsistent inertia');
SELECT throws_ok($$SELECT replace(t, '[2,2]', '[2,-2]')::kmeans_model FROM hand$$, '22P02', NULL, 'negative cluster size');
SELECT throws_ok($$SELECT replace(t, '[10,10]', '[10]')::kmeans_model FROM hand$$, '22P02',
                 'invalid kmeans model text: "centroids"[1] must be an array of 2 numbers', 'short centroid');
SELECT throws_ok($$SELECT replace(t, '"version":1', '"version":2')::kmeans_model FROM hand$$, '22P02',
                 'unsupported kmeans model version 2', 'future version');
SELECT throws_ok($$SELECT replace(t, '"dim":2,', '"dim":2,"colour":"red",')::kmeans_model FROM hand$$, '22P02',
                 'invalid kmeans model text: "colour" is not a known field', 'unknown field');
SELECT throws_ok($$SELECT replace(t, '"scale":false', '"scale":false,"n_init":0')::kmeans_model FROM hand$$, '22P02', NULL,
                 'invalid option');
SELECT throws_ok($$SELECT left(t, 100)::kmeans_model FROM hand$$, '22P02', 'invalid kmeans model text: not valid JSON', 'truncated text');
SELECT throws_ok($$SELECT ''::kmeans_model$$, '22P02', NULL, 'empty text');
SELECT throws_ok($$SELECT '{}'::kmeans_model$$, '22P02', 'invalid kmeans model text: "type" is missing', 'empty object');

-- The JSON view and the centroid accessor agree with the model.
SELECT is((SELECT sum(size)::int FROM dm_kmeans_centroids((SELECT model FROM public.kmeans_src WHERE id = 1))), 3000,
          'cluster sizes add up to the rows');
SELECT is((SELECT round(sum(sse)::numeric, 6) FROM dm_kmeans_centroids((SELECT model FROM public.kmeans_src WHERE id = 1))),
          (SELECT round((dm_kmeans_info(model)->>'inertia')::numeric, 6) FROM public.kmeans_src WHERE id = 1),
          'cluster SSE adds up to the inertia');
SELECT ok((SELECT (dm_kmeans_info(model)->>'sampled')::boolean AND (dm_kmeans_info(model)->>'points_used')::int = 500
           FROM public.kmeans_src WHERE id = 4), 'a fit on a sample says so');
SELECT ok((SELECT NOT (dm_kmeans_info(model)->>'sampled')::boolean AND (dm_kmeans_info(model)->>'refinements')::int = 1
           FROM public.kmeans_src WHERE id = 6), 'after refinement, the statistics are exact');

-- Per-row functions decode a model once per query: this model has 100,000 scores (decoding it
-- takes milliseconds), and 20,000 rows finish well within the timeout.
CREATE TEMP TABLE heavy AS
SELECT format('{"type":"dmine.kmeans_model","version":1,"k":2,"dim":2,"rows":2,"nulls_skipped":0,"points_used":2,
  "sampled":false,"inertia":0.0,"silhouette":null,"iterations":0,"converged":true,"refinements":0,
  "centroids":[[0,0],[1,1]],"cluster_sizes":[1,1],"cluster_sse":[0,0],
  "scaling":{"enabled":true,"mean":[0,0],"sd":[1,1]},"scores":%s,"options":{}}',
  (SELECT json_agg(json_build_object('k', i, 'inertia', 0, 'silhouette', null)) FROM generate_series(1, 100000) i)
)::kmeans_model AS model;
CREATE TEMP TABLE rows20k AS SELECT ARRAY[i % 2, i % 3]::float8[] AS v FROM generate_series(1, 20000) AS i;
SET LOCAL statement_timeout = '8s';
SELECT is((SELECT sum(dm_kmeans_assign(model, v))::int FROM rows20k, heavy), 30001, 'dm_kmeans_assign decodes once');
SELECT ok((SELECT sum(dm_kmeans_distance(model, v, 1)) FROM rows20k, heavy) > 0, 'dm_kmeans_distance decodes once');
SET LOCAL statement_timeout = 0;

SELECT * FROM finish();
ROLLBACK;
DROP TABLE public.kmeans_src, public.kmeans_restored, public.kmeans_copied, public.kmeans_bytes, public.kmeans_rejected;
