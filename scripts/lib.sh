# Shared by run.sh and test.sh: install what is missing, and only that, so both are safe to
# run again and fast the second time.

set -euo pipefail

# Build dependencies of the app (Tauri/WebKitGTK, ALSA for audio, D-Bus for the keyring, WebRTC's
# audio processing for echo cancellation, libclang for its bindings and whisper.cpp's, cmake for
# whisper.cpp, flite for offline speech synthesis, pocketsphinx and its US English model for
# offline speech recognition).
BUILD_PACKAGES=(build-essential pkg-config cmake libwebkit2gtk-4.1-dev libasound2-dev libdbus-1-dev
  libwebrtc-audio-processing-dev libclang-dev flite1-dev
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us)

# Each step with the minutes and seconds since its script started, so a slow step shows in a log.
say() { printf '==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install sudo or run as root)"
  fi
}

# apt_install PKG...: install the packages that are not installed yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

require_cargo() {
  if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (https://rustup.rs) and run this again"
}

# check_disk GIB: warn, before a long build, when the disk holding target/ has less than GIB free;
# a full disk otherwise shows up much later as the linker dying of SIGBUS.
check_disk() {
  local want_kib=$(( $1 * 1024 * 1024 )) free_kib
  mkdir -p target
  free_kib=$(df -Pk target | awk 'NR == 2 { print $4 }')
  say "disk: $(( free_kib / 1024 / 1024 )) GiB free for target/ (a cold build takes about $1 GiB)"
  if [ "${free_kib:-0}" -lt "$want_kib" ]; then
    say "warning: less than $1 GiB free; the build may fail for want of disk"
  fi
}

# serve_check DIR CMD...: run `CMD serve` on a free loopback port with DIR for its output, and
# check what a browser needs from it: healthy, the UI page and the welcome. Stops it after.
serve_check() {
  local dir=$1 out url health pid
  shift
  out="$dir/serve.out"
  "$@" serve --addr 127.0.0.1:0 >"$out" 2>"$dir/serve.err" &
  pid=$!
  for _ in $(seq 100); do grep -q '^listening on ' "$out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$out" | head -n 1)
  [ -n "$url" ] || { kill "$pid" 2>/dev/null; die "donna serve did not start: $(cat "$dir/serve.err")"; }
  health=$(curl -fsS "$url/api/health") || { kill "$pid"; die "no health from $url"; }
  python3 -c 'import json,sys; h=json.loads(sys.argv[1]); assert h["status"] == "ok", h; print("health:", h["status"], h["backend"], h["version"], file=sys.stderr)' "$health" ||
    { kill "$pid"; die "donna serve is not healthy"; }
  curl -fsS "$url/" | grep -q '<title>Donna</title>' || { kill "$pid"; die "the UI page is not served"; }
  curl -fsS "$url/api/welcome" | grep -q '"name"' || { kill "$pid"; die "the welcome is not served"; }
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

# Run from the repository root whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
