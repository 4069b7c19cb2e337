//! Counters for `GET /metrics` (Prometheus text format): requests by route, method and status;
//! denials by reason; realtime client secrets issued; batch voice turns; open realtime sessions.
//!
//! Labels come from fixed sets (matched route templates, stable reason codes), never from
//! request data, so the number of series stays bounded whatever clients send.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::GatewayState;

type Counter<K> = Mutex<BTreeMap<K, u64>>;

/// The gateway's counters; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requests: Counter<(String, &'static str, u16)>,
    denials: Counter<String>,
    tokens: Counter<(&'static str, &'static str)>,
    voice: Counter<(&'static str, &'static str)>,
    connections_closed: Counter<&'static str>,
    ws: WsCounters,
}

/// The realtime proxy's counters; the byte counters are touched once per frame, so they are
/// atomics rather than map entries.
#[derive(Debug, Default)]
struct WsCounters {
    open: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    frames_up: AtomicU64,
    frames_down: AtomicU64,
    ended: Counter<&'static str>,
    refused: Counter<&'static str>,
    policy: Counter<&'static str>,
}

fn bump<K: Ord>(counter: &Counter<K>, key: K) {
    // A poisoned counter still counts: a panic elsewhere must not silence the metrics.
    let mut map = counter.lock().unwrap_or_else(|p| p.into_inner());
    *map.entry(key).or_insert(0) += 1;
}

