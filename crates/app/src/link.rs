//! How the kiosk's realtime session is connected, and keeping it connected: the backends in
//! order of preference behind one [`Failover`], a client that never gives up reconnecting, and
//! the state (live, on a fallback and why, reconnecting, down) for the window, `/api/health`
//! and the logs.
//!
//! A cloud outage, a lost network or a refused key moves the session to the next backend (the
//! local engine last) on the client's first reconnect, within a second or two; the visitor is
//! told plainly by the window. Between visits the session rolls over, which brings it back to
//! the preferred backend once that answers again.

use std::sync::{Arc, Weak};
use std::time::Duration;

use donna_realtime::protocol::response::Usage;
use donna_realtime::transport::dial::Dial;
use donna_realtime::transport::failover::{Failover, Live, Skip};
use donna_realtime::transport::webrtc::WebRtcConnector;
use donna_realtime::transport::websocket::WebSocketConnector;
use donna_realtime::{ClientConfig, RealtimeClient, ReconnectPolicy, UiUpdate};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::cost::Budget;
use crate::realtime::Target;

/// How long one backend may take to connect before the next is tried: long enough for a
/// cloud handshake over a slow link, short enough that a visitor barely waits.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a call may take to connect once answered: on one network ICE takes tens of
/// milliseconds, so a call not up by then will not be, and the WebSocket takes over within
/// the attempt's bound.
const CALL_CONNECT_WITHIN: Duration = Duration::from_millis(2500);
/// Waits between attempts to open the first session, doubling to the last.
const START_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// While on a fallback, how often to try the preferred backend again (at a quiet moment, as a
/// roll-over: the visitor does not notice).
const RETURN_EVERY: Duration = Duration::from_secs(60);

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Opening the first session.
    Connecting,
    /// Connected and configured.
    Live,
    /// The connection dropped; connecting again (to the next backend if this one is out).
    Reconnecting,
    /// No backend answers; typed questions are answered by the desk directly meanwhile.
    Down,
}

/// The session's connection as the window and `/api/health` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionLink {
    pub state: LinkState,
    /// The backend in use ("openai", "local", "proxy"), when live.
    pub backend: Option<String>,
    /// How the session reaches it ("webrtc" or "websocket"), when live.
    pub transport: Option<&'static str>,
    /// True when live on a backend other than the preferred one.
    pub fallback: bool,
    /// True when live on the preferred backend by the preferred transport: nothing better to
    /// return to.
    #[serde(skip)]
    pub preferred: bool,
    /// Why: each better backend passed over, or the last failure when not live.
    pub reasons: Vec<String>,
}

impl SessionLink {
    fn connecting() -> Self {
        Self {
            state: LinkState::Connecting,
            backend: None,
            transport: None,
            fallback: false,
            preferred: false,
            reasons: Vec::new(),
        }
    }

    fn live(live: &Live, routes: &Routes) -> Self {
        Self {
            state: LinkState::Live,
            backend: Some(live.name.clone()),
            transport: routes.transports.get(live.index).copied(),
            // The preferred backend over its WebSocket is no fallback to a visitor.
            fallback: routes.preferred.as_deref() != Some(live.name.as_str()),
            preferred: !live.is_fallback(),
            reasons: live.passed_over.clone(),
        }
    }

    fn not_live(state: LinkState, reason: String) -> Self {
        Self {
            state,
            backend: None,
            transport: None,
            fallback: false,
            preferred: false,
            reasons: vec![reason],
        }
    }
}

/// The reconnect policy of the kiosk's session: never give up (a kiosk has no one to press
/// "retry"), back off to a few seconds between rounds over every backend.
fn policy() -> ReconnectPolicy {
    ReconnectPolicy {
        max_attempts: u32::MAX,
        initial_backoff: Duration::from_millis(250),
        max_backoff: MAX_BACKOFF,
        ..ReconnectPolicy::default()
    }
}

/// The kiosk session's spending guard: the visit's budget, and the routes skipped once it is
/// spent.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    pub(crate) budget: Arc<Budget>,
    pub(crate) skip: Skip,
}

impl Guard {
    /// A new visit: a fresh budget, every route allowed again.
    pub(crate) fn renew(&self) {
        self.budget.reset();
        self.skip.clear();
    }
}

