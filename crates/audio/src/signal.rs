//! Speech-like test signals for the device tests, the echo canceller's checks and the
//! benchmarks. The main one is a gliding harmonic voice in a syllable rhythm with a little
//! noise, so it has the pauses, pitch movement and broad spectrum that echo cancellation, level
//! metering and correlation need, and one clear correlation peak. Deterministic for a given
//! seed.

use std::f32::consts::PI;

/// `secs` seconds at `rate` of speech-like audio, peaking near 0.3 of full scale.
pub fn speech_like(rate: u32, secs: f32, seed: u32) -> Vec<f32> {
    let mut seed = seed;
    let mut phase = 0.0f32;
    (0..(rate as f32 * secs) as usize)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let f0 = 150.0 + 70.0 * (2.0 * PI * 0.9 * t).sin();
            phase += 2.0 * PI * f0 / rate as f32;
            let harmonics: f32 = (1..8).map(|h| (phase * h as f32).sin() / h as f32).sum();
            let syllables = (2.0 * PI * 2.5 * t).sin().max(0.0);
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.05;
            0.3 * syllables * (harmonics + noise)
        })
        .collect()
}

/// `secs` seconds at `rate` of a voice that never falls silent (its level swings between half
/// and full in a syllable rhythm), peaking near 0.25 of full scale. For checks whose outcome
/// should not hang on where the pauses fall, such as the echo canceller's first half second,
/// which it spends learning the echo path.
pub fn sustained_voice(rate: u32, secs: f32, seed: u32) -> Vec<f32> {
    let mut seed = seed;
    let mut phase = 0.0f32;
    (0..(rate as f32 * secs) as usize)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let f0 = 140.0 + 60.0 * (2.0 * PI * 0.7 * t).sin();
            phase += 2.0 * PI * f0 / rate as f32;
            let harmonics: f32 = (1..6).map(|h| (phase * h as f32).sin() / h as f32).sum();
            let envelope = 0.5 + 0.5 * (2.0 * PI * 3.0 * t).sin().abs();
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = ((seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.02;
            0.25 * envelope * harmonics + noise
        })
        .collect()
}
