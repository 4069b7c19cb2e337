#!/usr/bin/env bash
# Build Donna's Debian package with the Tauri CLI (from npm, pinned):
#   bash scripts/package.sh            # release build: target/release/bundle/deb/Donna_<v>_amd64.deb
#   bash scripts/package.sh --debug    # packages the debug binary the tests built (CI's check of
#                                      # the packaging; its UI files are read from this checkout)
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
if [ "$profile" = debug ]; then
  # The binary the tests drove, as it is: building it again for the bundler would only change
  # its features (the tests' build unifies them across the workspace) and cost minutes.
  [ -x target/debug/donna ] || cargo build --locked --bin donna >&2
  say "packaging the debug build"
  "$cli_dir/node_modules/.bin/tauri" bundle "${args[@]}" --bundles deb --ci >&2
else
  say "building the release .deb"
  "$cli_dir/node_modules/.bin/tauri" build --bundles deb --ci >&2
fi
deb=$(ls -t "target/$profile/bundle/deb/"*.deb | head -n 1)
say "$(du -h "$deb" | cut -f1) $deb"
echo "$deb"