/// How a session may reach its backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// A voice session: each backend that takes calls over WebRTC first (audio on Opus
    /// tracks, as the service prefers), its WebSocket behind it.
    Calls,
    /// A text session: the WebSocket alone (a call would carry no audio).
    Sockets,
}

/// One way to a backend.
struct Route<'a> {
    target: &'a Target,
    dial: Dial,
}

/// The ways to `targets`, in their order; a target whose URL cannot be used is left out (and
/// said so).
fn routes(targets: &[Target], reach: Reach) -> Vec<Route<'_>> {
    let mut routes = Vec::new();
    for target in targets {
        let socket = match WebSocketConnector::new(&target.base_url, &target.model, target.credential.clone())
        {
            Ok(socket) => socket,
            Err(e) => {
                tracing::error!(route = target.route, error = %e, "this backend cannot be used");
                continue;
            }
        };
        // The gateway's proxy relays a WebSocket; the backends themselves take calls.
        if reach == Reach::Calls && target.route != "proxy" {
            match WebRtcConnector::new(&target.base_url, &target.model, target.credential.clone()) {
                Ok(call) => routes.push(Route {
                    target,
                    dial: Dial::WebRtc(call.with_connect_timeout(CALL_CONNECT_WITHIN)),
                }),
                Err(e) => tracing::warn!(route = target.route, error = %e, "no WebRTC to this backend"),
            }
        }
        routes.push(Route {
            target,
            dial: Dial::WebSocket(socket),
        });
    }
    routes
}

/// What a failover's routes are, for the state shown: each one's transport, and the
/// preferred backend.
#[derive(Debug, Clone, Default)]
pub(crate) struct Routes {
    transports: Vec<&'static str>,
    preferred: Option<String>,
}

/// One connector over `targets`, in their order, and what its routes are.
pub(crate) fn failover(targets: &[Target], reach: Reach) -> (Failover<Dial>, Routes) {
    let routes = routes(targets, reach);
    let shown = Routes {
        transports: routes.iter().map(|r| r.dial.transport()).collect(),
        preferred: routes.first().map(|r| r.target.route.to_owned()),
    };
    let routes = routes
        .into_iter()
        .map(|r| (r.target.route.to_owned(), r.dial))
        .collect();
    (Failover::new(routes).with_attempt_timeout(ATTEMPT_TIMEOUT), shown)
}

/// What the kiosk's session is charged for: responses on the billed routes, against the
/// visit's budget; once it is spent, the routes before the first free one are skipped.
#[derive(Debug)]
struct Charged {
    billed: Vec<String>,
    free_from: usize,
    guard: Guard,
}

impl Charged {
    /// Charge one response's usage on `route`; when that spends the budget, skip the billed
    /// routes and roll the session over to the free one at the next quiet moment.
    async fn charge(&self, route: Option<&str>, usage: &Usage, client: &Weak<RealtimeClient>) {
        if !route.is_some_and(|r| self.billed.iter().any(|b| b == r)) || !self.guard.budget.charge(usage) {
            return;
        }
        let cap = self.guard.budget.cap_usd();
        tracing::warn!(
            cap_usd = cap,
            spent_usd = self.guard.budget.spent_usd(),
            "this visit's cloud budget is spent: the rest of it is answered by the local engine"
        );
        self.guard.skip.set(
            self.free_from,
            format!(
                "this visit's cloud budget ({}) is spent",
                crate::cost::dollars(cap)
            ),
        );
        if let Some(client) = client.upgrade()
            && let Err(e) = client.roll_over().await
        {
            tracing::warn!(error = %e, "the session could not roll over");
        }
    }
}

