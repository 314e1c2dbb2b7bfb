-- The state types of the context aggregates (context_fit_summary, context_top_summary): real
-- states, exact text round trip, daily summaries rolled up equal to one scan on two warehouses,
-- parallel equal to serial, corrupted and hostile values rejected with 22P02/22P03.
\set ON_ERROR_STOP 1
\set QUIET 1
SET search_path = dmine, public;
SET client_min_messages = warning;
BEGIN;
SELECT plan(39);

-- The catalogue.
SELECT is(array(SELECT DISTINCT t.typname::text FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
                JOIN pg_type t ON t.oid = a.aggtranstype
                WHERE p.pronamespace = 'dmine'::regnamespace
                  AND p.proname IN ('dm_context_fit', 'dm_context_fit_time', 'dm_context_top') ORDER BY 1),
          '{context_fit_summary,context_top_summary}'::text[], 'the context aggregates have real state types');
SELECT is(count(*)::int, 0, 'with a combine function, no serial functions, final functions of the state alone')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'dmine'::regnamespace AND p.proname LIKE 'dm_context%'
  AND (a.aggcombinefn = 0 OR a.aggserialfn <> 0 OR a.aggfinalextra OR p.proparallel <> 's');

-- Two warehouses: the demo one (numeric amounts, customer keys) and entrepot_fr (a view, int keys).
SELECT count(*) FROM create_demo_warehouse('cs_demo', scale => 0.02) \g /dev/null
\set schema cs_fr
\set lignes 20000
\set produits 1000
\set clients 400
\i :root/test/warehouses/entrepot_fr.sql
SET search_path = dmine, public;
CREATE TEMP VIEW facts AS
    SELECT 'demo' AS wh, sold_at::date AS day, product_id::text AS key, unit_price::float8 AS x,
           sold_at::timestamp AS at, line_id::bigint AS line
    FROM cs_demo.sales_lines
    UNION ALL
    SELECT 'fr', date_cle::text::date, id_produit::text, prix_unitaire::float8,
           date_cle::text::timestamp + (id_ligne % 1440) * interval '1 minute', id_ligne::bigint
    FROM cs_fr.lignes_vente;

-- One scan, and daily summaries stored then rolled up.
CREATE TEMP TABLE one_step AS
SELECT wh, dm_context_fit(key, x) AS v, dm_context_fit(key, x, '{"scale": "linear", "min_rows": 5}') AS l,
       dm_context_fit_time(key, at) AS t, dm_context_top(x, jsonb_build_object('line', line), 50) AS top
FROM facts GROUP BY wh;
CREATE TEMP TABLE daily AS
SELECT wh, day, dm_context_fit_summary(key, x) AS v, dm_context_fit_summary(key, x, '{"scale": "linear", "min_rows": 5}') AS l,
       dm_context_fit_time_summary(key, at) AS t, dm_context_top_summary(x, jsonb_build_object('line', line), 50) AS top
FROM facts GROUP BY wh, day;
CREATE TEMP TABLE rolled AS
SELECT wh, dm_summary_context(dm_rollup(v)) AS v, dm_summary_context(dm_rollup(l)) AS l,
       dm_summary_context(dm_rollup(t)) AS t, dm_summary_top(dm_rollup(top)) AS top
FROM daily GROUP BY wh;

SELECT is((SELECT count(*) FROM daily WHERE wh = 'fr') > 20 AND (SELECT count(*) FROM daily WHERE wh = 'demo') > 20, true,
          'two warehouses, each with many daily summaries');
SELECT ok(bool_and(r.v::text = o.v::text), 'rollup of daily value summaries: the one-step context summary (log scale)')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(r.l::text = o.l::text), 'rollup with options (linear scale, min_rows): the one-step summary')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(r.t::text = o.t::text), 'rollup of daily time summaries: the one-step summary')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and(r.top = o.top AND cardinality(o.top) = 50), 'rollup of daily top lines: the one-step top 50')
FROM rolled r JOIN one_step o USING (wh);
SELECT ok(bool_and((dm_context_info(o.l)->>'scale') = 'linear' AND (dm_context_info(o.l)->>'min_rows')::int = 5),
          'the options travel with the state to the final function') FROM one_step o;

-- Exact text round trip; the binary form is the bytes behind the text.
SELECT ok(bool_and(v::text::context_fit_summary::text = v::text AND t::text::context_fit_summary::text = t::text),
          'context_fit_summary text round trip') FROM daily;
