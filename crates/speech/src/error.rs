//! The crate's one error type. Synthesis and recognition share it because they share the
//! resampler and the model files; [`TtsError`] and [`SttError`] name the same enum from the side
//! that returns it, so callers read `SttError::ModelMissing` where that is what they handle.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("speech synthesis produced no audio for this text")]
    NoAudio,
    /// Audio handed over as a WAV file that is not one, or holds no samples.
    #[error("unreadable WAV audio: {0}")]
    Wav(String),
    #[error("resampling failed: {0}")]
    Resample(String),
    /// The whisper model file is not there: the kiosk was set up without it.
    #[error("the speech recognition model {path} is missing: run `donna models install`")]
    ModelMissing { path: PathBuf },
    /// The file is there but is not a whisper model (a partial download, a wrong file).
    #[error(
        "the speech recognition model {path} is damaged or not a whisper model: run `donna models install`"
    )]
    ModelInvalid { path: PathBuf },
    /// pocketsphinx's US English acoustic model and dictionary come from a Debian package.
    #[error("the pocketsphinx acoustic model {path} is missing: install the pocketsphinx-en-us package")]
    AcousticModelMissing { path: PathBuf },
    #[error("whisper failed: {0}")]
    Whisper(#[from] whisper_rs::WhisperError),
    /// pocketsphinx refused the configuration or the generated model files.
    #[error("pocketsphinx could not load the domain model in {dir}")]
    DecoderInit { dir: PathBuf },
    /// A pocketsphinx call on a running decoder failed; names the call.
    #[error("pocketsphinx {0} failed")]
    Decoder(&'static str),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Errors from text to speech.
pub type TtsError = SpeechError;
/// Errors from speech to text.
pub type SttError = SpeechError;
