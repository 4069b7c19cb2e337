//! The gateway and the engine serving on the booted listener, and stopping them cleanly. The
//! headless server and the kiosk window run the same start and the same stop.

use std::sync::Arc;
use std::time::Duration;

use donna_config::Settings;
use donna_desk::{Desk, Reception};
use donna_engine::Engine;
use donna_gateway::logs::LogGuard;
use donna_gateway::{GatewayError, GatewayState, ServeOptions};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::boot::Donna;
use crate::error::AppError;
use crate::kiosk::Kiosk;
use crate::realtime::{Realtime, Target};

/// Donna serving: returned by [`Donna::start`].
#[derive(Debug)]
pub struct Running {
    url: String,
    settings: Settings,
    desk: Arc<Desk>,
    reception: Arc<Reception>,
    gateway: GatewayState,
    engine: Engine,
    targets: Vec<Target>,
    /// Background work beside the gateway (webhook delivery), stopped last.
    background: CancellationToken,
    served: JoinHandle<Result<(), GatewayError>>,
    log_guard: LogGuard,
}

impl Donna {
    /// Start serving on the listener: the gateway's routes and the engine's, and the background
    /// work beside them. Call inside the async runtime that should run them.
    pub fn start(self) -> Result<Running, AppError> {
        Running::start(self)
    }
}

impl Running {
    fn start(donna: Donna) -> Result<Self, AppError> {
        let router = donna.router();
        let background = CancellationToken::new();
        donna.start_background(background.clone())?;
        let Donna {
            settings,
            desk,
            reception,
            gateway,
            engine,
            listener,
            targets,
            url,
            log_guard,
        } = donna;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|source| GatewayError::Bind {
            addr: settings.server.addr,
            source,
        })?;
        let served = tokio::spawn(donna_gateway::serve_with(
            listener,
            router,
            gateway.shutdown_token(),
            ServeOptions::of(&gateway),
        ));
        Ok(Self {
            url,
            settings,
            desk,
            reception,
            gateway,
            engine,
            targets,
            background,
            served,
            log_guard,
        })
    }

    /// Where the gateway listens, for people (the real port when 0 was asked for).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Cancelled to stop serving: in-flight requests finish, WebSockets are told to close.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.gateway.shutdown_token()
    }

    /// What the kiosk window drives, with the kiosk's own realtime session connecting in the
    /// background. Call inside the async runtime.
    pub fn kiosk(&self) -> Kiosk {
        let realtime = Realtime::start(
            self.reception.clone(),
            &self.settings.voice,
            self.targets.clone(),
            self.settings.kiosk.visit_max_cost_usd,
        );
        let kiosk = Kiosk::new(
            self.desk.clone(),
            self.reception.clone(),
            realtime,
            &self.settings,
        );
        self.gateway.set_kiosk_probe(Arc::new(kiosk.probe()));
        kiosk
    }

    /// Wait until the gateway has stopped serving (after [`Running::shutdown_token`] was
    /// cancelled, or on a fatal error), then let the realtime sessions say goodbye for at most
    /// `close_wait` and stop the background work. The logs are flushed whatever happened.
    pub async fn stopped(mut self, close_wait: Duration) -> Result<(), AppError> {
        let served = (&mut self.served).await;
        self.finish(served, close_wait).await
    }

    /// Stop serving: in-flight requests get `close_wait` to finish, then the realtime sessions
    /// as long again to say goodbye, as in [`Running::stopped`].
    pub async fn stop(mut self, close_wait: Duration) -> Result<(), AppError> {
        self.shutdown_token().cancel();
        let served = match tokio::time::timeout(close_wait, &mut self.served).await {
            Ok(served) => served,
            Err(_) => {
                tracing::warn!("requests still in flight at exit were cut short");
                self.served.abort();
                Ok(Ok(()))
            }
        };
        self.finish(served, close_wait).await
    }

    async fn finish(
        self,
        served: Result<Result<(), GatewayError>, tokio::task::JoinError>,
        close_wait: Duration,
    ) -> Result<(), AppError> {
        let served = served.unwrap_or_else(|e| {
            tracing::error!(error = %e, "the gateway's task ended abnormally");
            Ok(())
        });
        // Upgraded WebSockets outlive graceful shutdown: the proxy's sessions (1012) and the
        // engine's (1001) have been told, and are given a moment to say so before the process
        // ends.
        let proxied = self.gateway.sessions_closed(close_wait).await;
        let deadline = tokio::time::Instant::now() + close_wait;
        while self.engine.open_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let engine_sessions = self.engine.open_sessions();
        if proxied + engine_sessions as u64 > 0 {
            tracing::warn!(
                proxied,
                engine_sessions,
                "realtime sessions did not close in time"
            );
        }
        self.background.cancel();
        match &served {
            Ok(()) => tracing::info!("gateway stopped"),
            Err(e) => tracing::error!(error = %e, "gateway stopped"),
        }
        // The kiosk's event loop may end the process without running destructors; log files
        // are buffered, so write them out here.
        self.log_guard.flush();
        Ok(served?)
    }
}
