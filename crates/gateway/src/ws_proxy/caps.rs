//! Connection caps: how many proxy sessions may be open at once, in all and per token subject.
//!
//! A session takes a [`Permit`] before its upgrade is accepted and gives it back when the permit
//! is dropped, whichever way the session ends. Both counts change under one lock, so concurrent
//! connects can never overshoot a cap, and a refused connect changes nothing.
//!
//! When the gateways of a front desk share a store of sessions ([`SharedCaps`], Redis), a
//! session also takes its place there, so the caps hold across every gateway; the gateway's own
//! counts still apply. A store that cannot answer does not stop a session: the gateway then
//! caps with its own counts alone, and says so in its log.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::conversations::BoxFuture;

/// Why a session was refused a permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapExceeded {
    /// The gateway's global cap.
    Global { max: u64 },
    /// The caller's own cap.
    Identity { max: u64 },
}

/// Session counts kept by every gateway together.
pub trait SharedCaps: Send + Sync + 'static {
    /// Take a place for `session` of `identity` under both caps: `Ok(None)` taken,
    /// `Ok(Some(cap))` refused; `Err` when the store cannot answer now, and nothing was taken.
    fn acquire<'a>(
        &'a self,
        session: &'a str,
        identity: &'a str,
        max_total: u64,
        max_per_identity: u64,
    ) -> BoxFuture<'a, Result<Option<CapExceeded>, String>>;

    /// Give the place of `session` back; returns at once.
    fn release(&self, session: &str, identity: &str);
}

/// The counts, shared by every session.
#[derive(Clone)]
pub struct SessionCaps {
    inner: Arc<Mutex<Counts>>,
    max_total: u64,
    max_per_identity: u64,
    shared: Option<Arc<dyn SharedCaps>>,
    /// Names this gateway's sessions in the shared store: this process, then a count.
    instance: String,
    next: Arc<AtomicU64>,
}

impl std::fmt::Debug for SessionCaps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCaps")
            .field("max_total", &self.max_total)
            .field("max_per_identity", &self.max_per_identity)
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: u64,
    by_identity: HashMap<String, u64>,
}

impl SessionCaps {
    pub fn new(max_total: u64, max_per_identity: u64) -> Self {
        Self {
            inner: Arc::default(),
            max_total,
            max_per_identity,
            shared: None,
            instance: format!("{:016x}", rand::random::<u64>()),
            next: Arc::default(),
        }
    }

