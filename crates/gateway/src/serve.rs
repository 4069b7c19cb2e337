//! The listener's accept loop: one HTTP/1.1 connection per socket, with the limits a public
//! server needs before any route runs.
//!
//! - A client must send its whole request head within [`ServeOptions::header_read_timeout`];
//!   one that trickles it (a slow-loris attack holds sockets that way) is closed, and counted in
//!   `/metrics` as `donna_http_connections_closed_total{reason="header_timeout"}`.
//! - hyper's own head limits are set far above the gateway's ([`crate::layers`] answers heads
//!   over [`MAX_HEADERS`] headers or [`MAX_HEAD_BYTES`] with a JSON `431`): only a head past
//!   [`HARD_MAX_HEADERS`] or [`HARD_MAX_HEAD_BYTES`], where hyper stops parsing, gets hyper's
//!   bare `431` and a closed connection.
//! - Nagle's algorithm is off: realtime events are many small frames, and the second of two
//!   back-to-back writes would wait for the peer's delayed ACK (~40 ms on Linux).
//! - On shutdown the listener closes at once; requests in flight finish.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Service;

use crate::GatewayError;
use crate::metrics::Metrics;

/// The most headers a request may carry before the gateway answers `431` (JSON).
pub const MAX_HEADERS: usize = 100;
/// The most bytes of header names and values a request may carry before the gateway answers
/// `431` (JSON): far above what browsers, SDKs and tokens need.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Where hyper itself stops parsing (its bare `431`). hyper sets out room for this many headers
/// on every request it parses, so it is kept near [`MAX_HEADERS`]: at 2048 that room was 7 % of
/// the gateway's CPU under a flood of token requests.
pub const HARD_MAX_HEADERS: usize = 256;
/// hyper's read buffer, which bounds a request head.
pub const HARD_MAX_HEAD_BYTES: usize = 2 * 1024 * 1024;

/// How [`serve_with`] treats connections.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long a client may take to send a request head (from its first byte, or from the
    /// end of the previous response on a kept-alive connection).
    pub header_read_timeout: Duration,
    /// Where closed connections are counted; `None` counts nowhere.
    pub metrics: Option<Metrics>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            metrics: None,
        }
    }
}

impl ServeOptions {
    /// The options `state`'s configuration asks for, counting in its metrics.
    pub fn of(state: &crate::GatewayState) -> Self {
        Self {
            header_read_timeout: state.config().header_read_timeout,
            metrics: Some(state.metrics().clone()),
        }
    }
}

/// Serve `router` with [`ServeOptions::default`]; see [`serve_with`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> Result<(), GatewayError> {
    serve_with(listener, router, shutdown, ServeOptions::default()).await
}

/// Serve `router` (usually [`crate::app_with`] the local engine's routes) until `shutdown` is
/// cancelled, then finish in-flight requests and return.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> Result<(), GatewayError> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_headers(HARD_MAX_HEADERS)
        .max_buf_size(HARD_MAX_HEAD_BYTES);
    // The peer address feeds the per-IP rate limits and the security log.
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let (tcp, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before accept: keep serving,
                    // after a pause so a persistent error does not spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot disable Nagle's algorithm");
        }
        let Ok(service) = make_service.call(peer).await;
        let connection = builder
            .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service))
            .with_upgrades();
        let metrics = options.metrics.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = shutdown.cancelled() => {
                    // Finish the request in flight, then close; an idle connection closes now.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                let reason = if e.is_timeout() {
                    "header_timeout"
                } else if e.is_parse_too_large() {
                    "head_too_large"
                } else if e.is_parse() {
                    "malformed"
                } else {
                    return tracing::debug!(error = %e, "connection ended with an error");
                };
                tracing::debug!(%reason, "connection closed");
                if let Some(metrics) = metrics {
                    metrics.connection_closed(reason);
                }
            }
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}
