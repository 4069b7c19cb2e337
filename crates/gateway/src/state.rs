//! What every handler can reach.

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;
use donna_desk::{Desk, Reception};

use crate::auth::Authenticator;
use crate::clock::GatewayClock;
use crate::config::GatewayConfig;
use crate::conversations::{ChatBackend, ConversationLimits, Conversations, LocalChat};
use crate::metrics::Metrics;
use crate::realtime::RealtimeBackend;
use crate::upstream::Upstream;
use crate::voice::VoiceBackend;
use crate::ws_proxy::WsProxy;
use crate::{ApiError, GatewayError};

/// The `ui/` files, supplied by the app (embedded in the binary, or read from disk in development).
pub trait UiAssets: Send + Sync + 'static {
    /// The file at `path` (relative, no leading slash), or `None`.
    fn get(&self, path: &str) -> Option<Cow<'static, [u8]>>;
}

/// Facts `/api/health` reports that only the app knows.
#[derive(Debug, Clone)]
pub struct HealthInfo {
    pub version: &'static str,
    /// "local" or "openai".
    pub backend: &'static str,
    pub data_dir: PathBuf,
}

/// What the kiosk window beside this gateway reports in `/api/health`: the app sets it once
/// its kiosk runs; a headless gateway has none.
pub trait KioskProbe: Send + Sync + 'static {
    fn report(&self) -> crate::routes::health::KioskReport;
}

/// What this gateway shares live with the other gateways of its front desk (Redis), as
/// `/api/health` reports it: `(ok, detail)`. A gateway on its own has none.
pub trait SharedProbe: Send + Sync + 'static {
    fn check(&self) -> (bool, String);
}

/// Shared state; cloning is cheap (one `Arc`).
#[derive(Clone)]
pub struct GatewayState {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    desk: Arc<Desk>,
    /// The receptionist's store and events; staff routes and conversations need it.
    reception: Option<Arc<Reception>>,
    conversations: Option<Arc<Conversations>>,
    auth: Authenticator,
    health: HealthInfo,
    ui: Arc<dyn UiAssets>,
    started: Instant,
    config: Arc<GatewayConfig>,
    metrics: Metrics,
    realtime: RealtimeBackend,
    voice: VoiceBackend,
    /// `None` only when the HTTP client could not be built (no TLS roots, say); cloud calls
    /// then fail with a clear error while everything else works.
    upstream: Option<Upstream>,
    clock: GatewayClock,
    /// The realtime WebSocket proxy, when `ENABLE_WS_PROXY` is on.
    ws_proxy: Option<Arc<WsProxy>>,
    /// Cancelled when the gateway shuts down; see [`GatewayState::shutdown_token`].
    shutdown: tokio_util::sync::CancellationToken,
    kiosk: Arc<std::sync::OnceLock<Arc<dyn KioskProbe>>>,
    shared: Arc<std::sync::OnceLock<Arc<dyn SharedProbe>>>,
    /// Where rate limits are kept when the gateways share them.
    shared_rate: Option<Arc<dyn crate::SharedRate>>,
}

impl GatewayState {
    pub fn new(desk: Arc<Desk>, health: HealthInfo, ui: Arc<dyn UiAssets>) -> Self {
        let config = GatewayConfig::default();
        let upstream = Upstream::new(config.upstream_timeout).ok();
        Self {
            inner: Arc::new(Inner {
                desk,
                reception: None,
                conversations: None,
                auth: Authenticator::default(),
                health,
                ui,
                started: Instant::now(),
                config: Arc::new(config),
                metrics: Metrics::default(),
                realtime: RealtimeBackend::Unavailable,
                voice: VoiceBackend::Unavailable,
                upstream,
                clock: GatewayClock::real(),
                ws_proxy: None,
                shutdown: tokio_util::sync::CancellationToken::new(),
                kiosk: Arc::default(),
                shared: Arc::default(),
                shared_rate: None,
            }),
        }
    }

    /// Verify device and staff tokens with `auth`; without it every authenticated route answers
    /// `401`. Call while building, before the state is shared.
    pub fn with_auth(mut self, auth: Authenticator) -> Self {
        Arc::make_mut(&mut self.inner).auth = auth;
        self
    }

    /// Serve the staff routes, events and per-visitor browser chat from `reception`; chat runs
    /// through `chat` (the app's realtime sessions), or the offline dialogue when `None`.
    pub fn with_reception(mut self, reception: Arc<Reception>, chat: Option<Arc<dyn ChatBackend>>) -> Self {
        let chat = chat.unwrap_or_else(|| Arc::new(LocalChat::new(reception.clone())));
        let inner = Arc::make_mut(&mut self.inner);
        inner.conversations = Some(Arc::new(Conversations::new(
            chat,
            ConversationLimits::default(),
            reception.clone(),
        )));
        inner.reception = Some(reception);
        self
    }

    pub fn reception(&self) -> Option<&Arc<Reception>> {
        self.inner.reception.as_ref()
    }

    pub fn conversations(&self) -> Option<&Arc<Conversations>> {
        self.inner.conversations.as_ref()
    }

    /// Use `config` for the layers and routes (origins, limits, timeouts, allowlists).
    pub fn with_config(mut self, config: GatewayConfig) -> Result<Self, GatewayError> {
        let inner = Arc::make_mut(&mut self.inner);
        inner.upstream = Some(Upstream::new(config.upstream_timeout)?);
        inner.config = Arc::new(config);
        Ok(self)
    }

