//! `donna serve`: the gateway alone, for a headless machine or a site with many kiosks.

use std::io::Write;

use donna_config::Overrides;
use tokio_util::sync::CancellationToken;

use crate::boot::Donna;
use crate::error::AppError;

/// How long stopping waits for each kind of realtime session to send its close frame.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Boot, serve until SIGTERM or Ctrl-C, and stop cleanly.
pub fn run(overrides: &Overrides) -> Result<(), AppError> {
    let donna = Donna::boot(overrides)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    runtime.block_on(async move {
        let running = donna.start()?;
        stop_on_signal(running.shutdown_token());
        // The one line scripts and people wait for; flushed so a pipe sees it at once.
        println!("listening on {}", running.url());
        let _ = std::io::stdout().flush();
        tracing::info!(url = running.url(), "gateway ready");
        running.stopped(CLOSE_WAIT).await
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