/// Open the kiosk's session through the first backend that answers, trying again until one
/// does, and keep `link` up to date from then on. While on a fallback the session tries the
/// preferred backend again every [`RETURN_EVERY`].
pub(crate) async fn connect(
    targets: &[Target],
    config: ClientConfig,
    link: watch::Sender<SessionLink>,
    guard: Guard,
) -> Arc<RealtimeClient> {
    let config = config.with_reconnect(policy());
    let routes = routes(targets, Reach::Calls);
    let charged = Charged {
        billed: routes
            .iter()
            .filter(|r| r.target.backend == donna_config::Backend::OpenAi)
            .map(|r| r.target.route.to_owned())
            .collect(),
        free_from: routes
            .iter()
            .position(|r| r.target.backend == donna_config::Backend::Local)
            .unwrap_or(routes.len()),
        guard,
    };
    let mut wait = START_BACKOFF;
    loop {
        let (failover, shown) = failover(targets, Reach::Calls);
        let failover = failover.with_skip(charged.guard.skip.clone());
        let live = failover.watch();
        match RealtimeClient::connect_with(failover, config.clone()).await {
            Ok(client) => {
                let client = Arc::new(client);
                let watched = link.subscribe();
                let skip = charged.guard.skip.clone();
                follow(
                    client.subscribe(),
                    live,
                    shown,
                    link,
                    Arc::downgrade(&client),
                    charged,
                );
                return_when_back(Arc::downgrade(&client), watched, skip);
                return client;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "no realtime backend answers yet");
                link.send_replace(SessionLink::not_live(LinkState::Down, e.to_string()));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Keep `link` in step with the client: live (and on which backend) after each `session.updated`,
/// reconnecting while it is away, down when the client has ended. Each response's usage is
/// charged to the visit.
fn follow(
    mut updates: broadcast::Receiver<UiUpdate>,
    live: watch::Receiver<Option<Live>>,
    routes: Routes,
    link: watch::Sender<SessionLink>,
    client: Weak<RealtimeClient>,
    charged: Charged,
) {
    let current = move |live: &watch::Receiver<Option<Live>>| {
        live.borrow()
            .as_ref()
            .map(|l| SessionLink::live(l, &routes))
            .unwrap_or_else(|| SessionLink::not_live(LinkState::Reconnecting, "no backend".to_owned()))
    };
    announce(&link, current(&live));
    tokio::spawn(async move {
        loop {
            match updates.recv().await {
                Ok(UiUpdate::Ready { .. }) => announce(&link, current(&live)),
                Ok(UiUpdate::Usage { usage }) => {
                    let route = live.borrow().as_ref().map(|l| l.name.clone());
                    charged.charge(route.as_deref(), &usage, &client).await;
                }
                Ok(UiUpdate::Reconnecting { reason, .. }) => {
                    announce(&link, SessionLink::not_live(LinkState::Reconnecting, reason))
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => {
                    announce(
                        &link,
                        SessionLink::not_live(LinkState::Down, "the session ended".to_owned()),
                    );
                    return;
                }
            }
        }
    });
}

/// Every [`RETURN_EVERY`] on a fallback (another backend, or the WebSocket where a call is
/// preferred), roll the session over: the failover tries the
/// preferred backend first. Ends with the client.
/// Not while the app skips the preferred backend on purpose.
fn return_when_back(client: Weak<RealtimeClient>, link: watch::Receiver<SessionLink>, skip: Skip) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + RETURN_EVERY, RETURN_EVERY);
        loop {
            every.tick().await;
            let Some(client) = client.upgrade() else { return };
            let on_fallback = {
                let now = link.borrow();
                now.state == LinkState::Live && !now.preferred && !skip.is_set()
            };
            if on_fallback && let Err(e) = client.roll_over().await {
                tracing::debug!(error = %e, "the session has ended; no return to try");
                return;
            }
        }
    });
}

/// Publish a new state, logging each change of state or backend once.
fn announce(link: &watch::Sender<SessionLink>, next: SessionLink) {
    link.send_if_modified(|now| {
        if *now == next {
            return false;
        }
        if now.state != next.state || now.backend != next.backend || now.transport != next.transport {
            match (next.state, next.fallback) {
                (LinkState::Live, true) => tracing::warn!(backend = ?next.backend, transport = ?next.transport, reasons = ?next.reasons, "realtime session on a fallback route"),
                (LinkState::Live, false) => tracing::info!(backend = ?next.backend, transport = ?next.transport, "realtime session live"),
                _ => tracing::warn!(state = ?next.state, reasons = ?next.reasons, "realtime session not live"),
            }
        }
        *now = next;
        true
    });
}

/// A new link watch, starting at "connecting".
pub(crate) fn channel() -> (watch::Sender<SessionLink>, watch::Receiver<SessionLink>) {
    watch::channel(SessionLink::connecting())
}
