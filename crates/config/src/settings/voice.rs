//! The section for the kiosk's voice: detection of speech, the audio devices, and the offline
//! voice and recogniser.

use super::defaults::OFFLINE_VOICES;
use super::layers::Layers;
use super::values::{device_name, lexicon, offline_voice, speed, threads};
use crate::ConfigError;

#[derive(Debug, Clone)]
pub struct VoiceSettings {
    /// The kiosk detects speech itself (`ENABLE_VAD`).
    pub enable_vad: bool,
    /// The backend detects turns (`ENABLE_SERVER_VAD`).
    pub enable_server_vad: bool,
    /// The microphone by name (`DONNA_INPUT_DEVICE`); `None` for the system default.
    pub input_device: Option<String>,
    /// The speaker by name (`DONNA_OUTPUT_DEVICE`); `None` for the system default.
    pub output_device: Option<String>,
    /// The offline voice (`DONNA_VOICE`): one of [`OFFLINE_VOICES`], `slt` by default.
    pub offline_voice: String,
    /// The offline voice's rate (`DONNA_VOICE_SPEED`, 0.5 to 2.0; 1.0 is the voice's own).
    pub speed: f32,
    /// CPU threads for whisper, the accurate recogniser (`DONNA_WHISPER_THREADS`, 1 to 8): by
    /// default two where the machine has two cores, which halves the wait after a sentence the
    /// fast path does not know, one on a single core.
    pub whisper_threads: usize,
    /// How the offline voice says words it gets wrong (`DONNA_VOICE_LEXICON`, e.g.
    /// `Okafor=Oh kah for,Nguyen=Win`; the config file's `[voice_lexicon]` table).
    pub lexicon: Vec<(String, String)>,
}

impl VoiceSettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        let file = layers.file;
        let device = |var: &str, key: &str, file: Option<&str>| {
            Ok::<_, ConfigError>(layers.parsed(var, key, file, device_name)?.flatten())
        };
        let lexicon = match layers.env.get("DONNA_VOICE_LEXICON") {
            Some(v) => lexicon("DONNA_VOICE_LEXICON", v)?,
            None => file
                .voice_lexicon
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        };
        Ok(Self {
            enable_vad: layers.flag(&["ENABLE_VAD", "NEXT_PUBLIC_ENABLE_VAD"], file.enable_vad)?,
            enable_server_vad: layers.flag(&["ENABLE_SERVER_VAD"], file.enable_server_vad)?,
            input_device: device("DONNA_INPUT_DEVICE", "input_device", file.input_device.as_deref())?,
            output_device: device(
                "DONNA_OUTPUT_DEVICE",
                "output_device",
                file.output_device.as_deref(),
            )?,
            offline_voice: layers.or_default(
                "DONNA_VOICE",
                "voice",
                file.voice.as_deref(),
                OFFLINE_VOICES[0].to_owned(),
                offline_voice,
            )?,
            speed: layers.or_default("DONNA_VOICE_SPEED", "voice_speed", file.voice_speed, 1.0, speed)?,
            whisper_threads: layers.or_default(
                "DONNA_WHISPER_THREADS",
                "whisper_threads",
                file.whisper_threads,
                std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
                threads,
            )?,
            lexicon,
        })
    }
}
