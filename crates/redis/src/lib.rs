//! What the gateways of one front desk share live through Redis (`DONNA_REDIS_URL`): the staff
//! events each of them publishes, so a staff desk following gateway B hears of a check-in
//! taken on gateway A the moment it is stored ([`EventBus`]); their rate limits, so a client
//! is limited once however its requests are spread ([`SharedLimits`]); and the engine's client
//! secrets, so one minted on A opens a session on B ([`SharedValues`]); the realtime
//! proxy's open sessions, so its caps hold across the gateways ([`SharedSessions`]).
//!
//! The events themselves live in the shared store (PostgreSQL): Redis only carries them live.
//! So when Redis is unreachable nothing is lost: each gateway still streams its own events,
//! a desk that reconnects is replayed what it missed from the store (`Last-Event-ID`), the
//! lists read the store, and the gateway says `degraded` in `/api/health` until Redis is back
//! ([`BusState`]). Events published while Redis was down are not relayed afterwards.

mod rate;
mod relay;
mod sessions;
mod values;

pub use rate::{CHECK_TIMEOUT, SharedLimits};
pub use sessions::{LEASE, SessionCap, SharedSessions};
pub use values::{CALL_TIMEOUT, SharedValues};

use std::sync::Arc;
use std::time::Duration;

use donna_desk::Reception;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The channel every gateway of a front desk publishes its staff events on.
pub const CHANNEL: &str = "donna:events";

/// How long after a failed call the rate limits and shared values do not try Redis.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

/// How long connecting to Redis may take before it counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the bus could not start.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// The URL's text is not repeated: it may hold a password.
    #[error("DONNA_REDIS_URL is not a Redis URL (redis://[:password@]host:port[/db])")]
    Url,
    #[error("TLS to Redis: {0}")]
    Tls(String),
}

/// Where Redis is: its URL (`redis://`, or `rediss://` for TLS, the server's certificate
/// verified by its name and chain), and the private certificate authority that signed that
/// certificate when the system's do not (`DONNA_TLS_CA_FILE`).
#[derive(Clone)]
pub struct Address {
    url: String,
    ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("Address").finish_non_exhaustive()
    }
}

impl Address {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            ca_pem: None,
        }
    }

    /// Trust the certificate authority `pem` (and only it) for a `rediss://` server.
    pub fn with_ca(mut self, pem: Vec<u8>) -> Self {
        self.ca_pem = Some(pem);
        self
    }

    fn info(&self) -> Result<redis::ConnectionInfo, RedisError> {
        self.url.parse().map_err(|_| RedisError::Url)
    }

    pub(crate) fn client(&self) -> Result<redis::Client, RedisError> {
        let info = self.info()?;
        if matches!(info.addr, redis::ConnectionAddr::TcpTls { .. }) {
            // The Redis client builds its TLS with the process's default cryptography, which
            // the features of the crates in one build may leave undecided: decide it (a second
            // call changes nothing).
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
        match (&self.ca_pem, &info.addr) {
            (Some(pem), redis::ConnectionAddr::TcpTls { .. }) => redis::Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                },
            )
            .map_err(|e| RedisError::Tls(e.to_string())),
            _ => redis::Client::open(info).map_err(|_| RedisError::Url),
        }
    }
}

impl From<&str> for Address {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<&String> for Address {
    fn from(url: &String) -> Self {
        Self::new(url)
    }
}

/// How the bus is, for `/api/health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusState {
    Connecting,
    /// Subscribed: events cross between gateways.
    Live,
    /// Not connected, and why; retried every few seconds.
    Down {
        reason: String,
    },
}

/// The relay between this gateway's events and the other gateways', running until shutdown.
#[derive(Debug)]
pub struct EventBus {
    state: watch::Receiver<BusState>,
    at: String,
}

impl EventBus {
    /// Connect to `url` and relay events both ways in the background, reconnecting when the
    /// connection drops. Returns at once; [`EventBus::state`] says how it goes.
    pub fn spawn(
        address: impl Into<Address>,
        reception: Arc<Reception>,
        shutdown: CancellationToken,
    ) -> Result<Self, RedisError> {
        let address = address.into();
        let info = address.info()?;
        let at = match &info.addr {
            redis::ConnectionAddr::Tcp(host, port) | redis::ConnectionAddr::TcpTls { host, port, .. } => {
                format!("{host}:{port}")
            }
            redis::ConnectionAddr::Unix(path) => path.display().to_string(),
        };
        let client = address.client()?;
        let (state_tx, state) = watch::channel(BusState::Connecting);
        tokio::spawn(relay::run(client, reception, state_tx, shutdown));
        Ok(Self { state, at })
    }

    pub fn state(&self) -> BusState {
        self.state.borrow().clone()
    }

    /// Changes of state from now on (tests wait on it).
    pub fn watch(&self) -> watch::Receiver<BusState> {
        self.state.clone()
    }

    /// Where Redis is, as `host:port`: never the password.
    pub fn location(&self) -> &str {
        &self.at
    }
}

/// One multiplexed connection to Redis, opened at the first call and again after a failure,
/// with the time limit and the breaker every asynchronous call shares.
pub(crate) struct Link {
    client: redis::Client,
    connection: std::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    breaker: Breaker,
}

impl Link {
    pub(crate) fn new(address: Address) -> Result<Self, RedisError> {
        Ok(Self {
            client: address.client()?,
            connection: std::sync::Mutex::new(None),
            breaker: Breaker::default(),
        })
    }

    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Run `work` on the connection within [`CHECK_TIMEOUT`], unless Redis is being left
    /// alone; a failure drops the connection and leaves Redis alone for [`RETRY_AFTER`].
    pub(crate) async fn call<T, F, Fut>(&self, work: F) -> Result<T, String>
    where
        F: FnOnce(redis::aio::MultiplexedConnection) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        self.breaker.check()?;
        let outcome = tokio::time::timeout(CHECK_TIMEOUT, async {
            let connection = self.connected().await.map_err(|e| e.to_string())?;
            work(connection).await.map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|_| Err("Redis did not answer in time".to_owned()));
        self.breaker.record(outcome.is_ok());
        if outcome.is_err() {
            *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        outcome
    }

    async fn connected(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        let cached = self.connection.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(c) = cached {
            return Ok(c);
        }
        let c = self.client.get_multiplexed_async_connection().await?;
        *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = Some(c.clone());
        Ok(c)
    }
}

/// Leaves Redis alone for [`RETRY_AFTER`] after a call failed, so a dead Redis costs the calls
/// that follow nothing.
#[derive(Debug, Default)]
pub(crate) struct Breaker(std::sync::Mutex<Option<std::time::Instant>>);

impl Breaker {
    /// `Err` while Redis is being left alone.
    pub(crate) fn check(&self) -> Result<(), String> {
        match *self.0.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(since) if since.elapsed() < RETRY_AFTER => {
                Err("Redis did not answer a moment ago".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// How the last call went.
    pub(crate) fn record(&self, ok: bool) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = (!ok).then(std::time::Instant::now);
    }
}
