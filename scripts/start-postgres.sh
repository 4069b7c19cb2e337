#!/usr/bin/env bash
# A private PostgreSQL server for the tests: its own cluster, port and socket under one
# directory, trust authentication on loopback only, no system service. Safe to run again: a
# running server is reused. Source it so the tests get DONNA_TEST_POSTGRES_URL:
#   source scripts/start-postgres.sh
# As root the server runs as the `postgres` user (PostgreSQL refuses to run as root). It takes
# TLS too, with a certificate from a private test authority (scripts/test-certs.sh).

export DONNA_PG_DIR="${DONNA_PG_DIR:-${TMPDIR:-/tmp}/donna-postgres}"
_pg_port_file="$DONNA_PG_DIR/port"
_pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# shellcheck source=scripts/test-certs.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-certs.sh"

if [ -z "$_pg_bin" ]; then
  echo "warning: PostgreSQL is not installed (apt-get install postgresql); its tests will fail" >&2
elif [ -f "$_pg_port_file" ] && _pg_as_owner "$_pg_bin/pg_ctl" -D "$DONNA_PG_DIR/data" status >/dev/null 2>&1; then
  export DONNA_TEST_POSTGRES_URL="postgres://donna@127.0.0.1:$(cat "$_pg_port_file")/postgres"
  test_certs
else
  mkdir -p "$DONNA_PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$DONNA_PG_DIR"
  _pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if [ ! -f "$DONNA_PG_DIR/data/PG_VERSION" ]; then
    _pg_as_owner "$_pg_bin/initdb" -D "$DONNA_PG_DIR/data" -U donna --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$DONNA_PG_DIR/initdb.log" 2>&1 || echo "warning: initdb failed (see $DONNA_PG_DIR/initdb.log)" >&2
  fi
  # The server's own copy of the key: PostgreSQL wants it private to the user it runs as.
  test_certs || echo "warning: no test certificates (is openssl installed?)" >&2
  mkdir -p "$DONNA_PG_DIR/tls"
  cp "$DONNA_TEST_CERTS/server.pem" "$DONNA_TEST_CERTS/server.key" "$DONNA_PG_DIR/tls/"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$DONNA_PG_DIR/tls"
  # Loopback only, the socket in our own directory; fsync stays on (the store's durability is
  # what the tests check), a small server for a test machine; TLS for the clients that ask.
  _pg_as_owner "$_pg_bin/pg_ctl" -D "$DONNA_PG_DIR/data" -l "$DONNA_PG_DIR/server.log" -w -t 30 \
    -o "-p $_pg_port -k $DONNA_PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=32MB -c ssl=on -c ssl_cert_file=$DONNA_PG_DIR/tls/server.pem -c ssl_key_file=$DONNA_PG_DIR/tls/server.key" \
    start >/dev/null || echo "warning: PostgreSQL did not start (see $DONNA_PG_DIR/server.log)" >&2
  echo "$_pg_port" >"$_pg_port_file"
  export DONNA_TEST_POSTGRES_URL="postgres://donna@127.0.0.1:$_pg_port/postgres"
fi
unset _pg_port _pg_port_file _pg_bin
