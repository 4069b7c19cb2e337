//! A spoken check-in, end to end through the realtime protocol with no cloud: visitor speech
//! (generated with espeak-ng) goes in as `input_audio_buffer.append` frames, the engine's
//! offline recogniser transcribes it, the desk checks the visitor in, and the answer comes back
//! as synthesised speech. Both turn modes: server VAD, and manual commit + `response.create`.
//!
//! The visitor's name is outside the profile's sentences, so whisper must be there: the tests
//! need `DONNA_MODELS_DIR` to hold the installed model (`scripts/test.sh` installs it there; under
//! CI a missing model fails the test, elsewhere it is skipped).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys, OfflineTranscriber, WhisperModel};
use donna_speech::SttError;
use donna_speech::stt::{Heard, Transcriber};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const KEY: &str = "sk-speech-test";

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn whisper_model() -> Option<PathBuf> {
    match donna_models::installed_from_env() {
        Some(p) => Some(p),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install the whisper model (scripts/test.sh sets DONNA_MODELS_DIR)"
            );
            eprintln!("skipped: the whisper model is not installed (set DONNA_MODELS_DIR)");
            None
        }
    }
}

struct Desk {
    url: String,
    reception: Arc<Reception>,
    _work: tempfile::TempDir,
}

/// The offline recogniser without its live mode: every utterance is transcribed whole after
/// its commit, the path a session falls back to when no live decoder can be had.
#[derive(Debug)]
struct WholeUtterances(OfflineTranscriber);

impl Transcriber for WholeUtterances {
    fn transcribe(&self, pcm: &[i16]) -> Result<Heard, SttError> {
        self.0.transcribe(pcm)
    }
}

async fn engine(whisper: PathBuf, live: bool) -> Desk {
    // Thursday 26 November 2026, 10:00 in London: the example clinic is open.
    let thursday: jiff::Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
    let desk = donna_desk::Desk::load(None).unwrap().with_fixed_time(thursday);
    let work = tempfile::tempdir().unwrap();
    let stt = OfflineTranscriber::new(desk.profile(), work.path(), Some(WhisperModel::at(&whisper))).unwrap();
    let store = donna_desk::store::Store::open_in_memory().unwrap();
    let reception = Arc::new(Reception::new(desk, store, Vec::new()));
    let engine = Engine::new(
        reception.clone(),
        Keys::new(KEY.to_owned()),
        EngineConfig {
            tts: Some(Arc::new(donna_speech::Tts::default())),
            stt: Some(if live {
                Arc::new(stt) as Arc<dyn Transcriber>
            } else {
                Arc::new(WholeUtterances(stt))
            }),
            ..EngineConfig::default()
        },
    );
    let url = format!(
        "ws://{}/v1/realtime?model=gpt-realtime",
        util::serve(&engine).await
    );
    Desk {
        url,
        reception,
        _work: work,
    }
}

