//! The engine under churn: for a given time, workers open realtime sessions that speak, flood
//! audio, send malformed and abusive events, and leave (with a close frame or by dropping the
//! connection), while the resident memory and threads of the engine's own process are sampled.
//! Memory that sessions leave behind shows as RSS that climbs from sample to sample.
//!
//! Run: `cargo bench -p donna-engine --bench soak -- 600` (seconds; default 120). The engine runs
//! as the app runs it (flite's voice, the offline recogniser; whisper too when
//! `DONNA_MODELS_DIR` holds the installed model) in a child process (this binary re-run with
//! `--serve-engine`), so the samples are its memory alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench that cannot set up should stop loudly

#[path = "../tests/util/mod.rs"]
mod util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys, OfflineTranscriber, WhisperModel};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const KEY: &str = "sk-soak";
const WORKERS: usize = 6;
const SAMPLE_EVERY: Duration = Duration::from_secs(30);
type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if args.iter().any(|a| a == "--serve-engine") {
        runtime.block_on(serve_engine());
        return;
    }
    let seconds = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse::<u64>().ok())
        .unwrap_or(120);
    runtime.block_on(soak(Duration::from_secs(seconds)));
}

/// The child: the engine on a loopback port, printed on stdout; it ends when stdin closes.
async fn serve_engine() {
    let reception = Arc::new(Reception::example().unwrap());
    let work = tempfile::tempdir().unwrap();
    let whisper = donna_models::installed_from_env();
    let stt = OfflineTranscriber::new(
        reception.desk().profile(),
        work.path(),
        whisper.as_deref().map(WhisperModel::at),
    )
    .unwrap();
    let engine = Engine::new(
        reception,
        Keys::new(KEY.to_owned()),
        EngineConfig {
            tts: Some(Arc::new(donna_speech::Tts::default())),
            stt: Some(Arc::new(stt)),
            ..EngineConfig::default()
        },
    );
    println!("{}", util::serve(&engine).await);
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
    })
    .await
    .unwrap();
}

/// `VmRSS` and `Threads` of process `pid`, in KiB and threads.
fn rss_and_threads(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("Threads:"))
}

async fn soak(run: Duration) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve-engine")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut addr = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut addr)
        .unwrap();
    let url = format!("ws://{}/v1/realtime?model=gpt-realtime", addr.trim());
    let pid = child.id();
    let speech = Arc::new(speech("Hi, I'm here to see Doctor Chen at two."));
    let sessions = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + run;
    println!("| time | engine RSS | threads | sessions so far |\n|---:|---:|---:|---:|");
    let (rss, threads) = rss_and_threads(pid);
    println!("| 0 s | {:.1} MiB | {threads} | 0 |", rss as f64 / 1024.0);
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (url, speech, sessions) = (url.clone(), speech.clone(), sessions.clone());
        workers.push(tokio::spawn(async move {
            let mut n = w;
            while Instant::now() < deadline {
                let scenario = tokio::time::timeout(Duration::from_secs(20), session(&url, n % 5, &speech));
                if scenario.await.is_err() {
                    eprintln!("a session (scenario {}) took over 20 s", n % 5);
                }
                sessions.fetch_add(1, Ordering::Relaxed);
                n += WORKERS;
            }
        }));
    }
    let mut next = started + SAMPLE_EVERY;
    while next <= deadline {
        tokio::time::sleep_until(next.into()).await;
        let (rss, threads) = rss_and_threads(pid);
        println!(
            "| {} s | {:.1} MiB | {threads} | {} |",
            next.duration_since(started).as_secs(),
            rss as f64 / 1024.0,
            sessions.load(Ordering::Relaxed)
        );
        next += SAMPLE_EVERY;
    }
    for w in workers {
        w.await.unwrap();
    }
    // Every session is over: what is still held after a quiet moment stays for good.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (rss, threads) = rss_and_threads(pid);
    println!(
        "\nafter the churn ({} sessions) and 10 s of quiet: {:.1} MiB, {threads} threads",
        sessions.load(Ordering::Relaxed),
        rss as f64 / 1024.0
    );
    drop(child.stdin.take());
    let _ = child.wait();
}

