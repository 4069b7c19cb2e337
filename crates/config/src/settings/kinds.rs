//! The closed choices among the settings, and the command line's overrides.

use std::path::PathBuf;

/// How device and staff tokens are signed. One algorithm is pinned per deployment, so a token
/// can never pick its own (no `none`, no RS256 public key used as an HMAC secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with `JWT_SECRET`; the gateway can both mint and verify.
    Hs256,
    /// RSA signatures checked with `JWT_PUBLIC_KEY`; tokens are minted elsewhere.
    Rs256,
    /// Ed25519 signatures checked with `JWT_PUBLIC_KEY`; tokens are minted elsewhere.
    EdDsa,
}

/// What the operator asked for with `DONNA_BACKEND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// OpenAI when a key is configured, otherwise the local engine.
    Auto,
    Local,
    OpenAi,
}

/// The backend actually in use after resolving [`BackendChoice::Auto`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Local,
    OpenAi,
}

impl Backend {
    /// The name used in `/api/health` and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Local => "local",
            Backend::OpenAi => "openai",
        }
    }
}

/// Values given on the command line; they win over every other layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub addr: Option<String>,
    pub config: Option<PathBuf>,
    /// `--kiosk`: the window runs as a locked-down kiosk whatever `DONNA_MODE` says.
    pub kiosk: bool,
}
