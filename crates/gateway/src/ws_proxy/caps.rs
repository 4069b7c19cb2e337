//! Connection caps: how many proxy sessions may be open at once, in all and per token subject.
//!
//! A session takes a [`Permit`] before its upgrade is accepted and gives it back when the permit
//! is dropped, whichever way the session ends. Both counts change under one lock, so concurrent
//! connects can never overshoot a cap, and a refused connect changes nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Why a session was refused a permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapExceeded {
    /// The gateway's global cap.
    Global { max: u64 },
    /// The caller's own cap.
    Identity { max: u64 },
}

/// The counts, shared by every session.
#[derive(Debug, Clone)]
pub struct SessionCaps {
    inner: Arc<Mutex<Counts>>,
    max_total: u64,
    max_per_identity: u64,
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
        }
    }

    /// A permit for one more session of `identity`, or which cap it would exceed.
    pub fn acquire(&self, identity: &str) -> Result<Permit, CapExceeded> {
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
        })
    }

    /// Sessions holding a permit now.
    pub fn open(&self) -> u64 {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

/// One open session's place under the caps; dropping it frees the place.
#[derive(Debug)]
pub struct Permit {
    caps: Arc<Mutex<Counts>>,
    identity: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
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
        let a1 = caps.acquire("a").unwrap();
        let _a2 = caps.acquire("a").unwrap();
        assert_eq!(caps.acquire("a").unwrap_err(), CapExceeded::Identity { max: 2 });
        let _b1 = caps.acquire("b").unwrap();
        assert_eq!(caps.acquire("c").unwrap_err(), CapExceeded::Global { max: 3 });
        drop(a1);
        assert_eq!(caps.open(), 2);
        let _c1 = caps.acquire("c").unwrap();
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
                        if let Ok(p) = caps.acquire(&format!("{t}-{i}")) {
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
}
