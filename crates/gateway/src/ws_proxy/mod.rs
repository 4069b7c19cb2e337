//! `GET /realtime`: the realtime protocol over a WebSocket for clients that must hold no OpenAI
//! credential (a browser on the front-desk tablet, a kiosk in central mode). The gateway opens
//! the upstream connection itself, with the key it holds (the cloud) or the engine key (the
//! local engine), and relays frames both ways.
//!
//! Served only when `ENABLE_WS_PROXY=true`; otherwise the path is like any unknown one (404).
//!
//! Before the upgrade is accepted, in this order (each refusal is an HTTP status with the JSON
//! error body, and is written to the security log):
//!
//! | check | refusal |
//! |---|---|
//! | origin on the allowlist (the gateway's edge layer) | 403 `origin_not_allowed` |
//! | per-IP connection attempts, class `ws` | 429 `rate_limited` |
//! | a device or staff token (see below) | 401 `unauthorized` |
//! | per-identity connection attempts, class `ws` | 429 `rate_limited` |
//! | a WebSocket upgrade, a known model | 426 `upgrade_required`, 422 `invalid_request` |
//! | the global and per-identity session caps | 503 `proxy_at_capacity`, 429 `too_many_sessions` |
//! | the upstream accepts the connection | 502 `upstream_error`, 504 `upstream_timeout` |
//!
//! The token is a JWT as for every other route: `Authorization: Bearer <token>`, or, from a
//! browser (which cannot set headers on a WebSocket), the subprotocol
//! `openai-insecure-api-key.<token>` next to `realtime`. Tokens in the query string are not
//! accepted.
//!
//! While connected, see [`relay`] (pumps, limits, close codes) and [`policy`] (what kiosk
//! tokens may not send). The upstream key never reaches the client: it is only ever written to
//! the upstream request's `Authorization` header.

pub mod caps;
pub mod policy;
pub mod relay;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use donna_config::{Secret, WsProxyLimits};
use donna_realtime::RealtimeError;
use donna_realtime::transport::websocket::{Credential, WebSocketConnector};
use serde::Deserialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::auth::{Authed, Role};
use crate::security::{self, Caller};
use crate::{ApiError, GatewayState, UpstreamError};
use caps::{CapExceeded, SessionCaps, SharedCaps};
use policy::Policy;
use relay::{RelayLimits, Session};

/// How often both sides are pinged.
const KEEPALIVE: Duration = Duration::from_secs(20);
/// Read and write buffer of each socket. The library's default (128 KiB each way) would cost an
/// idle session half a megabyte; realtime events are a few KiB (100 ms of audio is 6.4 KiB of
/// base64), and a larger frame only grows the buffer while it passes.
const SOCKET_BUFFER: usize = 16 * 1024;
/// How long either side may take to accept one frame.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the proxy connects: the service's HTTP base (`https://api.openai.com/v1`, or the local
/// engine's `http://127.0.0.1:PORT/v1`) and the key it holds for it.
#[derive(Clone)]
pub struct ProxyUpstream {
    pub base_url: String,
    pub key: Secret,
}

impl std::fmt::Debug for ProxyUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyUpstream")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The proxy's configuration and shared state.
#[derive(Debug)]
pub struct WsProxy {
    upstream: ProxyUpstream,
    limits: WsProxyLimits,
    caps: SessionCaps,
    policy: Arc<Policy>,
    /// The `session.update` a kiosk session starts with: the desk's instructions. Tools are left
    /// to the client, which must run them (the local engine runs undeclared desk tools itself);
    /// the policy only lets a kiosk declare the desk's own.
    kiosk_greeting: String,
    keepalive: Duration,
    send_timeout: Duration,
}

impl WsProxy {
    /// `instructions` and `tools` are the desk's: what kiosk sessions get and may not change.
    pub fn new(
        upstream: ProxyUpstream,
        limits: WsProxyLimits,
        instructions: String,
        tools: Vec<serde_json::Value>,
    ) -> Self {
        let kiosk_greeting = json!({
            "type": "session.update",
            "event_id": "event_proxy_kiosk_policy",
            "session": { "type": "realtime", "instructions": instructions },
        })
        .to_string();
        Self {
            upstream,
            caps: SessionCaps::new(limits.max_sessions, limits.max_sessions_per_identity),
            limits,
            policy: Arc::new(Policy::new(instructions, &tools)),
            kiosk_greeting,
            keepalive: KEEPALIVE,
            send_timeout: SEND_TIMEOUT,
        }
    }

    /// Ping each side every `keepalive`; end a session whose side takes longer than
    /// `send_timeout` to accept one frame. The defaults (20 s, 10 s) suit real networks; tests
    /// shorten them.
    pub fn with_timing(mut self, keepalive: Duration, send_timeout: Duration) -> Self {
        self.keepalive = keepalive;
        self.send_timeout = send_timeout;
        self
    }

    /// Count sessions in `shared` too, so the caps hold across every gateway that shares it.
    pub fn with_shared_caps(mut self, shared: Arc<dyn SharedCaps>) -> Self {
        self.caps = self.caps.with_shared(shared);
        self
    }

    /// Sessions open on this gateway now.
    pub fn open_sessions(&self) -> u64 {
        self.caps.open()
    }

    fn relay_limits(&self) -> RelayLimits {
        RelayLimits {
            idle: Duration::from_secs(self.limits.idle_timeout_s),
            max_session: Duration::from_secs(self.limits.max_session_s),
            keepalive: self.keepalive,
            send_timeout: self.send_timeout,
        }
    }

