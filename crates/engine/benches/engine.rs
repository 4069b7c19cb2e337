//! Engine latency and capacity over real WebSockets on loopback, in one run:
//! - time from `response.create` to the first `response.output_text.delta`, side by side with
//!   the round trip of the cheapest request the engine answers (`conversation.item.retrieve`),
//!   so the ratio shows what producing an answer costs on top of the socket;
//! - many sessions streaming answers at once: responses and events per CPU-second.
//!
//! Run: `cargo bench -p donna-engine --bench engine`

#![allow(clippy::unwrap_used)] // a bench that cannot set up should stop loudly

#[path = "../../../benches/support/cpu_time.rs"]
mod cpu_time;

use cpu_time::cpu_seconds;
use std::sync::Arc;
use std::time::{Duration, Instant};

use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const KEY: &str = "sk-bench";
type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(addr: &str) -> Ws {
    let mut req = format!("ws://{addr}/v1/realtime?model=gpt-realtime")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    send(
        &mut ws,
        json!({ "type": "session.update", "session": { "type": "realtime", "output_modalities": ["text"] } }),
    )
    .await;
    until(&mut ws, "session.updated").await;
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Read until an event of `kind`; returns how many events were read.
async fn until(ws: &mut Ws, kind: &str) -> usize {
    let mut n = 0;
    while let Some(Ok(msg)) = ws.next().await {
        if let Message::Text(t) = msg {
            n += 1;
            if t.contains(&format!("\"type\":\"{kind}\"")) {
                return n;
            }
        }
    }
    panic!("stream ended before {kind}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let engine = Engine::new(Arc::new(Reception::example().unwrap()), Keys::new(KEY.into()), EngineConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let app = engine.router();
        // As the gateway serves it: Nagle off.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move { axum::serve(listener, app).await });

        // 1. Latency, one session.
        let mut ws = connect(&addr).await;
        send(&mut ws, json!({ "type": "conversation.item.create", "item": { "id": "item_bench", "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "What's the wifi password?" }] } })).await;
        until(&mut ws, "conversation.item.done").await;
        let rounds = 2000;
        let (mut first_delta, mut round_trip) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
        for _ in 0..rounds {
            let t = Instant::now();
            send(&mut ws, json!({ "type": "conversation.item.retrieve", "item_id": "item_bench" })).await;
            until(&mut ws, "conversation.item.retrieved").await;
            round_trip.push(t.elapsed());

            let t = Instant::now();
            send(&mut ws, json!({ "type": "response.create", "response": { "conversation": "none" } })).await;
            until(&mut ws, "response.output_text.delta").await;
            first_delta.push(t.elapsed());
            until(&mut ws, "rate_limits.updated").await;
        }
        first_delta.sort();
        round_trip.sort();
        println!("latency over {rounds} rounds, one session (loopback WebSocket):");
        for (name, v) in [("response.create -> first text delta", &first_delta), ("item.retrieve round trip (baseline)", &round_trip)] {
            println!(
                "  {name:<38} p50 {:>7.1} us   p95 {:>7.1} us   p99 {:>7.1} us",
                percentile(v, 0.5).as_secs_f64() * 1e6,
                percentile(v, 0.95).as_secs_f64() * 1e6,
                percentile(v, 0.99).as_secs_f64() * 1e6
            );
        }
        println!(
            "  ratio first delta / baseline at p50: {:.2}x",
            percentile(&first_delta, 0.5).as_secs_f64() / percentile(&round_trip, 0.5).as_secs_f64()
        );

        // 2. Capacity: sessions streaming answers back to back.
        for sessions in [10usize, 100] {
            let run_for = Duration::from_secs(5);
            let cpu0 = cpu_seconds();
            let start = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..sessions {
                let addr = addr.clone();
                tasks.push(tokio::spawn(async move {
                    let mut ws = connect(&addr).await;
                    send(&mut ws, json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "Where can I park?" }] } })).await;
                    until(&mut ws, "conversation.item.done").await;
                    let (mut responses, mut events) = (0u64, 0u64);
                    let deadline = Instant::now() + run_for;
                    while Instant::now() < deadline {
                        send(&mut ws, json!({ "type": "response.create", "response": { "conversation": "none" } })).await;
                        events += until(&mut ws, "rate_limits.updated").await as u64;
                        responses += 1;
                    }
                    (responses, events)
                }));
            }
            let (mut responses, mut events) = (0, 0);
            for t in tasks {
                let (r, e) = t.await.unwrap();
                responses += r;
                events += e;
            }
            let wall = start.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - cpu0;
            println!(
                "{sessions:>4} sessions streaming for {:.0} s: {:>8.0} responses/s, {:>9.0} events/s, {:.2} cores busy (client and engine in one process), {:.0} responses per CPU-second",
                run_for.as_secs_f64(),
                responses as f64 / wall,
                events as f64 / wall,
                cpu / wall,
                responses as f64 / cpu
            );
        }
    });
}
