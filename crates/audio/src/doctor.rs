//! The audio half of `donna doctor`: which devices there are, whether the speaker and the
//! microphone open, and whether a short tone played on the speaker comes back through the
//! microphone (it only can where the microphone hears the speaker: a kiosk, or a loopback).

use std::time::{Duration, Instant};

use crate::devices::{self, DeviceInfo, Direction};
use crate::dsp;
use crate::{Capture, CaptureConfig, Player, PlayerConfig, WIRE_RATE};

/// What the audio check found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AudioReport {
    pub inputs: Vec<DeviceInfo>,
    pub outputs: Vec<DeviceInfo>,
    /// Why the device list could not be read, if it could not.
    pub host_error: Option<String>,
    /// The microphone opened (or why not).
    pub input: Check,
    /// The speaker opened (or why not).
    pub output: Check,
    /// Microphone level with nothing playing, dBFS.
    pub noise_floor_dbfs: Option<f32>,
    /// The tone played and recorded back.
    pub tone: Option<ToneCheck>,
}

/// One pass/fail item.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    pub ok: bool,
    pub device: Option<String>,
    pub detail: String,
}

/// The tone test.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ToneCheck {
    pub frequency_hz: f32,
    pub duration_ms: u64,
    /// Samples the speaker really played.
    pub played_ms: u64,
    /// Microphone level while the tone played, dBFS.
    pub recorded_dbfs: f32,
    /// Normalised correlation of the recording with the tone.
    pub correlation: f32,
    /// Whether the microphone heard the tone.
    pub heard: bool,
}

impl AudioReport {
    /// What a kiosk needs: a microphone and a speaker that open.
    pub fn ok(&self) -> bool {
        self.input.ok && self.output.ok
    }
}

/// Run the audio checks against the named devices (`None`: defaults).
pub fn check(input: Option<&str>, output: Option<&str>, tone_ms: u64) -> AudioReport {
    let (inputs, outputs, host_error) =
        match (devices::list(Direction::Input), devices::list(Direction::Output)) {
            (Ok(i), Ok(o)) => (i, o, None),
            (i, o) => {
                let err = i.as_ref().err().or(o.as_ref().err()).map(|e| e.to_string());
                (i.unwrap_or_default(), o.unwrap_or_default(), err)
            }
        };
    // The raw microphone: echo cancellation would remove the very tone we listen for.
    let capture = Capture::start(
        CaptureConfig {
            device: input.map(str::to_owned),
            echo: None,
            ..CaptureConfig::default()
        },
        None,
    );
    let player = Player::start(
        PlayerConfig {
            device: output.map(str::to_owned),
            ..PlayerConfig::default()
        },
        None,
    );
    let running = |state: crate::DeviceState| match state {
        crate::DeviceState::Running {
            device,
            sample_rate,
            channels,
        } => (
            Some(device.clone()),
            format!("{device}: {sample_rate} Hz, {channels} ch"),
        ),
        other => (None, format!("{other:?}")),
    };
    let input_check = match &capture {
        Ok(c) => {
            let (device, detail) = running(c.state().borrow().clone());
            Check {
                ok: true,
                device,
                detail,
            }
        }
        Err(e) => Check {
            ok: false,
            device: None,
            detail: e.to_string(),
        },
    };
    let output_check = match &player {
        Ok(p) => {
            let (device, detail) = running(p.state().borrow().clone());
            Check {
                ok: true,
                device,
                detail,
            }
        }
        Err(e) => Check {
            ok: false,
            device: None,
            detail: e.to_string(),
        },
    };
    let mut report = AudioReport {
        inputs,
        outputs,
        host_error,
        input: input_check,
        output: output_check,
        noise_floor_dbfs: None,
        tone: None,
    };
    let (Ok(mut capture), Ok(mut player)) = (capture, player) else {
        return report;
    };
    let floor = collect(&mut capture, Duration::from_millis(300));
    report.noise_floor_dbfs = Some(dsp::dbfs(dsp::rms_i16(&floor)));
    let frequency = 1000.0f32;
    let tone: Vec<i16> = (0..(tone_ms * u64::from(WIRE_RATE) / 1000))
        .map(|i| {
            (0.3 * (2.0 * std::f32::consts::PI * frequency * i as f32 / WIRE_RATE as f32).sin() * 32767.0)
                as i16
        })
        .collect();
    capture.clear();
    player.push("doctor-tone", &dsp::i16_to_bytes(&tone));
    // Record until the tone has played (a fresh device stream may pause once before it plays
    // steadily), then a little longer for the tail.
    let mut recorded = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(tone_ms + 2000);
    while player.is_playing() && Instant::now() < deadline {
        recorded.extend(collect(&mut capture, Duration::from_millis(20)));
    }
    recorded.extend(collect(&mut capture, Duration::from_millis(200)));
    let played = player.played("doctor-tone").map(|p| p.ms()).unwrap_or(0);
    let reference: Vec<f32> = tone.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let signal: Vec<f32> = recorded.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let (_, correlation) = dsp::best_alignment(&reference, &signal);
    let recorded_dbfs = dsp::dbfs(dsp::rms_i16(&recorded));
    report.tone = Some(ToneCheck {
        frequency_hz: frequency,
        duration_ms: tone_ms,
        played_ms: played,
        recorded_dbfs,
        correlation,
        heard: correlation > 0.5 && recorded_dbfs > -50.0,
    });
    report
}

fn collect(capture: &mut Capture, duration: Duration) -> Vec<i16> {
    let until = Instant::now() + duration;
    let mut out = Vec::new();
    while Instant::now() < until {
        match capture.try_frame() {
            Some(f) => out.extend_from_slice(&f.pcm),
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    out
}
