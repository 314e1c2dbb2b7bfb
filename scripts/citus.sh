#!/usr/bin/env bash
# Citus for dmine's scale-out tests.
#   citus.sh install   build Citus 13.2.2 from the vendored source (cached) and install it into
#                      the PostgreSQL tree of $PG_CONFIG, unless it is installed there already
#   citus.sh start     install, then start a coordinator and two workers on loopback ports
#                      (DMINE_CITUS_PORT, default DMINE_PORT + 1, then +1, +2) and print shell lines to eval (PGHOST, PGPORT,
#                      PGUSER, PGDATABASE, DMINE_CITUS_CLUSTER, DMINE_CITUS_WORKER_PORTS)
#   citus.sh stop      stop the three servers and remove their data
# PostgreSQL refuses to run as root, so as root the servers belong to the user `dmine`.
source "$(dirname "$0")/lib.sh"

CITUS_VERSION=13.2.2
CITUS_SHA256=dd2453caec20a830e5e63f1def5c5a98cb6f57ae510407cdcd800916fcdab430
# Beside the single-node cluster of scripts/cluster.sh (DMINE_PORT), which may run at the same time.
PORT=${DMINE_CITUS_PORT:-$((${DMINE_PORT:-54329} + 1))}
DB=${DMINE_DB:-dmine}
WORKERS=2

citus_src() {
    local d
    for d in "${DMINE_CITUS_SRC:-}" "$DMINE_ROOT/../shared/vendor/citus"; do
        [ -n "$d" ] && [ -f "$d/citus-$CITUS_VERSION.tar.gz" ] && { echo "$d"; return; }
    done
    die "citus-$CITUS_VERSION.tar.gz not found (set DMINE_CITUS_SRC to its folder)"
}

installed() {
    [ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] &&
        [ -f "$("$PG_CONFIG" --sharedir)/extension/citus.control" ]
}

# The build is cached per PostgreSQL tree: a second install (or a fresh tree) only copies files.
install_citus() {
    installed && return 0
    local src cache key
    src=$(citus_src)
    echo "$CITUS_SHA256  $src/citus-$CITUS_VERSION.tar.gz" | sha256sum -c --quiet - ||
        die "citus-$CITUS_VERSION.tar.gz: checksum mismatch"
    key=$(printf '%s %s' "$CITUS_VERSION" "$("$PG_CONFIG" --bindir)" | sha256sum | cut -c1-12)
    cache=${DMINE_CITUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dmine/citus-$CITUS_VERSION-$key}
    if [ ! -f "$cache/.built" ]; then
        say "building Citus $CITUS_VERSION against $("$PG_CONFIG" --version) (about a minute)"
        rm -rf "$cache"
        mkdir -p "$cache"
        tar -xzf "$src/citus-$CITUS_VERSION.tar.gz" -C "$cache" --strip-components=1
        (cd "$cache" && patch -s -p1 <"$src/pg15.20-have-createdb-privilege.patch")
        (cd "$cache" && ./configure -q PG_CONFIG="$PG_CONFIG" >configure.log 2>&1) ||
            { tail -30 "$cache/configure.log" >&2; die "Citus configure failed"; }
        make -C "$cache" -s -j"${DMINE_JOBS:-2}" >"$cache/build.log" 2>&1 ||
            { tail -40 "$cache/build.log" >&2; die "Citus build failed"; }
        touch "$cache/.built"
    fi
    say "installing Citus $CITUS_VERSION into $("$PG_CONFIG" --pkglibdir)"
    local w=()
    [ -w "$("$PG_CONFIG" --pkglibdir)" ] || w=(as_root)
    "${w[@]}" make -C "$cache" -s install >"$cache/install.log" 2>&1 ||
        { tail -20 "$cache/install.log" >&2; die "Citus install failed"; }
}

owner() { if [ "$(id -u)" = 0 ]; then echo dmine; else id -un; fi; }
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u dmine -- "$@"; else "$@"; fi
}

# One server of the cluster: initdb, citus preloaded, loopback TCP only, then the database.
start_node() {
    local dir=$1 name=$2 port=$3
    as_owner "$PG_BIN/initdb" -D "$dir/$name" -U "$(owner)" --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$dir/$name-initdb.log" 2>&1 || { cat "$dir/$name-initdb.log" >&2; die "initdb $name failed"; }
    cat >>"$dir/$name/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
max_worker_processes = 16
max_connections = 100
max_parallel_workers_per_gather = 0
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 128MB
work_mem = 64MB
maintenance_work_mem = 128MB
logging_collector = off
citus.enable_statistics_collection = off
citus.log_remote_commands = off
CONF
    as_owner "$PG_BIN/pg_ctl" -D "$dir/$name" -l "$dir/$name.log" -w -t 60 start >/dev/null ||
        { cat "$dir/$name.log" >&2; die "$name did not start"; }
    as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$(owner)" "$DB"
    as_owner "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$(owner)" -d "$DB" \
        -c 'CREATE EXTENSION citus' >/dev/null
}

start() {
    install_citus
    if [ "$(id -u)" = 0 ] && ! id dmine >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin dmine
    fi
    local dir i ports=()
    dir=$(mktemp -d "${TMPDIR:-/tmp}/dmine-citus.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown dmine "$dir"
    start_node "$dir" coordinator "$PORT"
    for i in $(seq 1 $WORKERS); do
        start_node "$dir" "worker$i" $((PORT + i))
        ports+=($((PORT + i)))
    done
    local sql="SELECT citus_set_coordinator_host('127.0.0.1', $PORT);"
    for i in "${ports[@]}"; do sql+="SELECT citus_add_node('127.0.0.1', $i);"; done
    as_owner "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$(owner)" -d "$DB" \
        -c "$sql" >/dev/null
    echo "export PGHOST='127.0.0.1' PGPORT='$PORT' PGUSER='$(owner)' PGDATABASE='$DB'" \
        "DMINE_CITUS_CLUSTER='$dir' DMINE_CITUS_WORKER_PORTS='${ports[*]}'"
}

stop() {
    local dir=${DMINE_CITUS_CLUSTER:-} n
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    for n in "$dir"/coordinator "$dir"/worker*; do
        [ -d "$n" ] && as_owner "$PG_BIN/pg_ctl" -D "$n" -m fast -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
}

case "${1:-}" in
install) install_citus ;;
start) start ;;
stop) stop ;;
*) die "usage: citus.sh install|start|stop" ;;
esac
