//! A spoken turn on the local engine, from the end of the visitor's speech to the first audio
//! delta of Donna's answer, over a real WebSocket with server VAD: in-domain phrases (what a
//! front desk hears every day) and free-form ones. Three engines side by side in the same run:
//! the engine's recogniser (fast path, whisper when unsure) as shipped, whose whisper reads its
//! full 30 s window; the same with whisper reading a window fitted to each utterance; and
//! whisper alone (full window). Each turn's transcript comes back as the protocol's
//! transcription event, and the word error rate of each set is counted from them.
//!
//! Run: `DONNA_MODELS_DIR=target/donna-models cargo bench -p donna-engine --bench voice_turn`
//! (`donna models install` with the same `DONNA_MODELS_DIR` puts the model there).
//! The visitor's speech is espeak-ng's `en-us` voice at 150 words a minute, sent in 20 ms appends
//! at the pace of speech.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench that cannot set up should stop loudly

#[path = "../../../benches/support/cpu_time.rs"]
mod cpu_time;
#[path = "../tests/util/mod.rs"]
mod util;

use cpu_time::cpu_seconds;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use donna_engine::{OfflineTranscriber, WhisperModel};
use donna_speech::stt::Window;
use donna_speech::stt::text::word_errors;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const KEY: &str = "sk-bench";
type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const IN_DOMAIN: &[&str] = &[
    "Hi, I'm here to see Doctor Chen at two.",
    "Where is physiotherapy?",
    "I have a delivery for Maria Lopez.",
    "What time do you close today?",
    "I'm here to see Priya Shah.",
    "Where are the toilets?",
    "Is Sarah Nguyen in today?",
    "I have an appointment at half past ten.",
];

const FREE_FORM: &[&str] = &[
    "My name is Oluwaseun Adebayo and I am from the city council.",
    "Could you call me a taxi to the train station please?",
    "I think I left my umbrella in the waiting room yesterday.",
    "Does the number twelve bus stop outside the building?",
    "Is there somewhere I can charge my phone while I wait?",
    "My mother is upstairs and I have come to drive her home.",
    "Can I leave my bicycle by the front door for an hour?",
    "I am not feeling well and I need to sit down somewhere quiet.",
];

fn speech(text: &str) -> Vec<i16> {
    let wav = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", text])
        .output()
        .expect("espeak-ng")
        .stdout;
    donna_speech::wav::decode_at(&wav, 24_000).unwrap()
}

async fn serve(stt: OfflineTranscriber) -> String {
    let desk = donna_desk::Desk::load(None).unwrap();
    let engine = util::speaking_engine(desk, Arc::new(stt), KEY);
    let url = format!(
        "ws://{}/v1/realtime?model=gpt-realtime",
        util::serve(&engine).await
    );
    url
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// One turn: seconds from `speech_stopped` to the first audio delta, and the transcript.
async fn turn(url: &str, pcm: &[i16]) -> (f64, String) {
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    next(&mut ws).await;
    let update = json!({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"],
        "audio": {"input": {"transcription": {"model": "whisper-1"},
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 300}}}}});
    ws.send(Message::text(update.to_string())).await.unwrap();
    next(&mut ws).await;
    let mut audio = vec![0i16; 24 * 200];
    audio.extend_from_slice(pcm);
    audio.extend(std::iter::repeat_n(0i16, 24 * 600));
    let (mut tx, mut rx) = ws.split();
    // The microphone's side: 20 ms appends at the pace of speech, while the events are read.
    let speaker = tokio::spawn(async move {
        for chunk in audio.chunks(480) {
            let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
            let event = json!({"type": "input_audio_buffer.append",
                "audio": base64::engine::general_purpose::STANDARD.encode(bytes)});
            if tx.send(Message::text(event.to_string())).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Keep the connection open until the answer is in: the reader ends the session.
        tx
    });
    let (mut stopped, mut elapsed, mut transcript) = (None, None, None);
    while elapsed.is_none() || transcript.is_none() {
        let text = match rx.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            other => panic!("the session ended before the answer: {other:?}"),
        };
        let event: Value = serde_json::from_str(&text).unwrap();
        match event["type"].as_str().unwrap() {
            "input_audio_buffer.speech_stopped" => stopped = Some(Instant::now()),
            "response.output_audio.delta" if elapsed.is_none() => {
                elapsed = Some(stopped.expect("speech_stopped first").elapsed().as_secs_f64());
            }
            "conversation.item.input_audio_transcription.completed" => {
                transcript = Some(event["transcript"].as_str().unwrap_or_default().to_owned());
            }
            "error" => panic!("{event}"),
            _ => {}
        }
    }
    if let Ok(mut tx) = speaker.await {
        let _ = tx.close().await;
    }
    (elapsed.unwrap_or_default(), transcript.unwrap_or_default())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    let Some(model) = donna_models::installed_from_env() else {
        println!("set DONNA_MODELS_DIR to where `donna models install` put the whisper model");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let profile = donna_desk::Desk::load(None).unwrap().profile().clone();
        let work = tempfile::tempdir().unwrap();
        let engine = |dir: &str, window: Window| {
            let model = WhisperModel {
                window,
                ..WhisperModel::at(&model)
            };
            OfflineTranscriber::new(&profile, &work.path().join(dir), Some(model)).unwrap()
        };
        let urls = [
            ("recogniser", serve(engine("a", Window::Full)).await),
            ("fitted window", serve(engine("b", Window::Fitted)).await),
            (
                "whisper only",
                serve(engine("c", Window::Full).always_accurate()).await,
            ),
        ];
        println!(
            "{:<10} {:<13} {:>6} {:>9} {:>9} {:>13} {:>6}",
            "phrases", "path", "turns", "p50 ms", "p95 ms", "CPU s/audio s", "WER %"
        );
        for (set, phrases) in [("in-domain", IN_DOMAIN), ("free-form", FREE_FORM)] {
            let audio: Vec<Vec<i16>> = phrases.iter().map(|p| speech(p)).collect();
            let mut p50s = Vec::new();
            for (name, url) in &urls {
                let mut times = Vec::new();
                let (cpu, mut seconds, mut errors, mut words) = (cpu_seconds(), 0.0, 0, 0);
                for _round in 0..2 {
                    for (phrase, pcm) in phrases.iter().zip(&audio) {
                        let (elapsed, transcript) = turn(url, pcm).await;
                        times.push(elapsed);
                        seconds += pcm.len() as f64 / 24_000.0;
                        let (e, n) = word_errors(phrase, &transcript);
                        (errors, words) = (errors + e, words + n);
                        if std::env::var_os("DONNA_BENCH_VERBOSE").is_some() {
                            println!("  {name}: {phrase:?} -> {transcript:?} {:.0} ms", elapsed * 1e3);
                        }
                    }
                }
                times.sort_by(f64::total_cmp);
                let used = cpu_seconds() - cpu;
                println!(
                    "{set:<10} {name:<13} {:>6} {:>9.0} {:>9.0} {:>13.2} {:>6.1}",
                    times.len(),
                    pct(&times, 0.5) * 1000.0,
                    pct(&times, 0.95) * 1000.0,
                    used / seconds,
                    100.0 * errors as f64 / words.max(1) as f64
                );
                p50s.push(pct(&times, 0.5));
            }
            println!(
                "{set:<10} ratio of p50s, fitted window / recogniser: {:.2}, recogniser / whisper only: {:.2}",
                p50s[1] / p50s[0],
                p50s[0] / p50s[2]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}
