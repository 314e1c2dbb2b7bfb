#!/usr/bin/env bash
# End-to-end test of dmine-report: result tables → report → headless Chromium.
#
#   bash report/test/e2e.sh
#
# Needs the PG* variables of a running server (as scripts/cluster.sh exports them), a built
# dmine-report (DMINE_BUILD_DIR, default build/), Debian's chromium and node/npm. It
#  1. loads report/test/fixture.sql (a succeeded and a failed run) into its own database,
#  2. when the installed extension has the pipeline, also mines a small demo warehouse with
#     CALL dmine.run_mining(...) in another database,
#  3. writes the reports (HTML, CSV, JSON), checks the error exits, and
#  4. opens every report in headless Chromium (report/test/browser_check.mjs): no console errors,
#     no network access, every section present, every chart drawn, tooltips and zoom work.
# Reports and screenshots are kept in test/artifacts/report/. Set DMINE_REPORT_SCREENSHOT=FILE to
# also write the picture used by docs/report.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${DMINE_BUILD_DIR:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
REPORT=${DMINE_REPORT:-$BUILD/report/dmine-report}
ART=$ROOT/test/artifacts/report
DB_FIXTURE=dmine_report_e2e
DB_PIPELINE=dmine_report_e2e_pipeline
DB_LEGACY=dmine_report_e2e_legacy

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # check "what" command...
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else not_ok "$what"; fi
}
die() { echo "e2e: $*" >&2; exit 1; }

