#!/usr/bin/env bash
# The gateway built for a server with no display: no Tauri, GTK or WebKit linked, and it serves.
#   bash scripts/server-check.sh [--release]
# It builds into target/ beside the windowed build (the same dependencies, only the `donna`
# crate is built again), so the next windowed build relinks `donna`; CI runs it last.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -euo pipefail

profile=debug
flags=(--locked --no-default-features --bin donna)
if [ "${1:-}" = --release ]; then
  profile=release
  flags+=(--release)
else
  # Without the desktop, cargo unifies the dependencies' features differently and builds most
  # of them again. What this checks is the linking and the serving, not the sentence model's
  # arithmetic: its crates are left unoptimised here, which halves their build.
  for crate in candle-core candle-nn gemm gemm-common gemm-f32; do
    flags+=(--config "profile.dev.package.$crate.opt-level=0")
  done
fi

require_cargo
say "building the server donna ($profile, --no-default-features)"
cargo build "${flags[@]}"
bin="target/$profile/donna"

desktop=$(ldd "$bin" | grep -E 'libgtk|libwebkit|libgdk|libsoup|libjavascriptcore' || true)
[ -z "$desktop" ] || die "the server build links desktop libraries: $desktop"
say "links no desktop library; $(du -h "$bin" | cut -f1) ($profile), needs: $(ldd "$bin" | awk '$1 ~ /^lib/ { sub(/\.so.*/, "", $1); print $1 }' | sort -u | tr '\n' ' ')"

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
run() { env -i HOME="$home" PATH=/usr/bin:/bin "$@"; }

"$bin" >/dev/null 2>"$home/err" && die "the server build opened something with no command"
grep -q 'server build, without windows' "$home/err" || die "unexpected: $(cat "$home/err")"
say "donna serve from the server build"
serve_check "$home" run "$bin"
say "the server build serves"
