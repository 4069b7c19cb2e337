//! Donna without its windows: the composition root. Every mode starts here — the kiosk window,
//! `donna serve`, the staff desktop, `donna doctor`, `donna token`, `donna models` — and this
//! crate knows no Tauri, so a headless gateway is built and tested without a desktop.
//!
//! | module | owns |
//! |---|---|
//! | [`boot`] | what every serving mode does first: settings, data dir, logs, profile, the listener, the engine and the gateway wired together |
//! | [`running`] | the gateway and the engine serving on that listener, and stopping them cleanly |
//! | [`serve`] | `donna serve`: the gateway alone, headless, until a signal |
//! | [`instance`] | one kiosk window per data dir |
//! | [`kiosk`] | what the kiosk window drives: typed chat, the business's clock, voice, notices |
//! | [`cost`] | what a visit costs on the cloud, and its cap |
//! | [`link`] | keeping the kiosk's session connected: backends in order, failover, its state |
//! | [`realtime`] | the app's realtime sessions (cloud, proxy or local engine) and the tools they run |
//! | [`voice`] | the kiosk's voice path (crates/voice) on that session |
//! | [`supervise`] | the kiosk under its own supervisor: started again when it ends abnormally |
//! | [`watchdog`] | the kiosk page's heartbeat: reloaded when it stops, the app restarted if that fails |
//! | [`staff`] | the staff desktop's start-up: settings, logs, its client of the gateway |
//! | [`setup`] | the staff app's settings: the backend, the OpenAI key into the keyring |
//! | [`doctor`] | `donna doctor`: the preflight report |
//! | [`token`] | `donna token mint`: device and staff tokens |
//! | [`secrets`] | `donna secrets`: secrets in the OS keyring |
//! | [`models`] | `donna models install` / `status`: the offline whisper model |
//! | [`logging`] | the log sinks wired to the settings and their secrets |
//! | [`autostart`] | `donna autostart`: the kiosk at login |
//! | [`assets`] | the `ui/` folder the gateway serves to browsers |
//!
//! ```text
//!  donna (src-tauri: windows, commands, the command line)
//!    └─ donna-app ── Donna::boot ── settings (config) ── profile, store (desk)
//!                      ├─ Engine (engine: realtime protocol, offline speech)
//!                      ├─ GatewayState (gateway: routes, auth, proxy, chat, voice)
//!                      └─ start() → Running ── kiosk() → Kiosk ── Realtime, Voice
//! ```

pub mod assets;
pub mod autostart;
pub mod boot;
pub mod cost;
pub mod doctor;
mod error;
pub mod instance;
pub mod kiosk;
pub mod link;
pub mod logging;
pub mod models;
pub mod realtime;
pub mod running;
pub mod secrets;
pub mod serve;
pub mod setup;
pub mod staff;
pub mod supervise;
pub mod token;
pub mod voice;
pub mod watchdog;

pub use boot::Donna;
pub use donna_config::{ConfigError, EnvSnapshot, Overrides, Settings, WindowMode};
pub use error::AppError;
pub use kiosk::{ClockReading, Kiosk, KioskScreen, Notices};
pub use running::Running;
pub use voice::{VoiceEvent, VoiceInfo};
