//! What a recogniser hands back, and the rates the recognisers work at.

use std::time::Duration;

/// The protocol's input rate.
pub const INPUT_RATE: u32 = 24_000;
/// What both recognisers read.
pub const MODEL_RATE: u32 = 16_000;

/// Which recogniser produced a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Fast,
    Accurate,
}

/// One utterance, transcribed.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub text: String,
    /// 0..1; how it is computed depends on the path (see [`super::FastRecognizer::finish`] and
    /// [`super::Whisper::transcribe`]), so compare it only within one path.
    pub confidence: f32,
    pub path: Path,
    /// Work after the end of speech: the fast path's finish, plus whisper when it ran.
    pub elapsed: Duration,
}
