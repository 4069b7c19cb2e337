//! Offline speech for the local engine.
//!
//! | module | owns |
//! |---|---|
//! | [`tts`] | text to PCM16 mono 24 kHz, sentence by sentence, through flite |
//! | [`stt`] | PCM16 mono 24 kHz to text: pocketsphinx with a domain model while the visitor speaks, whisper when that is not sure |
//! | [`resample`] | rate conversion with a real resampler (rubato) |
//! | [`wav`] | WAV files in memory, to and from PCM16 mono |
//!
//! The C APIs are confined to the private `flite` and `sphinx` modules (whisper's is inside
//! whisper-rs); everything public is safe Rust. [`SpeechError`] is the crate's one error type.

mod error;
mod flite;
pub mod resample;
mod sphinx;
pub mod stt;
pub mod tts;
pub mod wav;

pub use error::{SpeechError, SttError, TtsError};
pub use stt::{Recognizer, Transcript};
pub use tts::{Synthesizer, Tts};
