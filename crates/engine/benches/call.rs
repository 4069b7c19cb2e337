//! A WebRTC call against a WebSocket on the local engine, side by side in one run:
//! - connecting: from the client's first step to `session.created` (a call's first step
//!   includes creating its peer connection and gathering its candidates);
//! - a spoken turn: from the client receiving `input_audio_buffer.speech_stopped` to Donna's
//!   first audio: the first `response.output_audio.delta` on a WebSocket; on a call, the first
//!   speech decoded from the engine's track (and, for reference, `output_audio_buffer.started`);
//! - the same turn through the kiosk's own client (`RealtimeClient` over its WebRTC and its
//!   WebSocket transports), from the client seeing the visitor's turn end to Donna's first
//!   speech it can play, and its connect time to a configured session;
//! - the cost of a call's audio: Opus encoding and decoding a second of speech at 24 kHz, next to
//!   what a WebSocket pays instead (base64 of the same PCM), as a share of one core.
//!
//! Run: `cargo bench -p donna-engine --bench call` (espeak-ng speaks the visitor; the engine
//! hears with its pocketsphinx recogniser and answers with flite, as shipped without whisper).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench that cannot set up should stop loudly

#[path = "../tests/caller/mod.rs"]
mod caller;
#[path = "../tests/util/mod.rs"]
mod util;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use caller::{Caller, post_offer};
use donna_engine::OfflineTranscriber;
use donna_realtime::protocol::SessionConfig;
use donna_realtime::transport::webrtc::WebRtcConnector;
use donna_realtime::transport::websocket::WebSocketConnector;
use donna_realtime::{AgentState, ClientConfig, Credential, RealtimeClient, UiUpdate};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const KEY: &str = "sk-bench";
const CONNECTS: usize = 20;
/// Passes over the speech when costing its audio, for a CPU time well above the clock's tick.
const REPEATS: u32 = 30;
const ROUNDS: usize = 2;
const PHRASES: &[&str] = &[
    "Where is physiotherapy?",
    "What time do you close today?",
    "Where are the toilets?",
    "Is Sarah Nguyen in today?",
];
/// Speech level for a 20 ms window of decoded audio.
const LOUD_RMS: f64 = 300.0;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn spoken(text: &str) -> Vec<i16> {
    let wav = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", text])
        .output()
        .expect("espeak-ng")
        .stdout;
    let mut pcm = vec![0i16; 24 * 200];
    pcm.extend(donna_speech::wav::decode_at(&wav, 24_000).unwrap());
    pcm.extend(std::iter::repeat_n(0i16, 24 * 700));
    pcm
}

async fn serve(work: &std::path::Path) -> String {
    let desk = donna_desk::Desk::load(None).unwrap();
    let stt = OfflineTranscriber::new(desk.profile(), work, None).unwrap();
    let engine = util::speaking_engine(desk, Arc::new(stt), KEY);
    util::serve(&engine).await.to_string()
}

fn update() -> Value {
    json!({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"],
        "audio": {"input": {"transcription": {"model": "whisper-1"},
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 300}}}}})
}

async fn ws_connect(addr: &str) -> Ws {
    let mut req = format!("ws://{addr}/v1/realtime?model=gpt-realtime")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn ws_next(ws: &mut Ws) -> Value {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => {}
            other => panic!("the session ended: {other:?}"),
        }
    }
}

/// A call up to its events channel being open; `session.created` is the caller's next event.
async fn call(addr: &str, with_mic: bool) -> (Caller, Option<caller::Mic>) {
    let (mut caller, mic, offer) = if with_mic {
        let (caller, mic, offer) = Caller::with_mic().await;
        (caller, Some(mic), offer)
    } else {
        let (caller, offer) = Caller::new().await;
        (caller, None, offer)
    };
    let response = post_offer(addr, Some(KEY), "application/sdp", offer).await;
    assert_eq!(response.status(), 201);
    caller.answered(response.text().await.unwrap()).await;
    (caller, mic)
}

