//! Rate limits: shared keyed GCRA state (governor) per route class, one limiter keyed by client
//! IP and one keyed by token subject, read against an injectable [`GatewayClock`].
//!
//! Per-IP limits run as route middleware, before authentication, so a flood of bad tokens is
//! limited too. Per-identity limits run inside the [`crate::auth::Authed`] extractor, right after
//! the token is verified: the middleware leaves the route's [`RouteLimits`] in the request's
//! extensions for it. A refusal is `429` with `Retry-After` and the JSON error.
//!
//! The state is in-process, unless the gateways of a front desk share a store for it
//! ([`SharedRate`], Redis): then one GCRA per key holds across every gateway, and when the store
//! does not answer each gateway falls back to its own limiter (its own share of the flood).

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use donna_config::{Rate, RateLimits};
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::ApiError;
use crate::clock::GatewayClock;
use crate::conversations::BoxFuture;
use crate::security;

/// Forget idle keys every this many checks, so a scan from many addresses cannot grow the
/// state without bound.
const SWEEP_EVERY: u64 = 4096;

type Inner<K> = RateLimiter<K, DashMapStateStore<K>, GatewayClock, NoOpMiddleware<Nanos>>;

/// A limit every gateway of a front desk keeps together: the same GCRA as the local limiter,
/// atomic in a shared store.
pub trait SharedRate: Send + Sync + 'static {
    /// Count one request for `key` under `rate`: `Ok(None)` to go on, `Ok(Some(wait))` refused
    /// for `wait`; `Err` when the store cannot answer now (the caller then limits locally).
    fn check<'a>(&'a self, key: &'a str, rate: Rate) -> BoxFuture<'a, Result<Option<Duration>, String>>;
}

/// One keyed limiter.
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: Inner<K>,
    clock: GatewayClock,
    checks: AtomicU64,
    rate: Rate,
    /// The shared store and this limiter's name in it (`api:ip`, `token:identity`).
    shared: Option<(Arc<dyn SharedRate>, String)>,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for Limiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("keys", &self.inner.len())
            .finish()
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(rate: Rate, clock: GatewayClock) -> Self {
        let max = NonZeroU32::new(rate.max).unwrap_or(NonZeroU32::MIN);
        let period = Duration::from_secs(u64::from(rate.per_s)) / rate.max.max(1);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(max))
            .allow_burst(max);
        Self {
            inner: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
            checks: AtomicU64::new(0),
            rate,
            shared: None,
        }
    }

    /// Keep this limit in `shared` under `name`, with this limiter as the fallback.
    pub fn shared(mut self, shared: Option<Arc<dyn SharedRate>>, name: String) -> Self {
        self.shared = shared.map(|s| (s, name));
        self
    }

    /// `Ok` when `key` may proceed, counted in the shared store when there is one; otherwise
    /// how long until it may.
    pub async fn check_shared(&self, key: &K) -> Result<(), Duration>
    where
        K: std::fmt::Display,
    {
        if let Some((shared, name)) = &self.shared {
            match shared.check(&format!("{name}:{key}"), self.rate).await {
                Ok(None) => return Ok(()),
                Ok(Some(wait)) => return Err(wait),
                Err(e) => tracing::debug!(error = %e, "shared rate limit unavailable; limiting locally"),
            }
        }
        self.check(key)
    }

    /// `Ok` when `key` may proceed by this gateway's own count; otherwise how long until it may.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
        }
        self.inner
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The limiters of one route class.
#[derive(Debug, Clone)]
pub struct RouteLimits {
    pub class: &'static str,
    pub per_ip: Option<Arc<Limiter<IpAddr>>>,
    pub per_identity: Option<Arc<Limiter<String>>>,
}

impl RouteLimits {
    /// The limits of route class `class`, kept in `shared` when the gateways share a store.
    pub fn new(
        class: &'static str,
        limits: RateLimits,
        clock: &GatewayClock,
        shared: Option<Arc<dyn SharedRate>>,
    ) -> Self {
        Self {
            class,
            per_ip: limits.per_ip.map(|r| {
                Arc::new(Limiter::new(r, clock.clone()).shared(shared.clone(), format!("{class}:ip")))
            }),
            per_identity: limits.per_identity.map(|r| {
                Arc::new(Limiter::new(r, clock.clone()).shared(shared.clone(), format!("{class}:identity")))
            }),
        }
    }

    /// Check the per-identity limit (called by the auth extractor).
    pub async fn check_identity(&self, sub: &str) -> Result<(), ApiError> {
        match &self.per_identity {
            Some(limiter) => limiter.check_shared(&sub.to_owned()).await.map_err(too_many),
            None => Ok(()),
        }
    }
}

fn too_many(wait: Duration) -> ApiError {
    // Round up: a client that waits exactly Retry-After seconds must get through.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::RateLimited {
        retry_after_s: secs.max(1),
    }
}

/// The per-IP check of `limits` for a request with these extensions.
pub async fn check_ip(limits: &RouteLimits, extensions: &axum::http::Extensions) -> Result<(), ApiError> {
    let Some(limiter) = &limits.per_ip else {
        return Ok(());
    };
    // Without a peer address (in-process tests with `oneshot`) there is nothing to key on.
    match extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ci) => limiter.check_shared(&ci.0.ip()).await.map_err(too_many),
        None => Ok(()),
    }
}

/// Route middleware: the per-IP check, and the route's limits handed to the auth extractor.
pub async fn enforce(State(limits): State<RouteLimits>, mut request: Request, next: Next) -> Response {
    if let Err(e) = check_ip(&limits, request.extensions()).await {
        let (parts, _) = request.into_parts();
        let detail = format!("per-IP limit of route class {}", limits.class);
        security::denied(&parts, None, "rate_limited_ip", &detail);
        return e.into_response();
    }
    request.extensions_mut().insert(limits);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_until_time_passes() {
        let clock = GatewayClock::manual();
        let limiter = Limiter::new(Rate { max: 3, per_s: 60 }, clock.clone());
        for _ in 0..3 {
            assert!(limiter.check(&"a").is_ok());
        }
        let wait = limiter.check(&"a").unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        assert!(limiter.check(&"b").is_ok(), "keys are independent");
        clock.advance(Duration::from_secs(20));
        assert!(limiter.check(&"a").is_ok());
        assert!(limiter.check(&"a").is_err());
    }

    #[test]
    fn retry_after_rounds_up() {
        let ApiError::RateLimited { retry_after_s } = too_many(Duration::from_millis(1500)) else {
            unreachable!()
        };
        assert_eq!(retry_after_s, 2);
    }
}
