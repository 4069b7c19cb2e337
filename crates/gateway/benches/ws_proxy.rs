//! The realtime proxy (`GET /realtime`) against nginx as a WebSocket reverse proxy, side by side
//! in one run, in front of the same upstream.
//!
//! ```text
//! cargo bench -p donna-gateway --bench ws_proxy               # 1, 50 and 200 sessions
//! cargo bench -p donna-gateway --bench ws_proxy -- --soak 600 # connect/disconnect churn, 10 min
//! ```
//!
//! The upstream echoes every text frame. Each session sends audio-sized events
//! (`input_audio_buffer.append` with 20–100 ms of PCM16 24 kHz as base64) in a closed loop and
//! waits for each echo: throughput is events per second over all sessions, latency the round
//! trip, and "added" latency the round trip minus the direct one at the same load. Both proxies
//! run in their own process (this binary re-runs itself with `--serve-proxy`), so the memory per
//! idle connection is read from each proxy's own RSS. Needs `nginx` on the PATH (or in
//! /usr/sbin); without it the nginx column is skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot run should stop loudly

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use donna_config::{Secret, WsProxyLimits};
use donna_gateway::auth::{Authenticator, Jwt, Role};
use donna_gateway::ws_proxy::{ProxyUpstream, WsProxy};
use donna_gateway::{GatewayConfig, GatewayState, HealthInfo, UiAssets};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const SECRET: &str = "bench-secret-bench-secret-bench-secret";
const RUN: Duration = Duration::from_secs(4);

struct NoUi;
impl UiAssets for NoUi {
    fn get(&self, _: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
        None
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--serve-proxy") {
        serve_proxy(&args[i + 1], &args[i + 2]);
        return;
    }
    let soak = args
        .iter()
        .position(|a| a == "--soak")
        .map(|i| args[i + 1].parse::<u64>().expect("--soak SECONDS"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let upstream = echo_upstream().await;
        let donna = ProxyProcess::donna(&upstream);
        match soak {
            Some(seconds) => soak_run(&donna, Duration::from_secs(seconds)).await,
            None => compare(&upstream, &donna).await,
        }
    });
}

/// The gateway with only the proxy, as its own process: `--serve-proxy ADDR UPSTREAM_BASE`.
fn serve_proxy(addr: &str, upstream: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let desk = Arc::new(donna_desk::Desk::load(None).unwrap());
        let info = HealthInfo {
            version: "bench",
            backend: "local",
            data_dir: std::env::temp_dir(),
        };
        let limits = WsProxyLimits {
            max_sessions: 10_000,
            max_sessions_per_identity: 10_000,
            ..WsProxyLimits::default()
        };
        let proxy = WsProxy::new(
            ProxyUpstream {
                base_url: format!("{upstream}/v1"),
                key: Secret::new("sk-bench-upstream"),
            },
            limits,
            desk.instructions().to_owned(),
            donna_desk::tools::definitions(),
        );
        let mut config = GatewayConfig::default();
        for (class, _, _) in donna_config::RATE_LIMIT_CLASSES {
            config.set_limits(
                class,
                donna_config::RateLimits {
                    per_ip: None,
                    per_identity: None,
                },
            );
        }
        let state = GatewayState::new(desk.clone(), info, Arc::new(NoUi))
            .with_auth(Authenticator::new(Some(jwt())))
            .with_config(config)
            .unwrap()
            .with_ws_proxy(proxy);
        let listener = TcpListener::bind(addr).await.unwrap();
        let token = tokio_util::sync::CancellationToken::new();
        donna_gateway::serve(listener, donna_gateway::app(state), token)
            .await
            .unwrap();
    });
}

fn jwt() -> Jwt {
    Jwt::hs256(&Secret::new(SECRET), "donna", "donna-gateway")
}

/// An upstream that echoes text frames; returns its HTTP base.
async fn echo_upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                while let Some(Ok(frame)) = ws.next().await {
                    if frame.is_text() && ws.send(frame).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    base
}

/// A proxy in its own process.
struct ProxyProcess {
    url: String,
    token: Option<String>,
    child: Child,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        // The whole process group: nginx's workers outlive a killed master otherwise.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("nothing listening on {port}");
}

