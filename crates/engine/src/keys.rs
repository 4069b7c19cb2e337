//! Who may open a session: the engine key, and the short-lived client secrets minted with it.
//!
//! The engine key is Donna's stand-in for an OpenAI API key. It comes from `DONNA_ENGINE_KEY`,
//! or is generated once per data dir and kept in `engine.key` (mode 0600), so a restart keeps
//! working clients working. Client secrets (`ek_...`) live in memory only: like the service's,
//! they gate starting a session and die with their TTL (or the process).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use donna_realtime::protocol::SessionConfig;

use crate::error::EngineError;
use crate::ids::{new_client_secret, new_engine_key};

/// A minted client secret.
#[derive(Debug, Clone)]
pub struct ClientSecret {
    pub value: String,
    pub expires_at: i64,
    /// The session the secret starts, as requested when minting.
    pub session: SessionConfig,
}

/// What a bearer credential turned out to be.
#[derive(Debug, Clone)]
pub enum Credential {
    EngineKey,
    ClientSecret(Box<ClientSecret>),
}

/// The most client secrets alive at once, by default. Each holds a session's settings (a few KiB with the
/// desk's instructions), so this bounds their memory to tens of MiB whatever floods the mint
/// route; the gateway's rate limits keep real use far below it.
pub const MAX_LIVE_SECRETS: usize = 20_000;

/// The live secrets, and when to next sweep out the expired ones.
struct Secrets {
    by_value: HashMap<String, ClientSecret>,
    /// Expired secrets are swept when the map reaches this size (then twice what is left), so
    /// minting costs O(1) amortised instead of a scan of every secret each time.
    sweep_at: usize,
    /// See [`MAX_LIVE_SECRETS`].
    max_live: usize,
}

impl Secrets {
    fn sweep(&mut self, now: i64) {
        self.by_value.retain(|_, s| s.expires_at > now);
        self.sweep_at = (self.by_value.len() * 2).clamp(1024, self.max_live.max(1024));
    }
}

/// The engine key and the live client secrets.
pub struct Keys {
    engine_key: String,
    secrets: Mutex<Secrets>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("engine_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Keys {
    pub fn new(engine_key: String) -> Self {
        Self {
            engine_key,
            secrets: Mutex::new(Secrets {
                by_value: HashMap::new(),
                sweep_at: 0,
                max_live: MAX_LIVE_SECRETS,
            }),
        }
    }

    /// Allow `max` live client secrets instead of [`MAX_LIVE_SECRETS`] (a load test that mints
    /// far more than any site would).
    pub fn with_max_live(self, max: usize) -> Self {
        self.secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .max_live = max;
        self
    }

    /// The key from `configured`, else the one stored in `data_dir/engine.key`, else a new one
    /// written there readable by the owner only.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Self, EngineError> {
        if let Some(key) = configured {
            return Ok(Self::new(key.to_owned()));
        }
        let path = data_dir.join("engine.key");
        donna_config::private::read_or_create_secret(&path, new_engine_key)
            .map(Self::new)
            .map_err(|source| EngineError::KeyFile { path, source })
    }

    /// The engine key, for the app's own loopback client; never for logs or the webview.
    pub fn engine_key(&self) -> &str {
        &self.engine_key
    }

    /// Check a bearer credential; `None` means unauthorised.
    pub fn authenticate(&self, token: &str) -> Option<Credential> {
        if constant_time_eq(token.as_bytes(), self.engine_key.as_bytes()) {
            return Some(Credential::EngineKey);
        }
        let secrets = self
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        secrets
            .by_value
            .get(token)
            .filter(|s| s.expires_at > unix_now())
            .map(|s| Credential::ClientSecret(Box::new(s.clone())))
    }

    /// Mint a secret valid for `ttl_s` seconds that starts `session`; `None` when the most
    /// allowed ([`MAX_LIVE_SECRETS`] by default) are alive already.
    pub fn mint(&self, ttl_s: i64, session: SessionConfig) -> Option<ClientSecret> {
        let now = unix_now();
        let mut secrets = self
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if secrets.by_value.len() >= secrets.sweep_at {
            secrets.sweep(now);
        }
        if secrets.by_value.len() >= secrets.max_live {
            return None;
        }
        let secret = ClientSecret {
            value: new_client_secret(),
            expires_at: now + ttl_s,
            session,
        };
        secrets.by_value.insert(secret.value.clone(), secret.clone());
        Some(secret)
    }

    /// Client secrets held now, expired ones not yet swept included.
    pub fn held(&self) -> usize {
        self.secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .by_value
            .len()
    }

    /// Revoke a secret before its expiry; true when it existed.
    pub fn revoke(&self, value: &str) -> bool {
        let mut secrets = self
            .secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        secrets.by_value.remove(value).is_some()
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Compare secrets without leaking where they differ through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keys::load_or_create(None, dir.path()).unwrap();
        let again = Keys::load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.engine_key(), again.engine_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("engine.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            Keys::load_or_create(Some("sk-set"), dir.path())
                .unwrap()
                .engine_key(),
            "sk-set"
        );
    }

    #[test]
    fn secrets_expire_and_can_be_revoked() {
        let keys = Keys::new("sk-engine".into());
        assert!(matches!(
            keys.authenticate("sk-engine"),
            Some(Credential::EngineKey)
        ));
        assert!(keys.authenticate("sk-wrong").is_none());
        let live = keys.mint(60, SessionConfig::default()).unwrap();
        assert!(matches!(
            keys.authenticate(&live.value),
            Some(Credential::ClientSecret(_))
        ));
        assert!(keys.revoke(&live.value));
        assert!(keys.authenticate(&live.value).is_none());
        let expired = keys.mint(-1, SessionConfig::default()).unwrap();
        assert!(keys.authenticate(&expired.value).is_none());
    }

    #[test]
    fn live_secrets_are_capped_and_expired_ones_swept_as_minting_goes() {
        let keys = Keys::new("sk-engine".into());
        // Expired secrets never fill the store: they are swept as new ones arrive.
        for _ in 0..MAX_LIVE_SECRETS + 5_000 {
            assert!(keys.mint(-1, SessionConfig::default()).is_some());
        }
        assert!(keys.held() <= MAX_LIVE_SECRETS, "{}", keys.held());
        // Live ones fill it; then minting is refused until some expire or are revoked.
        let mut last = None;
        while let Some(secret) = keys.mint(60, SessionConfig::default()) {
            last = Some(secret);
        }
        assert_eq!(keys.held(), MAX_LIVE_SECRETS);
        let last = last.unwrap();
        assert!(
            keys.authenticate(&last.value).is_some(),
            "the last one minted works"
        );
        assert!(keys.revoke(&last.value));
        assert!(keys.mint(60, SessionConfig::default()).is_some());
    }

    #[test]
    fn debug_hides_the_key() {
        assert!(!format!("{:?}", Keys::new("sk-canary".into())).contains("canary"));
    }
}
