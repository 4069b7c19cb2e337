//! Offline speech to text for the local engine.
//!
//! Input everywhere is the protocol's PCM16 mono 24 kHz; the models read 16 kHz, and the
//! crate's resampler converts. Everything here blocks: the engine calls it from a blocking
//! thread. Voice activity detection (when an utterance starts and ends) is the engine's.

pub mod arpa;
pub mod domain;
mod lexicon;
pub mod text;

pub use domain::{Domain, DomainModel};
pub use lexicon::Source as PronunciationSource;
