#!/usr/bin/env bash
# Build the kernels and unit tests (CMake) and the extension (PGXS), and install the extension.
# dmine-report goes into $DMINE_PREFIX/bin (default /usr/local/bin, on the PATH).
# A lock serialises concurrent builds of the same tree.
source "$(dirname "$0")/lib.sh"
cd "$DMINE_ROOT"

BUILD_DIR=${DMINE_BUILD_DIR:-$DMINE_ROOT/build}
exec 9>"${TMPDIR:-/tmp}/dmine-build.lock"
flock 9

say "building kernels and unit tests in $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release ${DMINE_CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null

say "building and installing the extension"
make -s -j"$(nproc)" PG_CONFIG="$PG_CONFIG" >/dev/null
as_root make -s install PG_CONFIG="$PG_CONFIG" >/dev/null

say "installing dmine-report into ${DMINE_PREFIX:-/usr/local}/bin"
as_root cmake --install "$BUILD_DIR" --prefix "${DMINE_PREFIX:-/usr/local}" >/dev/null
