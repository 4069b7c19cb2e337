#!/usr/bin/env bash
# A private Redis server for the tests: loopback only, its own port and directory, nothing
# saved to disk. Safe to run again: a running server is reused. Source it so the tests get
# DONNA_TEST_REDIS_URL, and DONNA_TEST_REDISS_URL for the same server over TLS (a certificate
# from a private test authority, scripts/test-certs.sh):
#   source scripts/start-redis.sh

# shellcheck source=scripts/test-certs.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-certs.sh"

export DONNA_REDIS_DIR="${DONNA_REDIS_DIR:-${TMPDIR:-/tmp}/donna-redis}"
mkdir -p "$DONNA_REDIS_DIR"
if ! command -v redis-server >/dev/null 2>&1; then
  echo "warning: Redis is not installed (apt-get install redis-server); its tests will fail" >&2
elif [ -f "$DONNA_REDIS_DIR/port" ] && redis-cli -p "$(cat "$DONNA_REDIS_DIR/port")" ping >/dev/null 2>&1; then
  export DONNA_TEST_REDIS_URL="redis://127.0.0.1:$(cat "$DONNA_REDIS_DIR/port")"
  export DONNA_TEST_REDISS_URL="rediss://127.0.0.1:$(cat "$DONNA_REDIS_DIR/tls-port")"
  test_certs
else
  _redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  _redis_tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  test_certs || echo "warning: no test certificates (is openssl installed?)" >&2
  redis-server --port "$_redis_port" --bind 127.0.0.1 --save "" --appendonly no \
    --tls-port "$_redis_tls_port" --tls-cert-file "$DONNA_TEST_CERTS/server.pem" \
    --tls-key-file "$DONNA_TEST_CERTS/server.key" --tls-ca-cert-file "$DONNA_TEST_CERTS/ca.pem" \
    --tls-auth-clients no \
    --dir "$DONNA_REDIS_DIR" --daemonize yes --pidfile "$DONNA_REDIS_DIR/redis.pid" \
    --logfile "$DONNA_REDIS_DIR/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$_redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$_redis_port" ping >/dev/null 2>&1 ||
    echo "warning: Redis did not start (see $DONNA_REDIS_DIR/redis.log)" >&2
  echo "$_redis_port" >"$DONNA_REDIS_DIR/port"
  echo "$_redis_tls_port" >"$DONNA_REDIS_DIR/tls-port"
  export DONNA_TEST_REDIS_URL="redis://127.0.0.1:$_redis_port"
  export DONNA_TEST_REDISS_URL="rediss://127.0.0.1:$_redis_tls_port"
  unset _redis_port _redis_tls_port
fi
