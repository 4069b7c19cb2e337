//! Shared by the speech-to-text tests and benchmark: real speech from espeak-ng in two voices,
//! with and without noise, at the protocol's 24 kHz; the receptionist phrases; the domain of
//! the example clinic profile, read from its TOML without depending on the desk crate.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use donna_speech::stt::{Domain, INPUT_RATE};

/// In-domain phrases a front desk hears, using the example clinic's staff and departments.
pub const PHRASES: &[&str] = &[
    "Hi, I'm here to see Doctor Chen at two.",
    "Where is physiotherapy?",
    "I have a delivery for Maria Lopez.",
    "I have an appointment with Doctor Okafor at half past ten.",
    "What time do you close today?",
    "Yes please.",
    "I'm here to see Priya Shah.",
    "My appointment is at two thirty.",
    "Where are the toilets?",
    "I have a parcel for Tom Becker.",
    "Is Sarah Nguyen in today?",
    "No thank you.",
];

/// Speech the profile did not foresee: the fast path must not claim it.
pub const OUT_OF_DOMAIN: &[&str] = &[
    "My name is Oluwaseun Adebayo and I am from the city council.",
    "Could you call me a taxi to the train station please?",
    "I think I left my umbrella in the waiting room yesterday.",
    "Does the number twelve bus stop outside the building?",
    "My daughter has had a fever and a bad cough since Sunday.",
];

/// Visitors giving their own names, which no profile can list: the fast path must hand them
/// to whisper, however sure it is of the common words it made of them.
pub const NAMES_GIVEN: &[&str] = &[
    "My name is Ann Walker.",
    "My name is Tom Brown.",
    "I'm Grace Okoye.",
    "It's Peter Novak.",
    "My name is James Fletcher.",
    "My name's Li Wei.",
    "This is Sam Green.",
    "My name is Maria Rossi.",
];

/// How a phrase is rendered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub name: &'static str,
    /// espeak-ng voice and words per minute, pitch (0-99).
    pub voice: &'static str,
    pub speed: u32,
    pub pitch: u32,
    /// Signal-to-noise ratio of added pink noise in dB; `None` for clean speech.
    pub snr_db: Option<f32>,
}

pub const CONDITIONS: &[Condition] = &[
    Condition {
        name: "voice A (en-us, 150 wpm)",
        voice: "en-us",
        speed: 150,
        pitch: 50,
        snr_db: None,
    },
    Condition {
        name: "voice B (en-us+f3, 130 wpm)",
        voice: "en-us+f3",
        speed: 130,
        pitch: 60,
        snr_db: None,
    },
    Condition {
        name: "voice A + pink noise 20 dB",
        voice: "en-us",
        speed: 150,
        pitch: 50,
        snr_db: Some(20.0),
    },
    Condition {
        name: "voice B + pink noise 15 dB",
        voice: "en-us+f3",
        speed: 130,
        pitch: 60,
        snr_db: Some(15.0),
    },
];

/// `text` spoken by espeak-ng under `condition`, as PCM16 mono 24 kHz; `None` when espeak-ng is
/// not installed.
pub fn speak(text: &str, condition: &Condition) -> Option<Vec<i16>> {
    let out = Command::new("espeak-ng")
        .args(["-v", condition.voice, "-s", &condition.speed.to_string()])
        .args(["-p", &condition.pitch.to_string(), "--stdout", text])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut pcm = donna_speech::wav::decode_at(&out.stdout, INPUT_RATE).unwrap();
    // Half a second of room tone either side, as a voice activity detector would cut it.
    let pad = vec![0i16; INPUT_RATE as usize / 4];
    pcm = [&pad[..], &pcm, &pad].concat();
    if let Some(snr) = condition.snr_db {
        add_pink_noise(&mut pcm, snr, text.len() as u64);
    }
    Some(pcm)
}

/// Mix in pink noise (Paul Kellet's economy filter over white noise from a fixed-seed
/// generator, so every run hears the same noise) at `snr_db` below the speech's power.
fn add_pink_noise(pcm: &mut [i16], snr_db: f32, seed: u64) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut white = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) * 2.0 - 1.0
    };
    let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
    let noise: Vec<f32> = (0..pcm.len())
        .map(|_| {
            let w = white();
            b0 = 0.99765 * b0 + w * 0.0990460;
            b1 = 0.96300 * b1 + w * 0.2965164;
            b2 = 0.57000 * b2 + w * 1.0526913;
            b0 + b1 + b2 + w * 0.1848
        })
        .collect();
    // Speech power over the voiced part only, so the padding does not flatter the ratio.
    let voiced: Vec<f32> = pcm
        .iter()
        .map(|&s| f32::from(s))
        .filter(|s| s.abs() > 300.0)
        .collect();
    let speech = voiced.iter().map(|s| s * s).sum::<f32>() / voiced.len().max(1) as f32;
    let power = noise.iter().map(|n| n * n).sum::<f32>() / noise.len().max(1) as f32;
    let gain = (speech / power / 10f32.powf(snr_db / 10.0)).sqrt();
    for (s, n) in pcm.iter_mut().zip(noise) {
        *s = (f32::from(*s) + n * gain).clamp(-32768.0, 32767.0) as i16;
    }
}

/// The example clinic's vocabulary, read from its profile as the engine will read it.
pub fn harbor_domain() -> Domain {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../desk/profiles/harbor-clinic.toml");
    let profile: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let strings = |value: Option<&toml::Value>| -> Vec<String> {
        value
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let tables = |key: &str| -> Vec<toml::Table> {
        profile
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_table().cloned()).collect())
            .unwrap_or_default()
    };
    let field = |t: &toml::Table, k: &str| t.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let staff = tables("staff");
    let faq = tables("faq");
    Domain {
        organisation: profile
            .get("organisation")
            .and_then(|o| o.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or("")
            .to_owned(),
        names: staff.iter().map(|s| field(s, "name")).collect(),
        aliases: staff.iter().flat_map(|s| strings(s.get("aliases"))).collect(),
        departments: tables("departments").iter().map(|d| field(d, "name")).collect(),
        topics: faq
            .iter()
            .flat_map(|f| std::iter::once(field(f, "topic")).chain(strings(f.get("keywords"))))
            .collect(),
    }
}

/// The whisper model installed in `DONNA_MODELS_DIR`, if it is there and intact.
pub fn whisper_model() -> Option<PathBuf> {
    donna_models::installed_from_env()
}

pub fn espeak_available() -> bool {
    Command::new("espeak-ng")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