/// Seconds from `speech_stopped` to the first audio of the answer, over a WebSocket.
async fn ws_turn(addr: &str, pcm: Vec<i16>) -> f64 {
    let mut ws = ws_connect(addr).await;
    ws_next(&mut ws).await;
    ws.send(Message::text(update().to_string())).await.unwrap();
    ws_next(&mut ws).await;
    let (mut tx, mut rx) = ws.split();
    let mic = tokio::spawn(async move {
        let mut clock = tokio::time::interval(Duration::from_millis(20));
        for chunk in pcm.chunks(480) {
            clock.tick().await;
            let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
            let event = json!({"type": "input_audio_buffer.append",
                "audio": base64::engine::general_purpose::STANDARD.encode(bytes)});
            if tx.send(Message::text(event.to_string())).await.is_err() {
                break;
            }
        }
        tx
    });
    // A WebSocket client plays the first delta as it arrives and the rest after it without a
    // gap (they come faster than speech): Donna is first heard at the first delta's arrival
    // plus the quiet her audio opens with.
    let (mut stopped, mut first_delta, mut audio) = (None, None, Vec::new());
    let elapsed = loop {
        let event = match rx.next().await {
            Some(Ok(Message::Text(t))) => serde_json::from_str::<Value>(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("the session ended before the answer: {other:?}"),
        };
        match event["type"].as_str().unwrap_or_default() {
            "input_audio_buffer.speech_stopped" => stopped = Some(Instant::now()),
            "response.output_audio.delta" => {
                let at = *first_delta.get_or_insert_with(Instant::now);
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(event["delta"].as_str().unwrap_or_default())
                    .unwrap();
                audio.extend(bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
                if let Some(quiet) = first_loud(&audio) {
                    let heard = at + Duration::from_secs_f64(quiet as f64 / 24_000.0);
                    break heard - stopped.expect("speech_stopped first");
                }
            }
            "error" => panic!("{event}"),
            _ => {}
        }
    };
    if let Ok(mut tx) = mic.await {
        let _ = tx.close().await;
    }
    elapsed.as_secs_f64()
}

/// Where the first loud 20 ms of `pcm` starts, in samples.
fn first_loud(pcm: &[i16]) -> Option<usize> {
    pcm.chunks_exact(480)
        .position(|w| {
            (w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / w.len() as f64).sqrt() > LOUD_RMS
        })
        .map(|i| i * 480)
}

/// Over a call: seconds from `speech_stopped` to the first speech decoded from Donna's track,
/// and to `output_audio_buffer.started`.
async fn call_turn(addr: &str, pcm: Vec<i16>) -> (f64, f64) {
    let (mut caller, mic) = call(addr, true).await;
    caller.recv().await;
    caller.send(update()).await;
    caller.until("session.updated").await;
    let mut mic = mic.unwrap();
    let speaking = tokio::spawn(async move {
        mic.say(&pcm).await;
        mic
    });
    let (at, mark) = loop {
        let event = caller.recv().await;
        match event["type"].as_str().unwrap_or_default() {
            "input_audio_buffer.speech_stopped" => {
                break (Instant::now(), caller.heard.lock().unwrap().len());
            }
            "error" => panic!("{event}"),
            _ => {}
        }
    };
    // The track's first loud 20 ms after the mark, watched every millisecond.
    let heard_at = loop {
        let loud = first_loud(&caller.heard.lock().unwrap()[mark..]).is_some();
        if loud {
            break at.elapsed();
        }
        assert!(at.elapsed() < Duration::from_secs(20), "no answer on the track");
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let started = loop {
        let event = caller.recv().await;
        if event["type"] == "output_audio_buffer.started" {
            break event["heard_samples"].as_u64().unwrap_or_default();
        }
    };
    let _ = speaking.await;
    caller.pc.close().await.unwrap();
    // `started` arrived before the track's speech was found: its time is read from the samples
    // the caller had when it arrived, 24 a millisecond after the mark.
    let started_s = (started.saturating_sub(mark as u64)) as f64 / 24_000.0;
    (heard_at.as_secs_f64(), started_s)
}

/// The kiosk's client, over either transport, configured for server VAD.
async fn kiosk_client(addr: &str, webrtc: bool) -> RealtimeClient {
    let base = format!("http://{addr}/v1");
    let session: SessionConfig = serde_json::from_value(update()["session"].clone()).unwrap();
    let config = ClientConfig::new(session);
    let credential = Credential::new(KEY);
    if webrtc {
        let connector = WebRtcConnector::new(&base, "gpt-realtime", credential).unwrap();
        RealtimeClient::connect_with(connector, config).await.unwrap()
    } else {
        let connector = WebSocketConnector::new(&base, "gpt-realtime", credential).unwrap();
        RealtimeClient::connect_with(connector, config).await.unwrap()
    }
}

/// Through the kiosk's client: seconds from the visitor's turn ending (the session going to
/// "thinking" on `speech_stopped`) to the first loud 20 ms of Donna's audio it can play. A
/// sample can be played neither before it arrives nor before the samples ahead of it have
/// played from the first one's arrival: that is the moment counted, on either transport.
async fn client_turn(addr: &str, webrtc: bool, pcm: Vec<i16>) -> f64 {
    let client = Arc::new(kiosk_client(addr, webrtc).await);
    let mut updates = client.subscribe();
    let mic = client.clone();
    let speaking = tokio::spawn(async move {
        let mut clock = tokio::time::interval(Duration::from_millis(20));
        for chunk in pcm.chunks(480) {
            clock.tick().await;
            let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
            if mic.append_audio(bytes).await.is_err() {
                break;
            }
        }
    });
    let (mut ended, mut first, mut audio) = (None, None, Vec::new());
    let elapsed = loop {
        match updates.recv().await.expect("the session goes on") {
            UiUpdate::State {
                state: AgentState::Thinking,
            } if ended.is_none() => ended = Some(Instant::now()),
            UiUpdate::AssistantAudio { audio: bytes, .. } if ended.is_some() => {
                let now = Instant::now();
                let first = *first.get_or_insert(now);
                audio.extend(bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
                if let Some(quiet) = first_loud(&audio) {
                    let paced = first + Duration::from_secs_f64(quiet as f64 / 24_000.0);
                    break paced.max(now) - ended.expect("the turn ended first");
                }
            }
            UiUpdate::Error {
                message,
                benign: false,
                ..
            } => panic!("{message}"),
            _ => {}
        }
    };
    let _ = speaking.await;
    if let Ok(client) = Arc::try_unwrap(client) {
        let _ = client.close().await;
    }
    elapsed.as_secs_f64()
}

/// One line per transport, p50 and p95 in milliseconds; returns the two p50s.
fn report(title: &str, ws: Vec<f64>, call: Vec<f64>) -> (f64, f64) {
    let (ws_p50, ws_p95) = summary(ws);
    let (call_p50, call_p95) = summary(call);
    println!("{title}:");
    for (name, p50, p95) in [("websocket", ws_p50, ws_p95), ("webrtc", call_p50, call_p95)] {
        println!("  {name:<10} p50 {:7.1} ms  p95 {:7.1} ms", p50 * 1e3, p95 * 1e3);
    }
    (ws_p50, call_p50)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (percentile(&values, 0.5), percentile(&values, 0.95))
}

/// CPU seconds this thread has used (user and system, from `/proc`).
fn thread_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    // After the command name: state is field 3, utime 14 and stime 15, in clock ticks (100 Hz).
    let ticks = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// CPU seconds per second of speech, each on this thread: Opus encoding at 24 kHz in 20 ms
/// frames at the engine's complexity and at Opus's default (10), decoding, and what a WebSocket
/// pays instead (base64 of the same PCM both ways, in 100 ms events).
struct AudioCost {
    encode: f64,
    encode_default: f64,
    decode: f64,
    base64: f64,
}

fn audio_cost(speech: &[i16]) -> AudioCost {
    let seconds = speech.len() as f64 * f64::from(REPEATS) / 24_000.0;
    let encode_at = |complexity: i32| {
        let mut encoder = opus::Encoder::new(24_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
        encoder.set_bitrate(opus::Bitrate::Bits(32_000)).unwrap();
        encoder.set_complexity(complexity).unwrap();
        let mut packet = vec![0u8; 4000];
        let mut packets = Vec::new();
        let start = thread_cpu();
        for _ in 0..REPEATS {
            for frame in speech.chunks_exact(480) {
                let n = encoder.encode(frame, &mut packet).unwrap();
                packets.push(packet[..n].to_vec());
            }
        }
        ((thread_cpu() - start) / seconds, packets)
    };
    let (encode, packets) = encode_at(donna_realtime::transport::webrtc::media::COMPLEXITY);
    let (encode_default, _) = encode_at(10);
    let mut decoder = opus::Decoder::new(24_000, opus::Channels::Mono).unwrap();
    let mut pcm = vec![0i16; 2880];
    let start = thread_cpu();
    for packet in &packets {
        decoder.decode(packet, &mut pcm, false).unwrap();
    }
    let decode = (thread_cpu() - start) / seconds;
    let start = thread_cpu();
    for _ in 0..REPEATS {
        for frame in speech.chunks_exact(2400) {
            let bytes: Vec<u8> = frame.iter().flat_map(|s| s.to_le_bytes()).collect();
            let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let back = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
            std::hint::black_box(back);
        }
    }
    let base64 = (thread_cpu() - start) / seconds;
    AudioCost {
        encode,
        encode_default,
        decode,
        base64,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let work = tempfile::tempdir().unwrap();
    let addr = serve(work.path()).await;

    // Connecting, alternating so both see the same machine.
    let (mut ws_times, mut call_times) = (Vec::new(), Vec::new());
    for _ in 0..CONNECTS {
        let start = Instant::now();
        let mut ws = ws_connect(&addr).await;
        assert_eq!(ws_next(&mut ws).await["type"], "session.created");
        ws_times.push(start.elapsed().as_secs_f64());
        let _ = ws.close(None).await;

        let start = Instant::now();
        let (mut caller, _) = call(&addr, false).await;
        assert_eq!(caller.recv().await["type"], "session.created");
        call_times.push(start.elapsed().as_secs_f64());
        caller.pc.close().await.unwrap();
    }
    let (ws_p50, call_p50) = report(
        &format!("connect to session.created, {CONNECTS} each"),
        ws_times,
        call_times,
    );
    println!("  ratio webrtc/websocket p50 {:.1}", call_p50 / ws_p50);

    // A spoken turn, alternating transports phrase by phrase.
    let (mut ws_turns, mut call_turns, mut started) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for phrase in PHRASES {
            ws_turns.push(ws_turn(&addr, spoken(phrase)).await);
            let (heard, told) = call_turn(&addr, spoken(phrase)).await;
            call_turns.push(heard);
            started.push(told);
        }
    }
    let turns = ws_turns.len();
    let (started_p50, _) = summary(started);
    let (ws_p50, call_p50) = report(
        &format!(
            "speech_stopped to Donna's first audio (websocket: first speech played; webrtc: first speech on the track), {turns} turns each"
        ),
        ws_turns,
        call_turns,
    );
    println!(
        "  webrtc output_audio_buffer.started p50 {:6.0} ms",
        started_p50 * 1e3
    );
    println!("  difference p50 {:+.0} ms", (call_p50 - ws_p50) * 1e3);

    // The kiosk's own client: connecting to a configured session, then the same turns.
    let (mut ws_times, mut call_times) = (Vec::new(), Vec::new());
    for _ in 0..CONNECTS {
        for (webrtc, times) in [(false, &mut ws_times), (true, &mut call_times)] {
            let start = Instant::now();
            let client = kiosk_client(&addr, webrtc).await;
            times.push(start.elapsed().as_secs_f64());
            let _ = client.close().await;
        }
    }
    report(
        &format!("the kiosk's client, connect to a configured session, {CONNECTS} each"),
        ws_times,
        call_times,
    );
    let (mut ws_turns, mut call_turns) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for phrase in PHRASES {
            ws_turns.push(client_turn(&addr, false, spoken(phrase)).await);
            call_turns.push(client_turn(&addr, true, spoken(phrase)).await);
        }
    }
    let turns = ws_turns.len();
    let (ws_p50, call_p50) = report(
        &format!("the kiosk's client, end of the visitor's turn to Donna's first speech, {turns} turns each"),
        ws_turns,
        call_turns,
    );
    println!("  difference p50 {:+.0} ms", (call_p50 - ws_p50) * 1e3);

    let speech: Vec<i16> = PHRASES.iter().flat_map(|p| spoken(p)).collect();
    let cost = audio_cost(&speech);
    let percent = |share: f64| share * 100.0;
    println!("audio cost, % of one core per second of speech:");
    println!(
        "  opus encode (complexity {}) {:.3}  (complexity 10: {:.3})",
        donna_realtime::transport::webrtc::media::COMPLEXITY,
        percent(cost.encode),
        percent(cost.encode_default)
    );
    println!("  opus decode {:.3}", percent(cost.decode));
    println!(
        "  a call's audio both ways {:.3}; a websocket's base64 both ways {:.3}",
        percent(cost.encode + cost.decode),
        percent(cost.base64)
    );
}
