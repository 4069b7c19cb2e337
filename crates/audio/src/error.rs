//! The audio crate's one error type.

/// What can go wrong with audio devices and files. Device errors name the device and say what
/// an operator can do; none of them panics the app.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// No audio host (ALSA/PulseAudio, WASAPI, CoreAudio) could be used.
    #[error("no audio system available: {0}")]
    HostUnavailable(String),
    /// No device of that kind, or none with that name.
    #[error("no {direction} device{}", name.as_ref().map(|n| format!(" named {n:?}")).unwrap_or_default())]
    NoDevice {
        direction: &'static str,
        name: Option<String>,
    },
    /// The device exists but cannot be opened or configured.
    #[error("{direction} device {device:?}: {message}")]
    Device {
        direction: &'static str,
        device: String,
        message: String,
    },
    /// A stream failed while running (unplugged, busy, server gone).
    #[error("{direction} stream failed: {message}")]
    Stream {
        direction: &'static str,
        message: String,
    },
    /// The audio thread did not start.
    #[error("audio thread: {0}")]
    Thread(String),
    /// Resampler construction or processing.
    #[error("resampler: {0}")]
    Resample(String),
    /// WebRTC audio processing.
    #[error("echo canceller: {0}")]
    Echo(String),
    /// A helper process or file (the virtual speaker's recorder) failed.
    #[error("{0}")]
    Io(String),
    /// A WAV file could not be read or written.
    #[error("wav {path}: {message}")]
    Wav { path: String, message: String },
}
