//! Offline speech to text for the local engine.
//!
//! Two recognisers behind one [`Recognizer`]:
//!
//! | path | engine | cost after the end of speech | good at |
//! |---|---|---|---|
//! | [`Path::Fast`] | pocketsphinx with a language model generated from the business's profile ([`fast`], [`domain`]) | tens of milliseconds | the short sentences a front desk hears every day |
//! | [`Path::Accurate`] | whisper tiny.en ([`whisper`]) | about 1 s on two cores | anything, including what the profile did not foresee |
//!
//! Input everywhere is the protocol's PCM16 mono 24 kHz; both models read 16 kHz, and the
//! crate's resampler converts. Everything here blocks: the engine calls it from a blocking
//! thread. Voice activity detection (when an utterance starts and ends) is the engine's.

pub mod arpa;
pub mod cpu;
pub mod domain;
pub mod fast;
mod lexicon;
pub mod text;
mod transcriber;
mod transcript;
pub mod whisper;

use std::sync::Arc;
use std::time::Instant;

pub use domain::{Domain, DomainModel, InDomain};
pub use fast::{FastRecognizer, FastResult};
pub use lexicon::Source as PronunciationSource;
pub use transcriber::{Heard, LiveRecognizer, Transcriber};
pub use transcript::{INPUT_RATE, MODEL_RATE, Path, Transcript};
pub use whisper::{Whisper, WhisperOptions, Window};

use crate::SpeechError;

/// The fast result is kept when it is in domain and its confidence (its least certain word's
/// posterior) is at least this.
///
/// On the benchmark's synthetic speech (`benches/stt.rs`, figures in BENCHMARKS.md), 0.5 kept 30
/// of 48 in-domain utterances with 1.3 % WER among them and none of 20 out-of-domain ones (the
/// most confident of those, where every word happened to be in domain, scored 0.01). A lower
/// threshold, about 0.2, gives the lowest overall WER on that set, but only because whisper
/// tiny.en is unusually weak on espeak voices (27 % on the utterances concerned); on human
/// speech whisper does far better and pocketsphinx worse, so the fast path is trusted only
/// where it was almost never wrong. Its wrong answers are plausible in-domain sentences, which
/// are the costliest mistakes a receptionist can make.
pub const FAST_CONFIDENCE: f32 = 0.5;

/// Both recognisers for one session: pocketsphinx captions while the visitor speaks; at the end
/// of speech its result stands when it is sure and in domain, and whisper transcribes the same
/// audio otherwise.
#[derive(Debug)]
pub struct Recognizer {
    fast: FastRecognizer,
    whisper: Option<Arc<Whisper>>,
    /// See [`FAST_CONFIDENCE`].
    pub threshold: f32,
    /// The cores' work since the utterance started: whisper's threads follow what was free.
    started: Option<cpu::CpuSnapshot>,
}

impl Recognizer {
    /// `whisper` is shared between sessions. Without it (model not installed) every result is
    /// the fast one, for the caller to judge by its confidence: a result with a word outside the
    /// domain then has confidence 0, since whatever the fast path made of it is a guess.
    pub fn new(fast: FastRecognizer, whisper: Option<Arc<Whisper>>) -> Self {
        Self {
            fast,
            whisper,
            threshold: FAST_CONFIDENCE,
            started: None,
        }
    }

    /// Begin an utterance (speech started).
    pub fn start(&mut self) -> Result<(), SpeechError> {
        self.started = cpu::CpuSnapshot::now();
        self.fast.start()
    }

    /// More speech (PCM16 mono 24 kHz); returns the live caption so far.
    pub fn feed(&mut self, pcm: &[i16]) -> Result<String, SpeechError> {
        // The first audio after a finish starts the next utterance.
        if self.started.is_none() {
            self.started = cpu::CpuSnapshot::now();
        }
        self.fast.feed(pcm)
    }

    /// Speech stopped: the transcript of the utterance.
    pub fn finish(&mut self) -> Result<Transcript, SpeechError> {
        let started = Instant::now();
        let started_at = self.started.take();
        let fast = self.fast.finish()?;
        let accept = fast.in_domain && fast.confidence >= self.threshold;
        match &self.whisper {
            Some(whisper) if !accept => {
                let audio: Vec<f32> = self
                    .fast
                    .audio()
                    .iter()
                    .map(|&s| f32::from(s) / 32768.0)
                    .collect();
                let threads = cpu::threads_for(whisper.max_threads(), started_at.as_ref());
                let mut transcript = whisper.transcribe_16k_with(&audio, threads)?;
                transcript.elapsed = started.elapsed();
                Ok(transcript)
            }
            _ => Ok(Transcript {
                text: fast.text,
                confidence: if fast.in_domain { fast.confidence } else { 0.0 },
                path: Path::Fast,
                elapsed: started.elapsed(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognisers_move_to_blocking_threads_and_whisper_is_shared() {
        fn send<T: Send>() {}
        fn share<T: Send + Sync>() {}
        send::<FastRecognizer>();
        send::<Recognizer>();
        share::<Whisper>();
    }
}