SELECT ok(bool_and(top::text::context_top_summary::text = top::text), 'context_top_summary text round trip') FROM daily;
SELECT ok(v::text::context_top_summary::text = v::text, 'top lines nested 5,000 deep: exact text round trip')
FROM (SELECT dm_context_top_summary(g, ('{"a":' || repeat('[', 5000) || repeat(']', 5000) || '}')::jsonb, 2) AS v
      FROM generate_series(1, 3) g) s;
SELECT ok(bool_and(context_fit_summary_send(v) = decode(v::text, 'base64')
                   AND context_top_summary_send(top) = decode(top::text, 'base64')),
          'binary send gives the bytes of the text form') FROM daily;
SELECT ok(bool_and(dm_summary_context(v::text::context_fit_summary)::text = dm_summary_context(v)::text
                   AND dm_summary_top(top::text::context_top_summary) = dm_summary_top(top)),
          'a state read back gives the same summary and lines') FROM daily;

-- Plain function calls and NULLs.
SELECT ok(dm_summary_context(NULL::context_fit_summary) IS NULL AND dm_summary_top(NULL::context_top_summary) IS NULL,
          'a NULL state reads as NULL');
SELECT ok(context_fit_summary_combine(NULL, NULL) IS NULL AND context_top_summary_combine(NULL, NULL) IS NULL,
          'combining two NULL states gives NULL');
SELECT is((dm_context_info(dm_summary_context(dm_context_fit_accum(dm_context_fit_accum(NULL, 'a', 2), 'a', 8)))->>'lines')::int, 2,
          'transition functions called outside an aggregate');
SELECT is(dm_context_top(x, to_jsonb(x), 0), '{}'::jsonb[], 'k = 0 keeps no line') FROM generate_series(1, 3) x;

-- Errors.
SELECT throws_ok($$SELECT dm_rollup(s) FROM (SELECT dm_context_fit_summary('a', 1) UNION ALL
                                             SELECT dm_context_fit_summary('a', 1, '{"scale": "linear"}')) t(s)$$,
                 '22023', NULL, 'rolling up summaries fitted with different options: 22023');
SELECT throws_ok($$SELECT dm_rollup(s) FROM (SELECT dm_context_fit_summary('a', 1) UNION ALL
                                             SELECT dm_context_fit_time_summary('a', now()::timestamp)) t(s)$$,
                 '22023', NULL, 'rolling up a value and a time summary: 22023');
SELECT throws_ok($$SELECT dm_context_fit_accum(dm_context_fit_time_summary('a', now()::timestamp), 'a', 1)$$,
                 '22023', NULL, 'a value given to a time state: 22023');
SELECT throws_ok($$SELECT dm_context_fit_time_accum(dm_context_fit_summary('a', 1), 'a', now()::timestamp)$$,
                 '22023', NULL, 'a time given to a value state: 22023');
SELECT throws_ok($$SELECT dm_context_top(1, '{}', NULL)$$, '22004', NULL, 'k NULL: 22004');
SELECT throws_ok($$SELECT dm_context_top(1, '{}', -1)$$, '22023', NULL, 'k out of range: 22023');

-- Corrupted values: 22P02 from text, 22P03 from binary, never an internal error.
SELECT throws_ok($$SELECT 'not base64!'::context_fit_summary$$, '22P02', NULL, 'text outside base64: 22P02');
SELECT throws_ok($$SELECT 'Zg=='::context_top_summary$$, '22P02', NULL, 'too short: 22P02');
SELECT throws_ok($$SELECT top::text::context_fit_summary FROM daily LIMIT 1$$, '22P02', NULL, 'another type''s state: 22P02');
SELECT throws_ok($$SELECT left(v::text, -8)::context_fit_summary FROM daily LIMIT 1$$, '22P02', NULL, 'truncated: 22P02');
SELECT throws_ok($$SELECT encode(set_byte(decode(v::text, 'base64'), 40, 255 - get_byte(decode(v::text, 'base64'), 40)), 'base64')::context_fit_summary
                   FROM daily LIMIT 1$$, '22P02', NULL, 'a flipped payload byte (checksum): 22P02');
SELECT throws_ok($$SELECT encode(set_byte(decode(top::text, 'base64'), 4, 9), 'base64')::context_top_summary
                   FROM daily LIMIT 1$$, '22P02', NULL, 'an unknown format version: 22P02');
