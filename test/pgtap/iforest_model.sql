-- The iforest_model type: validated text and binary input, exact round trips through the text
-- form, COPY (text and binary) and pg_dump/pg_restore, and per-row functions that decode a
-- model once per query.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;

-- Committed tables (in public): the round trips go through other sessions (psql, pg_dump,
-- pg_restore).
DROP TABLE IF EXISTS public.iforest_src, public.iforest_restored, public.iforest_copied, public.iforest_copied_text,
                     public.iforest_bytes, public.iforest_rejected;
CREATE TABLE public.iforest_src (id int, model iforest_model);
CREATE TEMP TABLE pts AS
SELECT i, ARRAY[sin(i) * 3, cos(i * 0.7) * 2, i % 11]::float8[] AS v FROM generate_series(1, 3000) AS i;
INSERT INTO public.iforest_src
SELECT 1, dm_iforest(v) FROM pts UNION ALL
SELECT 2, dm_iforest(v, '{"contamination": 0.03, "seed": 9223372036854775807}') FROM pts UNION ALL
SELECT 3, dm_iforest(v, '{"n_trees": 7, "sample_size": 2000, "max_depth": 3}') FROM pts UNION ALL
SELECT 4, dm_iforest(v) FROM pts WHERE i <= 2;
CREATE TABLE public.iforest_restored (LIKE public.iforest_src);
CREATE TABLE public.iforest_copied (LIKE public.iforest_src);
CREATE TABLE public.iforest_copied_text (LIKE public.iforest_src);
CREATE TABLE public.iforest_rejected (LIKE public.iforest_src);
CREATE TABLE public.iforest_bytes (id int, model bytea);
INSERT INTO public.iforest_bytes
SELECT 1, set_byte(iforest_model_send(model), 60, get_byte(iforest_model_send(model), 60) # 1) FROM public.iforest_src WHERE id = 1
UNION ALL SELECT 2, set_byte(iforest_model_send(model), 4, 9) FROM public.iforest_src WHERE id = 1
UNION ALL SELECT 3, substr(iforest_model_send(model), 1, 30) FROM public.iforest_src WHERE id = 1
UNION ALL SELECT 4, set_byte(iforest_model_send(model), 0, 0) FROM public.iforest_src WHERE id = 1;

\setenv IFOREST_DB :DBNAME
-- pg_dump (custom format) and pg_restore, into another table.
\! pg_dump -Fc --data-only -t public.iforest_src "$IFOREST_DB" | pg_restore --data-only -f - | sed 's/public\.iforest_src/public.iforest_restored/' | psql -X -q -o /dev/null -v ON_ERROR_STOP=1 "$IFOREST_DB"
-- COPY in binary and in text format.
\! psql -X -q -c "COPY public.iforest_src TO STDOUT (FORMAT binary)" "$IFOREST_DB" | psql -X -q -c "COPY public.iforest_copied FROM STDIN (FORMAT binary)" "$IFOREST_DB"
\! psql -X -q -c "COPY public.iforest_src TO STDOUT" "$IFOREST_DB" | psql -X -q -c "COPY public.iforest_copied_text FROM STDIN" "$IFOREST_DB"
-- Damaged binary values (the wire format of bytea and iforest_model is the same).
\set bad_checksum `psql -X -q -c "COPY (SELECT * FROM public.iforest_bytes WHERE id = 1) TO STDOUT (FORMAT binary)" "$IFOREST_DB" | psql -X -q -c "COPY public.iforest_rejected FROM STDIN (FORMAT binary)" "$IFOREST_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set bad_version `psql -X -q -c "COPY (SELECT * FROM public.iforest_bytes WHERE id = 2) TO STDOUT (FORMAT binary)" "$IFOREST_DB" | psql -X -q -c "COPY public.iforest_rejected FROM STDIN (FORMAT binary)" "$IFOREST_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set bad_length `psql -X -q -c "COPY (SELECT * FROM public.iforest_bytes WHERE id = 3) TO STDOUT (FORMAT binary)" "$IFOREST_DB" | psql -X -q -c "COPY public.iforest_rejected FROM STDIN (FORMAT binary)" "$IFOREST_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`
\set bad_magic `psql -X -q -c "COPY (SELECT * FROM public.iforest_bytes WHERE id = 4) TO STDOUT (FORMAT binary)" "$IFOREST_DB" | psql -X -q -c "COPY public.iforest_rejected FROM STDIN (FORMAT binary)" "$IFOREST_DB" 2>&1 | grep -o 'ERROR: .*' | head -1`

BEGIN;
SELECT plan(24);

-- Round trips are exact: the same bytes.
SELECT is((SELECT count(*)::int FROM public.iforest_src), 4, 'four models: defaults, contamination and 64-bit seed, small trees, two rows');
SELECT is((SELECT count(*)::int FROM public.iforest_src s
           WHERE iforest_model_send(s.model) = iforest_model_send(s.model::text::iforest_model)),
          4, 'text form round trip is exact');
SELECT is((SELECT count(*)::int FROM public.iforest_src s
           WHERE iforest_model_send(s.model) = iforest_model_send((s.model::text::jsonb)::text::iforest_model)),
          4, 'text form through jsonb round trip is exact');
SELECT is((SELECT count(*)::int FROM public.iforest_src s JOIN public.iforest_restored r USING (id)
           WHERE iforest_model_send(s.model) = iforest_model_send(r.model)), 4, 'pg_dump / pg_restore round trip is exact');
SELECT is((SELECT count(*)::int FROM public.iforest_src s JOIN public.iforest_copied c USING (id)
           WHERE iforest_model_send(s.model) = iforest_model_send(c.model)), 4, 'binary COPY round trip is exact');
SELECT is((SELECT count(*)::int FROM public.iforest_src s JOIN public.iforest_copied_text c USING (id)
           WHERE iforest_model_send(s.model) = iforest_model_send(c.model)), 4, 'text COPY round trip is exact');
SELECT is((SELECT dm_iforest_info(model)->>'seed' FROM public.iforest_src WHERE id = 2), '9223372036854775807',
          '64-bit seeds survive');
SELECT ok((SELECT (dm_iforest_info(model)->>'threshold')::float8 > 0.5 FROM public.iforest_src WHERE id = 2),
          'a contamination share sets its own threshold');
SELECT is((SELECT dm_iforest_info(model)->>'max_depth' FROM public.iforest_src WHERE id = 3), '3', 'max_depth option kept');
SELECT is((SELECT dm_iforest_info(model)->>'sample_size' FROM public.iforest_src WHERE id = 4), '2', 'two rows: sample size 2');

-- Damaged binary values are rejected with invalid_binary_representation messages.
SELECT is(:'bad_checksum'::text, 'ERROR:  corrupted Isolation Forest model: checksum mismatch', 'binary input: flipped bit');
SELECT is(:'bad_version'::text, 'ERROR:  unsupported Isolation Forest model format version 9', 'binary input: unknown format version');
SELECT is(:'bad_length'::text, 'ERROR:  corrupted Isolation Forest model: size mismatch', 'binary input: truncated value');
SELECT is(:'bad_magic'::text, 'ERROR:  corrupted Isolation Forest model: wrong magic number', 'binary input: another type');
SELECT is((SELECT count(*)::int FROM public.iforest_rejected), 0, 'nothing damaged was stored');

-- Hand-made text: accepted when consistent, otherwise invalid_text_representation naming the field.
CREATE TEMP TABLE hand AS SELECT
'{"format":"dmine.iforest","version":1,"features":1,"n_trees":1,"sample_size":4,"max_depth":2,"rows_seen":4,
  "nulls_skipped":0,"seed":0,"contamination":"auto","threshold":0.5,
  "trees":[{"feature":[0,-1,0,-1,-1],"threshold":[10,null,20,null,null],"left":[1,-1,3,-1,-1],"size":[4,1,3,2,1]}]}'::text AS t;
SELECT is((SELECT round(dm_iforest_score(t::iforest_model, '{5}')::numeric, 6) FROM hand),
          round((2 ^ (-1.0 / (2 * (ln(3) + 0.5772156649015329) - 1.5)))::numeric, 6),
          'a hand-made model scores 2^(-h/c(4)) (isolated at depth 1)');
SELECT is((SELECT t::iforest_model::text::iforest_model::text = t::iforest_model::text FROM hand), true,
          'its canonical text round-trips');
SELECT throws_ok($$SELECT replace(t, '"size":[4,1,3,2,1]', '"size":[4,1,3,2,2]')::iforest_model FROM hand$$, '22P02',
                 'invalid Isolation Forest model: tree 0 node 2: children sizes do not add up', 'inconsistent sizes');
SELECT throws_ok($$SELECT replace(t, '"left":[1,-1,3,-1,-1]', '"left":[1,-1,1,-1,-1]')::iforest_model FROM hand$$, '22P02',
                 'invalid Isolation Forest model: tree 0 node 2: child index out of range', 'a child before its parent');
SELECT throws_ok($$SELECT replace(t, '"max_depth":2', '"max_depth":1')::iforest_model FROM hand$$, '22P02',
                 'invalid Isolation Forest model: tree 0 node 2: deeper than max_depth', 'deeper than max_depth');
SELECT throws_ok($$SELECT replace(t, '"seed":0,', '"seed":0,"colour":"red",')::iforest_model FROM hand$$, '22P02',
                 'invalid Isolation Forest model: "colour" is not a known field', 'unknown field');
SELECT throws_ok($$SELECT left(t, 100)::iforest_model FROM hand$$, '22P02', 'invalid Isolation Forest model: not valid JSON',
                 'truncated text');

-- Per-row functions decode a model once per query: this model has 2,000 trees of 2,048 rows
-- (decoding it takes a large fraction of a second), and 5,000 rows finish well within the timeout.
CREATE TEMP TABLE heavy AS
SELECT dm_iforest(ARRAY[sin(i), cos(i)], '{"n_trees": 2000, "sample_size": 2048}') AS model
FROM generate_series(1, 4000) AS i;
CREATE TEMP TABLE rows5k AS SELECT ARRAY[sin(i * 3), cos(i * 5)]::float8[] AS v FROM generate_series(1, 5000) AS i;
SET LOCAL statement_timeout = '20s';
SELECT ok((SELECT sum(dm_iforest_score(model, v)) FROM rows5k, heavy) > 0, 'dm_iforest_score decodes once');
SELECT ok((SELECT count(*) FILTER (WHERE dm_iforest_is_anomaly(model, v)) FROM rows5k, heavy) >= 0,
          'dm_iforest_is_anomaly decodes once');
SET LOCAL statement_timeout = 0;

SELECT * FROM finish();
ROLLBACK;
DROP TABLE public.iforest_src, public.iforest_restored, public.iforest_copied, public.iforest_copied_text,
           public.iforest_bytes, public.iforest_rejected;
