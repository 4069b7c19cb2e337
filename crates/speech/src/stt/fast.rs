//! The fast path: pocketsphinx with the generated domain model, decoding while the visitor
//! speaks. It gives live captions and, for the short in-domain sentences that make up most of a
//! front desk's traffic, a final transcript in a fraction of whisper's time.

use std::time::{Duration, Instant};

use super::domain::{DomainModel, InDomain};
use super::transcript::{INPUT_RATE, MODEL_RATE};
use crate::SpeechError;
use crate::resample::Stream;
use crate::sphinx::Decoder;

/// The fast recogniser's final answer for one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct FastResult {
    /// Lower-case words, fillers and silences removed ("i'm here to see doctor chen").
    pub text: String,
    /// See [`FastRecognizer::finish`].
    pub confidence: f32,
    /// The words follow the domain's sentences (see [`InDomain`]): none came from the
    /// background words, and none is out of the sentences' order.
    pub in_domain: bool,
    /// Time spent in `finish` (the work left after the end of speech).
    pub elapsed: Duration,
}

/// pocketsphinx decoding one utterance at a time. Not shareable between threads; one per
/// session, moved into whichever blocking thread runs it.
#[derive(Debug)]
pub struct FastRecognizer {
    decoder: Decoder,
    resampler: Stream,
    /// The utterance so far at 16 kHz, kept for a second opinion from whisper.
    audio: Vec<i16>,
    /// How much of `audio` the decoder has seen.
    decoded: usize,
    in_domain: InDomain,
    in_utterance: bool,
    /// Utterances finished by this decoder; see [`FastRecognizer::finish`].
    finished: u64,
    /// State of the dither's noise generator; see [`Dither`].
    dither: Dither,
}

/// One least-significant bit of noise added to what the decoder hears. Runs of exact zeros
/// (synthetic speech, a muted microphone, padding) have no log energy and throw pocketsphinx's
/// feature normalisation off. pocketsphinx can dither by itself (`-dither`), but with one
/// process-wide random generator that concurrent decoders would share unsynchronised; this one
/// belongs to the recogniser and restarts with each utterance, so a result never depends on
/// what other sessions decode.
#[derive(Debug, Clone, Copy)]
struct Dither(u32);

impl Dither {
    const SEED: u32 = 0x2545_f491;

    fn apply(&mut self, pcm: &[i16]) -> Vec<i16> {
        pcm.iter()
            .map(|&s| {
                // Numerical Recipes' LCG; its top bits are the good ones. One sample in four
                // gains one step, which is what pocketsphinx's own dither does.
                self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                s.saturating_add(i16::from(self.0 >> 30 == 0))
            })
            .collect()
    }
}

impl FastRecognizer {
    /// Load the decoder for `model` (a few milliseconds with the trimmed dictionary).
    pub fn new(model: &DomainModel) -> Result<Self, SpeechError> {
        if !model.acoustic_model.join("mdef").is_file() {
            return Err(SpeechError::AcousticModelMissing {
                path: model.acoustic_model.clone(),
            });
        }
        let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
        let (hmm, lm, dict) = (path(&model.acoustic_model), path(&model.lm), path(&model.dict));
        let decoder = Decoder::new(&[
            ("-hmm", &hmm),
            ("-lm", &lm),
            ("-dict", &dict),
            ("-logfn", "/dev/null"),
        ])
        .ok_or_else(|| SpeechError::DecoderInit {
            dir: model.lm.parent().map(|p| p.to_owned()).unwrap_or_default(),
        })?;
        Ok(Self {
            decoder,
            resampler: Stream::new(INPUT_RATE, MODEL_RATE)?,
            audio: Vec::new(),
            decoded: 0,
            in_domain: model.in_domain.clone(),
            in_utterance: false,
            finished: 0,
            dither: Dither(Dither::SEED),
        })
    }

    /// Begin an utterance, dropping anything left of the last one.
    pub fn start(&mut self) -> Result<(), SpeechError> {
        if self.in_utterance {
            self.decoder.end()?;
        }
        let mut discard = Vec::new();
        self.resampler.finish(&mut discard)?;
        self.audio.clear();
        self.decoded = 0;
        self.dither = Dither(Dither::SEED);
        self.decoder.start()?;
        self.in_utterance = true;
        Ok(())
    }

    /// Decode more of the utterance (PCM16 mono 24 kHz, any length) and return the caption so
    /// far. Starts an utterance if none is running.
    pub fn feed(&mut self, pcm: &[i16]) -> Result<String, SpeechError> {
        if !self.in_utterance {
            self.start()?;
        }
        self.resampler.push(pcm, &mut self.audio)?;
        self.decode_pending()?;
        Ok(self.decoder.hypothesis())
    }

    /// End the utterance and return the final hypothesis.
    ///
    /// `confidence` is the lowest lattice posterior of any spoken word of the best path: the
    /// probability, given the audio and the model, that this word and not a competitor was
    /// said there. The minimum rather than the mean, because one doubtful word (a name, a
    /// time) is enough to make the sentence wrong; and rather than pocketsphinx's posterior of
    /// the whole path (`ps_get_prob`), which shrinks with every word of a long sentence. It is
    /// 0 for an empty hypothesis.
    pub fn finish(&mut self) -> Result<FastResult, SpeechError> {
        let started = Instant::now();
        if !self.in_utterance {
            self.start()?;
        }
        self.resampler.finish(&mut self.audio)?;
        self.decode_pending()?;
        self.decoder.end()?;
        self.in_utterance = false;
        if self.finished == 0 {
            // Cepstral mean normalisation starts from the acoustic model's training average and
            // adapts as speech comes in, so a decoder's first utterance is heard through a
            // mismatched channel (measured: first sentences lost half their words). It has
            // adapted by now: decode the first utterance again. Later ones start adapted.
            self.dither = Dither(Dither::SEED);
            let audio = self.dither.apply(&self.audio);
            self.decoder.start()?;
            self.decoder.process(&audio)?;
            self.decoder.end()?;
        }
        self.finished += 1;
        let text = self.decoder.hypothesis();
        let spoken: Vec<_> = self
            .decoder
            .words()
            .into_iter()
            .filter(|w| !is_filler(&w.word))
            .collect();
        let confidence = spoken
            .iter()
            .map(|w| w.posterior)
            .fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.min(p))));
        let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).map(base_word).collect();
        let in_domain = self.in_domain.holds(&words);
        Ok(FastResult {
            text,
            confidence: confidence.unwrap_or(0.0).clamp(0.0, 1.0) as f32,
            in_domain,
            elapsed: started.elapsed(),
        })
    }

    /// The current or last utterance at 16 kHz.
    pub fn audio(&self) -> &[i16] {
        &self.audio
    }

    fn decode_pending(&mut self) -> Result<(), SpeechError> {
        let pending = self.dither.apply(&self.audio[self.decoded..]);
        self.decoder.process(&pending)?;
        self.decoded = self.audio.len();
        Ok(())
    }
}

/// Sentence markers, silence and noise words (`<s>`, `<sil>`, `[NOISE]`, `++breath++`).
fn is_filler(word: &str) -> bool {
    word.starts_with('<') || word.starts_with('[') || word.starts_with("++")
}

/// `two(2)` is the second pronunciation of `two`.
fn base_word(word: &str) -> &str {
    word.split_once('(').map_or(word, |(w, _)| w)
}
