//! [`Failover`]: one [`Connector`] over several servers in order of preference, so a client
//! whose preferred backend is out (a cloud outage, a lost network, a refused key) reconnects
//! to the next one within seconds instead of waiting for the first to return.
//!
//! Each (re)connection tries the routes from the most preferred, each bounded by
//! [`Failover::with_attempt_timeout`] (a blackholed network otherwise hangs a TCP connect for
//! minutes). Which route is live, and why the better ones were passed over, is published on a
//! [`watch`] channel for the app to show. Going back to a better route happens on the next
//! connection: [`crate::RealtimeClient::roll_over`] asks for one at a quiet moment.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tracing::{info, warn};

use super::Connector;
use crate::RealtimeError;

/// How long one route may take to connect before the next is tried.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

/// The route a client is connected through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// The route's position in preference order (0 = the preferred one).
    pub index: usize,
    /// The route's name, as given to [`Failover::new`].
    pub name: String,
    /// Why each better route was passed over, best first; empty on the preferred route.
    pub passed_over: Vec<String>,
}

impl Live {
    /// True when connected through a route other than the preferred one.
    pub fn is_fallback(&self) -> bool {
        self.index > 0
    }
}

/// Routes the app wants passed over for now, and why (a spent budget, say): the routes before
/// `from` are not dialled until it is cleared. Shared by every [`Failover`] given it.
#[derive(Debug, Clone, Default)]
pub struct Skip(Arc<Mutex<Option<(usize, String)>>>);

impl Skip {
    /// Pass over every route before `from`, saying `reason`.
    pub fn set(&self, from: usize, reason: impl Into<String>) {
        *self.lock() = Some((from, reason.into()));
    }

    pub fn clear(&self) {
        *self.lock() = None;
    }

