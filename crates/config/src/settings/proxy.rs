//! The section for the realtime WebSocket proxy: whether the gateway offers it, whether the
//! app's own session goes through it, and its limits.

use super::layers::Layers;
use super::limits::WsProxyLimits;
use crate::ConfigError;

#[derive(Debug, Clone)]
pub struct ProxySettings {
    /// The gateway offers `/realtime` (`ENABLE_WS_PROXY`).
    pub enable_ws_proxy: bool,
    /// The app's own realtime session goes through that proxy (`USE_WS_PROXY`).
    pub use_ws_proxy: bool,
    /// Limits of the proxy's sessions.
    pub limits: WsProxyLimits,
}

impl ProxySettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        let file = layers.file;
        let use_ws_proxy = layers.flag(&["USE_WS_PROXY", "NEXT_PUBLIC_USE_WS_PROXY"], file.use_ws_proxy)?;
        let enable_ws_proxy = layers.flag(&["ENABLE_WS_PROXY"], file.enable_ws_proxy)?;
        if use_ws_proxy && !enable_ws_proxy {
            return Err(ConfigError::invalid(
                "USE_WS_PROXY",
                "requires ENABLE_WS_PROXY=true: the app's realtime session goes through its own gateway's proxy",
            ));
        }
        let defaults = WsProxyLimits::default();
        let limits = WsProxyLimits {
            max_sessions: layers.int(
                "WS_PROXY_MAX_SESSIONS",
                file.ws_proxy_max_sessions,
                1..=100_000,
                defaults.max_sessions,
            )?,
            max_sessions_per_identity: layers.int(
                "WS_PROXY_MAX_SESSIONS_PER_IDENTITY",
                file.ws_proxy_max_sessions_per_identity,
                1..=10_000,
                defaults.max_sessions_per_identity,
            )?,
            idle_timeout_s: layers.int(
                "WS_PROXY_IDLE_TIMEOUT_S",
                file.ws_proxy_idle_timeout_s,
                5..=86_400,
                defaults.idle_timeout_s,
            )?,
            max_session_s: layers.int(
                "WS_PROXY_MAX_SESSION_S",
                file.ws_proxy_max_session_s,
                10..=86_400,
                defaults.max_session_s,
            )?,
            max_frame_bytes: layers.int(
                "WS_PROXY_MAX_FRAME_BYTES",
                file.ws_proxy_max_frame_bytes,
                4096..=64 << 20,
                defaults.max_frame_bytes,
            )?,
        };
        Ok(Self {
            enable_ws_proxy,
            use_ws_proxy,
            limits,
        })
    }
}
