#!/bin/sh
# Make sure a local PostgreSQL + PostGIS is running for the store's tests and `make run-team`.
#
# - Installs Debian's postgresql and postgis packages with apt-get when they are missing.
# - Creates a cluster of our own under var/postgres (gitignored), owned by the postgres user when
#   run as root (PostgreSQL refuses to run as root) or by the calling user otherwise.
# - Listens on a Unix socket only (no TCP port to collide with), in a folder only its owner can
#   enter; local connections are trusted, so nobody else on the machine can reach it.
# - Creates the databases `incidents` and `incidents_test` with `CREATE EXTENSION postgis`.
# - Writes the SQLAlchemy URLs to var/postgis.url and var/postgis-test.url.
# Idempotent: a running cluster is reused. Stop it with `sh tools/ensure_postgis.sh stop`.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VAR="$ROOT/var"
PORT=${PGPORT_STORE:-54329}

pg_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

has_postgis() {
    bindir=$(pg_bindir)
    [ -n "$bindir" ] || return 1
    version=$(basename "$(dirname "$bindir")")
    [ -f "/usr/share/postgresql/$version/extension/postgis.control" ]
}

if ! has_postgis; then
    echo "ensure_postgis: installing postgresql and postgis from Debian's packages"
    sh "$ROOT/tools/apt_install.sh" postgresql postgresql-postgis >/dev/null
fi
BIN=$(pg_bindir)

if [ "$(id -u)" = 0 ]; then
    OWNER=postgres
    as_owner() { runuser -u postgres -- "$@"; }
else
    OWNER=$(id -un)
    as_owner() { "$@"; }
fi

# The cluster lives in the repository's var/ when its owner can reach it there; a checkout in a
# folder the postgres user cannot enter (such as /root) gets one in /tmp, named after the checkout.
DATA="$VAR/postgres"
mkdir -p "$VAR"
if [ ! -d "$DATA" ] && [ "$OWNER" = postgres ]; then
    if as_owner test -x "$VAR" 2>/dev/null; then
        mkdir -p "$DATA" && chown postgres "$DATA" && chmod 700 "$DATA"
    else
        DATA="${TMPDIR:-/tmp}/incident-store-pg-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)"
    fi
fi
SOCKET="$DATA/socket"
LOG="$DATA.log"

if [ "${1:-}" = "stop" ]; then
    if [ -f "$DATA/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop
    fi
    exit 0
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "ensure_postgis: creating a cluster in $DATA"
    mkdir -p "$DATA"
    [ "$OWNER" = postgres ] && chown postgres "$DATA"
    chmod 700 "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
as_owner mkdir -p "$SOCKET"
as_owner chmod 700 "$SOCKET"
touch "$LOG" && [ "$OWNER" = postgres ] && chown postgres "$LOG" || true

if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    echo "ensure_postgis: starting PostgreSQL ($DATA, socket $SOCKET)"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$SOCKET' -p $PORT -c fsync=off -c max_connections=200" \
        start >/dev/null
fi

psql_cmd() {
    as_owner "$BIN/psql" -h "$SOCKET" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}
for db in incidents incidents_test; do
    if [ -z "$(psql_cmd -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        psql_cmd -d postgres -c "CREATE DATABASE $db"
    fi
    psql_cmd -d "$db" -c "SET client_min_messages TO warning" -c "CREATE EXTENSION IF NOT EXISTS postgis"
done
echo "postgresql+psycopg://postgres@/incidents?host=$SOCKET&port=$PORT" >"$VAR/postgis.url"
echo "postgresql+psycopg://postgres@/incidents_test?host=$SOCKET&port=$PORT" >"$VAR/postgis-test.url"
echo "ensure_postgis: PostGIS $(psql_cmd -d incidents -c 'SELECT postgis_lib_version()') ready: $(cat "$VAR/postgis.url")"
