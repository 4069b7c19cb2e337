//! Voice turns end to end through the virtual devices (see `scripts/start-audio.sh`): the
//! visitor's speech (espeak-ng's, as a WAV played into the microphone) goes through cpal into a
//! session on the local engine, which recognises it and answers; Donna's audio comes back
//! through rodio into the speaker; and a barge-in truncates the item at exactly what the
//! speaker played.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod listen;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use donna_audio::dsp;
use donna_audio::virtual_devices::SinkRecorder;
use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys, OfflineTranscriber, WhisperModel};
use donna_realtime::protocol::SessionConfig;
use donna_realtime::{ConnectOptions, Credential, RealtimeClient};
use donna_voice::{BargeInTrigger, Speaker, TurnMode, Voice, VoiceConfig, VoiceEvent, session_audio};
use futures_util::{SinkExt, StreamExt};
use listen::{caption, next_matching};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// The virtual devices are shared: one test at a time (an async lock: it is held across awaits).
static DEVICES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn devices() -> Option<tokio::sync::MutexGuard<'static, ()>> {
    if !donna_audio::virtual_devices::running() {
        return None;
    }
    Some(DEVICES.lock().await)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("donna-voice-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Records the virtual speaker at 48 kHz into this test's temp dir.
fn record_speaker(name: &str) -> SinkRecorder {
    SinkRecorder::start(&tmp(name), 48_000).unwrap()
}

fn voice_session(mode: TurnMode) -> SessionConfig {
    SessionConfig {
        kind: Some("realtime".into()),
        output_modalities: Some(vec!["audio".into()]),
        instructions: Some("You are Donna, the front desk.".into()),
        audio: Some(session_audio(mode)),
        ..SessionConfig::default()
    }
}

// --- barge-in against a scripted service -----------------------------------------------------

/// A fake service on a free port: its URL, and the listener its one client connects to.
async fn bind_service() -> (String, tokio::net::TcpListener) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    (url, listener)
}

type ServiceSocket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// The client's connection, greeted with `session.created`.
async fn accept_session(listener: tokio::net::TcpListener) -> ServiceSocket {
    let (tcp, _) = listener.accept().await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let session = json!({"type":"realtime","object":"realtime.session","id":"sess_1","model":"gpt-realtime"});
    ws.send(Message::text(
        json!({"type":"session.created","event_id":"ev_1","session":session}).to_string(),
    ))
    .await
    .unwrap();
    ws
}

/// The client's next event, recorded in `seen`, with a `session.update` answered; `None` once
/// the client has gone.
async fn client_event(ws: &mut ServiceSocket, seen: &Mutex<Vec<Value>>) -> Option<Value> {
    let Some(Ok(Message::Text(t))) = ws.next().await else {
        return None;
    };
    let v: Value = serde_json::from_str(&t).unwrap();
    let n = {
        let mut seen = seen.lock().unwrap();
        seen.push(v.clone());
        seen.len()
    };
    if v["type"] == "session.update" {
        let mut s = v["session"].clone();
        s["id"] = json!("sess_1");
        let updated = json!({"type":"session.updated","event_id":format!("ev_u{n}"),"session":s});
        ws.send(Message::text(updated.to_string())).await.unwrap();
    }
    Some(v)
}

