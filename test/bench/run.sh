#!/usr/bin/env bash
# Run benchmarks: `test/bench/run.sh [stats|kmeans|iforest|pipeline|exploration ...]` (default: all).
# Builds and installs dmine, starts a throwaway cluster unless PGHOST and PGDATABASE are set,
# and runs each test/bench/NAME_bench.py with Debian's Python (scikit-learn, pandas, psycopg2).
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$DMINE_ROOT"

bash scripts/setup.sh
bash scripts/build.sh
if [ -n "${PGHOST:-}" ] && [ -n "${PGDATABASE:-}" ]; then
    say "using the server at PGHOST=$PGHOST"
else
    eval "$(DMINE_PORT=${DMINE_PORT:-54339} bash scripts/cluster.sh start)"
    trap 'bash scripts/cluster.sh stop' EXIT
fi
psql -q -X -c 'CREATE EXTENSION IF NOT EXISTS dmine'

names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(ls test/bench/*_bench.py | xargs -n1 basename | sed 's/_bench.py//'))
for name in "${names[@]}"; do
    say "benchmark: $name"
    PYTHONPATH=test/bench "$DMINE_PYTHON" "test/bench/${name}_bench.py"
done
