//! The resolved settings and the rules that produce them.

use std::path::PathBuf;

use crate::{ConfigError, EnvSnapshot, FileConfig, Secret};

mod auth;
mod backend;
mod defaults;
mod kinds;
mod kiosk;
mod layers;
mod limits;
mod logs;
mod proxy;
mod server;
mod staff;
mod storage;
mod values;
mod voice;

pub use auth::AuthSettings;
pub use backend::BackendSettings;
pub use defaults::{
    DEFAULT_ADDR, DEFAULT_CHAT_MODEL, DEFAULT_ELEVENLABS_BASE_URL, DEFAULT_ELEVENLABS_VOICE_ID,
    DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER, DEFAULT_OPENAI_BASE_URL, DEFAULT_REALTIME_MODEL,
    DEFAULT_TRANSCRIBE_MODEL, OFFLINE_VOICES,
};
pub use kinds::{Backend, BackendChoice, JwtAlgorithm, Overrides};
pub use kiosk::{KioskSettings, WindowMode};
pub use limits::{RATE_LIMIT_CLASSES, Rate, RateLimits, WsProxyLimits};
pub use logs::LogSettings;
pub use proxy::ProxySettings;
pub use server::ServerSettings;
pub use staff::{StaffSettings, WebhookSettings};
pub use storage::StorageSettings;
pub use voice::VoiceSettings;

use layers::Layers;
use values::default_config_path;

/// Everything Donna needs to start, validated, in one section per part of the program: each
/// part is handed its own section.
#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    pub auth: AuthSettings,
    pub backend: BackendSettings,
    pub proxy: ProxySettings,
    pub voice: VoiceSettings,
    pub storage: StorageSettings,
    pub logs: LogSettings,
    pub staff: StaffSettings,
    pub webhooks: WebhookSettings,
    pub kiosk: KioskSettings,
    /// A stopped clock for demonstrations and tests (`DONNA_FIXED_TIME`, RFC 3339); `None` is
    /// the system clock.
    pub fixed_time: Option<jiff::Timestamp>,
    /// The config file that was read, if any (for the start-up log line).
    pub config_file: Option<PathBuf>,
    /// Which secrets came from the OS keyring, or why it could not be read.
    pub keyring: crate::keyring::KeyringReport,
}

impl Settings {
    /// Resolve settings from the process environment, the config file it names, and `overrides`.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let (env, keyring) = EnvSnapshot::from_process().with_secrets_from(&crate::keyring::OsKeyring);
        let mut settings = Self::resolve(&env, overrides)?;
        settings.keyring = keyring;
        Ok(settings)
    }

    /// Resolve settings from an environment snapshot; reads the config file when one is named
    /// (`--config`, then `DONNA_CONFIG`) or exists at the default place.
    pub fn resolve(env: &EnvSnapshot, overrides: &Overrides) -> Result<Self, ConfigError> {
        let (file, config_file) = match overrides
            .config
            .clone()
            .or_else(|| env.get("DONNA_CONFIG").map(PathBuf::from))
        {
            Some(path) => (FileConfig::load(&path)?, Some(path)),
            None => match default_config_path(env).filter(|p| p.is_file()) {
                Some(path) => (FileConfig::load(&path)?, Some(path)),
                None => (FileConfig::default(), None),
            },
        };
        let mut settings = Self::from_layers(env, &file, overrides)?;
        settings.config_file = config_file;
        Ok(settings)
    }

    /// Combine the layers: overrides > environment > file > defaults, then validate, section
    /// by section, and the few rules that span sections.
    pub fn from_layers(
        env: &EnvSnapshot,
        file: &FileConfig,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let layers = Layers::new(env, file);
        let server = ServerSettings::resolve(&layers, overrides)?;
        let backend = BackendSettings::resolve(&layers)?;
        let storage = StorageSettings::resolve(&layers)?;
        let proxy = ProxySettings::resolve(&layers)?;
        let auth = AuthSettings::resolve(&layers)?;
        let fixed_time = env
            .get("DONNA_FIXED_TIME")
            .map(|t| {
                t.parse::<jiff::Timestamp>().map_err(|_| {
                    ConfigError::invalid(
                        "DONNA_FIXED_TIME",
                        format!("expected an RFC 3339 instant such as 2026-11-26T10:00:00Z, got \"{t}\""),
                    )
                })
            })
            .transpose()?;
        Ok(Settings {
            server,
            auth,
            backend,
            proxy,
            voice: VoiceSettings::resolve(&layers)?,
            storage,
            logs: LogSettings::resolve(&layers)?,
            staff: StaffSettings::resolve(&layers)?,
            webhooks: WebhookSettings::resolve(&layers)?,
            kiosk: KioskSettings::resolve(&layers, overrides)?,
            fixed_time,
            config_file: None,
            keyring: crate::keyring::KeyringReport::default(),
        })
    }

    /// Every secret configured, whichever section holds it: what the logs must never show.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        [
            &self.backend.openai_api_key,
            &self.backend.engine_key,
            &self.backend.elevenlabs_api_key,
            &self.auth.jwt_secret,
            &self.staff.token,
            &self.webhooks.secret,
            &self.storage.database_url,
            &self.storage.redis_url,
        ]
        .into_iter()
        .flatten()
    }
}

#[cfg(test)]
mod tests;
