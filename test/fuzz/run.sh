#!/usr/bin/env bash
# The fuzz suite: runs every test/fuzz/*_fuzz.py against the server of the PG* environment, in
# its own database (dmine_fuzz, recreated), and fails when any of them finds a crash, a hang,
# an XX000 or an unreadable value.
#   bash test/fuzz/run.sh [--long] [--seed N] [name ...]   (name: routines, models, cancel, ...)
# The seed (printed first; DMINE_FUZZ_SEED) replays a run; --long (DMINE_FUZZ_LONG=1) runs for
# about 40 minutes instead of 4 (DMINE_FUZZ_TOTAL seconds to choose).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PYTHON=${DMINE_PYTHON:-/usr/bin/python3}
seed=${DMINE_FUZZ_SEED:-}
long=${DMINE_FUZZ_LONG:-0}
only=()
while [ $# -gt 0 ]; do
    case "$1" in
    --long) long=1 ;;
    --seed) seed=$2; shift ;;
    --seed=*) seed=${1#--seed=} ;;
    *) only+=("$1") ;;
    esac
    shift
done
seed=${seed:-$((10#$(date +%s%N | cut -c10-15)))} # base 10: a leading 0 is not octal
if [ "$long" = 1 ]; then total=${DMINE_FUZZ_TOTAL:-2400}; else total=${DMINE_FUZZ_TOTAL:-200}; fi
export PYTHONDONTWRITEBYTECODE=1
export DMINE_FUZZ_SEED=$seed DMINE_FUZZ_LONG=$long DMINE_FUZZ_DB=${DMINE_FUZZ_DB:-dmine_fuzz}
opts=$([ "$long" = 1 ] && echo ' --long' || true)
echo "fuzz: seed $seed ($([ "$long" = 1 ] && echo long || echo default) mode, about $total s);" \
    "replay with: bash test/fuzz/run.sh --seed $seed$opts"

log=${DMINE_CLUSTER:+$DMINE_CLUSTER/server.log}
log_start=0
if [ -n "$log" ] && [ -r "$log" ]; then log_start=$(stat -c %s "$log"); else
    echo "fuzz: no readable server log (DMINE_CLUSTER unset): crashes are seen as lost connections"
fi

psql -q -X -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" \
    -c "DROP DATABASE IF EXISTS $DMINE_FUZZ_DB WITH (FORCE)" -c "CREATE DATABASE $DMINE_FUZZ_DB"
psql -q -X -v ON_ERROR_STOP=1 -d "$DMINE_FUZZ_DB" -f "$here/setup.sql" >/dev/null

scripts=()
for f in "$here"/*_fuzz.py; do
    name=$(basename "$f" _fuzz.py)
    if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " =~ " $name " ]]; then continue; fi
    scripts+=("$f")
done
started=$(date +%s)
passed=0
failed=()
for i in "${!scripts[@]}"; do
    f=${scripts[$i]}
    name=$(basename "$f" _fuzz.py)
    left=$(( total - ($(date +%s) - started) ))
    budget=$(( left / (${#scripts[@]} - i) ))
    [ "$budget" -lt 10 ] && budget=10
    echo "--- fuzz $name (budget ${budget} s)"
    rc=0
    # the systematic part of a script runs whatever its budget: the bound leaves room for it
    bound=$(( budget * 2 + (long == 1 ? 1800 : 120) ))
    DMINE_FUZZ_BUDGET=${DMINE_FUZZ_BUDGET:-$budget} timeout -k 10 $bound \
        "$PYTHON" "$f" || rc=$?
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "FAIL [$name] hang: the script did not end within its wall-clock bound (seed $seed)"
    fi
    if [ "$rc" = 0 ]; then passed=$((passed + 1)); else failed+=("$name"); fi
done

# The server must be up for whatever comes next, and must not have crashed behind our back.
for _ in $(seq 60); do psql -X -q -d "$DMINE_FUZZ_DB" -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done
if [ -n "$log" ] && [ -r "$log" ]; then
    # a worker exiting with code 1 raised an ERROR; any other code, or a signal, is a crash
    crash_re='terminated by signal|was terminated by exception|exited with exit code ([02-9]|1[0-9])|PANIC:'
    crashes=$(tail -c +$((log_start + 1)) "$log" | grep -cE "$crash_re" || true)
    if [ "$crashes" -gt 0 ]; then
        echo "fuzz: the server log reports $crashes crash line(s) during the run:"
        tail -c +$((log_start + 1)) "$log" | grep -E "$crash_re" | head -5
        [ ${#failed[@]} -gt 0 ] || failed+=(server-log)
    fi
fi
echo "fuzz: ${passed} passed, ${#failed[@]} failed (seed $seed)${failed:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
