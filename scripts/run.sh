#!/usr/bin/env bash
# The main job: install what is missing, build and install dmine, start a throwaway cluster
# (unless PGHOST and PGDATABASE name a server to use), and mine a generated table.
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

say "exploratory statistics over a generated table"
psql -X -v ON_ERROR_STOP=1 -f scripts/sql/explore_demo.sql
