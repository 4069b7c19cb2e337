#!/usr/bin/env bash
# Break a running kiosk in turn and time how long it takes to heal itself.
#
# Starts a cloud stand-in (`donna serve`, whose engine speaks the Realtime protocol as the
# service does, with OPENAI_BASE_URL pointed at it), a private virtual audio server and the
# kiosk (`donna --kiosk`, supervised, on the stand-in as its cloud), waits until the kiosk
# reports itself healthy in /api/health, then, one after the other:
#   cloud    kill the cloud stand-in          -> the session is live on the local engine
#   audio    kill the audio server, start it  -> microphone and speaker running again
#   webview  kill the page's web process      -> the page is back and beating
#   app      kill the kiosk process           -> the supervisor's new kiosk is healthy
# The local engine runs inside the app, so killing it is the "app" fault.
#
# Before each fault and after each recovery the kiosk is asked a question (POST /api/chat on
# its gateway) and must answer. Prints one line per fault with the recovery time; exits 1 when
# any recovery takes longer than the limit.
#
#   scripts/chaos.sh [--binary PATH] [--limit SECONDS] [--rounds N]
#
# CHAOS_KEEP=1 keeps the processes' logs and data dirs for a look afterwards.
#
# Needs a display (run under xvfb-run) and PulseAudio; the README's test command installs both.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BINARY=./target/release/donna
[[ -x $BINARY ]] || BINARY=./target/debug/donna
LIMIT=20
ROUNDS=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --binary) BINARY=$2; shift 2 ;;
    --limit) LIMIT=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "usage: $0 [--binary PATH] [--limit SECONDS] [--rounds N]" >&2; exit 2 ;;
  esac
done
[[ -x $BINARY ]] || { echo "chaos: no donna binary at $BINARY (build it first)" >&2; exit 2; }
[[ -n ${DISPLAY:-} ]] || { echo "chaos: no display; run under xvfb-run" >&2; exit 2; }
BINARY=$(realpath "$BINARY")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/donna-chaos.XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CLOUD_PORT=$(free_port)
KIOSK_PORT=$(free_port)
CLOUD_KEY="chaos-stand-in-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
CLOUD_PID=""
KIOSK_PID=""

# A private audio server, so killing it disturbs nobody else's devices.
export PULSE_RUNTIME_PATH="$WORK/pulse"
start_audio() {
  # shellcheck source=scripts/start-audio.sh
  source scripts/start-audio.sh >/dev/null 2>&1
}
stop_audio() { pulseaudio --kill >/dev/null 2>&1 || true; }

start_cloud() {
  DONNA_DATA_DIR="$WORK/cloud" DONNA_ENGINE_KEY="$CLOUD_KEY" OPENAI_API_KEY="" DONNA_LOG=warn \
    "$BINARY" serve --addr "127.0.0.1:$CLOUD_PORT" >"$WORK/cloud.out" 2>&1 &
  CLOUD_PID=$!
  wait_for "the cloud stand-in" 30 curl -fsS "http://127.0.0.1:$CLOUD_PORT/api/health" -o /dev/null
}

start_kiosk() {
  DONNA_DATA_DIR="$WORK/kiosk" DONNA_ADDR="127.0.0.1:$KIOSK_PORT" \
    OPENAI_API_KEY="$CLOUD_KEY" OPENAI_BASE_URL="http://127.0.0.1:$CLOUD_PORT/v1" \
    DONNA_WATCHDOG=on "$BINARY" --kiosk >"$WORK/kiosk.out" 2>&1 &
  KIOSK_PID=$!
}

# A process and everything it started, parents first (so the supervisor goes before it can
# start another kiosk): the kiosk and WebKit's processes write into $WORK until they are gone.
tree_of() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1" || true); do tree_of "$child"; done
}

cleanup() {
  local pids pid alive
  pids=$(for pid in $KIOSK_PID $CLOUD_PID; do tree_of "$pid"; done)
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $KIOSK_PID $CLOUD_PID; do wait "$pid" 2>/dev/null || true; done
  # Grandchildren are not ours to wait for: give them a few seconds to go.
  for _ in $(seq 50); do
    alive=""
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ -z $alive ]] && break
    sleep 0.1
  done
  stop_audio
  if [[ -n ${CHAOS_KEEP:-} ]]; then
    echo "chaos: logs kept in $WORK" >&2
  else
    # Clearing up never changes the verdict.
    rm -rf "$WORK" 2>/dev/null || { sleep 1; rm -rf "$WORK" 2>/dev/null; } || true
  fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }

wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "chaos: $what did not come up within $seconds s" >&2
      tail -n 20 "$WORK"/kiosk.out >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# The kiosk's health as one JSON document.
health() { curl -fsS --max-time 2 "http://127.0.0.1:$KIOSK_PORT/api/health"; }

# True when the kiosk is healthy and its session is live on backend $1.
healthy_on() {
  health | python3 -c '
import json, sys
k = json.load(sys.stdin).get("kiosk") or {}
s = k.get("session") or {}
sys.exit(0 if k.get("ok") and s.get("state") == "live" and s.get("backend") == sys.argv[1] else 1)
' "$1"
}

# True when either audio device is not running.
audio_lost() {
  health | python3 -c '
import json, sys
a = (json.load(sys.stdin).get("kiosk") or {}).get("audio") or {}
sys.exit(0 if any((a.get(d) or {}).get("state") != "running" for d in ("input", "output")) else 1)
'
}

# The page has been reloaded more than $1 times and beats again.
page_back_after() {
  health | python3 -c '
import json, sys
k = json.load(sys.stdin).get("kiosk") or {}
sys.exit(0 if k.get("page_reloads", 0) > int(sys.argv[1]) and k.get("ok") else 1)
' "$1"
}

reloads() { health | python3 -c 'import json,sys; print((json.load(sys.stdin).get("kiosk") or {}).get("page_reloads", 0))'; }

# Ask the kiosk's gateway one question; it must answer.
ask() {
  local answer
  answer=$(curl -fsS --max-time 30 -H 'content-type: application/json' \
    -d "{\"message\": \"$1\"}" "http://127.0.0.1:$KIOSK_PORT/api/chat") || {
    echo "chaos: the kiosk did not answer \"$1\"" >&2
    return 1
  }
  [[ $answer == *reply* ]] || { echo "chaos: unexpected answer: $answer" >&2; return 1; }
}

the_kiosk_child() { pgrep -P "$KIOSK_PID" -x donna | head -n1; }

FAILED=0
report() {
  local fault=$1 took=$2
  local verdict=ok
  if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$took" "$LIMIT"; then :; else
    verdict="SLOW (limit $LIMIT s)"
    FAILED=1
  fi
  printf 'chaos: %-8s recovered in %6s s  %s\n' "$fault" "$took" "$verdict"
}

start_audio
start_cloud
started=$(now)
start_kiosk
wait_for "the kiosk on the cloud stand-in" 120 healthy_on openai
echo "chaos: kiosk ready in $(since "$started") s (cold start to a healthy kiosk on the cloud)"

for round in $(seq "$ROUNDS"); do
  [[ $ROUNDS -gt 1 ]] && echo "chaos: round $round"

  # 1. The cloud goes away: the session moves to the local engine.
  [[ -n $CLOUD_PID ]] || start_cloud
  # Back on the cloud by itself: a kiosk on a fallback tries the preferred backend every minute.
  wait_for "the kiosk back on the cloud" 90 healthy_on openai
  ask "What are your opening hours?"
  kill -9 "$CLOUD_PID"; wait "$CLOUD_PID" 2>/dev/null || true; CLOUD_PID=""
  t=$(now)
  wait_for "the kiosk on the local engine" "$LIMIT" healthy_on local || true
  report cloud "$(since "$t")"
  ask "Where are the toilets?"

  # 2. The audio server dies and comes back: both devices run again.
  stop_audio
  wait_for "the kiosk to notice the audio server gone" 30 audio_lost || FAILED=1
  t=$(now)
  start_audio
  wait_for "the kiosk's audio back" "$LIMIT" healthy_on local || true
  report audio "$(since "$t")"

  # 3. The page's web process is killed: the page is reloaded and beats again.
  before=$(reloads)
  child=$(the_kiosk_child)
  pkill -9 -P "$child" WebKitWebProces || { echo "chaos: no web process under $child" >&2; FAILED=1; }
  t=$(now)
  wait_for "the page back" "$LIMIT" page_back_after "$before" || true
  report webview "$(since "$t")"
  ask "Can I leave a message?"

  # 4. The whole app is killed: the supervisor starts it again.
  child=$(the_kiosk_child)
  kill -9 "$child"
  t=$(now)
  sleep 0.2
  wait_for "the kiosk restarted" "$LIMIT" healthy_on local || true
  report app "$(since "$t")"
  ask "What are your opening hours?"
done

exit "$FAILED"