impl ProxyProcess {
    fn donna(upstream: &str) -> Self {
        let port = free_port();
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["--serve-proxy", &format!("127.0.0.1:{port}"), upstream])
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_listening(port);
        Self {
            url: format!("ws://127.0.0.1:{port}/realtime?model=gpt-realtime"),
            token: Some(jwt().mint("kiosk-bench", Role::Kiosk, 3600).unwrap()),
            child,
            _dir: None,
        }
    }

    /// nginx as the usual WebSocket reverse proxy: one worker per core, as shipped.
    fn nginx(upstream: &str) -> Option<Self> {
        let binary = ["nginx", "/usr/sbin/nginx"]
            .into_iter()
            .find(|b| Command::new(b).arg("-v").output().is_ok())?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let upstream = upstream.trim_start_matches("http://");
        let conf = format!(
            "daemon off; master_process on; worker_processes auto; pid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\n\
             events {{ worker_connections 8192; }}\n\
             http {{ access_log off; client_body_temp_path {d}; proxy_temp_path {d};\n\
               fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};\n\
               map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}\n\
               server {{ listen 127.0.0.1:{port}; tcp_nodelay on;\n\
                 location /realtime {{ proxy_pass http://{upstream}/v1/realtime;\n\
                   proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade;\n\
                   proxy_set_header Connection $connection_upgrade; proxy_read_timeout 3600s;\n\
                   proxy_buffering off; }} }} }}\n",
            d = dir.path().display()
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new(binary)
            .arg("-c")
            .arg(&path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        wait_listening(port);
        Some(Self {
            url: format!("ws://127.0.0.1:{port}/realtime?model=gpt-realtime"),
            token: None,
            child,
            _dir: Some(dir),
        })
    }

    /// Resident memory of the proxy and its children (nginx's workers), in KiB.
    fn rss_kib(&self) -> u64 {
        let mut pids = vec![self.child.id()];
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.child.id()))
        {
            pids.extend(children.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
        pids.iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .filter_map(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .sum()
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str, token: Option<&str>) -> Ws {
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .unwrap();
    ws
}

/// Audio appends of 20, 40, 60, 80 and 100 ms, as a client sends them.
fn events() -> Vec<String> {
    [20u64, 40, 60, 80, 100]
        .iter()
        .map(|ms| {
            let pcm: Vec<u8> = (0..ms * 48).map(|i| (i * 7 % 251) as u8).collect();
            let audio = base64::engine::general_purpose::STANDARD.encode(pcm);
            serde_json::json!({"type": "input_audio_buffer.append", "audio": audio}).to_string()
        })
        .collect()
}

struct Load {
    events_per_s: f64,
    p50_us: u64,
    p99_us: u64,
}

/// `sessions` closed-loop sessions for [`RUN`].
async fn load(url: &str, token: Option<&str>, sessions: usize) -> Load {
    let events = Arc::new(events());
    let mut sockets = Vec::new();
    for _ in 0..sessions {
        sockets.push(open(url, token).await);
    }
    let start = Instant::now();
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(n, mut ws)| {
            let events = events.clone();
            tokio::spawn(async move {
                let mut rtts = Vec::new();
                let mut i = n;
                while start.elapsed() < RUN {
                    let sent = Instant::now();
                    ws.send(Message::text(events[i % events.len()].clone()))
                        .await
                        .unwrap();
                    loop {
                        match ws.next().await {
                            Some(Ok(Message::Text(_))) => break,
                            Some(Ok(_)) => continue,
                            other => panic!("session ended: {other:?}"),
                        }
                    }
                    rtts.push(sent.elapsed().as_micros() as u64);
                    i += 1;
                }
                let _ = ws.close(None).await;
                rtts
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Load {
        events_per_s: all.len() as f64 / elapsed,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
    }
}

async fn idle_kib_per_connection(proxy: &ProxyProcess) -> f64 {
    const IDLE: usize = 500;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = proxy.rss_kib();
    let mut held = Vec::new();
    for _ in 0..IDLE {
        held.push(open(&proxy.url, proxy.token.as_deref()).await);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = proxy.rss_kib();
    drop(held);
    (after.saturating_sub(before)) as f64 / IDLE as f64
}

async fn compare(upstream: &str, donna: &ProxyProcess) {
    let nginx = ProxyProcess::nginx(upstream);
    if nginx.is_none() {
        println!("nginx not found: its column is skipped");
    }
    let direct = format!(
        "{}/v1/realtime?model=gpt-realtime",
        upstream.replacen("http://", "ws://", 1)
    );
    println!(
        "{:>8} | {:>10} {:>9} {:>9} | {:>10} {:>9} {:>9} {:>9} | {:>10} {:>9} {:>9} {:>9} | {:>6}",
        "sessions",
        "direct/s",
        "p50 µs",
        "p99 µs",
        "donna/s",
        "p50 µs",
        "p99 µs",
        "+p99 µs",
        "nginx/s",
        "p50 µs",
        "p99 µs",
        "+p99 µs",
        "ratio"
    );
    for sessions in [1usize, 50, 200] {
        let d = load(&direct, None, sessions).await;
        let g = load(&donna.url, donna.token.as_deref(), sessions).await;
        let n = match &nginx {
            Some(n) => Some(load(&n.url, None, sessions).await),
            None => None,
        };
        let (nr, n50, n99, nadd, ratio) = n.map_or((0.0, 0, 0, 0, f64::NAN), |n| {
            (
                n.events_per_s,
                n.p50_us,
                n.p99_us,
                n.p99_us.saturating_sub(d.p99_us),
                g.events_per_s / n.events_per_s,
            )
        });
        println!(
            "{sessions:>8} | {:>10.0} {:>9} {:>9} | {:>10.0} {:>9} {:>9} {:>9} | {:>10.0} {:>9} {:>9} {:>9} | {:>5.2}x",
            d.events_per_s,
            d.p50_us,
            d.p99_us,
            g.events_per_s,
            g.p50_us,
            g.p99_us,
            g.p99_us.saturating_sub(d.p99_us),
            nr,
            n50,
            n99,
            nadd,
            ratio
        );
    }
    println!(
        "idle connection memory: donna {:.1} KiB{}",
        idle_kib_per_connection(donna).await,
        match &nginx {
            Some(n) => format!(", nginx {:.1} KiB", idle_kib_per_connection(n).await),
            None => String::new(),
        }
    );
}

/// Connect/disconnect churn for `length`: 50 workers each open a session, relay a few events,
/// and leave (half with a close frame, half by dropping the connection). Prints the proxy's RSS
/// and its open sessions and live tasks from `/metrics` every 30 s.
async fn soak_run(donna: &ProxyProcess, length: Duration) {
    let metrics_url = donna
        .url
        .replacen("ws://", "http://", 1)
        .replace("/realtime?model=gpt-realtime", "/metrics");
    let start = Instant::now();
    let workers: Vec<_> = (0..50)
        .map(|w| {
            let url = donna.url.clone();
            let token = donna.token.clone();
            let events = events();
            tokio::spawn(async move {
                let mut sessions = 0u64;
                while start.elapsed() < length {
                    let mut ws = open(&url, token.as_deref()).await;
                    for e in events.iter().take(3) {
                        ws.send(Message::text(e.clone())).await.unwrap();
                        while !matches!(ws.next().await, Some(Ok(Message::Text(_)))) {}
                    }
                    if (w + sessions).is_multiple_of(2) {
                        let _ = ws.close(None).await;
                    }
                    drop(ws);
                    sessions += 1;
                }
                sessions
            })
        })
        .collect();
    let client = reqwest::Client::new();
    let gauge = |text: &str, name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .unwrap_or("?")
            .to_owned()
    };
    println!("{:>6} {:>10} {:>6} {:>6}", "t s", "rss KiB", "open", "tasks");
    while start.elapsed() < length {
        tokio::time::sleep(Duration::from_secs(30).min(length)).await;
        let text = client
            .get(&metrics_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        println!(
            "{:>6} {:>10} {:>6} {:>6}",
            start.elapsed().as_secs(),
            donna.rss_kib(),
            gauge(&text, "donna_ws_proxy_sessions_open "),
            gauge(&text, "donna_runtime_tasks_alive ")
        );
    }
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let text = client
        .get(&metrics_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    println!(
        "after {total} sessions: rss {} KiB, open {}, tasks {}",
        donna.rss_kib(),
        gauge(&text, "donna_ws_proxy_sessions_open "),
        gauge(&text, "donna_runtime_tasks_alive ")
    );
}