[ -x "$REPORT" ] || die "no dmine-report at $REPORT (build first: bash scripts/build.sh)"
command -v "${CHROMIUM:-chromium}" >/dev/null || [ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
    die "Chromium is missing (bash scripts/setup.sh --browser)"
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are missing"
psql -X -Atqc 'SELECT 1' -d "${PGDATABASE:-postgres}" >/dev/null || die "no server (set the PG* variables)"

rm -rf "$ART"
mkdir -p "$ART"

# The browser driver (playwright-core, no browser download) next to the build, installed once
# per package-lock.json.
NODE_DIR=$BUILD/report/e2e-node
if ! cmp -s "$ROOT/report/package-lock.json" "$NODE_DIR/package-lock.json" || [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
    echo "# installing the browser driver (npm ci)"
    mkdir -p "$NODE_DIR"
    cp "$ROOT/report/package.json" "$ROOT/report/package-lock.json" "$NODE_DIR/"
    (cd "$NODE_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB_FIXTURE" -c "DROP DATABASE IF EXISTS $DB_PIPELINE" \
        -c "DROP DATABASE IF EXISTS $DB_LEGACY" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# 1. The fixture.
echo "# loading the fixture into database $DB_FIXTURE"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB_FIXTURE" -c "CREATE DATABASE $DB_FIXTURE" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d "$DB_FIXTURE" -f "$ROOT/report/test/fixture.sql" >/dev/null

# 3. Reports, exports and errors.
browser_args=()
if "$REPORT" -d "$DB_FIXTURE" --out "$ART/fixture-latest.html" --json "$ART/fixture-latest.json" \
        --csv "$ART/csv" 2>"$ART/fixture-latest.log"; then
    ok "report of the latest successful run"
    browser_args+=("$ART/fixture-latest.html:complete,explore,findings=8")
else
    not_ok "report of the latest successful run: $(tail -1 "$ART/fixture-latest.log")"
fi
check "progress on stderr" grep -q "reading the results of run 1" "$ART/fixture-latest.log"
check "the latest successful run is run 1" grep -q '"run_id": 1,' "$ART/fixture-latest.json"
check "JSON report data parses" node -e "JSON.parse(require('fs').readFileSync('$ART/fixture-latest.json', 'utf8'))"
check "one CSV file per table" test "$(ls "$ART/csv"/*.csv | wc -l)" -eq 16
check "the JSON has the trends and breakdowns" node -e "const j = JSON.parse(require('fs').readFileSync('$ART/fixture-latest.json', 'utf8'));
    if (!(j.trends.points.length > 800 && j.breakdowns.rows.length > 400 && j.findings.length >= 8)) process.exit(1)"
check "CSV of the RFM result has a header and 1,200 customers" \
    test "$(head -1 "$ART/csv/result_rfm.csv" | cut -c1-20)" = "run_id,customer_key," -a "$(wc -l <"$ART/csv/result_rfm.csv")" -eq 1201

if "$REPORT" -q --run 2 --out "$ART/fixture-failed-run.html" "dbname=$DB_FIXTURE" 2>"$ART/fixture-failed-run.log"; then
    ok "report of a failed run (--run 2)"
    browser_args+=("$ART/fixture-failed-run.html:failed=anomalies")
else
    not_ok "report of a failed run: $(tail -1 "$ART/fixture-failed-run.log")"
fi
check "the failed run's report names the error" grep -q "statement timeout" "$ART/fixture-failed-run.html"

# An older database: no exploration tables, no profile role.
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB_LEGACY" -c "CREATE DATABASE $DB_LEGACY TEMPLATE $DB_FIXTURE" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d "$DB_LEGACY" -c "DROP TABLE dmine.result_trends, dmine.result_seasonality,
    dmine.result_heatmap, dmine.result_breakdowns, dmine.result_concentration" \
    -c "ALTER TABLE dmine.result_profile DROP COLUMN role" >/dev/null
if "$REPORT" -q -d "$DB_LEGACY" --out "$ART/fixture-legacy.html" 2>"$ART/fixture-legacy.log"; then
    ok "report of a database without the exploration tables"
    browser_args+=("$ART/fixture-legacy.html:complete,legacy,findings=3")
else
    not_ok "report of a database without the exploration tables: $(tail -1 "$ART/fixture-legacy.log")"
fi
check "the older database's report has no trends section" bash -c "! grep -q 'id=\"trends\"' '$ART/fixture-legacy.html'"

one_line_error() { # one_line_error "what" expected-pattern args...
    local what=$1 pattern=$2; shift 2
    local rc=0
    "$REPORT" "$@" >"$ART/error.out" 2>"$ART/error.err" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$(grep -vc '^dmine-report: \[' "$ART/error.err")" -eq 1 ] && grep -q "$pattern" "$ART/error.err"; then
        ok "$what: exit $rc, $(grep -v '^dmine-report: \[' "$ART/error.err")"
    else
        not_ok "$what (exit $rc): $(cat "$ART/error.err")"
    fi
}
one_line_error "no such run" "run 99 does not exist" -d "$DB_FIXTURE" --run 99 --out "$ART/none.html"
one_line_error "no dmine schema" "no schema dmine" -d postgres --out "$ART/none.html"
one_line_error "no connection" "cannot connect" -h /nonexistent -d "$DB_FIXTURE" --out "$ART/none.html"
one_line_error "no password on the command line" "refusing a password" "dbname=$DB_FIXTURE password=x" --out "$ART/none.html"
psql -X -q -d "$DB_FIXTURE" -c "UPDATE dmine.runs SET status = 'failed' WHERE run_id = 1" >/dev/null
one_line_error "no successful run" "no successful run" -d "$DB_FIXTURE" --out "$ART/none.html"
one_line_error "an output directory that does not exist" "cannot write /nonexistent/dir/r.html: No such file or directory" \
    -d "$DB_FIXTURE" --run 2 --out /nonexistent/dir/r.html
check "no report file is left behind by the errors" test ! -e "$ART/none.html"

# Counts are JSON integers (694, not 694.0).
check "the JSON export writes counts as integers" "${DMINE_PYTHON:-/usr/bin/python3}" "$ROOT/report/test/json_counts.py" "$ART/fixture-latest.json"

# The version is the extension's, and the install step put the tool on the PATH.
control_version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$ROOT/dmine.control")
package_version=$(psql -X -Atq -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'dmine'" 2>/dev/null || true)
tool_version=$("$REPORT" --version | awk '{print $2}')
if [ "$tool_version" = "$control_version" ] && [ "$tool_version" = "$package_version" ]; then
    ok "dmine-report --version is the extension's version ($tool_version)"
else
    not_ok "dmine-report --version says $tool_version, dmine.control $control_version, the installed extension $package_version"
fi
installed=$(command -v dmine-report || true)
if [ -n "$installed" ] && [ "$("$installed" --version)" = "$("$REPORT" --version)" ]; then
    ok "dmine-report is installed on the PATH ($installed)"
else
    not_ok "dmine-report is not installed on the PATH (bash scripts/build.sh installs it): ${installed:-not found}"
fi

# A custom template.
printf 'run {{run.id}} of {{run.warehouse_name}}: {{#steps}}{{name}}={{status}} {{/steps}}\n' >"$ART/custom.mustache"
"$REPORT" -q -d "$DB_FIXTURE" --run 2 --template "$ART/custom.mustache" --out "$ART/custom.txt" || true
check "--template renders a custom template" grep -q "^run 2 of shop.sales: profile=succeeded" "$ART/custom.txt"

# 2. The real pipeline on a small demo warehouse, when the installed extension has it.
has_pipeline=$(psql -X -Atq -d postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'dmine'" 2>/dev/null || echo 0)
if [ "$has_pipeline" = 1 ]; then
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB_PIPELINE" -c "CREATE DATABASE $DB_PIPELINE" >/dev/null 2>&1
    psql -X -q -d "$DB_PIPELINE" -c "CREATE EXTENSION dmine" >/dev/null 2>&1 || true
    has_pipeline=$(psql -X -Atq -d "$DB_PIPELINE" -c "SELECT to_regproc('dmine.create_demo_warehouse') IS NOT NULL
        AND EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'dmine' AND p.proname = 'run_mining')" 2>/dev/null || echo f)
fi
pipeline_report=
if [ "$has_pipeline" = t ]; then
    echo "# mining a small demo warehouse in database $DB_PIPELINE"
    if psql -X -q -v ON_ERROR_STOP=1 -d "$DB_PIPELINE" \
            -c "SELECT count(*) FROM dmine.create_demo_warehouse('erp_demo', ${DMINE_REPORT_DEMO_SCALE:-0.02})" \
            -c "CALL dmine.run_mining('erp_demo', options => '{\"currency\": \"EUR\"}')" >"$ART/pipeline.log" 2>&1; then
        ok "the pipeline mined the demo warehouse"
        if "$REPORT" -d "$DB_PIPELINE" --out "$ART/pipeline.html" --json "$ART/pipeline.json" 2>>"$ART/pipeline.log"; then
            ok "report of the pipeline's run"
            browser_args+=("$ART/pipeline.html:complete,explore,forecast,findings=6")
            pipeline_report=1
            check "the pipeline's report shows amounts in the mapping's currency (EUR)" grep -q '[0-9] EUR' "$ART/pipeline.html"
            check "the pipeline's JSON has the forecasts (history and 12 months ahead)" node -e "const j = JSON.parse(require('fs').readFileSync('$ART/pipeline.json', 'utf8'));
                const r = j.forecasts.rows.filter((x) => x.dimension === 'total');
                if (!(r.filter((x) => x.step > 0).length === 12 && r.filter((x) => x.step <= 0).length >= 12)) process.exit(1)"
            check "the pipeline's report has the forecast section" grep -q 'id="forecast"' "$ART/pipeline.html"
        else
            not_ok "report of the pipeline's run: $(tail -1 "$ART/pipeline.log")"
        fi
    else
        not_ok "the pipeline mined the demo warehouse: $(tail -3 "$ART/pipeline.log")"
    fi
else
    echo "# skipped: the installed dmine has no pipeline (run_mining, create_demo_warehouse)"
fi

# 4. The browser. The pictures for the docs show the fixture's report of run 1.
if [ -n "${DMINE_REPORT_SCREENSHOT:-}" ] && [ ${#browser_args[@]} -gt 0 ]; then
    browser_args[0]="${browser_args[0]},screenshot=$DMINE_REPORT_SCREENSHOT"
fi
if [ ${#browser_args[@]} -gt 0 ]; then
    out=$(node "$ROOT/report/test/browser_check.mjs" --node-modules "$NODE_DIR/node_modules" --out "$ART" \
              "${browser_args[@]}" 2>&1) || true
    echo "$out" | grep -v '^browser: '
    summary=$(echo "$out" | sed -n 's/^browser: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
    if [ -n "$summary" ]; then
        passed=$((passed + ${summary% *}))
        failed=$((failed + ${summary#* }))
    else
        not_ok "the browser check ran"
    fi
fi

echo "# reports and screenshots in ${ART#$ROOT/}/"
echo "report e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
