//! Speech to text for committed user audio: what the engine needs from a recogniser.
//!
//! Recognition takes far longer than anything else in a turn (about a second of CPU for
//! whisper), so the connection runs it on a blocking thread while the session keeps answering
//! frames; [`crate::conversation::Conversation`] only says which item needs a transcript and
//! takes the result back, holding any response that depends on it until then.

/// What was heard in one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// The words, as the recogniser wrote them; empty when it heard no speech.
    pub text: String,
    /// How sure the recogniser is, 0 to 1.
    pub confidence: f32,
}

/// A speech recogniser for the engine.
pub trait Transcriber: Send + Sync + std::fmt::Debug + 'static {
    /// Transcribe PCM16 mono 24 kHz audio (the wire format). Called on a blocking thread.
    fn transcribe(&self, pcm: &[i16]) -> Result<Heard, String>;
}