/// Until `at`, or forever without one.
async fn until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A service that answers the first microphone audio with three seconds of assistant audio (a
/// steady tone, so the speaker's recording shows exactly where it stopped), then reports the
/// visitor speaking, and records what the client sends.
async fn scripted_service(seen: Arc<Mutex<Vec<Value>>>, speak_after: Duration) -> String {
    let (url, listener) = bind_service().await;
    tokio::spawn(async move {
        let mut ws = accept_session(listener).await;
        let text = |v: Value| Message::text(v.to_string());
        let mut script_started = false;
        let mut speak_at = None;
        loop {
            tokio::select! {
                v = client_event(&mut ws, &seen) => {
                    let Some(v) = v else { return };
                    let n = seen.lock().unwrap().len();
                    match v["type"].as_str().unwrap_or("") {
                        "input_audio_buffer.append" if !script_started => {
                            // The voice path is up and streaming. Answer a second later, as a
                            // kiosk whose devices have been open a while: a stream's first
                            // moments can lose a buffer to an underrun under load.
                            script_started = true;
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            speak(&mut ws).await;
                            speak_at = Some(tokio::time::Instant::now() + speak_after);
                        }
                        "conversation.item.truncate" => {
                            ws.send(text(json!({"type":"conversation.item.truncated","event_id":format!("ev_{n}"),
                                "item_id":v["item_id"],"content_index":0,"audio_end_ms":v["audio_end_ms"]}))).await.unwrap();
                        }
                        _ => {}
                    }
                }
                () = until(speak_at) => {
                    speak_at = None;
                    ws.send(text(json!({"type":"input_audio_buffer.speech_started","event_id":"ev_sp",
                        "audio_start_ms":4200,"item_id":"item_u2"}))).await.unwrap();
                }
            }
        }
    });
    url
}

/// The assistant's answer: 3 s of a 600 Hz tone in 100 ms deltas, sent at once (the service
/// generates faster than real time).
async fn speak<S>(ws: &mut S)
where
    S: futures_util::Sink<Message> + Unpin,
    S::Error: std::fmt::Debug,
{
    response_created(ws).await;
    speak_audio(ws).await;
}

/// `response.created` for `resp_1`: the service has started on an answer.
async fn response_created<S>(ws: &mut S)
where
    S: futures_util::Sink<Message> + Unpin,
    S::Error: std::fmt::Debug,
{
    let r = json!({"object":"realtime.response","id":"resp_1","status":"in_progress","status_details":null,"output":[],"conversation_id":"conv_1","usage":null});
    ws.send(Message::text(
        json!({"type":"response.created","event_id":"ev_r1","response":r}).to_string(),
    ))
    .await
    .unwrap();
}

/// The audio of `resp_1`'s answer (see [`speak`]).
async fn speak_audio<S>(ws: &mut S)
where
    S: futures_util::Sink<Message> + Unpin,
    S::Error: std::fmt::Debug,
{
    let text = |v: Value| Message::text(v.to_string());
    let item =
        json!({"id":"item_a1","type":"message","status":"in_progress","role":"assistant","content":[]});
    ws.send(text(json!({"type":"response.output_item.added","event_id":"ev_r2","response_id":"resp_1","output_index":0,"item":item})))
        .await
        .unwrap();
    ws.send(text(json!({"type":"response.content_part.added","event_id":"ev_r3","response_id":"resp_1","item_id":"item_a1",
        "output_index":0,"content_index":0,"part":{"type":"audio","transcript":""}})))
        .await
        .unwrap();
    let tone: Vec<i16> = (0..24_000 * 3)
        .map(|i| (0.5 * (2.0 * std::f32::consts::PI * 600.0 * i as f32 / 24_000.0).sin() * 32767.0) as i16)
        .collect();
    for (i, chunk) in tone.chunks(2400).enumerate() {
        let delta = base64::engine::general_purpose::STANDARD.encode(dsp::i16_to_bytes(chunk));
        ws.send(text(
            json!({"type":"response.output_audio.delta","event_id":format!("ev_d{i}"),"response_id":"resp_1",
            "item_id":"item_a1","output_index":0,"content_index":0,"delta":delta}),
        ))
        .await
        .unwrap();
    }
    ws.send(text(
        json!({"type":"response.output_audio_transcript.delta","event_id":"ev_t1","response_id":"resp_1",
        "item_id":"item_a1","output_index":0,"content_index":0,"delta":"Our opening hours are"}),
    ))
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn barge_in_truncates_at_exactly_what_the_speaker_played() {
    let Some(_devices) = devices().await else { return };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let url = scripted_service(seen.clone(), Duration::from_millis(1500)).await;
    let recorder = record_speaker("barge-in.raw");
    let options = ConnectOptions::new(
        &url,
        "gpt-realtime",
        Credential::new("sk-test"),
        voice_session(TurnMode::ServerVad),
    );
    let client = Arc::new(RealtimeClient::connect(options).await.unwrap());
    let config = VoiceConfig {
        mode: TurnMode::ServerVad,
        ..VoiceConfig::default()
    };
    let voice = tokio::task::block_in_place(|| Voice::start(client.clone(), config)).unwrap();
    let mut events = voice.subscribe();

    let barge = next_matching(&mut events, Duration::from_secs(10), |e| {
        matches!(e, VoiceEvent::BargeIn { .. })
    })
    .await
    .expect("barge-in");
    let VoiceEvent::BargeIn {
        trigger,
        item_id,
        audio_end_ms,
        received_ms,
        stop_ms,
    } = barge
    else {
        unreachable!()
    };
    assert_eq!(trigger, BargeInTrigger::Server);
    assert_eq!(item_id, "item_a1");
    assert_eq!(received_ms, 3000);
    assert!(stop_ms < 50.0, "playback took {stop_ms} ms to stop");
    assert!(
        audio_end_ms > 200 && audio_end_ms < 2000,
        "audio_end_ms {audio_end_ms}"
    );

    // The truncate on the wire carries exactly that number.
    let deadline = Instant::now() + Duration::from_secs(5);
    let truncate = loop {
        let found = seen
            .lock()
            .unwrap()
            .iter()
            .find(|v| v["type"] == "conversation.item.truncate")
            .cloned();
        if let Some(t) = found {
            break t;
        }
        assert!(Instant::now() < deadline, "no truncate sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(truncate["item_id"], "item_a1");
    assert_eq!(truncate["content_index"], 0);
    assert_eq!(truncate["audio_end_ms"], audio_end_ms);
    // What was handed to the device before the stop is still in its buffer: let it drain
    // before closing the device, as a kiosk that keeps running does.
    tokio::time::sleep(Duration::from_millis(300)).await;
    voice.stop().await;

    // And the speaker really played that much: the tone in its recording lasts audio_end_ms.
    let sink = recorder.finish().unwrap();
    let first = sink.iter().position(|s| s.unsigned_abs() > 3000).unwrap();
    let last = sink.iter().rposition(|s| s.unsigned_abs() > 3000).unwrap();
    let heard_ms = (last - first + 1) as f64 / 48.0;
    eprintln!(
        "barge-in: stopped in {stop_ms:.2} ms; truncate audio_end_ms {audio_end_ms}; speaker played {heard_ms:.2} ms"
    );
    assert!(
        heard_ms >= audio_end_ms as f64 - 0.2 && heard_ms < audio_end_ms as f64 + 1.2,
        "speaker played {heard_ms:.2} ms, truncate says {audio_end_ms}"
    );
}

/// A push-to-talk service that is slow to answer: a committed turn gets `response.created` at
/// once, and the answer's audio only after the client cancels it (or after three seconds), as
/// a service whose deltas were already on their way when the cancel came.
async fn slow_service(seen: Arc<Mutex<Vec<Value>>>) -> String {
    let (url, listener) = bind_service().await;
    tokio::spawn(async move {
        let mut ws = accept_session(listener).await;
        let text = |v: Value| Message::text(v.to_string());
        let mut answer_at = None;
        loop {
            tokio::select! {
                v = client_event(&mut ws, &seen) => {
                    let Some(v) = v else { return };
                    let n = seen.lock().unwrap().len();
                    match v["type"].as_str().unwrap_or("") {
                        "input_audio_buffer.commit" => {
                            ws.send(text(json!({"type":"input_audio_buffer.committed","event_id":format!("ev_{n}"),
                                "previous_item_id":null,"item_id":"item_u1"}))).await.unwrap();
                        }
                        "response.create" => {
                            response_created(&mut ws).await;
                            answer_at = Some(tokio::time::Instant::now() + Duration::from_secs(3));
                        }
                        "response.cancel" => answer_at = Some(tokio::time::Instant::now()),
                        _ => {}
                    }
                }
                () = until(answer_at) => {
                    answer_at = None;
                    speak_audio(&mut ws).await;
                    let r = json!({"object":"realtime.response","id":"resp_1","status":"cancelled",
                        "status_details":{"type":"cancelled","reason":"client_cancelled"},"output":[],
                        "conversation_id":"conv_1","usage":null});
                    ws.send(text(json!({"type":"response.done","event_id":"ev_done","response":r}))).await.unwrap();
                }
            }
        }
    });
    url
}

/// The visitor lets go of the button, then presses it again before Donna has said a word: the
/// answer being made is cancelled, and what the service had already sent of it is not played
/// over the visitor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pressing_while_donna_thinks_keeps_her_quiet() {
    let Some(_devices) = devices().await else { return };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let url = slow_service(seen.clone()).await;
    let options = ConnectOptions::new(
        &url,
        "gpt-realtime",
        Credential::new("sk-test"),
        voice_session(TurnMode::PushToTalk),
    );
    let client = Arc::new(RealtimeClient::connect(options).await.unwrap());
    let voice = tokio::task::block_in_place(|| Voice::start(client.clone(), VoiceConfig::default())).unwrap();
    let mut events = voice.subscribe();
    let recorder = record_speaker("pressed-while-thinking.raw");
    let sent = |kind: &str| seen.lock().unwrap().iter().any(|v| v["type"] == kind);

    voice.press().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    voice.release().await.unwrap();
    next_matching(&mut events, Duration::from_secs(5), |e| {
        matches!(
            e,
            VoiceEvent::State {
                state: donna_voice::VoiceState::Thinking
            }
        )
    })
    .await
    .expect("Donna thinks once the turn is committed");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !sent("response.create") {
        assert!(Instant::now() < deadline, "no response asked for");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // `response.created` is on its way back; let it land, then take the floor again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    voice.press().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !sent("response.cancel") {
        assert!(
            Instant::now() < deadline,
            "the answer being made was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The answer's audio arrives now; for two seconds the visitor holds the button.
    let mut shown = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match events.recv().await {
                Ok(VoiceEvent::State { state }) => shown.push(state),
                Ok(VoiceEvent::Error { message }) => panic!("an error was shown: {message}"),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    })
    .await;
    voice.stop().await;
    let played = tokio::task::block_in_place(|| recorder.finish()).unwrap();
    assert!(
        !shown.contains(&donna_voice::VoiceState::Speaking),
        "the panel kept listening while the button was held: {shown:?}"
    );
    let seconds = audible_seconds(&played);
    assert!(
        seconds < 0.1,
        "nothing of the cancelled answer was played: {seconds:.2} s audible"
    );
}

// --- full turns against the local engine -----------------------------------------------------

const KEY: &str = "sk-voice-test";

/// The local engine as the app runs it: the example desk, flite's voice, and the offline
/// recogniser (whisper too when `DONNA_MODELS_DIR` holds the installed model, as the test
/// command arranges).
async fn engine_client(mode: TurnMode, work: &std::path::Path) -> Arc<RealtimeClient> {
    // Thursday 26 November 2026, 10:00 in London: the clinic is open, so a visitor who asks
    // for Dr Chen is asked their name, whatever the hour the test runs at.
    let at = "2026-11-26T10:00:00Z".parse().unwrap();
    let reception = Arc::new(Reception::example_at(at).unwrap());
    let whisper = donna_models::installed_from_env();
    let stt = OfflineTranscriber::new(
        reception.desk().profile(),
        work,
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let app = engine.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let options = ConnectOptions::new(&url, "gpt-realtime", Credential::new(KEY), voice_session(mode));
    Arc::new(RealtimeClient::connect(options).await.unwrap())
}

/// The visitor says `text` into the virtual microphone; returns when it has been played.
async fn visitor_says(text: &str) {
    listen::say(&tmp("visitor-says.wav"), text).await;
}

/// Seconds of audible sound (20 ms windows above -40 dBFS) in a 48 kHz recording.
fn audible_seconds(recording: &[i16]) -> f64 {
    let loud = recording
        .chunks(960)
        .filter(|w| {
            let power = w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / w.len() as f64;
            power.sqrt() > 328.0
        })
        .count();
    loud as f64 * 0.02
}

/// One spoken check-in turn: the visitor's words are captioned, Donna answers in words and
/// those words come out of the speaker.
async fn spoken_turn(mode: TurnMode) {
    let work = std::env::temp_dir().join(format!("donna-voice-stt-{}-{mode:?}", std::process::id()));
    let client = engine_client(mode, &work).await;
    let config = VoiceConfig {
        mode,
        ..VoiceConfig::default()
    };
    let voice = tokio::task::block_in_place(|| Voice::start(client.clone(), config)).unwrap();
    let mut events = voice.subscribe();
    let speaker = record_speaker(&format!("answer-{mode:?}.raw"));
    if mode == TurnMode::PushToTalk {
        voice.press().await.unwrap();
    } else {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    visitor_says("Hi, I'm here to see Doctor Chen at two.").await;
    if mode == TurnMode::PushToTalk {
        // The last of the speech has to cross the device buffers before the button is let go.
        tokio::time::sleep(Duration::from_millis(300)).await;
        voice.release().await.unwrap();
    }
    let heard = caption(&mut events, Speaker::Visitor).await.to_lowercase();
    assert!(
        heard.contains("chen"),
        "the visitor's words were recognised: {heard:?}"
    );
    let answer = caption(&mut events, Speaker::Donna).await;
    assert!(
        answer.contains("name"),
        "Donna asks who is visiting Dr. Chen: {answer:?}"
    );
    // Let the answer play out, then check the speaker played it.
    next_matching(&mut events, Duration::from_secs(20), |e| {
        matches!(
            e,
            VoiceEvent::State {
                state: donna_voice::VoiceState::Listening | donna_voice::VoiceState::Idle
            }
        )
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let played = tokio::task::block_in_place(|| speaker.finish()).unwrap();
    let seconds = audible_seconds(&played);
    assert!(
        seconds > 0.5,
        "Donna's answer came out of the speaker: {seconds:.2} s audible"
    );
    voice.stop().await;
    let _ = std::fs::remove_dir_all(work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_push_to_talk_turn_is_heard_answered_and_played() {
    let Some(_devices) = devices().await else { return };
    spoken_turn(TurnMode::PushToTalk).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_server_vad_turn_is_heard_answered_and_played() {
    let Some(_devices) = devices().await else { return };
    spoken_turn(TurnMode::ServerVad).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoken_local_vad_turn_is_heard_answered_and_played() {
    let Some(_devices) = devices().await else { return };
    spoken_turn(TurnMode::LocalVad).await;
}
