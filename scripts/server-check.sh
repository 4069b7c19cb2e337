#!/usr/bin/env bash
# The gateway built for a server with no display, `donna-server`: no Tauri, GTK or WebKit
# linked, and it serves. The test suite checks the debug build the same way
# (crates/cli/tests/server.rs); this checks the release build and states its size.
#   bash scripts/server-check.sh [--release]

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -euo pipefail

profile=debug
flags=(--locked -p donna-cli --bin donna-server)
if [ "${1:-}" = --release ]; then
  profile=release
  flags+=(--release)
fi

require_cargo
say "building donna-server ($profile)"
cargo build "${flags[@]}"
bin="target/$profile/donna-server"

desktop=$(ldd "$bin" | grep -E 'libgtk|libwebkit|libgdk|libsoup|libjavascriptcore' || true)
[ -z "$desktop" ] || die "the server build links desktop libraries: $desktop"
say "links no desktop library; $(du -h "$bin" | cut -f1) ($profile), needs: $(ldd "$bin" | awk '$1 ~ /^lib/ { sub(/\.so.*/, "", $1); print $1 }' | sort -u | tr '\n' ' ')"

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
run() { env -i HOME="$home" PATH=/usr/bin:/bin "$@"; }

"$bin" >/dev/null 2>"$home/err" && die "the server build opened something with no command"
grep -q 'server build, without windows' "$home/err" || die "unexpected: $(cat "$home/err")"
say "donna-server serve"
serve_check "$home" run "$bin"
say "the server build serves"