fn speech(text: &str) -> Vec<u8> {
    let wav = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", text])
        .output()
        .expect("espeak-ng")
        .stdout;
    let pcm = donna_speech::wav::decode_at(&wav, 24_000).unwrap();
    pcm.iter().flat_map(|s| s.to_le_bytes()).collect()
}

async fn connect(url: &str, key: &str) -> Option<Ws> {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .ok()
        .map(|(ws, _)| ws)
}

async fn send(ws: &mut Ws, event: Value) -> bool {
    ws.send(Message::Text(event.to_string().into())).await.is_ok()
}

fn append(pcm: &[u8]) -> Value {
    json!({ "type": "input_audio_buffer.append", "audio": base64::engine::general_purpose::STANDARD.encode(pcm) })
}

/// Read events until one of type `kind` (or the end of the stream).
async fn until(ws: &mut Ws, kind: &str) {
    while let Some(Ok(frame)) = ws.next().await {
        if let Message::Text(text) = frame
            && serde_json::from_str::<Value>(&text).is_ok_and(|e| e["type"] == kind)
        {
            return;
        }
    }
}

/// One session of the given scenario.
async fn session(url: &str, scenario: usize, speech: &[u8]) {
    if scenario == 4 {
        // A wrong key: refused before any session exists.
        assert!(connect(url, "sk-wrong").await.is_none());
        return;
    }
    let Some(mut ws) = connect(url, KEY).await else {
        return;
    };
    until(&mut ws, "session.created").await;
    match scenario {
        // A spoken turn answered in speech, then a polite goodbye.
        0 => {
            send(&mut ws, json!({ "type": "session.update", "session": { "type": "realtime",
                "audio": { "input": { "transcription": { "model": "whisper-1" }, "turn_detection": null } } } }))
            .await;
            for chunk in speech.chunks(4800) {
                send(&mut ws, append(chunk)).await;
            }
            send(&mut ws, json!({ "type": "input_audio_buffer.commit" })).await;
            send(&mut ws, json!({ "type": "response.create" })).await;
            until(&mut ws, "response.done").await;
            let _ = ws.close(None).await;
        }
        // Malformed and abusive events, then the connection dropped without a close.
        1 => {
            let _ = ws.send(Message::Text("{not json".into())).await;
            send(&mut ws, json!({ "type": "no.such.event" })).await;
            let _ = ws.send(Message::Binary(vec![0u8; 4096].into())).await;
            send(
                &mut ws,
                json!({ "type": "input_audio_buffer.append", "audio": "***" }),
            )
            .await;
            send(&mut ws, json!({ "type": "conversation.item.truncate", "item_id": "nope", "content_index": 0, "audio_end_ms": 5 })).await;
            send(
                &mut ws,
                json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user",
                "content": [{ "type": "input_text", "text": "x".repeat(100_000) }] } }),
            )
            .await;
            drop(ws);
        }
        // A minute of audio sent at once, then gone before it is decoded.
        2 => {
            let minute: Vec<u8> = speech.iter().copied().cycle().take(60 * 48_000).collect();
            for chunk in minute.chunks(48_000) {
                send(&mut ws, append(chunk)).await;
            }
            drop(ws);
        }
        // A text turn, a cancelled response and deletions of what does not exist.
        _ => {
            send(&mut ws, json!({ "type": "session.update", "session": { "type": "realtime", "output_modalities": ["text"] } })).await;
            send(
                &mut ws,
                json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user",
                "content": [{ "type": "input_text", "text": "Where is physiotherapy?" }] } }),
            )
            .await;
            send(&mut ws, json!({ "type": "response.create" })).await;
            send(&mut ws, json!({ "type": "response.cancel" })).await;
            send(
                &mut ws,
                json!({ "type": "conversation.item.delete", "item_id": "item_none" }),
            )
            .await;
            send(&mut ws, json!({ "type": "response.create" })).await;
            until(&mut ws, "response.done").await;
            let _ = ws.close(None).await;
        }
    }
}
