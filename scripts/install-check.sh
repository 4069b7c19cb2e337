#!/usr/bin/env bash
# Install a built Donna package on this machine as a user would, use it, and remove it:
#   bash scripts/install-check.sh target/debug/bundle/deb/Donna_0.1.0_amd64.deb
# Needs root (or sudo) and a throwaway machine: CI runs it after the tests.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -euo pipefail

deb=$(readlink -f "${1:?usage: install-check.sh PATH/TO/donna.deb}")
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT

say "installing $(basename "$deb") with apt-get (its dependencies from the archive)"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
[ "$(command -v donna)" = /usr/bin/donna ] || die "donna is not on PATH at /usr/bin/donna"

# A user's first run: their own HOME, nothing configured.
run() { env -i HOME="$home" PATH=/usr/bin:/bin XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-}" PULSE_SERVER="${PULSE_SERVER:-}" "$@"; }

version=$(run donna --version)
say "installed: $version"
[[ "$version" == "donna "* ]] || die "unexpected --version output: $version"

say "donna doctor --json"
report=$(run donna doctor --json || true)
python3 - "$report" <<'PY' || die "the doctor's report is not what an installed Donna gives"
import json, sys
report = json.loads(sys.argv[1])
checks = {c["name"]: c for c in report["checks"]}
for name in ("data dir", "backend"):
    assert checks[name]["status"] == "ok", checks[name]
print("doctor:", ", ".join(f'{c["name"]} {c["status"]}' for c in report["checks"]), file=sys.stderr)
PY

say "donna serve, then its health and its page"
serve_check "$home" run donna

# The installed kiosk, as a front desk runs it: supervised, on a cloud stand-in, answering,
# and healing itself from each fault of the chaos script.
if command -v xvfb-run >/dev/null 2>&1 && command -v pulseaudio >/dev/null 2>&1; then
  say "the installed kiosk through scripts/chaos.sh"
  HOME="$home" xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    bash "$(dirname "${BASH_SOURCE[0]}")/chaos.sh" --binary /usr/bin/donna --limit 30 ||
    die "the installed kiosk did not recover from every fault"
else
  say "no Xvfb or PulseAudio here: the installed kiosk's chaos run is skipped"
fi

# A whole visit in the installed kiosk's window (attract screen, greeting, a check-in typed,
# goodbye and a wiped screen), the check-in seen and acknowledged in the installed staff app and
# in a browser, and a cloud outage mid-visit: the UI tests, driving /usr/bin/donna instead of
# the binary they were built with. Only where the tests were built (CI, a developer's tree).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -f "$repo/Cargo.toml" ] && command -v cargo >/dev/null 2>&1 && command -v tauri-driver >/dev/null 2>&1; then
  say "the installed app's windows through the UI tests"
  (
    cd "$repo"
    # shellcheck source=scripts/start-audio.sh
    source scripts/start-audio.sh
    DONNA_UNDER_TEST=/usr/bin/donna xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
      cargo test --locked --quiet --test ui -- the_kiosk_window_locked_down the_kiosk_page_welcomes \
      the_staff_desktop_shows_a_check_in a_receptionist_in_any_browser a_cloud_outage_mid_visit
  ) || die "the installed app failed its visit"
fi

say "removing the package"
as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq donna >/dev/null
if command -v donna >/dev/null 2>&1; then die "donna is still installed after removal"; fi
say "the package installs, runs and removes cleanly"
