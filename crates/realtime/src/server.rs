//! A realtime server running in this process, as the gateway sees it: it hands out client
//! secrets for its own sessions and says how many are open. Donna's local engine is one; the
//! gateway holds it as this trait, so it serves any server without depending on one.

use serde_json::Value;

/// A client secret minted for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintedSecret {
    pub value: String,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
}

/// Why a server refused to mint a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintRefused {
    /// It holds as many live secrets as it may; this passes as they expire.
    #[error("too many client secrets are alive")]
    Busy,
    /// The session asked for is not one it can start.
    #[error("{0}")]
    Invalid(String),
}

/// A realtime server in this process.
pub trait InProcessServer: Send + Sync + std::fmt::Debug + 'static {
    /// A client secret valid for `seconds` that starts the session `session` asks for (the
    /// `session` of a `POST /v1/realtime/client_secrets` body).
    fn mint_client_secret(&self, seconds: i64, session: &Value) -> Result<MintedSecret, MintRefused>;

    /// Realtime sessions open right now.
    fn open_sessions(&self) -> usize;
}
