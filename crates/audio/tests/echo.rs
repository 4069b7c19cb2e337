//! Echo cancellation measured: ERLE on a recorded-style echo (offline, deterministic), and
//! through the real devices, Donna's own voice coming back into the microphone must not open
//! the voice gate that triggers barge-in.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use donna_audio::{EchoCanceller, EchoSettings, PROCESS_RATE, dsp};

use donna_audio::signal::speech_like as voice;

/// The echo a speaker next to a microphone makes: 40 ms acoustic delay, attenuation and a
/// short decaying room response.
fn room_echo(far: &[f32]) -> Vec<f32> {
    let delay = (PROCESS_RATE / 1000 * 40) as usize;
    let taps = [
        (0usize, 0.5f32),
        (96, 0.2),
        (240, -0.12),
        (530, 0.07),
        (1100, 0.03),
    ];
    (0..far.len())
        .map(|i| {
            taps.iter()
                .filter_map(|&(d, g)| i.checked_sub(delay + d).map(|j| far[j] * g))
                .sum()
        })
        .collect()
}

fn erle(settings: EchoSettings) -> f32 {
    let far = voice(PROCESS_RATE, 8.0, 11);
    let mic = room_echo(&far);
    let mut aec = EchoCanceller::new(settings).unwrap();
    let out = aec.process_clip(&far, &mic).unwrap();
    // Judge the converged part: the last 4 s.
    let from = out.len() - PROCESS_RATE as usize * 4;
    dsp::erle_db(&mic[from..out.len()], &out[from..])
}

#[test]
fn the_echo_canceller_removes_the_speakers_echo() {
    let with = erle(EchoSettings {
        echo_cancellation: true,
        noise_suppression: true,
    });
    let without = erle(EchoSettings {
        echo_cancellation: false,
        noise_suppression: true,
    });
    eprintln!("ERLE with echo cancellation {with:.1} dB, without {without:.1} dB");
    assert!(with >= 20.0, "ERLE {with:.1} dB");
    assert!(
        without < 6.0,
        "noise suppression alone is not echo cancellation: {without:.1} dB"
    );
}

#[test]
fn near_end_speech_survives_the_echo_canceller() {
    // Double talk: the visitor speaks while Donna talks. The visitor must still be heard.
    let far = voice(PROCESS_RATE, 6.0, 11);
    let visitor = voice(PROCESS_RATE, 6.0, 99)
        .iter()
        .map(|s| s * 0.8)
        .collect::<Vec<_>>();
    let echo = room_echo(&far);
    let mut aec = EchoCanceller::new(EchoSettings::default()).unwrap();
    // Echo only for 3 s (convergence), then visitor + echo.
    let half = PROCESS_RATE as usize * 3;
    let mic: Vec<f32> = (0..far.len())
        .map(|i| echo[i] + if i >= half { visitor[i - half] } else { 0.0 })
        .collect();
    let out = aec.process_clip(&far, &mic).unwrap();
    let kept = dsp::rms(&out[half + 4800..]) / dsp::rms(&visitor[4800..far.len() - half]);
    eprintln!(
        "near-end speech kept at {:.1} dB during double talk",
        dsp::dbfs(kept)
    );
    assert!(kept > 0.2, "visitor suppressed: {kept}");
}
