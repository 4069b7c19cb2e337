//! Text to speech for the engine: flite's US English voices, one sentence at a time, delivered
//! as PCM16 mono 24 kHz (the protocol's rate).

use crate::{TtsError, flite, resample};

/// The protocol's output rate.
pub const OUTPUT_RATE: u32 = 24_000;

/// Anything that turns a sentence into PCM16 mono 24 kHz; the engine holds one.
pub trait Synthesizer: Send + Sync + std::fmt::Debug + 'static {
    fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, TtsError>;
}

/// The flite voices Debian ships (all permissively licensed, all US English).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Voice {
    /// A woman's voice (cmu_us_slt, unit selection): the most natural, the default.
    #[default]
    Slt,
    /// A man's voice (cmu_us_rms, unit selection).
    Rms,
    /// A Scottish man's voice (cmu_us_awb, unit selection).
    Awb,
    /// A man's voice (cmu_us_kal16, diphone): robotic, but the cheapest.
    Kal,
}

impl Voice {
    /// Every voice, by the names settings use.
    pub const ALL: [(&'static str, Voice); 4] = [
        ("slt", Voice::Slt),
        ("rms", Voice::Rms),
        ("awb", Voice::Awb),
        ("kal", Voice::Kal),
    ];

    /// The voice called `name` (`slt`, `rms`, `awb` or `kal`, any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .map(|&(_, v)| v)
    }

    /// The index of its registration in the FFI module.
    fn index(self) -> usize {
        self as usize
    }
}

/// A flite voice with Donna's settings.
#[derive(Debug, Clone)]
pub struct Tts {
    pub voice: Voice,
    /// 1.0 is the voice's normal rate; 1.2 is 20 % faster.
    pub speed: f32,
    /// Spellings substituted before synthesis so names are said right ("Okafor" → "Oh-kah-for").
    pub lexicon: Vec<(String, String)>,
}

impl Default for Tts {
    fn default() -> Self {
        Self {
            voice: Voice::default(),
            speed: 1.0,
            lexicon: Vec::new(),
        }
    }
}

impl Synthesizer for Tts {
    fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, TtsError> {
        let mut text = sentence.to_owned();
        for (word, say_as) in &self.lexicon {
            text = text.replace(word, say_as);
        }
        let wave = flite::synthesize(&text, self.voice.index(), self.speed).ok_or(TtsError::NoAudio)?;
        if wave.samples.is_empty() {
            return Err(TtsError::NoAudio);
        }
        resample::resample(&wave.samples, wave.sample_rate, OUTPUT_RATE)
    }
}

/// Split a reply into sentences, keeping their punctuation, so synthesis can start on the first
/// while the rest waits.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        let end = matches!(c, '.' | '!' | '?') && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
        // "Dr." and "Mrs." are not sentence ends.
        let title = current
            .trim_end()
            .rsplit(' ')
            .next()
            .is_some_and(|w| matches!(w, "Dr." | "Mr." | "Mrs." | "Ms."));
        if end && !title {
            out.push(std::mem::take(&mut current).trim().to_owned());
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_on_ends_not_titles() {
        assert_eq!(
            sentences("Thank you, Ann. I've let Dr. Chen know! Please sit"),
            ["Thank you, Ann.", "I've let Dr. Chen know!", "Please sit"]
        );
    }

    #[test]
    fn flite_speaks_a_sentence_at_24_khz() {
        let tts = Tts::default();
        let audio = tts
            .synthesize("Doctor Patel will be with you in about five minutes.")
            .unwrap();
        let seconds = audio.len() as f64 / f64::from(OUTPUT_RATE);
        assert!((1.5..6.0).contains(&seconds), "{seconds} s");
        let rms = (audio.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / audio.len() as f64).sqrt();
        assert!(rms > 500.0, "audible speech, rms {rms}");
        let faster = Tts {
            speed: 1.5,
            ..Tts::default()
        }
        .synthesize("Doctor Patel will be with you in about five minutes.")
        .unwrap();
        assert!(faster.len() < audio.len() * 9 / 10, "speed shortens the audio");
    }

    /// Median pitch in Hz over the loud 40 ms frames, by autocorrelation (60-400 Hz).
    fn median_pitch(audio: &[i16]) -> f64 {
        let rate = f64::from(OUTPUT_RATE);
        let (min_lag, max_lag) = ((rate / 400.0) as usize, (rate / 60.0) as usize);
        let mut pitches: Vec<f64> = audio
            .chunks_exact(960)
            .filter(|f| f.iter().map(|&s| f64::from(s).abs()).sum::<f64>() / 960.0 > 1000.0)
            .map(|f| {
                let corr = |lag: usize| -> f64 {
                    f.iter()
                        .zip(&f[lag..])
                        .map(|(&a, &b)| f64::from(a) * f64::from(b))
                        .sum()
                };
                let best = (min_lag..max_lag).max_by(|&a, &b| corr(a).total_cmp(&corr(b)));
                rate / best.unwrap_or(min_lag) as f64
            })
            .collect();
        pitches.sort_by(f64::total_cmp);
        pitches.get(pitches.len() / 2).copied().unwrap_or(0.0)
    }

    #[test]
    fn every_voice_speaks_and_they_differ() {
        let sentence = "Please take a seat; Doctor Patel will be with you shortly.";
        let mut pitches = Vec::new();
        for (name, voice) in Voice::ALL {
            assert_eq!(Voice::from_name(&name.to_uppercase()), Some(voice));
            let audio = Tts {
                voice,
                ..Tts::default()
            }
            .synthesize(sentence)
            .unwrap();
            let seconds = audio.len() as f64 / f64::from(OUTPUT_RATE);
            assert!((1.5..8.0).contains(&seconds), "{name}: {seconds} s");
            pitches.push((name, median_pitch(&audio)));
        }
        let pitch = |n: &str| pitches.iter().find(|(name, _)| *name == n).map(|p| p.1).unwrap();
        // The woman's voice is pitched well above the men's.
        for man in ["rms", "awb", "kal"] {
            assert!(pitch("slt") > pitch(man) * 1.2, "{pitches:?}");
        }
        assert_eq!(Voice::from_name("alloy"), None);
    }
}
