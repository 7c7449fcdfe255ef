#!/usr/bin/env bash
# A dedicated, throw-away PostgreSQL cluster for the test suite (docs/adr/0006).
#
#   tools/pg.sh ensure   install PostgreSQL if missing (apt), create and start the test cluster,
#                        create role yibao / database yibao_test; print the URL on stdout.
#   tools/pg.sh stop     stop the test cluster if it runs (fast mode); other clusters untouched.
#   tools/pg.sh url      print the URL.
#   tools/pg.sh status   exit 0 if the test cluster runs, 1 if not.
#
# Layout: state (locks, the autostop marker, the chosen location) in <project>/var/pgtest/; the
# cluster itself (data/, server.log), owned by the user `postgres`, in /dev/shm/yibao-pgtest-<hash
# of the project path> (RAM, when /dev/shm is a tmpfs with room), else <project>/var/pgtest/cluster,
# else — when `postgres` cannot reach the project (under /root, say) — /var/tmp/yibao-pgtest-<hash>.
# The server listens on 127.0.0.1:${YIBAO_PG_PORT:-55432} only; its Unix socket lives in the data
# directory. fsync, synchronous_commit and full_page_writes are off: test data only.
#
# Environment: YIBAO_PG_PORT (default 55432); YIBAO_PG_TMPFS=0 keeps a new cluster off /dev/shm;
# YIBAO_PG_AUTOSTOP=1 marks a cluster started by this call as started by the tests, so that the
# test session stops it at its end (var/pgtest/autostop).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd /  # the postgres user may not be able to read the caller's working directory

PORT="${YIBAO_PG_PORT:-55432}"
URL="postgresql+psycopg://yibao:yibao@127.0.0.1:${PORT}/yibao_test"
STATE="$ROOT/var/pgtest"
PGUSER_OS=postgres

say() { echo "pg.sh: $*" >&2; }
die() { echo "pg.sh: error: $*" >&2; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if is_root; then runuser -u "$PGUSER_OS" -- "$@"; else "$@"; fi
}

find_bin() {
    local postgres
    postgres="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null \
        | sort -V | tail -n 1)"
    [[ -n "$postgres" ]] && dirname "$postgres"
}

install_postgres() {
    is_root || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres) and installing it needs root"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is not available"
    say "PostgreSQL is not installed: installing it with apt-get (once)"
    # Do not let the package create (and start) its default cluster on port 5432: the tests use
    # their own. The drop-in is removed again after the installation.
    local dropdir=/etc/postgresql-common/createcluster.d made_dir=""
    local dropin="$dropdir/zz-yibao-no-main-cluster.conf"
    if [[ ! -d "$dropdir" ]]; then mkdir -p "$dropdir"; made_dir=1; fi
    echo "create_main_cluster = false" >"$dropin"
    local rc=0
    {
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    } >&2 || rc=$?
    rm -f "$dropin"
    if [[ -n "$made_dir" ]]; then rmdir "$dropdir" 2>/dev/null || true; fi
    [[ $rc == 0 ]] || die "apt-get install postgresql failed (exit $rc)"
}

