//! The gateway's own options, taken from [`donna_config::ServerSettings`] or built directly by
//! tests and benchmarks.

use std::time::Duration;

use donna_config::{RateLimits, ServerSettings};

/// Browser origins of the Tauri webview, always allowed: `tauri://localhost` (Linux, macOS)
/// and `http(s)://tauri.localhost` (Windows).
pub const TAURI_ORIGINS: &[&str] = &[
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

/// Realtime models a client may ask for, besides the configured one.
pub const REALTIME_MODELS: &[&str] = &[
    "gpt-realtime",
    "gpt-realtime-mini",
    "gpt-4o-realtime-preview",
    "gpt-4o-mini-realtime-preview",
];

/// Options of the gateway's layers and routes.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Exact origins allowed to call from a browser (the Tauri ones are added by [`Self::new`]).
    pub allowed_origins: Vec<String>,
    /// Host names the gateway answers for besides loopback names and IP addresses (lower case):
    /// `PRODUCTION_DOMAIN` and `PUBLIC_HOSTS`. See [`crate::layers::host_allowed`].
    pub public_hosts: Vec<String>,
    /// The balancers in front (`TRUSTED_PROXIES`): see [`crate::client_addr`].
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub request_timeout: Duration,
    /// How long a client may take to send a request's head before its connection is closed.
    pub header_read_timeout: Duration,
    pub upstream_timeout: Duration,
    /// (class, limits) for each rate-limited route class.
    pub rate_limits: Vec<(&'static str, RateLimits)>,
    pub default_realtime_model: String,
    pub realtime_models: Vec<String>,
    pub marketing_backend_url: Option<String>,
    pub marketing_allowed_paths: Vec<String>,
    /// The kiosk page's mode and visit timings, served to it with the welcome.
    pub kiosk: donna_config::KioskSettings,
    /// How the kiosk page in a browser talks: served to it with the welcome.
    pub page_voice: PageVoice,
}

/// How a browser on the kiosk page holds a voice conversation (the app window's voice is
/// native and follows the same settings itself).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct PageVoice {
    /// Server VAD answers when the visitor stops (`ENABLE_VAD`); else hold to talk.
    pub vad: bool,
    /// Through the gateway's WebSocket proxy (`USE_WS_PROXY`); else WebRTC to the backend.
    pub ws_proxy: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        let mut rate_limits = Vec::new();
        for (class, ..) in donna_config::RATE_LIMIT_CLASSES {
            rate_limits.push((
                *class,
                RateLimits {
                    per_ip: None,
                    per_identity: None,
                },
            ));
        }
        Self::new(Vec::new(), rate_limits, donna_config::DEFAULT_REALTIME_MODEL)
    }
}

impl GatewayConfig {
    pub fn new(origins: Vec<String>, rate_limits: Vec<(&'static str, RateLimits)>, model: &str) -> Self {
        let mut allowed_origins: Vec<String> = TAURI_ORIGINS.iter().map(|s| (*s).to_owned()).collect();
        allowed_origins.extend(origins);
        let mut realtime_models: Vec<String> = REALTIME_MODELS.iter().map(|s| (*s).to_owned()).collect();
        if !realtime_models.iter().any(|m| m == model) {
            realtime_models.push(model.to_owned());
        }
        Self {
            allowed_origins,
            public_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            upstream_timeout: Duration::from_secs(20),
            rate_limits,
            default_realtime_model: model.to_owned(),
            realtime_models,
            marketing_backend_url: None,
            marketing_allowed_paths: vec!["marketing".to_owned(), "simple".to_owned()],
            kiosk: donna_config::KioskSettings::default(),
            page_voice: PageVoice::default(),
        }
    }

    /// The gateway's options from its section of the settings, answering for `realtime_model`
    /// by default.
    pub fn from_settings(server: &ServerSettings, realtime_model: &str) -> Self {
        let rate_limits = donna_config::RATE_LIMIT_CLASSES
            .iter()
            .map(|(class, ..)| (*class, server.rate_limits_of(class)))
            .collect();
        let mut config = Self::new(server.browser_origins(), rate_limits, realtime_model);
        config.request_timeout = Duration::from_secs(server.request_timeout_s);
        config.upstream_timeout = Duration::from_secs(server.upstream_timeout_s);
        config.marketing_backend_url = server.marketing_backend_url.clone();
        config.marketing_allowed_paths = server.marketing_allowed_paths.clone();
        config.public_hosts = server.host_names();
        config.trusted_proxies = server.trusted_proxies.clone();
        config
    }

    pub fn limits_of(&self, class: &str) -> RateLimits {
        self.rate_limits.iter().find(|(c, _)| *c == class).map_or(
            RateLimits {
                per_ip: None,
                per_identity: None,
            },
            |(_, l)| *l,
        )
    }

    /// Set the limits of one class (tests and benchmarks).
    pub fn set_limits(&mut self, class: &'static str, limits: RateLimits) {
        self.rate_limits.retain(|(c, _)| *c != class);
        self.rate_limits.push((class, limits));
    }
}