    fn frame_limit(&self) -> usize {
        usize::try_from(self.limits.max_frame_bytes).unwrap_or(usize::MAX)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyQuery {
    model: Option<String>,
}

/// `GET /realtime`.
#[utoipa::path(get, path = "/realtime", tag = "realtime",
    params(("model" = Option<String>, Query, description = "the realtime model; default the configured one")),
    responses(
        (status = 101, description = "upgraded: realtime protocol events relayed both ways"),
        (status = 401, body = crate::error::ErrorResponse), (status = 403, body = crate::error::ErrorResponse),
        (status = 404, description = "the proxy is off (ENABLE_WS_PROXY)", body = crate::error::ErrorResponse),
        (status = 422, body = crate::error::ErrorResponse), (status = 426, body = crate::error::ErrorResponse),
        (status = 429, body = crate::error::ErrorResponse), (status = 502, body = crate::error::ErrorResponse),
        (status = 503, body = crate::error::ErrorResponse)),
    security(("bearer" = [])))]
pub async fn connect(
    State(state): State<GatewayState>,
    Authed(claims, _): Authed,
    caller: Caller,
    query: Result<Query<ProxyQuery>, axum::extract::rejection::QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let metrics = state.metrics().clone();
    let refuse = |reason: &'static str, detail: &str, error: ApiError| {
        metrics.ws_refusal(reason);
        security::denied_caller(&caller, Some(&claims), reason, detail);
        error
    };
    let Some(proxy) = state.ws_proxy().cloned() else {
        return Err(ApiError::NotFound("/realtime".to_owned()));
    };
    let upgrade = upgrade.map_err(|e| refuse("not_an_upgrade", &e.body_text(), ApiError::UpgradeRequired))?;
    let Query(query) =
        query.map_err(|e| refuse("bad_query", &e.body_text(), ApiError::Invalid(e.body_text())))?;
    let config = state.config();
    let model = query
        .model
        .unwrap_or_else(|| config.default_realtime_model.clone());
    if !config.realtime_models.contains(&model) {
        let detail = format!("model: not one of {}", config.realtime_models.join(", "));
        return Err(refuse(
            "unknown_model",
            &detail,
            ApiError::Invalid(detail.clone()),
        ));
    }
    let permit = proxy.caps.acquire(&claims.sub).await.map_err(|cap| match cap {
        CapExceeded::Global { max } => refuse(
            "proxy_at_capacity",
            &format!("{max} sessions open"),
            ApiError::Unavailable {
                code: "proxy_at_capacity",
                message: "the realtime proxy is at capacity; try again shortly".to_owned(),
            },
        ),
        CapExceeded::Identity { max } => refuse(
            "too_many_sessions",
            &format!("{max} sessions open for this identity"),
            ApiError::TooManySessions { max },
        ),
    })?;

    let frame_limit = proxy.frame_limit();
    let upstream = open_upstream(&proxy.upstream, &model, frame_limit, config.upstream_timeout)
        .await
        .inspect_err(|_| metrics.ws_refusal("upstream_failed"))?;
    let kiosk = claims.role == Role::Kiosk;
    let shutdown = state.shutdown_token();
    let session = move |client| Session {
        client,
        upstream,
        limits: proxy.relay_limits(),
        policy: kiosk.then(|| proxy.policy.clone()),
        greeting: kiosk.then(|| proxy.kiosk_greeting.clone()),
        metrics: metrics.clone(),
        shutdown,
    };
    let metrics = state.metrics().clone();
    security::proxied(&caller, &claims, &model);
    Ok(upgrade
        .protocols(["realtime"])
        .max_message_size(frame_limit)
        .max_frame_size(frame_limit)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |client| async move {
            metrics.ws_opened();
            let end = relay::run(session(client)).await;
            tracing::info!(reason = end.label(), sub = %claims.sub, "realtime proxy session ended");
            metrics.ws_closed(end.label());
            drop(permit);
        }))
}

/// Connect upstream; failures become the client's 502/504 (the detail, which may quote the
/// upstream's words, goes to the log only).
async fn open_upstream(
    upstream: &ProxyUpstream,
    model: &str,
    frame_limit: usize,
    limit: Duration,
) -> Result<donna_realtime::transport::websocket::RawStream, ApiError> {
    let service = "realtime upstream";
    let connector =
        WebSocketConnector::new(&upstream.base_url, model, Credential::new(upstream.key.expose()))
            .map_err(|e| ApiError::Internal(format!("realtime proxy upstream: {e}")))?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(frame_limit))
        .max_frame_size(Some(frame_limit))
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER);
    let failed = |e: RealtimeError| {
        let error = match e {
            RealtimeError::Unauthorized { status, message } => UpstreamError::Rejected {
                service,
                status: status.unwrap_or(401),
                code: None,
                message,
            },
            RealtimeError::Forbidden { status, message } | RealtimeError::Http { status, message } => {
                UpstreamError::Rejected {
                    service,
                    status,
                    code: None,
                    message,
                }
            }
            other => UpstreamError::Unreachable {
                service,
                detail: other.to_string(),
            },
        };
        ApiError::Upstream(error)
    };
    match tokio::time::timeout(limit, connector.open(Some(config))).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(failed(e)),
        Err(_) => Err(ApiError::Upstream(UpstreamError::Timeout {
            service,
            after_s: limit.as_secs(),
        })),
    }
}