# Where the cluster lives (chosen once, remembered in var/pgtest/location):
#   /dev/shm/yibao-pgtest-<hash>  when /dev/shm is a tmpfs with >= 1 GiB free — creating a database
#                                 writes ~600 files, 8 ms in RAM against 50-250 ms on a disk;
#   var/pgtest/cluster            otherwise, when the owner can reach it and the socket path fits;
#   /var/tmp/yibao-pgtest-<hash>  otherwise (a project under /root, say).
# YIBAO_PG_TMPFS=0 keeps the cluster off /dev/shm.
choose_location() {
    local hash socket="$STATE/cluster/data/.s.PGSQL.$PORT" shm_free_kb
    hash="$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
    shm_free_kb="$(df --output=avail -k /dev/shm 2>/dev/null | tail -n 1 | tr -d ' ' || true)"
    if [[ "${YIBAO_PG_TMPFS:-1}" != 0 && "$(stat -f -c %T /dev/shm 2>/dev/null || true)" == tmpfs \
        && "${shm_free_kb:-0}" =~ ^[0-9]+$ ]] && (( shm_free_kb >= 1048576 )); then
        echo "/dev/shm/yibao-pgtest-$hash"
    elif (( ${#socket} <= 100 )) && { ! is_root || runuser -u "$PGUSER_OS" -- test -x "$STATE"; }; then
        echo "$STATE/cluster"
    else
        echo "/var/tmp/yibao-pgtest-$hash"
    fi
}

resolve_location() {
    if [[ -s "$STATE/location" ]]; then CLUSTER="$(cat "$STATE/location")"; else CLUSTER="$(choose_location)"; fi
    DATA="$CLUSTER/data"
    LOG="$CLUSTER/server.log"
}

running() { [[ -n "${BIN:-}" && -f "$DATA/PG_VERSION" ]] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

write_config() {
    as_owner tee "$DATA/yibao.conf" >/dev/null <<EOF
# Written by tools/pg.sh on every start: a test-only cluster.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_wal_size = 256MB
min_wal_size = 32MB
log_min_messages = warning
log_checkpoints = off
# each test database lives for one test: an autovacuum worker on it only races DROP … (FORCE),
# which a non-superuser may not use to end a superuser's worker
autovacuum = off
EOF
}

init_cluster() {
    local version
    version="$(basename "$(dirname "$BIN")")"
    if [[ -f "$DATA/PG_VERSION" && "$(cat "$DATA/PG_VERSION")" != "$version" ]]; then
        say "the test cluster was made by PostgreSQL $(cat "$DATA/PG_VERSION"); re-creating it for $version"
        rm -rf "$DATA"
    fi
    [[ -f "$DATA/PG_VERSION" ]] && return 0
    say "creating the test cluster in $DATA"
    mkdir -p "$CLUSTER"
    rm -rf "$DATA"
    if is_root; then chown "$PGUSER_OS:" "$CLUSTER"; fi
    chmod 700 "$CLUSTER"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --no-locale --no-sync >"$STATE/initdb.log" 2>&1 \
        || { cat "$STATE/initdb.log" >&2; die "initdb failed (log above)"; }
    echo "include 'yibao.conf'" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
}

start_cluster() {
    write_config
    say "starting the test cluster on 127.0.0.1:$PORT"
    if [[ -f "$LOG" ]]; then as_owner truncate -s 0 "$LOG"; fi  # one run's log, not a growing file
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 9>&-; then
        tail -n 20 "$LOG" >&2 || true
        die "the test cluster did not start (server log: $LOG)"
    fi
    if [[ "${YIBAO_PG_AUTOSTOP:-}" == 1 ]]; then touch "$STATE/autostop"; else rm -f "$STATE/autostop"; fi
}

# Role yibao (password yibao, CREATEDB) and database yibao_test, created when missing.
provision() {
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$PORT" -U postgres -d postgres >&2 <<'SQL' \
        || die "could not create role yibao / database yibao_test"
SELECT 'CREATE ROLE yibao' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'yibao') \gexec
ALTER ROLE yibao WITH LOGIN CREATEDB PASSWORD 'yibao';
SELECT 'CREATE DATABASE yibao_test OWNER yibao'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'yibao_test') \gexec
SQL
}

cmd_ensure() {
    mkdir -p "$STATE"
    exec 9>"$STATE/ensure.lock"  # one ensure at a time, apt-get included
    flock -w 900 9 || die "timed out waiting for another tools/pg.sh ensure"
    BIN="$(find_bin || true)"
    if [[ -z "$BIN" ]]; then
        install_postgres
        BIN="$(find_bin || true)"
        [[ -n "$BIN" ]] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/postgres appeared"
    fi
    if is_root; then
        id -u "$PGUSER_OS" >/dev/null 2>&1 || die "the system user '$PGUSER_OS' does not exist"
    fi
    resolve_location
    [[ -s "$STATE/location" ]] || echo "$CLUSTER" >"$STATE/location"
    if ! running; then
        init_cluster
        start_cluster
    fi
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 30 \
        || die "the test cluster ($DATA) runs but does not answer on 127.0.0.1:$PORT; try tools/pg.sh stop"
    provision
    echo "$URL"
}

cmd_stop() {
    BIN="$(find_bin || true)"
    [[ -d "$STATE" ]] || { say "the test cluster was never created"; return 0; }
    exec 9>"$STATE/ensure.lock"
    flock -w 300 9 || die "timed out waiting for another tools/pg.sh command"
    resolve_location
    if running; then
        say "stopping the test cluster ($DATA)"
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null \
            || die "could not stop the test cluster ($DATA)"
    else
        say "the test cluster is not running"
    fi
    rm -f "$STATE/autostop"
}

cmd_status() {
    BIN="$(find_bin || true)"
    resolve_location
    running || exit 1
}

case "${1:-}" in
    ensure) cmd_ensure ;;
    stop) cmd_stop ;;
    url) echo "$URL" ;;
    status) cmd_status ;;
    *) die "usage: tools/pg.sh ensure|stop|url|status" ;;
esac
