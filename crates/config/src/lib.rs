//! Donna's configuration: one typed, validated [`Settings`] resolved from three layers, in one
//! section per part of the program (server, auth, backend, proxy, voice, storage, logs, staff,
//! webhooks), each resolved through the same layered lookup.
//!
//! Precedence is environment > config file > defaults; command-line flags are applied by the
//! binary on top through [`Overrides`]. Names follow the original deployment so its `.env` files
//! keep working (`USE_WS_PROXY`, `NEXT_PUBLIC_ENABLE_VAD`, ...). Every bad value is reported as
//! one [`ConfigError`] whose message names the variable and what is wrong with it.
//!
//! Secrets come from the environment or, where it does not set them, the OS keyring
//! ([`keyring`]); never from the config file. Beyond those and the config file this crate does
//! no I/O; the environment is passed in as a snapshot so tests never touch the process
//! environment.

mod env;
mod error;
mod file;
pub mod keyring;
pub mod private;
mod secret;
mod settings;

pub use env::EnvSnapshot;
pub use error::ConfigError;
pub use file::FileConfig;
pub use secret::Secret;
pub use settings::{
    AuthSettings, Backend, BackendChoice, BackendSettings, DEFAULT_ADDR, DEFAULT_CHAT_MODEL,
    DEFAULT_ELEVENLABS_BASE_URL, DEFAULT_ELEVENLABS_VOICE_ID, DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER,
    DEFAULT_OPENAI_BASE_URL, DEFAULT_REALTIME_MODEL, DEFAULT_TRANSCRIBE_MODEL, JwtAlgorithm, KioskSettings,
    LogSettings, OFFLINE_VOICES, Overrides, ProxySettings, RATE_LIMIT_CLASSES, Rate, RateLimits,
    ServerSettings, Settings, StaffSettings, StorageSettings, VoiceSettings, WebhookSettings, WindowMode,
    WsProxyLimits,
};
