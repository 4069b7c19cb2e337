#!/usr/bin/env bash
# Virtual audio devices for machines with no sound card (CI, containers): a PulseAudio daemon
# with a null sink `spk` (the speaker; what plays can be recorded from `spk.monitor`) and a
# microphone `vmic` fed by the null sink `micfeed` (play a WAV into it with
# `paplay -d micfeed visitor.wav`). cpal's ALSA `default` device reaches it through the ALSA
# pulse plugin. Safe to run again: a running daemon is reused.
#
# Source it so the caller (and the tests it starts) get PULSE_SERVER:
#   source scripts/start-audio.sh
# The module-null-sink monitors are clocked, unlike ALSA's `null` device, and a null-sink
# monitor streams silence when idle, unlike module-pipe-source, so capture never looks dead.

export PULSE_RUNTIME_PATH="${PULSE_RUNTIME_PATH:-${TMPDIR:-/tmp}/donna-pulse}"
export PULSE_SERVER="unix:$PULSE_RUNTIME_PATH/native"
mkdir -p "$PULSE_RUNTIME_PATH"

if ! pactl info >/dev/null 2>&1; then
  pulseaudio -n --daemonize=yes --exit-idle-time=-1 --use-pid-file=yes \
    --log-target="file:$PULSE_RUNTIME_PATH/pulse.log" \
    -L "module-native-protocol-unix socket=$PULSE_RUNTIME_PATH/native auth-anonymous=1" \
    -L "module-null-sink sink_name=spk rate=48000" \
    -L "module-null-sink sink_name=micfeed rate=48000 channels=1" \
    -L "module-remap-source master=micfeed.monitor source_name=vmic" \
    -L "module-always-sink" 2>>"$PULSE_RUNTIME_PATH/start.log" || true
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
fi
if pactl info >/dev/null 2>&1; then
  pactl set-default-sink spk
  pactl set-default-source vmic
else
  echo "warning: PulseAudio did not start (see $PULSE_RUNTIME_PATH/start.log)" >&2
fi
