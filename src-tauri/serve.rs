//! `donna serve`: the gateway alone, for a headless machine or a site with many kiosks.

use std::io::Write;

use donna_config::Overrides;
use donna_gateway::ServeOptions;
use tokio_util::sync::CancellationToken;

use crate::boot::{boot, local_url};
use crate::error::StartError;

/// How long stopping waits for each kind of realtime session to send its close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

pub fn run(overrides: &Overrides) -> Result<(), StartError> {
    let booted = boot(overrides)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| StartError::Logging(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let url = local_url(&booted.listener)?;
        let router = booted.router();
        let shutdown_background = CancellationToken::new();
        booted.start_background(shutdown_background.clone());
        let listener = tokio::net::TcpListener::from_std(booted.listener).map_err(|source| {
            donna_gateway::GatewayError::Bind {
                addr: booted.settings.addr,
                source,
            }
        })?;
        let gateway = booted.gateway.clone();
        let engine = booted.engine.clone();
        let shutdown = gateway.shutdown_token();
        stop_on_signal(shutdown.clone());
        // The one line scripts and people wait for; flushed so a pipe sees it at once.
        println!("listening on {url}");
        let _ = std::io::stdout().flush();
        tracing::info!(%url, "gateway ready");
        let served = donna_gateway::serve_with(listener, router, shutdown, ServeOptions::of(&gateway)).await;
        // Upgraded WebSockets outlive graceful shutdown: the proxy's sessions (1012) and the
        // engine's (1001) have been told, and are given a moment to say so before the process
        // ends.
        let proxied = gateway.sessions_closed(CLOSE_WAIT).await;
        let deadline = tokio::time::Instant::now() + CLOSE_WAIT;
        while engine.open_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let engine_sessions = engine.open_sessions();
        if proxied + engine_sessions as u64 > 0 {
            tracing::warn!(
                proxied,
                engine_sessions,
                "realtime sessions did not close in time"
            );
        }
        shutdown_background.cancel();
        served?;
        tracing::info!("gateway stopped");
        Ok(())
    })
}

/// Cancel `token` on Ctrl-C or SIGTERM, so in-flight requests finish before exit.
///
/// The handlers are registered before this returns, that is before the `listening on` line is
/// printed: a supervisor that signals the moment it sees the line gets a clean shutdown, not
/// the default (fatal) action of a signal nobody listens for yet.
fn stop_on_signal(token: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::spawn(async move {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                    tracing::info!("shutting down");
                    token.cancel();
                });
                return;
            }
            (Err(e), _) | (_, Err(e)) => tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only"),
        }
    }
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
        token.cancel();
    });
}
