#!/usr/bin/env bash
# Run test suites with the system clock set to another hour and time zone (libfaketime), to prove
# that no test depends on when it runs.
#
#   bash scripts/at-hour.sh "2026-12-06 03:00:00" Europe/London donna-desk donna-voice
#   bash scripts/at-hour.sh "2026-12-03 10:00:00" Pacific/Auckland        # every package
#
# The tests are built as `scripts/test.sh` builds them (the whole workspace, so nothing is built
# twice) with the real clock, since cargo itself is not run under a fake one; then each test
# binary of the packages named (all when none is) runs under faketime, from its package's folder
# as cargo would run it. The monotonic clock stays real, so timeouts and audio pacing are
# unchanged; only the wall clock and the zone move.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 2 ] || die "usage: at-hour.sh 'YYYY-MM-DD HH:MM:SS' ZONE [PACKAGE...]"
when=$1 zone=$2
shift 2
packages=" $* "
command -v faketime >/dev/null 2>&1 || apt_install faketime

# Each test binary with the folder of the package it belongs to.
binaries=$(cargo test --locked --workspace --no-run --message-format=json 2>/dev/null | PACKAGES="$packages" python3 -c '
import json, os, sys
wanted = os.environ["PACKAGES"].split()
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("profile", {}).get("test") or not m.get("executable"):
        continue
    package = m["package_id"].split("#")[-1].split("@")[0]
    if not wanted or package in wanted or os.path.basename(os.path.dirname(m["manifest_path"])) in wanted:
        print(os.path.dirname(m["manifest_path"]) + "\t" + m["executable"])
')
[ -n "$binaries" ] || die "no test binaries for: ${packages:-the workspace}"

failed=0 passed=0
while IFS=$'\t' read -r dir exe; do
  name=$(basename "$exe")
  if out=$(cd "$dir" && TZ=$zone FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$when" "$exe" 2>&1); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf '%s\n' "$out" | grep -E '^(test .* FAILED|---- |thread .* panicked)' >&2 || printf '%s\n' "$out" | tail -20 >&2
    say "FAILED at $when $zone: $name"
  fi
  printf '%s\n' "$out" | grep -E '^test result:' | sed "s|^|$name: |"
done <<<"$binaries"
say "at $when ($zone): $passed test binaries passed, $failed failed"
[ "$failed" -eq 0 ]
