#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for dmine: `cluster.sh start` prints shell lines to eval
# (PGHOST, PGPORT, PGUSER, PGDATABASE, DMINE_CLUSTER); `cluster.sh stop` stops and removes it.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the user `dmine`.
source "$(dirname "$0")/lib.sh"

PORT=${DMINE_PORT:-54329}
DB=${DMINE_DB:-dmine}

owner() { if [ "$(id -u)" = 0 ]; then echo dmine; else id -un; fi; }
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u dmine -- "$@"; else "$@"; fi
}

start() {
    if [ "$(id -u)" = 0 ] && ! id dmine >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin dmine
    fi
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/dmine-pg.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown dmine "$dir"
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U "$(owner)" --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $PORT
unix_socket_directories = '$dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$DB'
cron.host = '$dir'
max_worker_processes = 16
max_parallel_workers_per_gather = 2
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
logging_collector = off
CONF
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ||
        { cat "$dir/server.log" >&2; die "server did not start"; }
    as_owner "$PG_BIN/createdb" -h "$dir" -p "$PORT" -U "$(owner)" "$DB"
    echo "export PGHOST='$dir' PGPORT='$PORT' PGUSER='$(owner)' PGDATABASE='$DB' DMINE_CLUSTER='$dir'"
}

stop() {
    local dir=${DMINE_CLUSTER:-}
    [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: cluster.sh start|stop" ;;
esac