    /// Count sessions in `shared` too, so the caps hold across the gateways that share it.
    pub fn with_shared(mut self, shared: Arc<dyn SharedCaps>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// A permit for one more session of `identity`, counted on this gateway and in the shared
    /// store when there is one, or which cap it would exceed.
    pub async fn acquire(&self, identity: &str) -> Result<Permit, CapExceeded> {
        let mut permit = self.acquire_here(identity)?;
        let Some(shared) = &self.shared else {
            return Ok(permit);
        };
        let session = format!("{}-{}", self.instance, self.next.fetch_add(1, Ordering::Relaxed));
        match shared
            .acquire(&session, identity, self.max_total, self.max_per_identity)
            .await
        {
            Ok(None) => {
                permit.shared = Some((shared.clone(), session));
                Ok(permit)
            }
            // Dropping the local permit gives its place back: a refused connect changes nothing.
            Ok(Some(cap)) => Err(cap),
            Err(e) => {
                tracing::warn!(error = %e, "the shared session caps did not answer; capping on this gateway alone");
                Ok(permit)
            }
        }
    }

    /// A permit counted on this gateway alone.
    fn acquire_here(&self, identity: &str) -> Result<Permit, CapExceeded> {
        let mut counts = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.max_total {
            return Err(CapExceeded::Global { max: self.max_total });
        }
        let mine = counts.by_identity.get(identity).copied().unwrap_or(0);
        if mine >= self.max_per_identity {
            return Err(CapExceeded::Identity {
                max: self.max_per_identity,
            });
        }
        counts.total += 1;
        counts.by_identity.insert(identity.to_owned(), mine + 1);
        Ok(Permit {
            caps: self.inner.clone(),
            identity: identity.to_owned(),
            shared: None,
        })
    }

    /// Sessions holding a permit now.
    pub fn open(&self) -> u64 {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

/// One open session's place under the caps; dropping it frees the place, here and in the
/// shared store.
pub struct Permit {
    caps: Arc<Mutex<Counts>>,
    identity: String,
    shared: Option<(Arc<dyn SharedCaps>, String)>,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit")
            .field("identity", &self.identity)
            .field("shared", &self.shared.as_ref().map(|(_, session)| session))
            .finish()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some((shared, session)) = self.shared.take() {
            shared.release(&session, &self.identity);
        }
        let mut counts = self.caps.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_identity.get_mut(&self.identity) {
            *n -= 1;
            if *n == 0 {
                // Forget the identity, so the map holds only callers with open sessions.
                counts.by_identity.remove(&self.identity);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_permits_give_their_place_back() {
        let caps = SessionCaps::new(3, 2);
        let a1 = caps.acquire_here("a").unwrap();
        let _a2 = caps.acquire_here("a").unwrap();
        assert_eq!(
            caps.acquire_here("a").unwrap_err(),
            CapExceeded::Identity { max: 2 }
        );
        let _b1 = caps.acquire_here("b").unwrap();
        assert_eq!(
            caps.acquire_here("c").unwrap_err(),
            CapExceeded::Global { max: 3 }
        );
        drop(a1);
        assert_eq!(caps.open(), 2);
        let _c1 = caps.acquire_here("c").unwrap();
        assert_eq!(caps.open(), 3);
    }

    #[test]
    fn concurrent_acquires_never_overshoot() {
        let caps = SessionCaps::new(50, 1000);
        let permits = Arc::new(Mutex::new(Vec::new()));
        std::thread::scope(|s| {
            for t in 0..8 {
                let caps = caps.clone();
                let permits = permits.clone();
                s.spawn(move || {
                    for i in 0..20 {
                        if let Ok(p) = caps.acquire_here(&format!("{t}-{i}")) {
                            permits.lock().unwrap().push(p);
                        }
                    }
                });
            }
        });
        assert_eq!(permits.lock().unwrap().len(), 50);
        assert_eq!(caps.open(), 50);
        permits.lock().unwrap().clear();
        assert_eq!(caps.open(), 0);
        assert!(caps.inner.lock().unwrap().by_identity.is_empty());
    }

    /// A store that refuses `identity` "full", fails for "down", and records what it holds.
    #[derive(Default)]
    struct Store(Mutex<Vec<String>>);

    impl SharedCaps for Store {
        fn acquire<'a>(
            &'a self,
            session: &'a str,
            identity: &'a str,
            _max_total: u64,
            max_per_identity: u64,
        ) -> BoxFuture<'a, Result<Option<CapExceeded>, String>> {
            Box::pin(async move {
                match identity {
                    "full" => Ok(Some(CapExceeded::Identity {
                        max: max_per_identity,
                    })),
                    "down" => Err("no answer".to_owned()),
                    _ => {
                        self.0.lock().unwrap().push(session.to_owned());
                        Ok(None)
                    }
                }
            })
        }

        fn release(&self, session: &str, _identity: &str) {
            self.0.lock().unwrap().retain(|s| s != session);
        }
    }

    #[tokio::test]
    async fn a_shared_store_refuses_falls_back_and_is_given_places_back() {
        let store = Arc::new(Store::default());
        let caps = SessionCaps::new(10, 2).with_shared(store.clone());
        let held = caps.acquire("kiosk").await.unwrap();
        assert_eq!(store.0.lock().unwrap().len(), 1);
        assert_eq!(
            caps.acquire("full").await.unwrap_err(),
            CapExceeded::Identity { max: 2 }
        );
        assert_eq!(caps.open(), 1, "a refusal elsewhere leaves no place taken here");
        let alone = caps.acquire("down").await.unwrap();
        assert_eq!(
            caps.open(),
            2,
            "a store that does not answer leaves the local caps"
        );
        drop((held, alone));
        assert!(store.0.lock().unwrap().is_empty());
        assert_eq!(caps.open(), 0);
    }
}
