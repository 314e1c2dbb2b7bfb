#!/usr/bin/env bash
# The Citus suite: installs Citus when missing (scripts/citus.sh), starts a coordinator and two
# workers, creates dmine and pgtap (Citus propagates both to the workers), loads the fixtures
# (setup.sql) and runs the pgTAP files of test/citus (or DMINE_CITUS_FILES) on the coordinator.
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$DMINE_ROOT"

bash scripts/citus.sh install
env_lines=$(bash scripts/citus.sh start)
eval "$env_lines"
trap 'bash scripts/citus.sh stop' EXIT
export PGHOST PGPORT PGUSER PGDATABASE

say "Citus: fixtures (two warehouses and a planted set, local copies and distributed tables)"
psql -q -X -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION dmine' -c 'CREATE EXTENSION pgtap'
psql -q -X -v ON_ERROR_STOP=1 -f test/citus/setup.sql >/dev/null
psql -q -X -v ON_ERROR_STOP=1 -f test/citus/helpers.sql >/dev/null

say "Citus: pushdown, results against single-node, pipeline (pgTAP)"
pg_prove --ext .sql ${DMINE_CITUS_FILES:-test/citus/[a-z]*_test.sql}
