//! Text to speech for the engine: flite's US English voice, one sentence at a time, delivered as
//! PCM16 mono 24 kHz (the protocol's rate).

use crate::{TtsError, flite, resample};

/// The protocol's output rate.
pub const OUTPUT_RATE: u32 = 24_000;

/// Anything that turns a sentence into PCM16 mono 24 kHz; the engine holds one.
pub trait Synthesizer: Send + Sync + std::fmt::Debug + 'static {
    fn synthesize(&self, sentence: &str) -> Result<Vec<i16>, TtsError>;
}

/// flite's cmu_us_slt voice.
#[derive(Debug, Clone)]
pub struct Tts {
    /// 1.0 is the voice's normal rate; 1.2 is 20 % faster.
    pub speed: f32,
    /// Spellings substituted before synthesis so names are said right ("Okafor" → "Oh-kah-for").
    pub lexicon: Vec<(String, String)>,
}

impl Default for Tts {
    fn default() -> Self {
        Self {
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
        let wave = flite::synthesize(&text, self.speed).ok_or(TtsError::NoAudio)?;
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
}
