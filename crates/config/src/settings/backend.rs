//! The section for who answers: the cloud service or the local engine, and the cloud's models
//! and keys (the realtime model, and batch voice's transcription, chat and speech services).

use super::defaults::{
    DEFAULT_CHAT_MODEL, DEFAULT_ELEVENLABS_BASE_URL, DEFAULT_ELEVENLABS_VOICE_ID, DEFAULT_OPENAI_BASE_URL,
    DEFAULT_REALTIME_MODEL, DEFAULT_TRANSCRIBE_MODEL,
};
use super::kinds::{Backend, BackendChoice};
use super::layers::Layers;
use super::values::{http_url, model_name, parse_backend};
use crate::{ConfigError, Secret};

/// The backend asked for and the one in use, with what each needs.
#[derive(Debug, Clone)]
pub struct BackendSettings {
    /// What the operator asked for with `DONNA_BACKEND`.
    pub choice: BackendChoice,
    /// The backend in use once `auto` is resolved.
    pub active: Backend,
    pub openai_api_key: Option<Secret>,
    pub openai_realtime_model: String,
    pub openai_base_url: String,
    /// The local engine's API key (`DONNA_ENGINE_KEY`); generated per data dir when unset.
    pub engine_key: Option<Secret>,
    /// Batch voice: the cloud speech-to-text and chat models.
    pub openai_transcribe_model: String,
    pub openai_chat_model: String,
    /// Batch voice: the text-to-speech service (ElevenLabs API).
    pub elevenlabs_api_key: Option<Secret>,
    pub elevenlabs_base_url: String,
    pub elevenlabs_voice_id: String,
}

impl BackendSettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        let file = layers.file;
        let choice = layers.or_default(
            "DONNA_BACKEND",
            "backend",
            file.backend.as_deref(),
            BackendChoice::Auto,
            parse_backend,
        )?;
        let openai_api_key = layers.secret("OPENAI_API_KEY");
        let active = match (choice, &openai_api_key) {
            (BackendChoice::Local, _) | (BackendChoice::Auto, None) => Backend::Local,
            (BackendChoice::OpenAi | BackendChoice::Auto, Some(_)) => Backend::OpenAi,
            (BackendChoice::OpenAi, None) => {
                return Err(ConfigError::missing(
                    "OPENAI_API_KEY",
                    "required when DONNA_BACKEND is openai (set it, or use DONNA_BACKEND=local)",
                ));
            }
        };
        let model = |var: &str, key: &str, file: Option<&str>, default: &str| {
            layers.or_default(var, key, file, default.to_owned(), model_name)
        };
        let url = |var: &str, key: &str, file: Option<&str>, default: &str| {
            layers.or_default(var, key, file, default.to_owned(), http_url)
        };
        Ok(Self {
            choice,
            active,
            openai_api_key,
            openai_realtime_model: model(
                "OPENAI_REALTIME_MODEL",
                "openai_realtime_model",
                file.openai_realtime_model.as_deref(),
                DEFAULT_REALTIME_MODEL,
            )?,
            openai_base_url: url(
                "OPENAI_BASE_URL",
                "openai_base_url",
                file.openai_base_url.as_deref(),
                DEFAULT_OPENAI_BASE_URL,
            )?,
            engine_key: layers.secret("DONNA_ENGINE_KEY"),
            openai_transcribe_model: model(
                "OPENAI_TRANSCRIBE_MODEL",
                "openai_transcribe_model",
                file.openai_transcribe_model.as_deref(),
                DEFAULT_TRANSCRIBE_MODEL,
            )?,
            openai_chat_model: model(
                "OPENAI_CHAT_MODEL",
                "openai_chat_model",
                file.openai_chat_model.as_deref(),
                DEFAULT_CHAT_MODEL,
            )?,
            elevenlabs_api_key: layers.secret("ELEVENLABS_API_KEY"),
            elevenlabs_base_url: url(
                "ELEVENLABS_BASE_URL",
                "elevenlabs_base_url",
                file.elevenlabs_base_url.as_deref(),
                DEFAULT_ELEVENLABS_BASE_URL,
            )?,
            elevenlabs_voice_id: model(
                "ELEVENLABS_VOICE_ID",
                "elevenlabs_voice_id",
                file.elevenlabs_voice_id.as_deref(),
                DEFAULT_ELEVENLABS_VOICE_ID,
            )?,
        })
    }
}
