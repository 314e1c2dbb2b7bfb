#!/usr/bin/env bash
# The upgrade path, as users take it: the new package (dmine.so and scripts) is installed, their
# database still holds the 0.1.0 objects, and ALTER EXTENSION dmine UPDATE brings it to the new
# version. Runs against the server named by the PG* variables (scripts/test.sh starts one), in
# its own databases; prints "ok"/"not ok" lines and exits non-zero on any failure.
#
#   bash test/upgrade/check.sh
#   DMINE_UPGRADE_KEEP=1 bash test/upgrade/check.sh   # keeps dmine_upgrade_fresh and _old
#
#  1. extension/dmine--0.1.0.sql is the install script released as v0.1.0 (when the tag is there);
#  2. every C symbol the 0.1.0 SQL references exists in the installed dmine.so;
#  3. a 0.1.0 database is filled: models of each type in a user table, a configuration, a
#     pipeline run, a pg_cron job; ALTER EXTENSION dmine UPDATE; then the old models read and
#     score as before, the old run shows in the views and in dmine-report, the job's command
#     and the new version's functions work;
#  4. a fresh install and the updated one have the same objects (test/upgrade/catalog_diff.sh),
#     and a pg_dump of the 0.1.0 database restores with the new package;
#  5. DROP EXTENSION dmine leaves nothing behind.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
REPORT=${DMINE_REPORT:-${DMINE_BUILD_DIR:-$ROOT/build}/report/dmine-report}
OLD=0.1.0
NEW=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$ROOT/dmine.control")
DB_OLD=dmine_upgrade_old
DB_FRESH=dmine_upgrade_fresh
DB_RESTORE=dmine_upgrade_restore
ADMIN_DB=${PGDATABASE:-postgres}
work=$(mktemp -d "${TMPDIR:-/tmp}/dmine-upgrade.XXXXXX")

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { local db=$1; shift; q -At -d "$db" -c "$*"; }
cleanup() {
    rm -rf "$work"
    # DMINE_UPGRADE_KEEP=1 keeps the fresh and the updated databases for catalog_diff.sh.
    [ "${DMINE_UPGRADE_KEEP:-0}" = 1 ] && return 0
    q -d "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_OLD" -c "DROP DATABASE IF EXISTS $DB_FRESH" \
        -c "DROP DATABASE IF EXISTS $DB_RESTORE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 1. The released install script, kept in the tree, is the one the tag builds.
if git -C "$ROOT" rev-parse -q --verify "refs/tags/v$OLD" >/dev/null 2>&1; then
    for f in $(git -C "$ROOT" ls-tree -r --name-only "v$OLD" extension/parts | LC_ALL=C sort); do
        git -C "$ROOT" show "v$OLD:$f"
    done >"$work/released.sql"
    if cmp -s "$work/released.sql" "$ROOT/extension/dmine--$OLD.sql"; then
        ok "extension/dmine--$OLD.sql is the install script of tag v$OLD"
    else
        not_ok "extension/dmine--$OLD.sql differs from the install script of tag v$OLD"
    fi
fi

# 2. The new library still exports every C function of the old SQL (and its pg_finfo_ record).
so="$($PG_CONFIG --pkglibdir)/dmine.so"
nm -D --defined-only "$so" | awk '{print $NF}' | sort -u >"$work/exported"
sed -n "s/.*'MODULE_PATHNAME' *, *'\([A-Za-z0-9_]*\)'.*/\1/p" "$ROOT/extension/dmine--$OLD.sql" >"$work/symbols"
# Functions declared AS 'MODULE_PATHNAME' alone link to their own name.
awk '/^CREATE (OR REPLACE )?FUNCTION/ { name = $0; sub(/^CREATE (OR REPLACE )?FUNCTION +/, "", name);
       sub(/\(.*/, "", name); sub(/^@extschema@\./, "", name) }
     /'"'"'MODULE_PATHNAME'"'"' *(LANGUAGE|$)/ && name != "" { print name }' \
    "$ROOT/extension/dmine--$OLD.sql" >>"$work/symbols"
sort -u -o "$work/symbols" "$work/symbols"
missing=$(while read -r s; do
    grep -qx "$s" "$work/exported" && grep -qx "pg_finfo_$s" "$work/exported" || echo "$s"
done <"$work/symbols")
if [ -z "$missing" ] && [ -s "$work/symbols" ]; then
    ok "dmine.so exports the $(wc -l <"$work/symbols") C functions of the $OLD SQL"
else
    not_ok "dmine.so lacks C functions of the $OLD SQL: $(echo $missing)"
fi

# 3. A database at 0.1.0, with the new package installed.
q -d "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_OLD" -c "CREATE DATABASE $DB_OLD" \
    -c "DROP DATABASE IF EXISTS $DB_FRESH" -c "CREATE DATABASE $DB_FRESH"
q -d "$DB_OLD" -c "CREATE EXTENSION dmine VERSION '$OLD'"
[ "$(val "$DB_OLD" "SELECT extversion FROM pg_extension WHERE extname = 'dmine'")" = "$OLD" ] &&
    ok "CREATE EXTENSION dmine VERSION '$OLD' with the new dmine.so" || not_ok "install of $OLD"
val "$DB_OLD" "SELECT DISTINCT p.prosrc FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
               WHERE l.lanname = 'c' AND p.probin LIKE '%dmine%' ORDER BY 1" >"$work/symbols.db"
cmp -s <(LC_ALL=C sort "$work/symbols") <(LC_ALL=C sort "$work/symbols.db") &&
    ok "the symbols checked are those of the $OLD database's C functions" ||
    not_ok "the symbols read from the $OLD SQL differ from its database's: $(diff <(LC_ALL=C sort "$work/symbols") <(LC_ALL=C sort "$work/symbols.db") | tr '\n' ' ')"
q -d "$DB_OLD" -f "$ROOT/test/upgrade/fill_old.sql" -f "$ROOT/test/upgrade/models_0.1.0.sql" >"$work/fill.log" 2>&1 &&
    ok "the $OLD database is filled (models, configuration, pipeline run)" ||
    not_ok "filling the $OLD database: $(tail -3 "$work/fill.log")"

# A scheduled job, when pg_cron runs in this server (it lives in pg_cron's database).
cron_db=$(val "$ADMIN_DB" "SELECT current_setting('cron.database_name', true)" 2>/dev/null || true)
has_cron=0
if [ -n "$cron_db" ] && [ "$(val "$ADMIN_DB" "SELECT current_setting('shared_preload_libraries') LIKE '%pg_cron%'")" = t ]; then
    q -d "$cron_db" -c "CREATE EXTENSION IF NOT EXISTS pg_cron" && has_cron=1
fi
job_command="CALL dmine.run_mining('up_demo', mode => 'quick')"
if [ "$has_cron" = 1 ]; then
    q -d "$cron_db" -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'dmine-upgrade-check'" >/dev/null
    q -d "$cron_db" -c "SELECT cron.schedule_in_database('dmine-upgrade-check', '0 3 * * *',
        \$\$$job_command\$\$, '$DB_OLD', current_user, false)" >/dev/null &&
        ok "a pg_cron job runs the pipeline in the $OLD database" || not_ok "scheduling the pg_cron job"
