#!/usr/bin/env bash
# Run the ```sql blocks of a Markdown page in order, as written, in a fresh database (with dmine
# installed when the page does not install it), and fail on the first error: the README's tour (and the docs' examples) must run as a reader would paste them.
#   test/docs/run_sql_blocks.sh README.md [more pages...]
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
for page in "$@"; do
    db="dmine_docs_$(basename "$page" .md | tr -c 'a-zA-Z0-9\n' '_' | tr 'A-Z' 'a-z')"
    # Blocks without a semicolon are signatures (`dm_x(a int, ...) → ...`), not statements.
    sql=$(awk '/^```sql[[:space:]]*$/ {on=1; block=""; next}
               /^```/ && on {on=0; if (block ~ /;/) printf "%s", block; next}
               on {block = block $0 "\n"}' "$page")
    if [ -z "$sql" ]; then
        echo "not ok - $page: no sql block"
        status=1
        continue
    fi
    psql -q -X -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    # A page that does not install the extension itself reads as if it were installed.
    if ! grep -qi '^CREATE EXTENSION dmine' <<<"$sql"; then
        psql -q -X -d "$db" -c "CREATE EXTENSION dmine"
    fi
    if printf '%s\n' "$sql" | psql -q -X -v ON_ERROR_STOP=1 -d "$db" >"${TMPDIR:-/tmp}/$db.out" 2>&1; then
        echo "ok - $page: every sql block runs as written"
    else
        echo "not ok - $page: a sql block fails:"
        tail -20 "${TMPDIR:-/tmp}/$db.out"
        status=1
    fi
    psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $db" || true
done
exit $status