-- Binary input (COPY BINARY, as a client or Citus sends binary values): _recv rejects with 22P03.
CREATE TEMP TABLE bin_fit (s context_fit_summary);
CREATE TEMP TABLE bin_top (s context_top_summary);
CREATE FUNCTION pg_temp.copy_binary(target text, payload bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE stream bytea := '\x5047434f50590aff0d0a000000000000000000'::bytea || '\x0001'::bytea
                        || int4send(length(payload)) || payload || '\xffff'::bytea;
BEGIN
    EXECUTE format('COPY %s FROM PROGRAM %L (FORMAT binary)', target,
                   'echo ' || translate(encode(stream, 'base64'), E'\n', '') || ' | base64 -d');
END $$;
SELECT lives_ok($$SELECT pg_temp.copy_binary('bin_fit', context_fit_summary_send(v)), pg_temp.copy_binary('bin_top', context_top_summary_send(top))
                  FROM daily LIMIT 2$$, 'binary input of valid states');
SELECT ok((SELECT bool_and(s::text IN (SELECT v::text FROM daily)) FROM bin_fit) AND (SELECT count(*) FROM bin_top) = 2,
          'binary input reads the states back exactly');
SELECT throws_ok($$SELECT pg_temp.copy_binary('bin_fit', set_byte(context_fit_summary_send(v), 40, 255 - get_byte(context_fit_summary_send(v), 40)))
                   FROM daily LIMIT 1$$, '22P03', NULL, 'binary input of a corrupted fitting state: 22P03');
SELECT throws_ok($$SELECT pg_temp.copy_binary('bin_top', substr(context_top_summary_send(top), 1, 30)) FROM daily LIMIT 1$$,
                 '22P03', NULL, 'binary input of a truncated top-lines state: 22P03');

-- Hostile payloads with a valid envelope: every byte of a small state set to 0, 1, 127 and 255,
-- resealed (test/pgtap/setup/reseal.sql); each is rejected with 22P02 or, if accepted, reads cleanly.
\i :root/test/pgtap/setup/reseal.sql
SELECT is(pg_temp.reseal(decode(v::text, 'base64')), decode(v::text, 'base64'), 'the test resealer reproduces the checksum')
FROM daily LIMIT 1;
SELECT ok(pg_temp.hostile(dm_context_fit_summary(k, x)::text, 'context_fit_summary', 'dm_summary_context') <@ '{ok,22P02}',
          'hostile value fitting state: rejected (22P02) or read cleanly')
FROM (VALUES ('a', 1.5::float8), ('b', 30), (NULL, 2)) t(k, x);
SELECT ok(pg_temp.hostile(dm_context_fit_time_summary(k, at)::text, 'context_fit_summary', 'dm_summary_context') <@ '{ok,22P02}',
          'hostile time fitting state: rejected (22P02) or read cleanly')
FROM (VALUES ('a', timestamp '2024-01-01 10:00'), ('b', timestamp '2024-01-02 03:00')) t(k, at);
SELECT ok(pg_temp.hostile(dm_context_top_summary(x, jsonb_build_object('k', k, 'n', x, 'a', ARRAY[true, null]), 3)::text,
                          'context_top_summary', 'dm_summary_top') <@ '{ok,22P02}',
          'hostile top lines (jsonb payloads): rejected (22P02) or read cleanly')
FROM (VALUES ('a', 1.5::float8), ('bé', 30)) t(k, x);

-- Parallel query: partial states flattened by the workers and combined.
CREATE TABLE dmine_test.context_par AS
SELECT g, (g % 50)::text AS k, (10 + g % 7) * (1 + (g % 13) / 100.0) AS x,
       timestamp '2024-01-01' + g * interval '7 minutes' AS at FROM generate_series(1, 200000) g;
ANALYZE dmine_test.context_par;
CREATE TEMP TABLE serial_run AS
SELECT dm_context_fit(k, x)::text AS v, dm_context_fit_time(k, at)::text AS t,
       dm_context_top(x, jsonb_build_object('g', g), 20) AS top FROM dmine_test.context_par;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
CREATE FUNCTION pg_temp.explain_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END $$;
SELECT is((SELECT count(*) FROM pg_temp.explain_lines('SELECT dm_context_fit(k, x), dm_context_top(x, to_jsonb(g), 20) FROM dmine_test.context_par') AS e(line)
           WHERE line LIKE '%Partial Aggregate%'), 1::bigint, 'the plan is parallel (partial aggregate)');
SELECT ok(p.v = s.v AND p.t = s.t AND p.top = s.top, 'parallel results equal serial ones')
FROM serial_run s,
     (SELECT dm_context_fit(k, x)::text AS v, dm_context_fit_time(k, at)::text AS t,
             dm_context_top(x, jsonb_build_object('g', g), 20) AS top FROM dmine_test.context_par) p;

SELECT * FROM finish();
ROLLBACK;