fi

# The report of the old run, before the update.
"$REPORT" -q -d "$DB_OLD" --json "$work/before.json" 2>"$work/report.err" ||
    not_ok "dmine-report on the $OLD database: $(cat "$work/report.err")"

# A dump of the 0.1.0 database, restored below into a database created at the new version.
bindir=${PG_BIN:-$($PG_CONFIG --bindir)}
"$bindir/pg_dump" -d "$DB_OLD" -f "$work/old.sql"

# The update.
if q -d "$DB_OLD" -c "ALTER EXTENSION dmine UPDATE" 2>"$work/update.err"; then
    ok "ALTER EXTENSION dmine UPDATE ($OLD -> $(val "$DB_OLD" "SELECT extversion FROM pg_extension WHERE extname = 'dmine'"))"
else
    not_ok "ALTER EXTENSION dmine UPDATE: $(cat "$work/update.err")"
fi
[ "$(val "$DB_OLD" "SELECT extversion FROM pg_extension WHERE extname = 'dmine'")" = "$NEW" ] &&
    ok "the database is at $NEW" || not_ok "the database is not at $NEW"

# Old models, results and runs, read by the new version.
if q -At -d "$DB_OLD" -f "$ROOT/test/upgrade/check_updated.sql" >"$work/checks" 2>"$work/checks.err"; then
    while IFS='|' read -r what result; do
        [ "$result" = t ] && ok "$what" || not_ok "$what"
    done <"$work/checks"
else
    not_ok "test/upgrade/check_updated.sql: $(cat "$work/checks.err")"
fi

if "$REPORT" -q -d "$DB_OLD" --json "$work/after.json" --out "$work/after.html" 2>"$work/report.err"; then
    ok "dmine-report on the updated database"
    node -e "const a = JSON.parse(require('fs').readFileSync('$work/after.json', 'utf8'));
             const b = JSON.parse(require('fs').readFileSync('$work/before.json', 'utf8'));
             if (a.run.run_id !== b.run.run_id || a.rfm.customers !== b.rfm.customers ||
                 a.clustering.chosen_k !== b.clustering.chosen_k || a.anomalies.anomalies !== b.anomalies.anomalies) process.exit(1)" &&
        ok "the report of the old run reads the same results after the update" ||
        not_ok "the report of the old run changed with the update"
else
    not_ok "dmine-report on the updated database: $(cat "$work/report.err")"
fi

if [ "$has_cron" = 1 ]; then
    cmd=$(val "$cron_db" "SELECT command FROM cron.job WHERE jobname = 'dmine-upgrade-check'")
    [ "$cmd" = "$job_command" ] && ok "the pg_cron job is still scheduled" || not_ok "the pg_cron job is gone"
    if q -d "$DB_OLD" -c "$cmd" >/dev/null 2>"$work/job.err" &&
       [ "$(val "$DB_OLD" "SELECT status FROM dmine.runs ORDER BY run_id DESC LIMIT 1")" = succeeded ]; then
        ok "the job's command mines the warehouse after the update"
    else
        not_ok "the job's command after the update: $(cat "$work/job.err")"
    fi
    q -d "$cron_db" -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'dmine-upgrade-check'" >/dev/null
