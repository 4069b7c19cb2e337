//! The gateway's limits as settings: request rates per route class, and the realtime proxy's
//! session limits.

/// A rate: at most `max` requests per `per_s` seconds, spent as a burst of `max` that refills
/// evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub max: u32,
    pub per_s: u32,
}

/// The rate-limited route classes and their defaults: (name, per IP, per identity).
///
/// `api` covers every route; the others add their own limits on top. The variables are
/// `RATE_LIMIT_<CLASS>_IP` and `RATE_LIMIT_<CLASS>_IDENTITY` (e.g. `RATE_LIMIT_TOKEN_IDENTITY=6/min`),
/// or `off`.
pub const RATE_LIMIT_CLASSES: &[(&str, &str, &str)] = &[
    ("api", "600/min", "off"),
    ("token", "30/min", "10/min"),
    ("voice", "30/min", "20/min"),
    ("marketing", "120/min", "60/min"),
    ("ws", "60/min", "20/min"),
];

/// Limits of the realtime WebSocket proxy, each from its own `WS_PROXY_*` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsProxyLimits {
    /// Sessions open at once through this gateway (`WS_PROXY_MAX_SESSIONS`, default 500).
    pub max_sessions: u64,
    /// Sessions open at once per token subject (`WS_PROXY_MAX_SESSIONS_PER_IDENTITY`, default 4).
    pub max_sessions_per_identity: u64,
    /// A session with no frame either way for this long is closed (`WS_PROXY_IDLE_TIMEOUT_S`).
    pub idle_timeout_s: u64,
    /// The longest a session may last (`WS_PROXY_MAX_SESSION_S`, default an hour, as the service).
    pub max_session_s: u64,
    /// The largest frame or message relayed either way (`WS_PROXY_MAX_FRAME_BYTES`, 16 MiB).
    pub max_frame_bytes: u64,
}

impl Default for WsProxyLimits {
    fn default() -> Self {
        Self {
            max_sessions: 500,
            max_sessions_per_identity: 4,
            idle_timeout_s: 120,
            max_session_s: 3600,
            max_frame_bytes: 16 << 20,
        }
    }
}

/// The configured rate limits of one route class; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_ip: Option<Rate>,
    pub per_identity: Option<Rate>,
}