fn snapshot<K: Ord + Clone>(counter: &Counter<K>) -> Vec<(K, u64)> {
    let map = counter.lock().unwrap_or_else(|p| p.into_inner());
    map.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

impl Metrics {
    pub fn denial(&self, reason: &str) {
        bump(&self.inner.denials, reason.to_owned());
    }

    /// A realtime client secret request finished: `outcome` is `issued` or an error code.
    pub fn token(&self, backend: &'static str, outcome: &'static str) {
        bump(&self.inner.tokens, (backend, outcome));
    }

    pub fn voice(&self, backend: &'static str, outcome: &'static str) {
        bump(&self.inner.voice, (backend, outcome));
    }

    /// The server closed a connection before answering it: `reason` is `header_timeout`,
    /// `head_too_large` or `malformed`.
    pub fn connection_closed(&self, reason: &'static str) {
        bump(&self.inner.connections_closed, reason);
    }

    /// A realtime proxy session began relaying.
    pub fn ws_opened(&self) {
        self.inner.ws.open.fetch_add(1, Ordering::Relaxed);
    }

    /// A realtime proxy session ended, for `reason` (a fixed label).
    pub fn ws_closed(&self, reason: &'static str) {
        self.inner.ws.open.fetch_sub(1, Ordering::Relaxed);
        bump(&self.inner.ws.ended, reason);
    }

    /// One frame relayed: client→upstream when `up`.
    pub fn ws_relayed(&self, up: bool, bytes: usize) {
        let ws = &self.inner.ws;
        let (b, f) = if up {
            (&ws.bytes_up, &ws.frames_up)
        } else {
            (&ws.bytes_down, &ws.frames_down)
        };
        b.fetch_add(bytes as u64, Ordering::Relaxed);
        f.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection refused by the proxy itself (caps, model, upstream), by reason.
    pub fn ws_refusal(&self, reason: &'static str) {
        bump(&self.inner.ws.refused, reason);
    }

    /// A kiosk event the proxy did not forward, by the refused field.
    pub fn ws_policy_refusal(&self, param: &'static str) {
        bump(&self.inner.ws.policy, param);
    }

    /// One answered request, by route template.
    pub fn request(&self, route: String, method: &'static str, status: u16) {
        bump(&self.inner.requests, (route, method, status));
    }

    /// The Prometheus text exposition.
    pub fn render(&self, open_sessions: Option<usize>) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP donna_http_requests_total HTTP requests answered.");
        let _ = writeln!(out, "# TYPE donna_http_requests_total counter");
        for ((route, method, status), n) in snapshot(&self.inner.requests) {
            let _ = writeln!(
                out,
                "donna_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP donna_http_connections_closed_total Connections closed before a request was read, by reason."
        );
        let _ = writeln!(out, "# TYPE donna_http_connections_closed_total counter");
        for (reason, n) in snapshot(&self.inner.connections_closed) {
            let _ = writeln!(
                out,
                "donna_http_connections_closed_total{{reason=\"{reason}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP donna_denials_total Requests refused, by reason.");
        let _ = writeln!(out, "# TYPE donna_denials_total counter");
        for (reason, n) in snapshot(&self.inner.denials) {
            let _ = writeln!(out, "donna_denials_total{{reason=\"{reason}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP donna_realtime_tokens_total Realtime client secret requests, by backend and outcome."
        );
        let _ = writeln!(out, "# TYPE donna_realtime_tokens_total counter");
        for ((backend, outcome), n) in snapshot(&self.inner.tokens) {
            let _ = writeln!(
                out,
                "donna_realtime_tokens_total{{backend=\"{backend}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP donna_voice_chats_total Batch voice turns, by backend and outcome."
        );
        let _ = writeln!(out, "# TYPE donna_voice_chats_total counter");
        for ((backend, outcome), n) in snapshot(&self.inner.voice) {
            let _ = writeln!(
                out,
                "donna_voice_chats_total{{backend=\"{backend}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        self.render_ws(&mut out);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let _ = writeln!(
                out,
                "# HELP donna_runtime_tasks_alive Tasks alive on the gateway's runtime."
            );
            let _ = writeln!(out, "# TYPE donna_runtime_tasks_alive gauge");
            let _ = writeln!(
                out,
                "donna_runtime_tasks_alive {}",
                runtime.metrics().num_alive_tasks()
            );
        }
        if let Some(open) = open_sessions {
            let _ = writeln!(
                out,
                "# HELP donna_realtime_sessions_open Realtime sessions open on the local engine."
            );
            let _ = writeln!(out, "# TYPE donna_realtime_sessions_open gauge");
            let _ = writeln!(out, "donna_realtime_sessions_open {open}");
        }
        out
    }
}

impl Metrics {
    fn render_ws(&self, out: &mut String) {
        let ws = &self.inner.ws;
        let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, u64)>| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for (labels, n) in rows {
                let _ = writeln!(out, "{name}{labels} {n}");
            }
        };
        let plain = |v: &AtomicU64| vec![(String::new(), v.load(Ordering::Relaxed))];
        let by = |label: &str, counter: &Counter<&'static str>| {
            snapshot(counter)
                .into_iter()
                .map(|(k, n)| (format!("{{{label}=\"{k}\"}}"), n))
                .collect()
        };
        family(
            "donna_ws_proxy_sessions_open",
            "gauge",
            "Realtime proxy sessions relaying now.",
            plain(&ws.open),
        );
        let direction = |up: &AtomicU64, down: &AtomicU64| {
            vec![
                (
                    "{direction=\"client_to_upstream\"}".to_owned(),
                    up.load(Ordering::Relaxed),
                ),
                (
                    "{direction=\"upstream_to_client\"}".to_owned(),
                    down.load(Ordering::Relaxed),
                ),
            ]
        };
        family(
            "donna_ws_proxy_bytes_total",
            "counter",
            "Payload bytes relayed by the realtime proxy.",
            direction(&ws.bytes_up, &ws.bytes_down),
        );
        family(
            "donna_ws_proxy_frames_total",
            "counter",
            "Data frames relayed by the realtime proxy.",
            direction(&ws.frames_up, &ws.frames_down),
        );
        family(
            "donna_ws_proxy_sessions_ended_total",
            "counter",
            "Realtime proxy sessions ended, by reason.",
            by("reason", &ws.ended),
        );
        family(
            "donna_ws_proxy_refusals_total",
            "counter",
            "Realtime proxy connections refused after authentication, by reason (origin, rate and token refusals are in donna_denials_total).",
            by("reason", &ws.refused),
        );
        family(
            "donna_ws_proxy_policy_refusals_total",
            "counter",
            "Kiosk events the realtime proxy did not forward, by field.",
            by("param", &ws.policy),
        );
    }
}

/// A fixed label per method, so odd methods cannot add series.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain")))]
pub async fn metrics(State(state): State<GatewayState>) -> Response {
    let body = state.metrics().render(state.open_sessions());
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
