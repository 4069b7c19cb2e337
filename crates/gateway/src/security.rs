//! The security log: one structured entry for every credential issued and every request refused,
//! with its reason.
//!
//! Entries go to the tracing target [`TARGET`], which the app routes to its own file
//! (`security.*.log`), apart from the operational log. Entries carry who (`sub`, `role`), from
//! where (client IP, `Origin`), which request (`request_id`, method, path) and why; never a
//! token, a key or anything the visitor said.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::claims::Claims;
use crate::metrics::Metrics;

/// The tracing target of security entries.
pub const TARGET: &str = "donna_security";

/// Where a request came from, for the log.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub ip: Option<String>,
    pub origin: Option<String>,
    pub request_id: Option<String>,
    pub method: String,
    pub path: String,
    metrics: Option<Metrics>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller::from_parts(parts))
    }
}

impl Caller {
    pub fn from_parts(parts: &Parts) -> Self {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                // Bounded, so a hostile header cannot bloat the log.
                .map(|v| v.chars().take(200).collect::<String>())
        };
        Self {
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ci| ci.0.ip().to_string()),
            origin: header("origin"),
            request_id: header("x-request-id"),
            method: parts.method.to_string(),
            path: parts.uri.path().chars().take(200).collect(),
            metrics: parts.extensions.get::<Metrics>().cloned(),
        }
    }
}

/// A refused request.
pub fn denied(parts: &Parts, claims: Option<&Claims>, reason: &str, detail: &str) {
    denied_caller(&Caller::from_parts(parts), claims, reason, detail);
}

/// A refused request, when the caller was captured earlier.
pub fn denied_caller(caller: &Caller, claims: Option<&Claims>, reason: &str, detail: &str) {
    if let Some(metrics) = &caller.metrics {
        metrics.denial(reason);
    }
    tracing::warn!(
        target: TARGET,
        event = "denied",
        reason,
        detail,
        sub = claims.map(|c| c.sub.as_str()),
        role = claims.map(|c| c.role.as_str()),
        ip = caller.ip.as_deref(),
        origin = caller.origin.as_deref(),
        request_id = caller.request_id.as_deref(),
        method = %caller.method,
        path = %caller.path,
        "request denied"
    );
}

/// A credential handed out (a realtime client secret, for one).
pub fn issued(caller: &Caller, claims: &Claims, what: &str, backend: &str, model: &str, expires_at: i64) {
    tracing::info!(
        target: TARGET,
        event = "issued",
        what,
        backend,
        model,
        expires_at,
        sub = %claims.sub,
        role = claims.role.as_str(),
        ip = caller.ip.as_deref(),
        origin = caller.origin.as_deref(),
        request_id = caller.request_id.as_deref(),
        "credential issued"
    );
}

/// A realtime session opened through the proxy: the gateway's key is used on the caller's behalf.
pub fn proxied(caller: &Caller, claims: &Claims, model: &str) {
    tracing::info!(
        target: TARGET,
        event = "proxied",
        model,
        sub = %claims.sub,
        role = claims.role.as_str(),
        ip = caller.ip.as_deref(),
        origin = caller.origin.as_deref(),
        request_id = caller.request_id.as_deref(),
        "realtime proxy session opened"
    );
}
