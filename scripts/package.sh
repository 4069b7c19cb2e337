#!/usr/bin/env bash
# Build Donna's Debian package with the Tauri CLI (from npm, pinned):
#   bash scripts/package.sh            # release build: target/release/bundle/deb/Donna_<v>_amd64.deb
#   bash scripts/package.sh --debug    # the same packaging around a debug build (faster; CI's check)
# Prints the package's path on the last line. AppImage, MSI and DMG are configured in
# tauri.conf.json but need downloads or other systems, so only the .deb is built here.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -euo pipefail

TAURI_CLI_VERSION=2.12.6
profile=release
args=()
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  args+=(--debug)
fi

apt_install "${BUILD_PACKAGES[@]}"
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
require_cargo
cli_dir=target/tauri-cli
if [ "$("$cli_dir/node_modules/.bin/tauri" --version 2>/dev/null)" != "tauri-cli $TAURI_CLI_VERSION" ]; then
  say "installing the Tauri CLI $TAURI_CLI_VERSION (npm)"
  mkdir -p "$cli_dir"
  npm install --prefix "$cli_dir" --silent --no-audit --no-fund --no-save "@tauri-apps/cli@$TAURI_CLI_VERSION"
fi
say "building the .deb ($profile)"
"$cli_dir/node_modules/.bin/tauri" build "${args[@]}" --bundles deb --ci >&2
deb=$(ls -t "target/$profile/bundle/deb/"*.deb | head -n 1)
say "$(du -h "$deb" | cut -f1) $deb"
echo "$deb"