fi

# 4. A fresh install has the same objects as the updated one.
q -d "$DB_FRESH" -c "CREATE EXTENSION dmine"
if bash "$ROOT/test/upgrade/catalog_diff.sh" "$DB_FRESH" "$DB_OLD" >"$work/catalog.diff" 2>&1; then
    ok "$(tail -1 "$work/catalog.diff")"
else
    cat "$work/catalog.diff"
    not_ok "a fresh $NEW install and an updated one differ (diff above)"
fi

# A 0.1.0 dump restores with the new package: the extension at the new version, the data kept.
q -d "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_RESTORE" -c "CREATE DATABASE $DB_RESTORE"
if q -d "$DB_RESTORE" -f "$work/old.sql" >"$work/restore.log" 2>&1 &&
   [ "$(val "$DB_RESTORE" "SELECT extversion FROM pg_extension WHERE extname = 'dmine'")" = "$NEW" ] &&
   [ "$(val "$DB_RESTORE" "SELECT (SELECT count(dmine.dm_kmeans_info(model)) FROM user_models) * (SELECT count(dmine.dm_iforest_info(model)) FROM user_forests)
                                  || ' ' || (SELECT count(*) FROM dmine.runs WHERE status = 'succeeded')
                                  || ' ' || (SELECT count(*) > 0 FROM dmine.latest_rfm)")" = "8 1 true" ]; then
    ok "a pg_dump of the $OLD database restores with the new package (models, runs and results kept)"
else
    not_ok "restoring a pg_dump of the $OLD database: $(grep -m3 ERROR "$work/restore.log" || tail -3 "$work/restore.log")"
fi
q -d "$ADMIN_DB" -c "DROP DATABASE IF EXISTS $DB_RESTORE"

# 5. DROP EXTENSION leaves nothing behind: no schema, no object of the extension (skipped with
# DMINE_UPGRADE_KEEP=1, which keeps both databases as they are).
if [ "${DMINE_UPGRADE_KEEP:-0}" = 1 ]; then
    echo "# kept: bash test/upgrade/catalog_diff.sh $DB_FRESH $DB_OLD"
else
    leftovers() {
        val "$1" "SELECT string_agg(what, ', ') FROM (
            SELECT 'schema ' || nspname AS what FROM pg_namespace WHERE nspname = 'dmine'
            UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger WHERE evtname LIKE 'dmine%'
            UNION ALL SELECT 'function ' || oid::regprocedure FROM pg_proc WHERE proname LIKE 'dm\_%' OR proname LIKE 'kmeans\_model%'
            UNION ALL SELECT 'type ' || oid::regtype FROM pg_type WHERE typname IN ('kmeans_model', 'iforest_model')) o"
    }
    q -d "$DB_FRESH" -c "DROP EXTENSION dmine"
    left=$(leftovers "$DB_FRESH")
    [ -z "$left" ] && ok "DROP EXTENSION dmine leaves nothing behind (fresh install)" || not_ok "DROP EXTENSION left: $left"
    q -d "$DB_FRESH" -c "CREATE EXTENSION dmine" -c "DROP EXTENSION dmine" -c "CREATE EXTENSION dmine"
    ok "CREATE, DROP and CREATE EXTENSION again"
    # The updated database: the user's models live in public, so the schema goes too.
    q -d "$DB_OLD" -c "DROP TABLE IF EXISTS user_models, user_forests, user_scores" -c "DROP EXTENSION dmine"
    left=$(leftovers "$DB_OLD")
    [ -z "$left" ] && ok "DROP EXTENSION dmine leaves nothing behind (updated install)" || not_ok "DROP EXTENSION left: $left"
    # A table of the user's inside schema dmine keeps the schema (and the table).
    q -d "$DB_FRESH" -c "CREATE TABLE dmine.mine (x int)" -c "DROP EXTENSION dmine"
    [ "$(val "$DB_FRESH" "SELECT count(*) FROM dmine.mine")" = 0 ] &&
        ok "a user's table in schema dmine keeps the schema" || not_ok "a user's table in schema dmine was lost"
    # Dropping another extension leaves dmine's schema a plain schema (not a member).
    q -d "$DB_FRESH" -c "DROP SCHEMA dmine CASCADE" -c "CREATE EXTENSION dmine" -c "CREATE EXTENSION pgtap" -c "DROP EXTENSION pgtap"
    [ "$(val "$DB_FRESH" "SELECT count(*) FROM pg_depend WHERE classid = 'pg_namespace'::regclass AND deptype = 'e'")" = 0 ] &&
        ok "dropping another extension leaves schema dmine as it was" || not_ok "schema dmine is left a member"
fi

echo "upgrade: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
