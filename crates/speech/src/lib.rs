//! Offline speech for the local engine.
//!
//! | module | owns |
//! |---|---|
//! | [`tts`] | text to PCM16 mono 24 kHz, sentence by sentence, through flite |
//! | [`stt`] | PCM16 mono 24 kHz to text |
//! | [`resample`] | rate conversion with a real resampler (rubato) |
//!
//! The C API is confined to the private `flite` module; everything public is safe Rust.
//! [`SpeechError`] is the crate's one error type.

mod error;
mod flite;
pub mod resample;
pub mod stt;
pub mod tts;

pub use error::{SpeechError, SttError, TtsError};
pub use tts::{Synthesizer, Tts};
