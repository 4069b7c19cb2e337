//! The layers every route passes through, in this order:
//!
//! 1. request id: a client's sane `X-Request-Id` is kept, anything else replaced by a fresh one;
//!    it is echoed on the response and quoted in every error body; the client's address, the
//!    peer's or, from a trusted balancer, the one its `X-Forwarded-For` names
//!    ([`crate::client_addr`]), for the rate limits and the security log;
//! 2. the request head: a `Host` that is not one of the gateway's own names is refused with
//!    `421` (a DNS-rebinding page would otherwise be "same-origin" with the loopback gateway);
//!    more than [`MAX_HEADERS`] headers or [`MAX_HEAD_BYTES`] of them get `431`; a declared
//!    body over the largest any route takes gets `413` before a byte of it is read;
//!    then the origin check: a request whose `Origin` is neither the gateway's own nor
//!    allowlisted is refused with `403` (preflights included); each refusal is logged;
//! 3. the `api` class's per-IP rate limit;
//! 4. CORS for allowed origins: the exact origin echoed, never `*`; preflights answered;
//! 5. the request timeout, around the route;
//! 6. on the way out: metrics, security headers on every response (CSP, nosniff, referrer and
//!    permissions policies, framing, HSTS when the request came over TLS through a proxy), and
//!    the error shape: every failure leaves as `{"error": {"code", "message", "request_id"}}`,
//!    also those produced by layers and extractors that know nothing of [`ApiError`].
//!
//! Steps 1-3, 5 and 6 are one middleware function ([`edge`]): each `from_fn` layer clones the
//! service stack below it on every request, and eight of them cost 14 µs a request, more than
//! the routes themselves. Route-specific limits (body sizes, rate classes) are set where the
//! routes are declared.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ErrorBody;
use crate::ratelimit::{self, RouteLimits};
pub use crate::serve::{MAX_HEAD_BYTES, MAX_HEADERS};
use crate::{ApiError, GatewayState, security};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The largest body any route takes (the batch voice route's recording); a request declaring
/// more is refused before its body is read. Each route's own, smaller limit is checked as its
/// body arrives.
pub const MAX_BODY_BYTES: usize = crate::routes::voice::MAX_AUDIO_BYTES;

/// The page policy: the UI loads only from the gateway, talks to it and to the realtime
/// service, and may not be framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
media-src 'self' blob: data:; font-src 'self'; connect-src 'self' ws: wss: https://api.openai.com; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PERMISSIONS_POLICY: &str =
    "microphone=(self), camera=(), geolocation=(), payment=(), usb=(), interest-cohort=()";
const HSTS: &str = "max-age=63072000; includeSubDomains";
const PERMISSIONS_POLICY_HEADER: HeaderName = HeaderName::from_static("permissions-policy");
const COOP_HEADER: HeaderName = HeaderName::from_static("cross-origin-opener-policy");

/// Wrap every route of `router` in the gateway's layers.
pub fn apply(router: Router, state: &GatewayState) -> Router {
    let edge_state = Arc::new(Edge {
        state: state.clone(),
        api_limits: RouteLimits::new(
            "api",
            state.config().limits_of("api"),
            state.clock(),
            state.shared_rate(),
        ),
        timeout: state.config().request_timeout,
    });
    router
        .layer(cors(state))
        .layer(middleware::from_fn_with_state(edge_state, edge))
}

/// What [`edge`] needs.
#[derive(Debug, Clone)]
pub struct Edge {
    state: GatewayState,
    api_limits: RouteLimits,
    timeout: Duration,
}

/// Everything but CORS, in the order the module docs give.
pub async fn edge(State(edge): State<Arc<Edge>>, mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map_or_else(new_request_id, str::to_owned);
    let id_value = HeaderValue::from_str(&id).ok();
    if let Some(value) = &id_value {
        request.headers_mut().insert(REQUEST_ID, value.clone());
    }
    let trusted = &edge.state.config().trusted_proxies;
    if !trusted.is_empty()
        && let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied()
    {
        let client = crate::client_addr::resolve(peer.ip(), request.headers(), trusted);
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
    }
    // Behind a TLS-terminating proxy; browsers ignore HSTS received over plain HTTP anyway.
    let over_tls = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let metrics = edge.state.metrics().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = crate::metrics::method_label(request.method());
    request.extensions_mut().insert(metrics.clone());

    let response = match refuse(&edge, request).await {
        Err(response) => response,
        Ok(request) => match tokio::time::timeout(edge.timeout, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::Timeout.into_response(),
        },
    };
    metrics.request(route, method, response.status().as_u16());
    let mut response = error_shape(response, &id);
    security_headers(response.headers_mut(), over_tls);
    if let Some(value) = id_value {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The checks that refuse a request before it reaches its route: the head (host, size), the
/// origin, then the `api` limit.
#[allow(clippy::result_large_err)] // the Err is the response, built once per refusal
async fn refuse(edge: &Edge, mut request: Request) -> Result<Request, Response> {
    let headers = request.headers();
    if let Some((error, reason)) = bad_head(headers, &edge.state.config().public_hosts) {
        let (parts, _) = request.into_parts();
        security::denied(&parts, None, reason, &error.to_string());
        return Err(error.into_response());
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let ok = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, host, &edge.state));
        if !ok {
            let (parts, _) = request.into_parts();
            security::denied(&parts, None, "origin_not_allowed", "origin not on the allowlist");
            return Err(ApiError::OriginNotAllowed.into_response());
        }
    }
    if let Err(e) = ratelimit::check_ip(&edge.api_limits, request.extensions()).await {
        let (parts, _) = request.into_parts();
        security::denied(&parts, None, "rate_limited_ip", "per-IP limit of route class api");
        return Err(e.into_response());
    }
    request.extensions_mut().insert(edge.api_limits.clone());
    Ok(request)
}

/// What is wrong with a request's head, before any route reads it, with the security log's
/// reason.
fn bad_head(headers: &axum::http::HeaderMap, public_hosts: &[String]) -> Option<(ApiError, &'static str)> {
    let head_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || head_bytes > MAX_HEAD_BYTES {
        let error = ApiError::HeadersTooLarge {
            max_headers: MAX_HEADERS,
            max_bytes: MAX_HEAD_BYTES,
        };
        return Some((error, "headers_too_large"));
    }
    let host = headers.get(header::HOST).map(|h| h.to_str().unwrap_or(""));
    if host.is_some_and(|h| !host_allowed(h, public_hosts)) {
        return Some((ApiError::HostNotAllowed, "host_not_allowed"));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Some((ApiError::BodyTooLarge { max: MAX_BODY_BYTES }, "body_too_large"));
    }
    None
}

/// Whether the gateway answers for `host` (a `Host` header, with or without its port): an IP
/// address (which no DNS can rebind), `localhost` and names under it (which browsers resolve to
/// loopback themselves), or one of `public_hosts` (`PRODUCTION_DOMAIN`, `PUBLIC_HOSTS`).
pub fn host_allowed(host: &str, public_hosts: &[String]) -> bool {
    let name = match host.strip_prefix('[') {
        // An IPv6 literal: `[::1]:8765`.
        Some(rest) => {
            return rest
                .split(']')
                .next()
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok());
        }
        None => match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        },
    };
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || public_hosts.contains(&name)
}

