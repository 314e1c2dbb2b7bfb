#!/usr/bin/env bash
# Models fitted on extreme values survive pg_dump and restore, and COPY in binary form: every
# value dmine stores must be readable and dumpable. Runs against the server named by PGHOST etc.
# (scripts/test.sh starts one); exits non-zero on any failure.
set -euo pipefail
bindir=${PG_BIN:-$(${PG_CONFIG:-pg_config} --bindir)}
src=dmine_dump_src
dst=dmine_dump_dst
work=$(mktemp -d "${TMPDIR:-/tmp}/dmine-dump.XXXXXX")
trap 'rm -rf "$work"' EXIT
q() { PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 "$@"; }

for db in $src $dst; do q -d "${PGDATABASE:-postgres}" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"; done
q -d $src <<'SQL'
CREATE EXTENSION dmine;
SET search_path = public, dmine;
CREATE TABLE rows_wide AS SELECT ARRAY[x] AS v
FROM unnest('{1e308, -1e308, 0, 1e160, -1e160, 1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -0}'::float8[]) x;
CREATE TABLE models (name text PRIMARY KEY, model kmeans_model);
INSERT INTO models SELECT 'kmeans', dm_kmeans(v, 2) FROM rows_wide;
INSERT INTO models SELECT 'kmeans_auto', dm_kmeans_auto(v, 2, 5) FROM rows_wide;
INSERT INTO models SELECT 'kmeans_1e308', dm_kmeans(v, 2) FROM (VALUES ('{1e308}'::float8[]), ('{-1e308}'), ('{0}')) t(v);
INSERT INTO models SELECT 'kmeans_1e160', dm_kmeans_auto(v, 2, 3) FROM (VALUES ('{1e160}'::float8[]), ('{-1e160}'), ('{0}')) t(v);
INSERT INTO models SELECT 'refined', dm_kmeans_refine(m.model, r.v) FROM models m, rows_wide r WHERE m.name = 'kmeans' GROUP BY m.name;
CREATE TABLE forests AS SELECT 'iforest'::text AS name, dm_iforest(v) AS model FROM rows_wide;
CREATE TABLE texts AS SELECT name, model::text AS t FROM models UNION ALL SELECT name, model::text FROM forests;
SQL
compare() {
    local same
    same=$(q -At -d $dst -c "SELECT count(*) FROM texts t JOIN (SELECT name, model::text AS t FROM models UNION ALL SELECT name, model::text FROM forests) r USING (name) WHERE r.t = t.t")
    [ "$same" = 6 ] || { echo "$1: $same of 6 models came back equal"; exit 1; }
}
"$bindir/pg_dump" -d $src -f "$work/dump.sql"
q -d $dst -f "$work/dump.sql" >/dev/null
compare "pg_dump (plain) and psql"
"$bindir/pg_dump" -Fc -d $src -f "$work/dump.custom"
q -d "${PGDATABASE:-postgres}" -c "DROP DATABASE $dst" -c "CREATE DATABASE $dst"
"$bindir/pg_restore" -d $dst "$work/dump.custom"
compare "pg_dump (custom) and pg_restore"
# COPY in binary form: kmeans_model_send and _recv.
q -d $src -c "\\copy models TO '$work/models.bin' WITH (FORMAT binary)"
q -d $dst -c "TRUNCATE models" -c "\\copy models FROM '$work/models.bin' WITH (FORMAT binary)"
same=$(q -At -d $dst -c "SELECT count(*) FROM texts t JOIN models m USING (name) WHERE m.model::text = t.t")
[ "$same" = 5 ] || { echo "binary COPY: $same of 5 models came back equal"; exit 1; }
for db in $src $dst; do q -d "${PGDATABASE:-postgres}" -c "DROP DATABASE $db"; done
echo "pg_dump, pg_restore and binary COPY of models fitted on extreme values: ok"
