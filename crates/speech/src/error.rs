//! The crate's one error type. [`TtsError`] names it from the side that returns it.

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("speech synthesis produced no audio for this text")]
    NoAudio,
    #[error("resampling failed: {0}")]
    Resample(String),
}

/// Errors from text to speech.
pub type TtsError = SpeechError;