/// Whether `origin` may call: the Tauri webview, the allowlist, or the gateway's own origin
/// (a page it served, calling back: the `Host` it was reached at).
pub fn origin_allowed(origin: &str, host: Option<&str>, state: &GatewayState) -> bool {
    if state.config().allowed_origins.iter().any(|o| o == origin) {
        return true;
    }
    let bare = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((bare, host), (Some(bare), Some(host)) if bare.eq_ignore_ascii_case(host))
}

fn cors(state: &GatewayState) -> CorsLayer {
    let state = state.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok());
            origin.to_str().is_ok_and(|o| origin_allowed(o, host, &state))
        }))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            REQUEST_ID,
            crate::routes::chat::IDEMPOTENCY_KEY,
        ])
        .expose_headers([REQUEST_ID, header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}

fn security_headers(headers: &mut axum::http::HeaderMap, over_tls: bool) {
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(PERMISSIONS_POLICY_HEADER, PERMISSIONS_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(COOP_HEADER, "same-origin");
    if over_tls {
        set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    headers.remove(header::SERVER);
}

/// Client ids end up in logs: short and plain only.
fn is_sane_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn new_request_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let mut id = String::with_capacity(26);
    id.push_str("req_");
    for _ in 0..22 {
        id.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
    }
    id
}

/// Give every failure the JSON error shape with the request id.
fn error_shape(response: Response, id: &str) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match response.extensions().get::<ErrorBody>() {
        Some(body) => (body.code, body.message.clone()),
        None => {
            let is_json = response
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
            // The engine's OpenAI-shaped errors (and proxied marketing answers) are JSON already
            // and belong to their protocols.
            if is_json {
                return response;
            }
            generic(status)
        }
    };
    let (mut parts, _) = response.into_parts();
    let body = json!({ "error": { "code": code, "message": message, "request_id": id } });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Response::from_parts(parts, Body::from(bytes))
}

/// Code and message for a failure that came without an [`ApiError`] (a layer's own answer).
fn generic(status: StatusCode) -> (&'static str, String) {
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal",
        _ => "error",
    };
    let message = status.canonical_reason().unwrap_or("error").to_ascii_lowercase();
    (code, message)
}
