//! Start a gateway on port 0 with chosen settings, fake upstream services on port 0, and
//! helpers to read the JSON errors and the logs.

use std::borrow::Cow;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::get;
use donna_config::{Rate, RateLimits, Secret};
use donna_desk::Desk;
use donna_engine::{Engine, EngineConfig, Keys};
use donna_gateway::auth::{AdminOnly, AnyRole, Authed, Authenticator, Jwt, Role, StaffOnly};
use donna_gateway::clock::GatewayClock;
use donna_gateway::logs::{ScrubbedJson, Scrubber};
use donna_gateway::realtime::RealtimeBackend;
use donna_gateway::voice::VoiceBackend;
use donna_gateway::{GatewayConfig, GatewayState, HealthInfo, UiAssets};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "test-secret-test-secret-test-secret!";
pub const ISSUER: &str = "donna";
pub const AUDIENCE: &str = "donna-gateway";
/// A key that must never show up anywhere a client or a log reader could see it.
pub const CANARY: &str = "sk-canary-7f3e9d1c5b2a4e6f";

struct FakeUi;

impl UiAssets for FakeUi {
    fn get(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        (path == "index.html").then_some(Cow::Borrowed(b"<!doctype html><title>Donna</title>"))
    }
}

pub fn hs256() -> Jwt {
    Jwt::hs256(&Secret::new(SECRET), ISSUER, AUDIENCE)
}

pub fn token(sub: &str, role: Role) -> String {
    hs256().mint(sub, role, 600).unwrap()
}

pub fn test_key(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/security/keys")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

pub fn rate(max: u32, per_s: u32) -> Option<Rate> {
    Some(Rate { max, per_s })
}

pub fn limits(per_ip: Option<Rate>, per_identity: Option<Rate>) -> RateLimits {
    RateLimits { per_ip, per_identity }
}

/// A local engine with a fixed key, as an OpenAI-compatible upstream or the local backend.
pub fn engine(key: &str) -> Engine {
    Engine::new(
        Arc::new(donna_desk::Reception::example().unwrap()),
        Keys::new(key.to_owned()),
        EngineConfig::default(),
    )
}

/// How to build the gateway under test.
pub struct Options {
    pub jwt: Option<Jwt>,
    pub config: GatewayConfig,
    pub realtime: RealtimeBackend,
    pub voice: VoiceBackend,
    pub clock: GatewayClock,
    pub extra: Router,
    pub ws_proxy: Option<donna_gateway::ws_proxy::WsProxy>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            jwt: Some(hs256()),
            config: GatewayConfig::default(),
            realtime: RealtimeBackend::Local(std::sync::Arc::new(engine("sk-engine-test-key"))),
            voice: VoiceBackend::Local,
            clock: GatewayClock::manual(),
            extra: Router::new(),
            ws_proxy: None,
        }
    }
}

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: GatewayClock,
    shutdown: CancellationToken,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Server {
    /// Stop the gateway as `donna serve` does on SIGTERM.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub fn post(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(token)
    }
}

/// Routes that exist only in tests, to show each role requirement through HTTP.
fn role_probe_routes(state: GatewayState) -> Router {
    Router::new()
        .route("/api/test/any", get(|a: Authed<AnyRole>| async move { a.0.sub }))
        .route(
            "/api/test/staff",
            get(|a: Authed<StaffOnly>| async move { a.0.sub }),
        )
        .route(
            "/api/test/admin",
            get(|a: Authed<AdminOnly>| async move { a.0.sub }),
        )
        .with_state(state)
}

