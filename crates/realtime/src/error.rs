//! The one error type of this crate.

use crate::session::TurnError;

/// What can go wrong speaking the protocol.
#[derive(Debug, thiserror::Error)]
pub enum RealtimeError {
    /// A frame that could not be decoded into an event; see [`crate::protocol::DecodeError`].
    #[error(transparent)]
    Decode(#[from] crate::protocol::DecodeError),
    /// The service refused the credential: HTTP 401 on the upgrade (`status`), or an
    /// `invalid_api_key` error followed by close 3000 (`status` is `None`).
    #[error("the service refused the credential{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Unauthorized { status: Option<u16>, message: String },
    /// The credential is valid but may not use this model or endpoint (HTTP 403).
    #[error("the credential may not use this model or endpoint (HTTP {status}): {message}")]
    Forbidden { status: u16, message: String },
    /// Any other HTTP status on the upgrade.
    #[error("the service answered the upgrade with HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// The TCP connection could not be made or broke (refused, reset, DNS).
    #[error("could not reach the service: {0}")]
    Connect(#[source] std::io::Error),
    /// The TLS handshake or configuration failed.
    #[error("TLS failed: {0}")]
    Tls(String),
    /// The base URL cannot be turned into a WebSocket URL.
    #[error("invalid service URL `{0}`")]
    InvalidUrl(String),
    /// A WebSocket protocol failure other than the above.
    #[error("WebSocket failure: {0}")]
    WebSocket(String),
    /// A WebRTC call could not be set up or broke (ICE found no path, DTLS failed, the
    /// events channel closed).
    #[error("WebRTC failure: {0}")]
    WebRtc(String),
    /// The connection closed and will not be reopened (a close code the protocol does not
    /// retry, such as 1000, 3000 or 4000 `beta_api_shape_disabled`).
    #[error("the connection closed (code {code}): {reason}")]
    Closed { code: u16, reason: String },
    /// The connection dropped and every reconnect attempt failed.
    #[error("reconnecting failed after {attempts} attempts: {last}")]
    ReconnectFailed { attempts: u32, last: String },
    /// A turn ended without an answer.
    #[error(transparent)]
    Turn(#[from] TurnError),
    /// Waited too long for something the service should have sent.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// The client was closed (or its task ended) before the request was answered.
    #[error("the realtime client is closed")]
    ClientClosed,
}

/// Close codes after which a client should connect again (those openai-python retries): going
/// away (session expired), no status, abnormal drop, server error, restart, try later, TLS.
pub const RETRYABLE_CLOSE_CODES: &[u16] = &[1001, 1005, 1006, 1011, 1012, 1013, 1015];

impl RealtimeError {
    /// True when connecting again may help: network failures, server-side trouble, retryable
    /// close codes. Credential and protocol errors are not retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            RealtimeError::Connect(_)
            | RealtimeError::WebSocket(_)
            | RealtimeError::WebRtc(_)
            | RealtimeError::Timeout(_) => true,
            RealtimeError::Http { status, .. } => *status >= 500 || *status == 429,
            RealtimeError::Closed { code, .. } => RETRYABLE_CLOSE_CODES.contains(code),
            _ => false,
        }
    }
}
