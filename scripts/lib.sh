# Shared helpers for dmine's scripts (sourced, not run).
set -euo pipefail

DMINE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
# Debian's Python with scikit-learn, pandas and psycopg2 (another python3 may come first on PATH).
DMINE_PYTHON=${DMINE_PYTHON:-/usr/bin/python3}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as root (directly, or with sudo when we are not root).
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
