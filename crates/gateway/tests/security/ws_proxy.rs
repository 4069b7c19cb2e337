//! `GET /realtime`, the realtime WebSocket proxy, with real WebSocket clients and the local
//! engine (or a misbehaving fake) as the upstream: what it refuses before the upgrade, what it
//! relays, and how each side learns that a session ended.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use donna_config::{Secret, WsProxyLimits};
use donna_engine::Engine;
use donna_gateway::GatewayConfig;
use donna_gateway::auth::Role;
use donna_gateway::ws_proxy::{ProxyUpstream, WsProxy};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::harness::{
    CANARY, LogCapture, Options, Server, error_body, error_of, limits, rate, spawn, start, start_with_options,
    token,
};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const ENGINE_KEY: &str = "sk-engine-proxy-upstream";

fn generous() -> WsProxyLimits {
    WsProxyLimits {
        max_sessions: 100,
        max_sessions_per_identity: 100,
        idle_timeout_s: 60,
        max_session_s: 600,
        max_frame_bytes: 1 << 20,
    }
}

fn proxy(base: &str, key: &str, limits: WsProxyLimits) -> WsProxy {
    let desk = donna_desk::Desk::load(None).unwrap();
    WsProxy::new(
        ProxyUpstream {
            base_url: format!("{base}/v1"),
            key: Secret::new(key),
        },
        limits,
        desk.instructions(),
        donna_desk::tools::definitions(),
    )
}

/// A gateway whose proxy relays to a local engine served on its own port.
struct Proxied {
    s: Server,
    engine: Engine,
    /// The engine's own WebSocket base, for comparing with a direct connection.
    engine_ws: String,
    _engine_stop: tokio_util::sync::CancellationToken,
}

async fn with_engine(limits: WsProxyLimits, config: GatewayConfig) -> Proxied {
    let engine = super::harness::engine(ENGINE_KEY);
    let (upstream, stop) = spawn(engine.router()).await;
    let s = start_with_options(Options {
        config,
        ws_proxy: Some(proxy(&upstream, ENGINE_KEY, limits)),
        ..Options::default()
    })
    .await;
    Proxied {
        s,
        engine,
        engine_ws: upstream.replacen("http://", "ws://", 1),
        _engine_stop: stop,
    }
}

fn ws_url(s: &Server, query: &str) -> String {
    format!("{}/realtime{query}", s.base.replacen("http://", "ws://", 1))
}

async fn connect_as(s: &Server, token: &str) -> Result<Ws, tungstenite::Error> {
    let mut request = ws_url(s, "").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.map(|(ws, _)| ws)
}

/// The HTTP status and JSON error of a refused upgrade.
async fn refused(result: Result<Ws, tungstenite::Error>) -> (u16, Value) {
    match result {
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response.body().clone().unwrap_or_default();
            (status, serde_json::from_slice(&body).expect("a JSON error body"))
        }
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("expected a refusal, the upgrade was accepted"),
    }
}

/// The next event, skipping control frames; `Err` carries the close frame.
async fn next_event(ws: &mut Ws) -> Result<Value, Option<(u16, String)>> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an event within 10 s");
        match frame {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => {
                return Err(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// Events up to and including the first of type `until`.
async fn events_until(ws: &mut Ws, until: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let event = next_event(ws).await.unwrap_or_else(|close| panic!("closed: {close:?} after {seen:?}"));
        let done = event["type"] == until;
        seen.push(event);
        if done {
            return seen;
        }
    }
}

async fn send(ws: &mut Ws, event: Value) {
    ws.send(Message::text(event.to_string())).await.unwrap();
}

/// One typed question and its answer, as event types in order.
async fn text_turn(ws: &mut Ws, question: &str) -> Vec<String> {
    send(
        ws,
        json!({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}),
    )
    .await;
    events_until(ws, "session.updated").await;
    send(
        ws,
        json!({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": question}]}}),
    )
    .await;
    send(ws, json!({"type": "response.create"})).await;
    let events = events_until(ws, "response.done").await;
    let done = events.last().unwrap();
    assert_eq!(done["response"]["status"], "completed", "{done}");
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn metric(s: &Server, line_start: &str) -> Option<f64> {
    let text = s.client.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}

#[tokio::test]
async fn off_by_default_the_path_does_not_exist() {
    let s = start().await;
    let (status, body) = refused(connect_as(&s, &token("kiosk-1", Role::Kiosk)).await).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_conversation_is_relayed_as_the_engine_sends_it() {
    let Proxied {
        s, engine, engine_ws, ..
    } = with_engine(generous(), GatewayConfig::default()).await;
    // Straight to the engine...
    let mut request = format!("{engine_ws}/v1/realtime?model=gpt-realtime")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {ENGINE_KEY}").parse().unwrap());
    let (mut direct, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    events_until(&mut direct, "session.created").await;
    let expected = text_turn(&mut direct, "What are your opening hours?").await;
    direct.close(None).await.unwrap();
    // ...and through the proxy, with a staff token (no kiosk policy in the way).
    let mut ws = connect_as(&s, &token("desk-tablet", Role::Staff)).await.unwrap();
    events_until(&mut ws, "session.created").await;
    let relayed = text_turn(&mut ws, "What are your opening hours?").await;
    assert_eq!(relayed, expected);
    assert!(relayed.iter().any(|t| t == "response.output_text.delta"), "{relayed:?}");
    ws.close(None).await.unwrap();
    eventually("the session is counted closed", async || {
        metric(&s, "donna_ws_proxy_sessions_ended_total{reason=\"client_closed\"}").await == Some(1.0)
    })
    .await;
    assert!(metric(&s, "donna_ws_proxy_bytes_total{direction=\"upstream_to_client\"}").await.unwrap() > 100.0);
    eventually("the engine session ended too", async || engine.open_sessions() == 0).await;
}

