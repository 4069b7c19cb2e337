//! Offline speech to text for the local engine.
//!
//! The fast path, [`fast`], is pocketsphinx with a language model generated from the business's
//! profile ([`domain`]): it captions while the visitor speaks and is done tens of milliseconds
//! after they stop, for the short sentences a front desk hears every day.
//!
//! Input everywhere is the protocol's PCM16 mono 24 kHz; the models read 16 kHz, and the
//! crate's resampler converts. Everything here blocks: the engine calls it from a blocking
//! thread. Voice activity detection (when an utterance starts and ends) is the engine's.

pub mod arpa;
pub mod domain;
pub mod fast;
mod lexicon;
pub mod text;

pub use domain::{Domain, DomainModel};
pub use fast::{FastRecognizer, FastResult};
pub use lexicon::Source as PronunciationSource;

/// The protocol's input rate.
pub const INPUT_RATE: u32 = 24_000;
/// What the recognisers read.
pub const MODEL_RATE: u32 = 16_000;