    pub fn is_set(&self) -> bool {
        self.lock().is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(usize, String)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Routes in preference order; see the module docs.
#[derive(Debug)]
pub struct Failover<C> {
    routes: Vec<(String, C)>,
    attempt_timeout: Duration,
    live: watch::Sender<Option<Live>>,
    skip: Skip,
}

impl<C: Connector> Failover<C> {
    /// `routes` are `(name, connector)`, the preferred first.
    pub fn new(routes: Vec<(String, C)>) -> Self {
        Self {
            routes,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            live: watch::channel(None).0,
            skip: Skip::default(),
        }
    }

    /// Pass over routes as `skip` says, from now on.
    pub fn with_skip(mut self, skip: Skip) -> Self {
        self.skip = skip;
        self
    }

    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The live route from now on: `None` until the first connection.
    pub fn watch(&self) -> watch::Receiver<Option<Live>> {
        self.live.subscribe()
    }
}

impl<C: Connector> Connector for Failover<C> {
    type Transport = C::Transport;

    /// The first route that connects. When none does, the error of the preferred route, made
    /// retryable when any route's failure was (so the client keeps trying while, say, a cloud
    /// key is refused but the local engine is only restarting).
    async fn connect(&self) -> Result<C::Transport, RealtimeError> {
        let mut passed_over = Vec::new();
        let mut first_error = None;
        let mut any_retryable = false;
        let skip = self
            .skip
            .lock()
            .clone()
            .filter(|(from, _)| *from < self.routes.len());
        for (index, (name, connector)) in self.routes.iter().enumerate() {
            if let Some((from, reason)) = &skip
                && index < *from
            {
                passed_over.push(format!("{name}: {reason}"));
                continue;
            }
            let result = tokio::time::timeout(self.attempt_timeout, connector.connect())
                .await
                .unwrap_or(Err(RealtimeError::Timeout("connecting")));
            match result {
                Ok(transport) => {
                    let live = Live {
                        index,
                        name: name.clone(),
                        passed_over,
                    };
                    if live.is_fallback() {
                        warn!(route = %name, passed_over = ?live.passed_over, "connected through a fallback route");
                    } else {
                        info!(route = %name, "connected through the preferred route");
                    }
                    self.live.send_replace(Some(live));
                    return Ok(transport);
                }
                Err(e) => {
                    any_retryable |= e.is_retryable();
                    passed_over.push(format!("{name}: {e}"));
                    first_error.get_or_insert(e);
                }
            }
        }
        self.live.send_replace(None);
        match first_error {
            Some(e) if e.is_retryable() || !any_retryable => Err(e),
            _ => Err(RealtimeError::Connect(std::io::Error::other(format!(
                "no route connected ({})",
                passed_over.join("; ")
            )))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::mock::{MockConnector, MockTransport, mock_pair};

    fn refused() -> RealtimeError {
        RealtimeError::Connect(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ))
    }

    fn bad_key() -> RealtimeError {
        RealtimeError::Unauthorized {
            status: Some(401),
            message: "bad key".to_owned(),
        }
    }

    fn route(name: &str, script: Vec<Result<MockTransport, RealtimeError>>) -> (String, Arc<MockConnector>) {
        (name.to_owned(), Arc::new(MockConnector::new(script)))
    }

    /// A network that swallows the connection attempt.
    struct Blackhole;

    impl Connector for Blackhole {
        type Transport = MockTransport;
        async fn connect(&self) -> Result<MockTransport, RealtimeError> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn the_first_route_that_connects_is_used_and_reported() {
        let (transport, _peer) = mock_pair();
        let failover = Failover::new(vec![
            route("cloud", vec![Err(refused())]),
            route("local", vec![Ok(transport)]),
        ]);
        let live = failover.watch();
        assert!(live.borrow().is_none());

        failover.connect().await.unwrap();
        let live = live.borrow().clone().unwrap();
        assert_eq!((live.index, live.name.as_str()), (1, "local"));
        assert!(live.is_fallback());
        assert_eq!(live.passed_over.len(), 1);
        assert!(
            live.passed_over[0].starts_with("cloud: "),
            "{:?}",
            live.passed_over
        );
    }

    #[tokio::test]
    async fn the_preferred_route_is_tried_first_on_every_connection() {
        let (first, _p1) = mock_pair();
        let (second, _p2) = mock_pair();
        let failover = Failover::new(vec![
            route("cloud", vec![Err(refused()), Ok(second)]),
            route("local", vec![Ok(first)]),
        ]);
        failover.connect().await.unwrap();
        assert_eq!(failover.watch().borrow().as_ref().map(|l| l.index), Some(1));
        failover.connect().await.unwrap();
        let live = failover.watch().borrow().clone().unwrap();
        assert_eq!(live.index, 0);
        assert!(!live.is_fallback() && live.passed_over.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_route_that_hangs_is_given_up_after_the_attempt_timeout() {
        let (transport, _peer) = mock_pair();
        let (_, local) = route("local", vec![Ok(transport)]);
        let failover = Failover::new(vec![
            ("cloud".to_owned(), Either::Hang(Blackhole)),
            ("local".to_owned(), Either::Mock(local)),
        ])
        .with_attempt_timeout(Duration::from_secs(2));
        let started = tokio::time::Instant::now();
        failover.connect().await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        let live = failover.watch().borrow().clone().unwrap();
        assert_eq!(live.index, 1);
        assert!(
            live.passed_over[0].contains("timed out"),
            "{:?}",
            live.passed_over
        );
    }

    enum Either {
        Hang(Blackhole),
        Mock(Arc<MockConnector>),
    }

    impl Connector for Either {
        type Transport = MockTransport;
        async fn connect(&self) -> Result<MockTransport, RealtimeError> {
            match self {
                Either::Hang(c) => c.connect().await,
                Either::Mock(c) => c.connect().await,
            }
        }
    }

    #[tokio::test]
    async fn routes_the_app_skips_are_not_dialled_until_cleared() {
        let (first, _p1) = mock_pair();
        let (second, _p2) = mock_pair();
        let cloud = Arc::new(MockConnector::new([Ok(second)]));
        let skip = Skip::default();
        let failover = Failover::new(vec![
            ("cloud".to_owned(), cloud.clone()),
            ("local".to_owned(), Arc::new(MockConnector::new([Ok(first)]))),
        ])
        .with_skip(skip.clone());
        skip.set(1, "budget spent");
        failover.connect().await.unwrap();
        assert_eq!(cloud.calls(), 0, "the skipped route is not dialled");
        let live = failover.watch().borrow().clone().unwrap();
        assert_eq!(live.name, "local");
        assert_eq!(live.passed_over, vec!["cloud: budget spent".to_owned()]);
        skip.clear();
        failover.connect().await.unwrap();
        assert_eq!(cloud.calls(), 1);
        assert_eq!(failover.watch().borrow().as_ref().map(|l| l.index), Some(0));
    }

    #[tokio::test]
    async fn a_refused_key_with_a_restarting_engine_stays_retryable() {
        let failover = Failover::new(vec![
            route("cloud", vec![Err(bad_key())]),
            route("local", vec![Err(refused())]),
        ]);
        let e = failover.connect().await.unwrap_err();
        assert!(e.is_retryable(), "{e}");
        assert!(
            e.to_string().contains("bad key") && e.to_string().contains("local"),
            "{e}"
        );
        assert!(failover.watch().borrow().is_none());

        let only = Failover::new(vec![route("cloud", vec![Err(bad_key())])]);
        assert!(!only.connect().await.unwrap_err().is_retryable());
    }
}
