//! The accurate path: whisper tiny.en (ggml, q8_0) through whisper-rs.
//!
//! Decoding is set for bounded latency and no surprises: greedy with one candidate, English,
//! one segment without timestamps, no carried-over context, and no temperature fallback (which
//! re-decodes up to five times when a decode looks poor, making the worst case several times
//! the usual second). The model is loaded once; one decoding state is reused under a lock,
//! since whisper is CPU-bound and a second utterance would only compete for the same cores.
//!
//! whisper's encoder reads a 30 s window whatever the utterance's length, and that encoding is
//! most of an utterance's cost. A window fitted to the sentence ([`Window::Fitted`]) takes
//! about a third of the time and, on the benchmark's free-form sentences, makes fewer errors;
//! but whisper tiny was trained on 30 s windows only, and in a shortened one it mishears some
//! short front-desk sentences ("I'm here to see Doctor Chen at two" as "... Noctor Canada
//! too"), which are the ones that matter most. So the full window stays the default
//! (BENCHMARKS.md). Text is capped at a rate no speaker reaches either way: whisper can repeat
//! a phrase until something stops it.
//!
//! [`Whisper::lazy`] checks the file at once but loads the model at its first utterance: a
//! kiosk whose visitors the fast path understands never holds whisper's ~70 MiB (about 0.1 s
//! of load on the first hard utterance instead).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState};

use super::transcript::{INPUT_RATE, MODEL_RATE, Path as TranscriptPath, Transcript};
use crate::{SpeechError, resample};

/// How whisper runs.
#[derive(Debug, Clone)]
pub struct WhisperOptions {
    /// The most CPU threads for one utterance; by default as many as the machine has cores, up
    /// to two. On an idle two-core machine two threads halve the time (1.86 s to 0.98 s for a
    /// 4 s sentence); when the other core is busy they are erratic (ggml spin-waits for its
    /// workers), so [`super::Recognizer`] uses fewer when fewer cores are free
    /// ([`super::cpu`]).
    pub threads: usize,
    /// Initial prompt, usually [`super::Domain::whisper_prompt`]: the staff directory, so that
    /// names come out spelt as the business spells them.
    pub prompt: String,
    /// How much audio the encoder reads for each utterance.
    pub window: Window,
}

impl Default for WhisperOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
            prompt: String::new(),
            window: Window::Full,
        }
    }
}

/// The audio window whisper's encoder reads, in its frames of 20 ms (1,500 make 30 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    /// The utterance and 1.28 s more, and at least 10.24 s: below about 10 s whisper tiny
    /// misreads most short sentences and falls into repeating them (BENCHMARKS.md).
    Fitted,
    /// Always the 30 s whisper was trained on.
    #[default]
    Full,
}

impl Window {
    /// The encoder frames for `samples` of 16 kHz audio.
    pub fn frames(self, samples: usize) -> usize {
        match self {
            Self::Full => FULL_FRAMES,
            Self::Fitted => (samples.div_ceil(SAMPLES_PER_FRAME) + FITTED_MARGIN_FRAMES)
                .clamp(FITTED_FLOOR_FRAMES, FULL_FRAMES),
        }
    }
}

/// whisper's full window: 30 s in encoder frames of 20 ms.
const FULL_FRAMES: usize = 1_500;
/// One encoder frame of 16 kHz audio.
const SAMPLES_PER_FRAME: usize = MODEL_RATE as usize / 50;
/// Room after the utterance, for its last word's tail.
const FITTED_MARGIN_FRAMES: usize = 64;
/// The shortest window: 10.24 s.
const FITTED_FLOOR_FRAMES: usize = 512;

/// The most text tokens for `samples` of 16 kHz audio: ten a second, about twice a fast
/// speaker's rate, and a few for a word of under a second.
fn max_tokens(samples: usize) -> usize {
    samples / (MODEL_RATE as usize / 10) + 8
}

/// A whisper model, loaded now or at first use. Shareable between threads; utterances are
/// decoded one at a time.
pub struct Whisper {
    loaded: Mutex<Option<std::sync::Arc<Loaded>>>,
    params: FullParams<'static, 'static>,
    path: PathBuf,
    max_threads: usize,
    window: Window,
}

/// The model in memory and its one decoding state.
struct Loaded {
    /// Kept so the model outlives the state.
    _context: WhisperContext,
    state: Mutex<WhisperState>,
    /// Token ids from here on are special (end of text, timestamps, language): not words.
    first_special: i32,
}

impl std::fmt::Debug for Whisper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Whisper")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// whisper.cpp ignores input shorter than a second; a "yes" is shorter, so it is padded with
/// silence to this many samples at 16 kHz.
const MIN_SAMPLES: usize = MODEL_RATE as usize * 5 / 4;

/// The first four bytes of a ggml whisper model ("ggml" as a little-endian u32).
const GGML_MAGIC: [u8; 4] = *b"lmgg";

impl Whisper {
    /// Load the model at `model_path` now (about 0.1 s for tiny.en q8_0).
    pub fn new(model_path: impl AsRef<Path>, options: WhisperOptions) -> Result<Self, SpeechError> {
        let whisper = Self::lazy(model_path, options)?;
        whisper.loaded()?;
        Ok(whisper)
    }

