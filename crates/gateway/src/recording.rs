//! A visitor's recording as batch voice receives it (its format, recognised by its first bytes,
//! and a WAV header's checks) and the turn made of it. Shared by the cloud and offline paths.

/// The audio formats the route accepts, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Wav,
    Webm,
    Ogg,
}

impl AudioFormat {
    /// Recognise a recording by its magic bytes (never by the client's Content-Type alone).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
            Some(AudioFormat::Wav)
        } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
            Some(AudioFormat::Webm)
        } else if bytes.starts_with(b"OggS") {
            Some(AudioFormat::Ogg)
        } else {
            None
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            AudioFormat::Wav => "recording.wav",
            AudioFormat::Webm => "recording.webm",
            AudioFormat::Ogg => "recording.ogg",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Webm => "audio/webm",
            AudioFormat::Ogg => "audio/ogg",
        }
    }
}

/// Check a WAV header: PCM or float, 1-2 channels, 8-48 kHz, and some data.
pub fn check_wav(bytes: &[u8]) -> Result<(), String> {
    let head = donna_speech::wav::header(bytes).map_err(|e| e.to_string())?;
    if !(1..=2).contains(&head.channels) || !(8000..=48_000).contains(&head.rate) {
        return Err(format!(
            "WAV with {} channels at {} Hz is not supported",
            head.channels, head.rate
        ));
    }
    if head.frames == 0 {
        return Err("WAV has no audio".to_owned());
    }
    Ok(())
}

/// One finished voice turn.
#[derive(Debug, Clone)]
pub struct VoiceTurn {
    pub transcript: String,
    pub reply: String,
    /// The spoken reply, when text-to-speech is configured: MP3 from the cloud, WAV offline.
    pub audio: Option<Vec<u8>>,
    /// The spoken reply's media type.
    pub mime: &'static str,
}