async fn connect(url: &str) -> Ws {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn send(ws: &mut Ws, event: Value) {
    ws.send(Message::text(event.to_string())).await.unwrap();
}

async fn next(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("an event within 60 s")
            .expect("the session is open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// `text` spoken by espeak-ng, as PCM16 mono 24 kHz.
fn speech(text: &str) -> Vec<i16> {
    let out = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", text])
        .output()
        .expect("espeak-ng is installed (scripts/test.sh installs it)");
    assert!(out.status.success());
    donna_speech::wav::decode_at(&out.stdout, 24_000).unwrap()
}

/// Send `pcm` with silence around it, as the microphone would, in 20 ms appends; `paced`, at
/// the pace of speech (20 ms apart), else as fast as the socket takes them.
async fn speak(ws: &mut Ws, pcm: &[i16], paced: bool) {
    let mut audio = vec![0i16; 24 * 300];
    audio.extend_from_slice(pcm);
    audio.extend(std::iter::repeat_n(0i16, 24 * 900));
    for chunk in audio.chunks(480) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        send(ws, json!({"type": "input_audio_buffer.append", "audio": b64})).await;
        if paced {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One answered turn: the transcript, the spoken answer's transcript and its audio.
struct Turn {
    transcript: String,
    answer: String,
    audio: Vec<i16>,
    kinds: Vec<String>,
}

async fn answer(ws: &mut Ws) -> Turn {
    let mut turn = Turn {
        transcript: String::new(),
        answer: String::new(),
        audio: Vec::new(),
        kinds: Vec::new(),
    };
    loop {
        let event = next(ws).await;
        let kind = event["type"].as_str().unwrap().to_owned();
        assert_ne!(kind, "error", "{event}");
        match kind.as_str() {
            "conversation.item.input_audio_transcription.completed" => {
                turn.transcript = event["transcript"].as_str().unwrap().to_owned();
            }
            "response.output_audio_transcript.delta" => {
                turn.answer.push_str(event["delta"].as_str().unwrap())
            }
            "response.output_audio.delta" => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(event["delta"].as_str().unwrap())
                    .unwrap();
                turn.audio
                    .extend(bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
            }
            _ => {}
        }
        let done = kind == "response.done";
        turn.kinds.push(kind);
        if done {
            return turn;
        }
    }
}

/// Words of `reference` the transcript got wrong, as a share (substitutions, deletions and
/// insertions over the reference's length).
fn word_error_rate(reference: &str, hypothesis: &str) -> f32 {
    let words = |s: &str| -> Vec<String> {
        s.to_lowercase()
            .replace("dr.", "doctor")
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .filter(|w| !w.is_empty())
            .map(|w| if w == "2" { "two".to_owned() } else { w.to_owned() })
            .collect()
    };
    let (r, h) = (words(reference), words(hypothesis));
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(rw != hw)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[h.len()] as f32 / r.len().max(1) as f32
}

fn rms(pcm: &[i16]) -> f64 {
    (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len().max(1) as f64).sqrt()
}

/// Speech of a plausible length for the words it carries: 0.15 to 1 s a word.
fn assert_spoken(turn: &Turn) {
    let seconds = turn.audio.len() as f64 / 24_000.0;
    let words = turn.answer.split_whitespace().count() as f64;
    assert!(
        seconds > words * 0.15 && seconds < words * 1.0 + 1.0,
        "{seconds:.2} s of audio for {words} words: {:?}",
        turn.answer
    );
    assert!(rms(&turn.audio) > 500.0, "audible speech");
}

async fn check_in(server_vad: bool, live: bool) {
    let Some(whisper) = whisper_model() else {
        return;
    };
    let desk = engine(whisper, live).await;
    let mut ws = connect(&desk.url).await;
    assert_eq!(next(&mut ws).await["type"], "session.created");
    let turn_detection = if server_vad {
        json!({"type": "server_vad", "silence_duration_ms": 500})
    } else {
        Value::Null
    };
    send(
        &mut ws,
        json!({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"],
            "audio": {"input": {"transcription": {"model": "whisper-1"}, "turn_detection": turn_detection}}}}),
    )
    .await;
    assert_eq!(next(&mut ws).await["type"], "session.updated");

    let said = "Hi, I'm here to see Doctor Chen at two.";
    let name = "My name is Ann Walker.";
    let mut turns = Vec::new();
    for line in [said, name] {
        speak(&mut ws, &speech(line), server_vad).await;
        if !server_vad {
            send(&mut ws, json!({"type": "input_audio_buffer.commit"})).await;
            send(&mut ws, json!({"type": "response.create"})).await;
        }
        let turn = answer(&mut ws).await;
        let wer = word_error_rate(line, &turn.transcript);
        assert!(
            wer <= 0.25,
            "{line:?} heard as {:?} (WER {wer:.2})",
            turn.transcript
        );
        // The transcript comes before the answer that depends on it.
        let completed = turn
            .kinds
            .iter()
            .position(|k| k == "conversation.item.input_audio_transcription.completed")
            .unwrap();
        let created = turn.kinds.iter().position(|k| k == "response.created").unwrap();
        assert!(completed < created, "{:?}", turn.kinds);
        let at = |kind: &str| turn.kinds.iter().position(|k| k == kind);
        if server_vad {
            assert!(at("input_audio_buffer.speech_started") < at("input_audio_buffer.speech_stopped"));
            assert!(at("input_audio_buffer.speech_stopped") < at("input_audio_buffer.committed"));
        }
        if server_vad && live {
            // Live captions: the visitor's words appear while they are still speaking.
            assert!(
                at("conversation.item.input_audio_transcription.delta")
                    < at("input_audio_buffer.speech_stopped"),
                "{:?}",
                turn.kinds
            );
        }
        assert_spoken(&turn);
        turns.push(turn);
    }
    assert!(turns[1].answer.contains("Chen"), "{:?}", turns[1].answer);
    let visits = desk.reception.store().visits_since(0).unwrap();
    assert_eq!(visits.len(), 1, "{visits:?}");
    assert_eq!(visits[0].host_staff_id, "maria-chen");
    assert!(
        visits[0].visitor_name.contains("Walker"),
        "{:?}",
        visits[0].visitor_name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_check_in_with_server_vad() {
    check_in(true, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_check_in_transcribed_whole_after_each_commit() {
    check_in(true, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_check_in_with_push_to_talk() {
    check_in(false, true).await;
}
