//! Who may open a session: the engine key, and the short-lived client secrets minted with it.
//!
//! The engine key is Donna's stand-in for an OpenAI API key. It comes from `DONNA_ENGINE_KEY`,
//! or is generated once per data dir and kept in `engine.key` (mode 0600), so a restart keeps
//! working clients working. Client secrets (`ek_...`) gate starting a session and die with their
//! TTL, like the service's. They live in this process's memory, or, when the gateways of a front
//! desk share a store ([`SharedSecrets`], Redis), there: minted on one gateway, a secret opens a
//! session on any, and revoked on one it is revoked on all. A secret minted while the shared
//! store does not answer is kept here, and works on this gateway only.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use donna_realtime::protocol::SessionConfig;

use crate::error::EngineError;
use crate::ids::{CLIENT_SECRET_PREFIX, new_client_secret, new_engine_key};

/// A minted client secret.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ClientSecret {
    pub value: String,
    pub expires_at: i64,
    /// The session the secret starts, as requested when minting (validated, with its model):
    /// only what the request set. The defaults and the desk's instructions are filled in when a
    /// session opens with the secret, so a secret stays a few hundred bytes, in this process and
    /// in a shared store.
    pub session: SessionConfig,
}

/// What a bearer credential turned out to be.
#[derive(Debug, Clone)]
pub enum Credential {
    EngineKey,
    /// Shared with the store: a secret's session is copied only when a session opens with it.
    ClientSecret(Arc<ClientSecret>),
}

/// The most client secrets alive at once, by default. Each holds the settings its request asked
/// for (a few KiB when they replace the instructions), so this bounds their memory to tens of
/// MiB whatever floods the mint route; the gateway's rate limits keep real use far below it.
pub const MAX_LIVE_SECRETS: usize = 20_000;

/// The live secrets, and when to next sweep out the expired ones.
struct Secrets {
    /// Behind `Arc`s, so minting copies no session and the map's growth moves pointers, not
    /// sessions of a few KiB each.
    by_value: HashMap<String, Arc<ClientSecret>>,
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

/// A store of client secrets every gateway of a front desk reads. Calls are short and
/// synchronous, like the desk's store; an `Err` means it cannot answer now.
pub trait SharedSecrets: Send + Sync + 'static {
    /// Keep `secret` until its expiry, unless `max_live` secrets are alive in the store
    /// already (`Ok(false)`): the cap holds for every gateway together.
    fn put(&self, secret: &ClientSecret, max_live: usize) -> Result<bool, String>;
    fn get(&self, value: &str) -> Result<Option<ClientSecret>, String>;
    /// Forget `value`; true when it was there.
    fn remove(&self, value: &str) -> Result<bool, String>;
}

/// The engine key and the live client secrets.
pub struct Keys {
    engine_key: String,
    secrets: Mutex<Secrets>,
    shared: Option<Arc<dyn SharedSecrets>>,
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
            shared: None,
        }
    }

    /// Keep client secrets in `shared`, where every gateway of the front desk finds them.
    pub fn with_shared(mut self, shared: Arc<dyn SharedSecrets>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Allow `max` live client secrets instead of [`MAX_LIVE_SECRETS`] (a load test that mints
    /// far more than any site would).
    pub fn with_max_live(self, max: usize) -> Self {
        self.lock().max_live = max;
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
        if !token.starts_with(CLIENT_SECRET_PREFIX) {
            return None;
        }
        let local = self.lock().by_value.get(token).cloned();
        let found = match (local, &self.shared) {
            (Some(secret), _) => Some(secret),
            (None, Some(shared)) => shared.get(token).map(|s| s.map(Arc::new)).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the shared client secrets cannot be read");
                None
            }),
            (None, None) => None,
        };
        found
            .filter(|s| s.expires_at > unix_now())
            .map(Credential::ClientSecret)
    }

    /// Mint a secret valid for `ttl_s` seconds that starts `session`; `None` when the most
    /// allowed ([`MAX_LIVE_SECRETS`] by default) are alive already.
    pub fn mint(&self, ttl_s: i64, session: SessionConfig) -> Option<Arc<ClientSecret>> {
        let now = unix_now();
        let secret = Arc::new(ClientSecret {
            value: new_client_secret(),
            expires_at: now + ttl_s,
            session,
        });
        if let Some(shared) = &self.shared {
            // Not under the lock: authentication must not wait on the shared store.
            let max_live = self.lock().max_live;
            match shared.put(&secret, max_live) {
                Ok(true) => return Some(secret),
                Ok(false) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "client secret kept on this gateway only: the shared store does not answer")
                }
            }
        }
        let mut secrets = self.lock();
        if secrets.by_value.len() >= secrets.sweep_at {
            secrets.sweep(now);
        }
        if secrets.by_value.len() >= secrets.max_live {
            return None;
        }
        secrets.by_value.insert(secret.value.clone(), secret.clone());
        Some(secret)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Secrets> {
        self.secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Client secrets held now, expired ones not yet swept included.
    pub fn held(&self) -> usize {
        self.lock().by_value.len()
    }

    /// Revoke a secret before its expiry, here and in the shared store; true when it existed.
    pub fn revoke(&self, value: &str) -> bool {
        let local = self.lock().by_value.remove(value).is_some();
        let shared = self.shared.as_ref().is_some_and(|shared| {
            shared.remove(value).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "a client secret could not be revoked in the shared store");
                false
            })
        });
        local || shared
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
