//! What a realtime engine needs from a speech recogniser, whichever one it is: the offline one
//! built from a business profile, or a test's own.

use crate::SttError;

/// What was heard in one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// The words, as the recogniser wrote them; empty when it heard no speech.
    pub text: String,
    /// How sure the recogniser is, 0 to 1.
    pub confidence: f32,
}

/// A speech recogniser for committed audio.
pub trait Transcriber: Send + Sync + std::fmt::Debug + 'static {
    /// Transcribe PCM16 mono 24 kHz audio (the wire format). Called on a blocking thread.
    fn transcribe(&self, pcm: &[i16]) -> Result<Heard, SttError>;

    /// A recogniser that follows one session's audio as it arrives, when this transcriber can:
    /// captions while the visitor speaks, and the words the moment the utterance is committed.
    fn live(&self) -> Option<Box<dyn LiveRecognizer>> {
        None
    }
}

/// One session's recogniser, fed as audio arrives. Lives on a thread of its own: every call
/// may block.
pub trait LiveRecognizer: Send {
    /// More audio of the current utterance (PCM16 mono 24 kHz); the caption so far.
    fn feed(&mut self, pcm: &[i16]) -> Result<String, SttError>;
    /// The utterance was committed: its words. The next `feed` starts a new one.
    fn finish(&mut self) -> Result<Heard, SttError>;
    /// The audio fed so far was discarded (the input buffer was cleared).
    fn reset(&mut self) -> Result<(), SttError>;
}
