#!/usr/bin/env bash
# The main job: install what is missing, build and install dmine, start a throwaway cluster
# (unless PGHOST and PGDATABASE name a server to use), build the demo ERP warehouse (about one
# million sales lines; DMINE_DEMO_SCALE=0.1 for a tenth) and run the mining pipeline on it
# (DMINE_MODE=quick for the sampled run).
source "$(dirname "$0")/lib.sh"
cd "$DMINE_ROOT"

bash scripts/setup.sh
bash scripts/build.sh

if [ -n "${PGHOST:-}" ] && [ -n "${PGDATABASE:-}" ]; then
    say "using the server at PGHOST=$PGHOST"
else
    eval "$(bash scripts/cluster.sh start)"
    trap 'bash scripts/cluster.sh stop' EXIT
fi

say "the demo ERP warehouse and the mining pipeline on it (scripts/sql/pipeline_tour.sql)"
psql -X -v ON_ERROR_STOP=1 -v scale="${DMINE_DEMO_SCALE:-1}" -v mode="${DMINE_MODE:-full}" \
    -f scripts/sql/pipeline_tour.sql

# report: generated here
say "the mining report (dmine-report)"
report=${DMINE_REPORT_OUT:-$DMINE_ROOT/out/report.html}
mkdir -p "$(dirname "$report")"
"${DMINE_BUILD_DIR:-$DMINE_ROOT/build}/report/dmine-report" --out "$report"
say "report: $report (one self-contained HTML file: open it in any browser, offline too)"