pub async fn start_with_options(options: Options) -> Server {
    let data = tempfile::tempdir().unwrap();
    let desk = Arc::new(Desk::load(None).unwrap());
    let info = HealthInfo {
        version: "test",
        backend: options.realtime.name(),
        data_dir: data.path().to_owned(),
    };
    let state = GatewayState::new(desk, info, Arc::new(FakeUi))
        .with_auth(Authenticator::new(options.jwt))
        .with_config(options.config)
        .unwrap()
        .with_realtime(options.realtime)
        .with_voice(options.voice)
        .with_clock(options.clock.clone());
    let state = match options.ws_proxy {
        Some(proxy) => state.with_ws_proxy(proxy),
        None => state,
    };
    let extra = role_probe_routes(state.clone()).merge(options.extra);
    let router = donna_gateway::app_with(state.clone(), extra);
    let shutdown = state.shutdown_token();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let serving = donna_gateway::ServeOptions::of(&state);
    tokio::spawn(donna_gateway::serve_with(
        listener,
        router,
        shutdown.clone(),
        serving,
    ));
    Server {
        base,
        client: reqwest::Client::new(),
        clock: options.clock,
        shutdown,
        _data: data,
    }
}

pub async fn start_with(jwt: Option<Jwt>) -> Server {
    start_with_options(Options {
        jwt,
        ..Options::default()
    })
    .await
}

pub async fn start() -> Server {
    start_with_options(Options::default()).await
}

/// Serve any router on port 0 (the gateway, or a fake upstream service).
pub async fn spawn(router: Router) -> (String, CancellationToken) {
    let shutdown = CancellationToken::new();
    (spawn_until(router, shutdown.clone()).await, shutdown)
}

/// Serve a router on port 0 until `shutdown`.
pub async fn spawn_until(router: Router, shutdown: CancellationToken) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(donna_gateway::serve(listener, router, shutdown));
    base
}

/// A base URL where nothing listens.
pub fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

/// Status, `error.code` and the whole body of a JSON error response.
pub async fn error_body(resp: reqwest::Response) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error bodies are JSON");
    let code = body["error"]["code"].as_str().unwrap_or_default().to_owned();
    (status, code, body)
}

/// Status and `error.code` of a JSON error response.
pub async fn error_of(resp: reqwest::Response) -> (u16, String) {
    let (status, code, _) = error_body(resp).await;
    (status, code)
}

/// Everything logged on this thread while the guard lives, as the app's JSON sinks would write
/// it (scrubbed, with [`CANARY`] and the JWT secret registered as secrets).
///
/// One global subscriber writes to the capture of the current thread: with `#[tokio::test]`'s
/// current-thread runtime, the server's tasks run on the test's thread. (Thread-local
/// subscribers would be simpler, but tracing caches callsite interest process-wide, and parallel
/// tests setting and dropping them lose events now and then.)
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static CURRENT: std::cell::RefCell<Option<LogCapture>> = const { std::cell::RefCell::new(None) };
}

/// Stops capturing on this thread when dropped.
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
    }
}

#[derive(Clone, Copy)]
struct ThreadCapture;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ThreadCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> LogCapture {
        // Outside a capture the events go to a buffer nobody reads.
        CURRENT.with(|c| c.borrow().clone()).unwrap_or_default()
    }
}

impl LogCapture {
    pub fn start() -> (Self, CaptureGuard) {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            use tracing_subscriber::layer::SubscriberExt;
            let scrubber = Arc::new(Scrubber::new().with_secrets([CANARY, SECRET]));
            let subscriber = tracing_subscriber::registry()
                .with(tracing_subscriber::EnvFilter::new("debug"))
                .with(
                    tracing_subscriber::fmt::layer()
                        .event_format(ScrubbedJson::new(scrubber))
                        .with_writer(ThreadCapture),
                );
            tracing::subscriber::set_global_default(subscriber).unwrap();
        });
        let capture = LogCapture::default();
        CURRENT.with(|c| *c.borrow_mut() = Some(capture.clone()));
        (capture, CaptureGuard(()))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The security log entries (target `donna_security`).
    pub fn security(&self) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == donna_gateway::security::TARGET)
            .collect()
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The value of the first `/metrics` line that starts with `line_start`.
pub async fn metric(s: &Server, line_start: &str) -> Option<f64> {
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
}
