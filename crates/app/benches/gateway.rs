//! Requests/s and latency of the gateway with every layer on, next to a bare axum hello-world
//! measured in the same run, with a real load generator (`wrk`, from Debian's `wrk` package).
//!
//!     cargo bench -p donna-app --bench gateway
//!
//! The gateway runs as `donna serve` would: all layers, JWT auth, the security log and the
//! scrubbed JSON log files (in a temp dir), the local engine as realtime backend. Rate limits
//! stay on but high enough never to refuse one client's flood, so their bookkeeping is paid
//! without 429s skewing the figures.
//!
//! `wrk` shares the machine's cores with the servers, so requests/s mixes the servers' cost with
//! the load generator's. Each case also reports the servers' own CPU time per request (the
//! process's user and system time, which excludes `wrk`'s), the figure a change to the gateway
//! moves directly. `GET /api/clock`, a route that reads the clock and nothing else, is the floor
//! every route pays for the gateway's layers.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set itself up should stop loudly

#[path = "../../../benches/support/cpu_time.rs"]
mod cpu_time;

use cpu_time::cpu_seconds;
use std::borrow::Cow;
use std::io::Write;
use std::process::Command;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use donna_config::{Rate, RateLimits, Secret};
use donna_desk::Desk;
use donna_engine::{Engine, EngineConfig, Keys};
use donna_gateway::auth::{Authenticator, Jwt, Role};
use donna_gateway::logs::{LogConfig, Scrubber};
use donna_gateway::realtime::RealtimeBackend;
use donna_gateway::{GatewayConfig, GatewayState, HealthInfo, UiAssets};
use tokio_util::sync::CancellationToken;

const DURATION: &str = "10s";
const CONNECTIONS: &str = "32";

struct NoUi;

impl UiAssets for NoUi {
    fn get(&self, _path: &str) -> Option<Cow<'static, [u8]>> {
        None
    }
}

struct Result {
    name: &'static str,
    rps: f64,
    /// The servers' CPU time per request, in microseconds.
    cpu_us: f64,
    p50: String,
    p99: String,
    non_2xx: u64,
}

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed (apt-get install wrk); skipping the gateway benchmark");
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    let _guard = donna_gateway::logs::init(LogConfig {
        dir: logs.path().to_owned(),
        level: "info".into(),
        retention_days: 7,
        crates: vec!["donna_gateway".into()],
        scrubber: Scrubber::new().with_secrets(["bench-secret-bench-secret-bench-secret"]),
    })
    .unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (gateway, bare, token) = runtime.block_on(start());

    let post_lua = logs.path().join("token.lua");
    std::fs::File::create(&post_lua)
        .unwrap()
        .write_all(
            format!(
                "wrk.method = \"POST\"\nwrk.body = '{{\"voice\":\"marin\",\"expires_after\":{{\"seconds\":600}}}}'\n\
                 wrk.headers[\"Content-Type\"] = \"application/json\"\n\
                 wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"
            )
            .as_bytes(),
        )
        .unwrap();

    // Warm up each server once, then measure back to back.
    wrk(&format!("{bare}/"), None, "2s");
    wrk(&format!("{gateway}/api/health"), None, "2s");
    let results = [
        measure("bare axum hello-world `GET /`", &format!("{bare}/"), None),
        measure(
            "gateway `GET /api/clock` (the layers alone)",
            &format!("{gateway}/api/clock"),
            None,
        ),
        measure(
            "gateway `GET /api/health`",
            &format!("{gateway}/api/health"),
            None,
        ),
        measure(
            "gateway `POST /api/realtime/token` (local)",
            &format!("{gateway}/api/realtime/token"),
            Some(post_lua.to_str().unwrap()),
        ),
    ];
    let bare_rps = results[0].rps;
    let bare_cpu = results[0].cpu_us;
    println!(
        "| case | requests/s | p50 | p99 | non-2xx | ratio to bare | server CPU per request | CPU ratio to bare |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &results {
        println!(
            "| {} | {:.0} | {} | {} | {} | {:.2}× | {:.1} µs | {:.2}× |",
            r.name,
            r.rps,
            r.p50,
            r.p99,
            r.non_2xx,
            r.rps / bare_rps,
            r.cpu_us,
            r.cpu_us / bare_cpu,
        );
    }
}

async fn start() -> (String, String, String) {
    let secret = Secret::new("bench-secret-bench-secret-bench-secret");
    let jwt = Jwt::hs256(&secret, "donna", "donna-gateway");
    let token = jwt.mint("kiosk-bench", Role::Kiosk, 3600).unwrap();
    let desk = Arc::new(Desk::load(None).unwrap());
    let engine = Engine::new(
        Arc::new(donna_desk::Reception::example().unwrap()),
        // A 10 s flood mints ~200,000 secrets, ten times the engine's cap for a real site; the
        // cap is lifted so the route's full work is what is measured.
        Keys::new("sk-bench-engine-key".into()).with_max_live(1_000_000),
        EngineConfig::default(),
    );
    let mut config = GatewayConfig::default();
    let high = RateLimits {
        per_ip: Some(Rate {
            max: 10_000_000,
            per_s: 1,
        }),
        per_identity: Some(Rate {
            max: 10_000_000,
            per_s: 1,
        }),
    };
    for class in ["api", "token", "voice", "marketing"] {
        config.set_limits(class, high);
    }
    let data = std::env::temp_dir();
    let state = GatewayState::new(
        desk,
        HealthInfo {
            version: "bench",
            backend: "local",
            data_dir: data,
        },
        Arc::new(NoUi),
    )
    .with_auth(Authenticator::new(Some(jwt)))
    .with_config(config)
    .unwrap()
    .with_realtime(RealtimeBackend::Local(Arc::new(engine.clone())));
    let gateway = listen(donna_gateway::app_with(state, engine.router())).await;
    let bare = listen(Router::new().route("/", get(|| async { "Hello, World!" }))).await;
    (gateway, bare, token)
}

async fn listen(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Never cancelled: the process ends when the benchmark does.
    tokio::spawn(donna_gateway::serve(listener, router, CancellationToken::new()));
    url
}

fn wrk(url: &str, script: Option<&str>, duration: &str) -> String {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t", "2", "-c", CONNECTIONS, "-d", duration, "--latency"]);
    if let Some(script) = script {
        cmd.args(["-s", script]);
    }
    let out = cmd.arg(url).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn measure(name: &'static str, url: &str, script: Option<&str>) -> Result {
    let cpu_before = cpu_seconds();
    let text = wrk(url, script, DURATION);
    let cpu = cpu_seconds() - cpu_before;
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    let rps = field("Requests/sec:").parse().unwrap_or(0.0);
    let non_2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses:"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let requests: f64 = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    Result {
        name,
        rps,
        cpu_us: cpu * 1e6 / requests,
        p50: field("50%"),
        p99: field("99%"),
        non_2xx,
    }
}
