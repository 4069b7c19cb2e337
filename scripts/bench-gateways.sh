#!/usr/bin/env bash
# One gateway against two behind nginx, on a shared PostgreSQL and Redis, in one run:
#   cargo build --release && bash scripts/bench-gateways.sh [target/release/donna] [SECONDS]
# Each row is `wrk -t 2 -c 32 --latency` for SECONDS (default 10) after a 2 s warm-up, one row
# after the other on this machine, the shared servers plain and over TLS. The routes:
# `GET /api/health` (every layer, the per-IP limit in Redis when it is shared, and a store
# ping) and `POST /api/realtime/token` with a kiosk token
# (limits per IP and per token, and the minted secret in Redis when it is shared). Rate limits
# are set far above the flood, so their bookkeeping is paid without refusals.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -euo pipefail

bin=$(readlink -f "${1:-target/release/donna}")
seconds=${2:-10}
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v nginx >/dev/null || die "nginx is not installed (apt-get install nginx)"
export DONNA_PG_DIR="${TMPDIR:-/tmp}/donna-bench-postgres" DONNA_REDIS_DIR="${TMPDIR:-/tmp}/donna-bench-redis"
# shellcheck source=scripts/start-postgres.sh
source scripts/start-postgres.sh
# shellcheck source=scripts/start-redis.sh
source scripts/start-redis.sh

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

db="donna_bench_$$"
psql "$DONNA_TEST_POSTGRES_URL" -qc "CREATE DATABASE $db"
database_url="${DONNA_TEST_POSTGRES_URL%/*}/$db"
secret="bench-jwt-secret-0123456789abcdef0123456789"
common=(JWT_SECRET="$secret" DONNA_ENGINE_KEY="sk-donna-bench-0123456789abcdef" DONNA_LOG=warn
  RATE_LIMIT_API_IP=100000000/s RATE_LIMIT_TOKEN_IP=100000000/s RATE_LIMIT_TOKEN_IDENTITY=100000000/s)

# serve NAME [VAR=VALUE...]: start a gateway in its own data dir; its URL in $url. (Not in a
# command substitution: the subshell would keep the pids, and nginx would hold its pipe open.)
serve() {
  local name=$1
  shift
  mkdir -p "$work/$name"
  env -i PATH="$PATH" HOME="$work/$name" DONNA_DATA_DIR="$work/$name/data" "${common[@]}" "$@" \
    "$bin" serve --addr 127.0.0.1:0 >"$work/$name/out" 2>"$work/$name/err" &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^listening on ' "$work/$name/out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$work/$name/out" | head -n 1)
  [ -n "$url" ] || die "gateway $name did not start: $(cat "$work/$name/err")"
}

balance() {
  local port conf dir=$work/nginx-$1
  shift
  mkdir -p "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  conf="$dir/nginx.conf"
  {
    echo "daemon off; master_process off; worker_processes 1; pid $dir/nginx.pid; error_log $dir/error.log warn;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; client_body_temp_path $dir/b; proxy_temp_path $dir/p; fastcgi_temp_path $dir/f; uwsgi_temp_path $dir/u; scgi_temp_path $dir/s;"
    echo "upstream donna { keepalive 64;"
    for url in "$@"; do echo "server ${url#http://};"; done
    echo "}"
    echo "server { listen 127.0.0.1:$port; location / { proxy_pass http://donna; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header Host \$host; } } }"
  } >"$conf"
  nginx -p "$dir" -c "$conf" -e "$dir/error.log" </dev/null >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
  url="http://127.0.0.1:$port"
}

token=$(env -i PATH="$PATH" HOME="$work" JWT_SECRET="$secret" DONNA_DATA_DIR="$work/mint" \
  "$bin" token mint --sub kiosk-bench --role kiosk --ttl 1d)
cat >"$work/token.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"voice":"marin","expires_after":{"seconds":10}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA

# measure NAME URL [SCRIPT]: one table row.
measure() {
  local name=$1 url=$2 script=${3:-} out
  local args=(-t 2 -c 32 --latency)
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" -d 2s "$url" >/dev/null
  out=$(wrk "${args[@]}" -d "${seconds}s" "$url")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}"
}

serve alone
local_one=$url
serve a DONNA_DATABASE_URL="$database_url" DONNA_REDIS_URL="$DONNA_TEST_REDIS_URL"
shared_a=$url
serve b DONNA_DATABASE_URL="$database_url" DONNA_REDIS_URL="$DONNA_TEST_REDIS_URL"
shared_b=$url
# The same servers over TLS, verified against the test authority (scripts/test-certs.sh).
serve tls DONNA_DATABASE_URL="$database_url?sslmode=require" DONNA_REDIS_URL="$DONNA_TEST_REDISS_URL" \
  DONNA_TLS_CA_FILE="$DONNA_TEST_TLS_CA"
shared_tls=$url
balance one "$shared_a"
one=$url
balance two "$shared_a" "$shared_b"
two=$url

say "$(nproc) cores; $seconds s a row; $(basename "$bin") $("$bin" --version)"
echo "| setup and route | requests/s | p50 | p99 | non-2xx |"
echo "|---|---:|---:|---:|---:|"
for route in health token; do
  if [ "$route" = health ]; then path=/api/health script=; else path=/api/realtime/token script=$work/token.lua; fi
  measure "one gateway alone (SQLite, in-memory limits and secrets), \`$path\`" "$local_one$path" "$script"
  measure "one gateway on PostgreSQL and Redis, direct, \`$path\`" "$shared_a$path" "$script"
  measure "one gateway on PostgreSQL and Redis over TLS, direct, \`$path\`" "$shared_tls$path" "$script"
  measure "one gateway on PostgreSQL and Redis behind nginx, \`$path\`" "$one$path" "$script"
  measure "two gateways on PostgreSQL and Redis behind nginx, \`$path\`" "$two$path" "$script"
done