    /// Check the model at `model_path` now and load it at the first utterance.
    pub fn lazy(model_path: impl AsRef<Path>, options: WhisperOptions) -> Result<Self, SpeechError> {
        let path = model_path.as_ref().to_owned();
        let mut magic = [0u8; 4];
        let opened = std::fs::File::open(&path);
        if !path.is_file() || opened.is_err() {
            return Err(SpeechError::ModelMissing { path });
        }
        // Checked before whisper.cpp reads it: it trusts the header of what it is given.
        let readable = opened.and_then(|mut f| f.read_exact(&mut magic));
        if readable.is_err() || magic != GGML_MAGIC {
            return Err(SpeechError::ModelInvalid { path });
        }
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(options.threads.clamp(1, 64) as i32);
        params.set_language(Some("en"));
        params.set_translate(false);
        params.set_no_timestamps(true);
        params.set_single_segment(true);
        params.set_no_context(true);
        params.set_temperature(0.0);
        params.set_temperature_inc(0.0);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        let prompt = options.prompt.replace('\0', " ");
        if !prompt.trim().is_empty() {
            params.set_initial_prompt(prompt.trim());
        }
        Ok(Self {
            loaded: Mutex::new(None),
            params,
            path,
            max_threads: options.threads.clamp(1, 64),
            window: options.window,
        })
    }

    /// The model in memory, loading it on first use.
    fn loaded(&self) -> Result<std::sync::Arc<Loaded>, SpeechError> {
        let mut slot = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(loaded) = slot.as_ref() {
            return Ok(loaded.clone());
        }
        let started = Instant::now();
        // whisper.cpp and ggml print every load step to stderr; route them to `tracing` instead.
        whisper_rs::install_logging_hooks();
        let context = WhisperContext::new_with_params(&self.path, WhisperContextParameters::default())
            .map_err(|_| SpeechError::ModelInvalid {
                path: self.path.clone(),
            })?;
        let state = context.create_state()?;
        let loaded = std::sync::Arc::new(Loaded {
            first_special: context.token_eot(),
            state: Mutex::new(state),
            _context: context,
        });
        tracing::info!(ms = started.elapsed().as_millis() as u64, path = %self.path.display(), "whisper model loaded");
        *slot = Some(loaded.clone());
        Ok(loaded)
    }

    /// True once the model is in memory.
    pub fn is_loaded(&self) -> bool {
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Transcribe one utterance of PCM16 mono 24 kHz.
    ///
    /// `confidence` is the mean probability whisper gave each text token it chose: near 1 when
    /// it never hesitated, lower when the audio left it torn between readings. It does not
    /// catch a confident hallucination (whisper can write a fluent sentence over noise).
    pub fn transcribe(&self, pcm: &[i16]) -> Result<Transcript, SpeechError> {
        let started = Instant::now();
        let audio = resample::resample_f32(pcm, INPUT_RATE, MODEL_RATE)?;
        let mut transcript = self.transcribe_16k(&audio)?;
        transcript.elapsed = started.elapsed();
        Ok(transcript)
    }

    /// The threads it was configured with, at most.
    pub fn max_threads(&self) -> usize {
        self.max_threads
    }

    /// Transcribe mono 16 kHz samples in -1..1, with the configured threads.
    pub fn transcribe_16k(&self, audio: &[f32]) -> Result<Transcript, SpeechError> {
        self.transcribe_16k_with(audio, self.max_threads)
    }

    /// Transcribe mono 16 kHz samples in -1..1 with `threads` CPU threads (at most the
    /// configured number).
    pub fn transcribe_16k_with(&self, audio: &[f32], threads: usize) -> Result<Transcript, SpeechError> {
        let started = Instant::now();
        let mut transcript = Transcript {
            text: String::new(),
            confidence: 0.0,
            path: TranscriptPath::Accurate,
            elapsed: Default::default(),
        };
        if audio.is_empty() {
            return Ok(transcript);
        }
        let padded;
        let audio = if audio.len() < MIN_SAMPLES {
            padded = [audio, &vec![0.0; MIN_SAMPLES - audio.len()]].concat();
            &padded[..]
        } else {
            audio
        };
        let loaded = self.loaded()?;
        let mut state = loaded.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut params = self.params.clone();
        params.set_n_threads(threads.clamp(1, self.max_threads) as i32);
        if self.window != Window::Full {
            params.set_audio_ctx(self.window.frames(audio.len()) as i32);
        }
        params.set_max_tokens(max_tokens(audio.len()) as i32);
        state.full(params, audio)?;
        let (mut text, mut probability, mut tokens) = (String::new(), 0.0f64, 0usize);
        for segment in state.as_iter() {
            text.push_str(&segment.to_str_lossy()?);
            for i in 0..segment.n_tokens() {
                let Some(token) = segment.get_token(i) else {
                    continue;
                };
                if token.token_id() < loaded.first_special {
                    probability += f64::from(token.token_probability());
                    tokens += 1;
                }
            }
        }
        transcript.text = text.trim().to_owned();
        if tokens > 0 {
            transcript.confidence = (probability / tokens as f64).clamp(0.0, 1.0) as f32;
        }
        transcript.elapsed = started.elapsed();
        Ok(transcript)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fitted_window_follows_the_utterance_between_its_floor_and_thirty_seconds() {
        let second = MODEL_RATE as usize;
        // A "yes" and a three-second sentence both get the floor: 10.24 s.
        assert_eq!(Window::Fitted.frames(second / 2), 512);
        assert_eq!(Window::Fitted.frames(3 * second), 512);
        // Twelve seconds: every frame of it and 1.28 s more.
        assert_eq!(Window::Fitted.frames(12 * second), 600 + 64);
        // Never more than whisper's own 30 s.
        assert_eq!(Window::Fitted.frames(40 * second), 1_500);
        assert_eq!(Window::Full.frames(second), 1_500);
    }

    #[test]
    fn text_is_capped_well_above_any_speakers_rate() {
        let second = MODEL_RATE as usize;
        assert_eq!(max_tokens(0), 8);
        // Four seconds at a brisk three words a second is about 16 tokens.
        assert_eq!(max_tokens(4 * second), 48);
    }
}
