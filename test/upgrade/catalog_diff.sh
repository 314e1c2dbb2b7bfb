#!/usr/bin/env bash
# Compare dmine's SQL surface in two databases (test/upgrade/catalog.sql): prints a unified diff,
# "-" for what only the first has (a fresh install), "+" for what only the second has (an
# updated one), and exits non-zero when they differ. Uses the PG* variables for the server.
#
#   bash test/upgrade/catalog_diff.sh FRESH_DB UPDATED_DB
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 FRESH_DB UPDATED_DB" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dmine-catalog.XXXXXX")
trap 'rm -rf "$work"' EXIT
for db in "$1" "$2"; do
    psql -X -q -d "$db" -f "$here/catalog.sql" >"$work/$db.txt"
    [ -s "$work/$db.txt" ] || { echo "catalog: dmine is not installed in database $db" >&2; exit 2; }
done
if diff -U0 --label "fresh install ($1)" --label "updated install ($2)" "$work/$1.txt" "$work/$2.txt" >"$work/diff"; then
    echo "catalog: $1 and $2 have the same dmine objects ($(wc -l <"$work/$1.txt") lines compared)"
else
    grep -v '^@@' "$work/diff"
    echo "catalog: $1 and $2 differ: $(grep -c '^-[^-]' "$work/diff" || true) lines only in $1, $(grep -c '^+[^+]' "$work/diff" || true) only in $2"
    exit 1
fi
