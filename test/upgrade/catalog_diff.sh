#!/usr/bin/env bash
# Compare dmine's SQL surface in two databases (test/upgrade/catalog.sql): prints a unified diff,
# "-" for what only the first has (a fresh install), "+" for what only the second has (an
# updated one), then the diff of every routine body that differs, and exits non-zero when they
# differ. Uses the PG* variables for the server. Takes about a second.
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
    # Routines present on both sides whose body differs: the bodies' diff (DMINE_CATALOG_BODY_LINES
    # lines at most each, 60 by default).
    sed -n 's/^[-+]routine \(.*\) | kind=.*/\1/p' "$work/diff" | sort | uniq -d | while read -r fn; do
        for db in "$1" "$2"; do
            psql -X -q -At -d "$db" -c "SELECT prosrc FROM pg_catalog.pg_proc WHERE oid = '$fn'::pg_catalog.regprocedure" >"$work/body.$db"
        done
        if ! cmp -s "$work/body.$1" "$work/body.$2"; then
            echo "body of $fn:"
            diff -u --label "$1" --label "$2" "$work/body.$1" "$work/body.$2" | head -n "${DMINE_CATALOG_BODY_LINES:-60}" || true
        fi
    done
    echo "catalog: $1 and $2 differ: $(grep -c '^-[^-]' "$work/diff" || true) lines only in $1, $(grep -c '^+[^+]' "$work/diff" || true) only in $2"
    exit 1
fi
