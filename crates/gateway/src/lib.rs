//! Donna's HTTP gateway: the part of Donna that faces the network.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/health` | liveness and the state of each dependency |
//! | `POST /api/chat` | one typed message in, Donna's reply out (the browser path) |
//! | `GET /api/auth/me` | the caller's verified token claims (any role) |
//! | `GET /api/voice/events` | staff events as server-sent events (any role) |
//! | `POST /api/voice/fanout` | publish a staff event (admin) |
//! | `GET /api/visits`, `GET /api/messages`, `GET /api/overview` | today's front desk (staff) |
//! | `POST /api/visits/{id}/ack` | a staff member is on their way (staff) |
//! | everything else under `GET` | the `ui/` files, so the kiosk UI also works in a plain browser |
//!
//! Kiosks and staff desktops authenticate with a JWT; handlers state the role they need with the
//! [`auth::Authed`] extractor (see [`auth`]). Refusals and issued credentials go to the
//! [`security`] log.
//!
//! Every failure is answered with one JSON shape, `{"error": {"code", "message"}}` ([`ApiError`]).
//! The gateway holds no UI code: the app hands it the files through [`UiAssets`].

pub mod auth;
pub mod conversations;
mod error;
mod routes;
pub mod security;
mod state;
pub mod webhooks;

pub use error::{ApiError, GatewayError};
pub use state::{GatewayState, HealthInfo, UiAssets};

use axum::Router;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The gateway's router with all routes and layers, ready to serve or to drive in tests.
pub fn app(state: GatewayState) -> Router {
    Router::new()
        .route("/api/health", get(routes::health::health))
        .route("/api/chat", post(routes::chat::chat))
        .route("/api/auth/me", get(routes::auth::me))
        .route("/api/voice/events", get(routes::events::stream))
        .route("/api/voice/fanout", post(routes::events::fanout))
        .route("/api/visits", get(routes::staff::visits))
        .route("/api/visits/{id}/ack", post(routes::staff::acknowledge))
        .route("/api/messages", get(routes::staff::messages))
        .route("/api/overview", get(routes::staff::overview))
        .route("/api/{*rest}", axum::routing::any(routes::not_found))
        .fallback(routes::ui::asset)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serve `router` (usually [`app`], merged with the local engine's routes) until `shutdown` is
/// cancelled, then finish in-flight requests and return.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> Result<(), GatewayError> {
    // Realtime events are many small frames: with Nagle's algorithm on, the second of two
    // back-to-back writes waits for the peer's delayed ACK (~40 ms on Linux).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot disable Nagle's algorithm");
        }
    });
    // The peer address feeds the per-IP rate limits and the security log.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
    .map_err(GatewayError::Serve)
}
