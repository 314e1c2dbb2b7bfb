#!/usr/bin/env bash
# Run every dmine test suite: C++ unit tests (CTest), pg_regress (make installcheck), pgTAP
# (pg_prove), the upgrade from 0.1.0 (test/upgrade), the fuzz suite (test/fuzz), the forecast
# accuracy against R, the report end to end, the pg_cron check and the Citus suite (test/citus, on
# a coordinator and two workers of its own).
# Installs what is missing, builds, starts a throwaway cluster unless PGHOST and PGDATABASE
# name a server to use, and exits non-zero when any suite fails.
source "$(dirname "$0")/lib.sh"
cd "$DMINE_ROOT"

export DMINE_DATA=${DMINE_DATA:-$(cd "$DMINE_ROOT/.." && pwd)/shared/data}
failed=()

bash scripts/setup.sh --browser
bash scripts/build.sh

say "unit tests (CTest)"
ctest --test-dir "${DMINE_BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" || failed+=(unit)

if [ -n "${PGHOST:-}" ] && [ -n "${PGDATABASE:-}" ]; then
    say "using the server at PGHOST=$PGHOST"
else
    eval "$(bash scripts/cluster.sh start)"
    trap 'bash scripts/cluster.sh stop' EXIT
fi

say "regression tests (pg_regress)"
make -s installcheck PG_CONFIG="$PG_CONFIG" || { failed+=(regress); cat regression.diffs 2>/dev/null | head -200; }


say "behaviour tests (pgTAP)"
tap_db=dmine_tap
psql -q -X -v ON_ERROR_STOP=1 -d "${PGDATABASE}" -c "DROP DATABASE IF EXISTS $tap_db" -c "CREATE DATABASE $tap_db"
psql -q -X -v ON_ERROR_STOP=1 -d "$tap_db" -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION dmine'
psql -q -X -v ON_ERROR_STOP=1 -d "$tap_db" -v data="$DMINE_DATA" -f test/pgtap/setup/helpers.sql
pg_prove --ext .sql -d "$tap_db" -S "data=$DMINE_DATA" -S "root=$DMINE_ROOT" \
    ${DMINE_TAP_FILES:-test/pgtap/*.sql} || failed+=(pgtap)

# The pipeline, warehouse, exploration, memory, context-anomaly and forecast tests again, in a
# fresh database, at the memory settings of a server nobody tuned (Debian's defaults;
# shared_buffers stays the cluster's).
if [ -z "${DMINE_TAP_FILES:-}" ]; then
    say "behaviour tests at PostgreSQL's default memory settings (pgTAP)"
    psql -q -X -v ON_ERROR_STOP=1 -d "${PGDATABASE}" -c "DROP DATABASE IF EXISTS ${tap_db}_defaults" \
        -c "CREATE DATABASE ${tap_db}_defaults"
    psql -q -X -v ON_ERROR_STOP=1 -d "${tap_db}_defaults" -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION dmine'
    psql -q -X -v ON_ERROR_STOP=1 -d "${tap_db}_defaults" -v data="$DMINE_DATA" -f test/pgtap/setup/helpers.sql
    PGOPTIONS="-c work_mem=4MB -c maintenance_work_mem=64MB -c hash_mem_multiplier=2 -c effective_cache_size=4GB" \
        pg_prove --ext .sql -d "${tap_db}_defaults" -S "data=$DMINE_DATA" -S "root=$DMINE_ROOT" \
        test/pgtap/{pipeline,pipeline_bad_values,warehouse,trends,breakdowns,memory,context,forecast}.sql || failed+=(pgtap)
fi

# Models fitted on extreme values survive pg_dump, pg_restore and binary COPY (counts as pgTAP).
say "dump and restore of stored models (test/dump/check.sh)"
bash test/dump/check.sh || failed+=(pgtap)

# run_mining from psycopg2 and psql, in and out of autocommit (counts as pgTAP).
say "run_mining from a driver (test/drivers/check.py)"
/usr/bin/python3 test/drivers/check.py || failed+=(pgtap)

# The upgrade path: a 0.1.0 database filled, updated with ALTER EXTENSION dmine UPDATE and
# checked; a fresh install and the updated one compared object by object; DROP EXTENSION.
# The comparison alone: bash test/upgrade/catalog_diff.sh FRESH_DB UPDATED_DB.
say "upgrade from 0.1.0 (test/upgrade/check.sh)"
bash test/upgrade/check.sh || failed+=(upgrade)

# Hostile arguments, mutated models, cancels and kills, in its own database (dmine_fuzz); a few
# minutes. It prints its seed: `bash test/fuzz/run.sh --seed N` replays a failure.
say "fuzz suite (test/fuzz)"
bash test/fuzz/run.sh || failed+=(fuzz)

# The README's tour and the examples of the docs, as a reader would paste them into psql, with
# the outputs they show.
say "docs (the SQL of the README and of the docs pages, as written)"
bash test/docs/run_sql_blocks.sh README.md docs/clustering.md docs/exploration.md docs/pipeline.md docs/results.md \
    docs/rfm.md docs/statistics.md docs/anomaly.md docs/forecasting.md docs/summaries.md || failed+=(docs)

# Forecast accuracy on Debian's public series against R's forecast::ets (the quality bars).
say "forecast accuracy against R (test/bench/forecast_accuracy.py --check)"
PGDATABASE=$tap_db PYTHONPATH=test/bench "${DMINE_PYTHON:-/usr/bin/python3}" test/bench/forecast_accuracy.py --check || failed+=(accuracy)

# The report tool end to end: fixture and demo pipeline → dmine-report → headless Chromium.
say "report (dmine-report in headless Chromium)"
bash report/test/e2e.sh || failed+=(report)

# Scheduled just before the wait: pg_cron 1.4's scheduler can miss a job created before a burst
# of DDL (the suites above), and then never starts it.
say "pg_cron: schedule a mining run and wait for it"
psql -q -X -v ON_ERROR_STOP=1 -f test/cron/schedule.sql &&
    psql -q -X -v ON_ERROR_STOP=1 -f test/cron/check.sql || failed+=(cron)

# Scale-out: a Citus coordinator and two workers of their own (Citus built when missing).
say "citus: aggregates pushed down, rollups and the pipeline on distributed tables (test/citus)"
bash test/citus/run.sh || failed+=(citus)

# the cron check may fail twice but counts once
suite_names=(unit regress pgtap upgrade fuzz docs accuracy report cron citus)
suites=${#suite_names[@]}
failed_count=$(printf '%s\n' "${failed[@]}" | sort -u | grep -c . || true)
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED suites: $(printf '%s\n' "${failed[@]}" | sort -u | tr '\n' ' ')"
    echo "suites: $((suites - failed_count)) passed, $failed_count failed"
    exit 1
fi
echo "suites: $suites passed, 0 failed"
