#!/usr/bin/env bash
# Install what dmine needs from Debian's packages (idempotent; skips what is installed).
source "$(dirname "$0")/lib.sh"

PACKAGES=(
    build-essential cmake clang-format pkg-config
    postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap pgtap postgresql-15-cron
    libpq-dev libeigen3-dev nlohmann-json3-dev libkainjow-mustache-dev
    googletest libgtest-dev libbenchmark-dev
    python3-sklearn python3-pandas python3-psycopg2
    # the forecasting benchmarks and accuracy test: R's forecast package and statsmodels
    r-base-core r-cran-forecast python3-statsmodels
    gzip util-linux
    # Citus, built from its vendored source for the scale-out suite (scripts/citus.sh)
    libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev libicu-dev
)
# The report's browser test needs Chromium; callers ask for it with --browser.
[ "${1:-}" = "--browser" ] && PACKAGES+=(chromium)
# The report's build needs npm: Debian's, unless a Node.js with its own npm is installed (Debian's
# npm package conflicts with such a Node.js).
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts a cluster of its own on install; dmine uses throwaway clusters instead.
