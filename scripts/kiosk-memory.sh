#!/usr/bin/env bash
# Idle memory of the kiosk, every process of it: `donna` and the WebKit processes it starts.
#   xvfb-run -a bash scripts/kiosk-memory.sh [BINARY]     (default: target/release/donna)
# Starts the kiosk window twice in a private HOME, idle for 20 s each: with the whisper model
# (DONNA_MODELS_DIR as set) and without it, so the table shows what the model holds. Needs a
# display and the virtual audio devices (`source scripts/start-audio.sh`).

set -euo pipefail
bin=$(readlink -f "${1:-target/release/donna}")
[ -x "$bin" ] || { echo "no binary at $bin: build it first (bash scripts/package.sh)" >&2; exit 2; }

# The RSS (MiB) of a process and all its descendants, one line per process.
tree_rss() {
  local root=$1 pids
  pids=$(ps -e -o pid=,ppid= | awk -v r="$root" '
    { parent[$1] = $2 } END {
      for (p in parent) { q = p; while (q != "" && q != 0) { if (q == r) { print p; break } q = parent[q] } }
    }')
  for p in $pids; do
    ps -o rss=,comm= -p "$p" 2>/dev/null | awk '{ printf "%8.1f MiB  %s\n", $1 / 1024, $2 }'
  done
}

measure() {
  local label=$1 models=$2 home
  home=$(mktemp -d)
  env HOME="$home" DONNA_DATA_DIR="$home/data" DONNA_MODELS_DIR="$models" DONNA_ADDR=127.0.0.1:0 \
    "$bin" > "$home/out" 2> "$home/err" &
  local pid=$!
  sleep 20
  echo "## $label"
  tree_rss "$pid" | sort -rn
  tree_rss "$pid" | awk '{ s += $1 } END { printf "%8.1f MiB  all\n", s }'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$home"
}

measure "kiosk idle, whisper model installed" "${DONNA_MODELS_DIR:-$HOME/.local/share/donna/models}"
measure "kiosk idle, no whisper model" /nonexistent
