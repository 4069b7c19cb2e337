//! What a device or staff token says: its holder's role and id, issuer, audience and lifetime.
//! The vocabulary of authentication, shared by the verifier ([`crate::auth`]) and the security
//! log ([`crate::security`]) without either needing the other.

use serde::{Deserialize, Serialize};

/// What a token holder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A front-desk kiosk: may start visitor sessions.
    Kiosk,
    /// A staff member's desktop: sessions, notifications, instruction overrides.
    Staff,
    /// Configuration and token administration.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Kiosk => "kiosk",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }
}

/// The claims of a device or staff token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The device or staff id, e.g. `kiosk-lobby`.
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    /// Expiry, seconds since the Unix epoch (required).
    pub exp: u64,
    pub iat: u64,
    /// Not valid before (optional, checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}
