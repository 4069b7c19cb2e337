//! Donna's HTTP gateway: the part of Donna that faces the network, held to the standard of a
//! public API.
//!
//! | route | what | who |
//! |---|---|---|
//! | `GET /api/health` | liveness and the state of each dependency | anyone |
//! | `GET /api/clock` | the business's time and zone, for screens | anyone |
//! | `POST /api/chat` | one typed message in, Donna's reply out (the browser path) | anyone |
//! | `GET /api/chat/{id}/events` | that conversation's "on their way" notices (SSE) | whoever holds the id |
//! | `GET /api/auth/me` | the caller's verified token claims | any token |
//! | `POST /api/realtime/token` | an ephemeral realtime client secret | kiosk, staff, admin |
//! | `POST /api/voice/chat` | a recording in; transcript, reply and spoken reply out | kiosk, staff, admin |
//! | `/api/marketing/*` | the legacy marketing endpoints, proxied (allowlisted paths) | any token |
//! | `GET /realtime` | the realtime protocol over a WebSocket, relayed to the backend with the gateway's key (only with `ENABLE_WS_PROXY`) | kiosk, staff, admin |
//! | `GET /api/openapi.json` | the OpenAPI document of every route | anyone |
//! | `GET /metrics` | Prometheus counters | anyone (the gateway listens on loopback by default) |
//! | everything else under `GET` | the `ui/` files, so the kiosk UI also works in a plain browser | anyone |
//!
//! Where to start:
//!
//! | module | owns |
//! |---|---|
//! | [`auth`] | device and staff tokens (JWT) and the [`auth::Authed`] extractor |
//! | [`layers`] | what wraps every route: request ids, error shape, security headers, origins, CORS, timeouts |
//! | [`ratelimit`] | per-IP and per-identity limits with an injectable [`clock::GatewayClock`] |
//! | [`security`] | the security log |
//! | [`logs`] | log sinks, the PII [`logs::Scrubber`], retention |
//! | [`realtime`], [`voice`] | the backends behind the token and batch voice routes |
//! | [`metrics`], [`openapi`] | `/metrics` and `/api/openapi.json` |
//! | [`conversations`] | browser conversations (`POST /api/chat`): ids, expiry, the chat backend |
//! | [`webhooks`] | signed webhook delivery of staff events, with retries |
//! | [`ws_proxy`] | `GET /realtime`: checks before the upgrade, the relay, the kiosk policy, caps |
//!
//! Every failure is answered with one JSON shape, `{"error": {"code", "message", "request_id"}}`
//! ([`ApiError`]). The gateway holds no UI code: the app hands it the files through [`UiAssets`].

pub mod auth;
pub mod claims;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod conversations;
mod error;
pub mod layers;
pub mod local_voice;
pub mod logs;
pub mod metrics;
pub mod openapi;
pub mod ratelimit;
pub mod realtime;
pub mod recording;
mod routes;
pub mod security;
mod serve;
mod state;
pub mod upstream;
mod verified;
pub mod voice;
pub mod webhooks;
pub mod ws_proxy;

pub use config::GatewayConfig;
pub use error::{ApiError, ErrorBody, GatewayError, UpstreamError};
pub use ratelimit::SharedRate;
pub use routes::health::KioskReport;
pub use routes::welcome::{KioskScreen, VisitTimings};
pub use serve::{ServeOptions, serve, serve_with};
pub use state::{GatewayState, HealthInfo, KioskProbe, SharedProbe, UiAssets};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{any, get, post};
use tower_http::limit::RequestBodyLimitLayer;

use crate::ratelimit::RouteLimits;

/// The gateway's router with all routes and layers, ready to serve or to drive in tests.
pub fn app(state: GatewayState) -> Router {
    app_with(state, Router::new())
}

/// A route's body limit: a declared `Content-Length` over `max` is answered `413` before the
/// body is read (a client that declares a gigabyte and sends ten bytes would otherwise hold the
/// connection until the request timeout), and a body that grows past it while arriving too.
fn body_limit(max: usize) -> tower::layer::util::Stack<DefaultBodyLimit, RequestBodyLimitLayer> {
    tower::layer::util::Stack::new(DefaultBodyLimit::max(max), RequestBodyLimitLayer::new(max))
}

/// [`app`] with `extra` routes (the local engine's) served behind the same layers.
pub fn app_with(state: GatewayState, extra: Router) -> Router {
    let limits = |class: &'static str| {
        let limits = RouteLimits::new(
            class,
            state.config().limits_of(class),
            state.clock(),
            state.shared_rate(),
        );
        from_fn_with_state(limits, ratelimit::enforce)
    };
    let routes = Router::new()
        .route("/api/health", get(routes::health::health))
        .route("/api/clock", get(routes::health::clock))
        .route("/api/welcome", get(routes::welcome::welcome))
        .route(
            "/api/chat",
            post(routes::chat::chat).layer(body_limit(routes::chat::MAX_BODY_BYTES)),
        )
        .route(
            "/api/chat/{conversation_id}",
            axum::routing::delete(routes::chat::end),
        )
        .route(
            "/api/chat/{conversation_id}/events",
            get(routes::events::conversation_stream),
        )
        .route("/api/auth/me", get(routes::auth::me))
        .route("/api/voice/events", get(routes::events::stream))
        .route(
            "/api/voice/fanout",
            post(routes::events::fanout).layer(body_limit(routes::events::MAX_BODY_BYTES)),
        )
        .route("/api/visits", get(routes::staff::visits))
        .route("/api/visits/{id}/ack", post(routes::staff::acknowledge))
        .route("/api/visits/{id}/checkout", post(routes::staff::check_out))
        .route("/api/messages", get(routes::staff::messages))
        .route("/api/overview", get(routes::staff::overview))
        .route(
            "/api/realtime/token",
            post(routes::realtime_token::issue)
                .layer(body_limit(routes::realtime_token::MAX_BODY_BYTES))
                .layer(limits("token")),
        )
        .route(
            "/api/voice/chat",
            post(routes::voice::chat)
                .layer(body_limit(routes::voice::MAX_AUDIO_BYTES))
                .layer(limits("voice")),
        )
        .route(
            "/api/marketing/{*path}",
            any(routes::marketing::proxy)
                .layer(body_limit(routes::marketing::MAX_REQUEST_BYTES))
                .layer(limits("marketing")),
        )
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/metrics", get(metrics::metrics))
        .route("/api/{*rest}", any(routes::not_found));
    // Off, the proxy's path is like any unknown one: no hint that it exists.
    let routes = if state.ws_proxy().is_some() {
        routes.route("/realtime", get(ws_proxy::connect).layer(limits("ws")))
    } else {
        routes
    };
    let routes = routes
        .fallback(routes::ui::asset)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state.clone())
        .merge(extra);
    layers::apply(routes, &state).layer(tower_http::trace::TraceLayer::new_for_http())
}