    pub fn with_realtime(mut self, backend: RealtimeBackend) -> Self {
        Arc::make_mut(&mut self.inner).realtime = backend;
        self
    }

    pub fn with_voice(mut self, backend: VoiceBackend) -> Self {
        Arc::make_mut(&mut self.inner).voice = backend;
        self
    }

    /// Serve `GET /realtime` through `proxy`.
    pub fn with_ws_proxy(mut self, proxy: WsProxy) -> Self {
        Arc::make_mut(&mut self.inner).ws_proxy = Some(Arc::new(proxy));
        self
    }

    pub fn ws_proxy(&self) -> Option<&Arc<WsProxy>> {
        self.inner.ws_proxy.as_ref()
    }

    /// The gateway's shutdown: serve with it ([`crate::serve`]) and cancel it to stop. Graceful
    /// shutdown waits for requests in flight but not for upgraded WebSockets, so the realtime
    /// proxy's sessions watch it too and close with 1012 (service restart: reconnect) instead of
    /// vanishing when the process exits.
    pub fn shutdown_token(&self) -> tokio_util::sync::CancellationToken {
        self.inner.shutdown.clone()
    }

    /// Shut down with `token` instead of a token of the gateway's own (to share it with the
    /// local engine's sessions). Call while building, before the state is shared.
    pub fn with_shutdown(mut self, token: tokio_util::sync::CancellationToken) -> Self {
        Arc::make_mut(&mut self.inner).shutdown = token;
        self
    }

    /// After shutdown: wait, at most `limit`, for the proxy's sessions to send their close
    /// frames and end. Returns how many were still open.
    pub async fn sessions_closed(&self, limit: std::time::Duration) -> u64 {
        let Some(proxy) = self.ws_proxy() else {
            return 0;
        };
        let deadline = tokio::time::Instant::now() + limit;
        while proxy.open_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        proxy.open_sessions()
    }

    /// Read rate limits against `clock` (tests pass a manual one).
    pub fn with_clock(mut self, clock: GatewayClock) -> Self {
        Arc::make_mut(&mut self.inner).clock = clock;
        self
    }

    pub fn auth(&self) -> &Authenticator {
        &self.inner.auth
    }

    pub fn desk(&self) -> &Desk {
        &self.inner.desk
    }

    pub fn health_info(&self) -> &HealthInfo {
        &self.inner.health
    }

    /// Report `probe`'s kiosk in `/api/health` from now on (once; later calls are ignored).
    pub fn set_kiosk_probe(&self, probe: Arc<dyn KioskProbe>) {
        if self.inner.kiosk.set(probe).is_err() {
            tracing::warn!("a kiosk is already reported in health; ignoring another");
        }
    }

    /// Keep the rate limits in `shared` (Redis), with every other gateway of the front desk.
    /// Call while building, before the routes are made.
    pub fn with_shared_rate(mut self, shared: Arc<dyn crate::SharedRate>) -> Self {
        Arc::make_mut(&mut self.inner).shared_rate = Some(shared);
        self
    }

    pub fn shared_rate(&self) -> Option<Arc<dyn crate::SharedRate>> {
        self.inner.shared_rate.clone()
    }

    /// Report what this gateway shares with the others (Redis) in `/api/health` from now on
    /// (once; later calls are ignored).
    pub fn set_shared_probe(&self, probe: Arc<dyn SharedProbe>) {
        if self.inner.shared.set(probe).is_err() {
            tracing::warn!("shared state is already reported in health; ignoring another");
        }
    }

    pub fn shared_probe(&self) -> Option<&dyn SharedProbe> {
        self.inner.shared.get().map(|p| p.as_ref())
    }

    /// The kiosk beside this gateway, if any.
    pub fn kiosk_probe(&self) -> Option<&dyn KioskProbe> {
        self.inner.kiosk.get().map(|p| p.as_ref())
    }

    pub fn ui(&self) -> &dyn UiAssets {
        self.inner.ui.as_ref()
    }

    pub fn uptime_s(&self) -> u64 {
        self.inner.started.elapsed().as_secs()
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub fn realtime(&self) -> &RealtimeBackend {
        &self.inner.realtime
    }

    pub fn voice(&self) -> &VoiceBackend {
        &self.inner.voice
    }

    pub fn clock(&self) -> &GatewayClock {
        &self.inner.clock
    }

    pub fn upstream(&self) -> Result<&Upstream, ApiError> {
        self.inner.upstream.as_ref().ok_or_else(|| {
            ApiError::Internal("the HTTP client for upstream services could not be built".to_owned())
        })
    }

    pub fn open_sessions(&self) -> Option<usize> {
        self.inner.realtime.open_sessions()
    }
}

impl FromRef<GatewayState> for Authenticator {
    fn from_ref(state: &GatewayState) -> Self {
        state.inner.auth.clone()
    }
}

impl FromRef<GatewayState> for Metrics {
    fn from_ref(state: &GatewayState) -> Self {
        state.inner.metrics.clone()
    }
}

impl fmt::Debug for GatewayState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatewayState")
            .field("health", &self.inner.health)
            .field("realtime", &self.inner.realtime)
            .finish_non_exhaustive()
    }
}
