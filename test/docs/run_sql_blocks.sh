#!/usr/bin/env bash
# Run the ```sql blocks of a Markdown page in order, as written, in a fresh database (with dmine
# installed when the page does not install it, after test/docs/setup/PAGE.sql when there is one:
# the tables the page takes as given), and fail on the first error: the README's tour and the
# docs' examples must run as a reader would paste them. The output a page shows right under a
# block (a plain ``` block) must be what the block prints (test/docs/sql_blocks.py).
#   test/docs/run_sql_blocks.sh README.md [more pages...]
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
for page in "$@"; do
    db="dmine_docs_$(basename "$page" .md | tr -c 'a-zA-Z0-9\n' '_' | tr 'A-Z' 'a-z')"
    # Blocks without a semicolon are signatures (`dm_x(a int, ...) → ...`), not statements.
    sql=$(/usr/bin/python3 test/docs/sql_blocks.py script "$page")
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
    # The tables a page takes as given (test/docs/setup/PAGE.sql: the reference data it quotes).
    setup=test/docs/setup/$(basename "$page" .md).sql
    if [ -f "$setup" ]; then
        psql -q -X -v ON_ERROR_STOP=1 -d "$db" -v data="${DMINE_DATA:-$(cd .. && pwd)/shared/data}" -f "$setup" >/dev/null
    fi
    if printf '%s\n' "$sql" | psql -q -X -v ON_ERROR_STOP=1 -d "$db" >"${TMPDIR:-/tmp}/$db.out" 2>&1; then
        echo "ok - $page: every sql block runs as written"
        # The output a page shows under a block is what it prints.
        if /usr/bin/python3 test/docs/sql_blocks.py check "$page" "${TMPDIR:-/tmp}/$db.out"; then
            echo "ok - $page: every output shown is what its block prints"
        else
            echo "not ok - $page: an output shown is not what its block prints"
            status=1
        fi
    else
        echo "not ok - $page: a sql block fails:"
        tail -20 "${TMPDIR:-/tmp}/$db.out"
        status=1
    fi
    psql -q -X -d postgres -c "DROP DATABASE IF EXISTS $db" || true
done
exit $status
