//! The section for the kiosk's screen: whether the window is a locked-down kiosk, and how a
//! visit ends when the visitor walks away.

use super::kinds::Overrides;
use super::layers::Layers;
use crate::ConfigError;

/// How the window runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowMode {
    /// An ordinary window: resizable, with the desktop's decorations and shortcuts.
    Window,
    /// A locked-down front-desk kiosk: full screen, undecorated, no context menu, devtools or
    /// navigation away from Donna's pages, one instance, an attract screen between visitors.
    Kiosk,
}

impl WindowMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Window => "window",
            Self::Kiosk => "kiosk",
        }
    }
}

/// The kiosk's screen and the life of a visit on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KioskSettings {
    /// `DONNA_MODE` (`window` or `kiosk`), or `--kiosk`.
    pub mode: WindowMode,
    /// After this many seconds without a word or a tap in a visit, Donna asks whether the
    /// visitor is still there (`VISIT_IDLE_S`, default 60).
    pub visit_idle_s: u64,
    /// After the question, this many more seconds of silence end the visit: goodbye, and the
    /// screen and the conversation are wiped for the next visitor (`VISIT_GOODBYE_S`, 20).
    pub visit_goodbye_s: u64,
    /// The longest a visit may last before it is wound up the same way (`VISIT_MAX_S`, 900):
    /// a session left talking cannot run up the cloud bill or hold a conversation forever.
    pub visit_max_s: u64,
    /// The most one visit may spend on the cloud, in US dollars, estimated from the service's
    /// usage reports at list prices (`VISIT_MAX_COST_USD`, default 0.50). Past it, the rest of
    /// the visit is answered by the local engine.
    pub visit_max_cost_usd: f64,
    /// In kiosk mode, watch the app and heal it (`DONNA_WATCHDOG`, default on): a supervisor
    /// process starts the app again when it ends abnormally, and the page is reloaded when it
    /// stops answering.
    pub watchdog: bool,
}

impl Default for KioskSettings {
    fn default() -> Self {
        Self {
            mode: WindowMode::Window,
            visit_idle_s: 60,
            visit_goodbye_s: 20,
            visit_max_s: 900,
            visit_max_cost_usd: 0.50,
            watchdog: true,
        }
    }
}

impl KioskSettings {
    pub(super) fn resolve(layers: &Layers, overrides: &Overrides) -> Result<Self, ConfigError> {
        let file = layers.file;
        let mode = if overrides.kiosk {
            WindowMode::Kiosk
        } else {
            layers.or_default(
                "DONNA_MODE",
                "mode",
                file.mode.as_deref(),
                WindowMode::Window,
                |name, v| match v.trim().to_ascii_lowercase().as_str() {
                    "window" => Ok(WindowMode::Window),
                    "kiosk" => Ok(WindowMode::Kiosk),
                    _ => Err(ConfigError::invalid(
                        name,
                        format!("expected window or kiosk, got \"{v}\""),
                    )),
                },
            )?
        };
        let default = Self::default();
        Ok(Self {
            mode,
            visit_idle_s: layers.int("VISIT_IDLE_S", file.visit_idle_s, 10..=3600, default.visit_idle_s)?,
            visit_goodbye_s: layers.int(
                "VISIT_GOODBYE_S",
                file.visit_goodbye_s,
                5..=600,
                default.visit_goodbye_s,
            )?,
            visit_max_s: layers.int("VISIT_MAX_S", file.visit_max_s, 60..=86_400, default.visit_max_s)?,
            visit_max_cost_usd: layers.or_default(
                "VISIT_MAX_COST_USD",
                "visit_max_cost_usd",
                file.visit_max_cost_usd,
                default.visit_max_cost_usd,
                dollars,
            )?,
            watchdog: layers.flag(
                &["DONNA_WATCHDOG"],
                Some(file.watchdog.unwrap_or(default.watchdog)),
            )?,
        })
    }
}

/// A positive amount of dollars, up to 1000.
fn dollars(name: &str, value: &str) -> Result<f64, ConfigError> {
    match value.trim().trim_start_matches('$').parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1000.0 => Ok(v),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected an amount of US dollars above 0 and at most 1000, got \"{value}\""),
        )),
    }
}
