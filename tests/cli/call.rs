//! The kiosk's voice on a WebRTC call to an engine in another process (`donna serve`), as the
//! kiosk app holds it: the realtime client over the WebRTC transport, the voice path on the
//! virtual devices. A typed turn on the events channel, a spoken check-in from a WAV through
//! the microphone, a barge-in whose reported position is what the speaker played, an engine
//! that dies mid-answer, and a call whose ICE never connects, which falls back to the
//! WebSocket within the bound.

use std::sync::Arc;
use std::time::{Duration, Instant};

use donna_audio::virtual_devices::SinkRecorder;
use donna_realtime::protocol::SessionConfig;
use donna_realtime::transport::Connector;
use donna_realtime::transport::dial::Dial;
use donna_realtime::transport::failover::Failover;
use donna_realtime::transport::webrtc::WebRtcConnector;
use donna_realtime::transport::websocket::WebSocketConnector;
use donna_realtime::{ClientConfig, Credential, RealtimeClient, RealtimeError, UiUpdate};
use donna_voice::{
    BargeInTrigger, Speaker, TurnMode, Voice, VoiceConfig, VoiceEvent, VoiceState, session_audio,
};
use tokio::sync::broadcast;

use super::util::{Sandbox, Served};

#[path = "../../crates/voice/tests/listen/mod.rs"]
mod listen;
use listen::{caption, next_matching};

const KEY: &str = "sk-call-test-engine-key";

fn voice_session() -> SessionConfig {
    SessionConfig {
        kind: Some("realtime".into()),
        output_modalities: Some(vec!["audio".into()]),
        audio: Some(session_audio(TurnMode::PushToTalk)),
        ..SessionConfig::default()
    }
}

/// Donna has finished speaking: the panel is back to idle.
async fn until_quiet(events: &mut broadcast::Receiver<VoiceEvent>) {
    next_matching(events, Duration::from_secs(30), |e| {
        matches!(
            e,
            VoiceEvent::State {
                state: VoiceState::Idle
            }
        )
    })
    .await
    .expect("Donna finishes speaking");
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// The visitor says `text` into the virtual microphone.
async fn visitor_says(sandbox: &Sandbox, text: &str) {
    listen::say(&sandbox.home.path().join("visitor-says.wav"), text).await;
}

/// Donna starts speaking.
async fn until_speaking(events: &mut broadcast::Receiver<VoiceEvent>) {
    next_matching(events, Duration::from_secs(20), |e| {
        matches!(
            e,
            VoiceEvent::State {
                state: VoiceState::Speaking
            }
        )
    })
    .await
    .expect("Donna speaks");
}

/// Milliseconds from the first to the last loud sample of a 48 kHz recording.
fn loud_span_ms(recording: &[i16]) -> f64 {
    let first = recording.iter().position(|s| s.unsigned_abs() > 1000);
    let last = recording.iter().rposition(|s| s.unsigned_abs() > 1000);
    match (first, last) {
        (Some(first), Some(last)) => (last - first + 1) as f64 / 48.0,
        _ => 0.0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The devices' guard only keeps other tests, each on a runtime of its own, off the devices.
#[allow(clippy::await_holding_lock)]
async fn the_kiosk_voice_checks_in_and_is_interrupted_on_a_call_to_an_engine_in_another_process() {
    let Some(_devices) = super::audio_devices() else {
        return;
    };
    let Some(models) = super::util::speech_models() else {
        return;
    };
    let sandbox = Sandbox::new();
    let mut engine = Served::start(
        &sandbox,
        &[],
        &[("DONNA_ENGINE_KEY", KEY), ("DONNA_MODELS_DIR", &models)],
    );
    let connector = WebRtcConnector::new(
        &format!("{}/v1", engine.url),
        "gpt-realtime",
        Credential::new(KEY),
    )
    .unwrap();
    let client = Arc::new(
        RealtimeClient::connect_with(connector, ClientConfig::new(voice_session()))
            .await
            .expect("a call to the engine"),
    );
    let mut updates = client.subscribe();

    // A typed turn: the question and the answer travel on the events channel.
    let hours = client.ask_text("What are your opening hours?").await.unwrap();
    assert!(hours.to_lowercase().contains("open"), "{hours}");

    // A spoken turn: the microphone's audio goes out as Opus, the answer comes back on the
    // engine's track and out of the speaker.
    let config = VoiceConfig {
        mode: TurnMode::PushToTalk,
        ..VoiceConfig::default()
    };
    let voice = tokio::task::block_in_place(|| Voice::start(client.clone(), config)).unwrap();
    let mut events = voice.subscribe();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let speaker = SinkRecorder::start(&sandbox.home.path().join("answer.raw"), 48_000).unwrap();
    voice.press().await.unwrap();
    visitor_says(&sandbox, "Hello, I'm here to see Maria Chen.").await;
    // A visitor lets go a moment after the last word, which is still crossing the devices.
    tokio::time::sleep(Duration::from_millis(600)).await;
    voice.release().await.unwrap();
    let heard = caption(&mut events, Speaker::Visitor).await.to_lowercase();
    assert!(
        heard.contains("chen"),
        "the visitor's words were heard: {heard:?}"
    );
    let answer = caption(&mut events, Speaker::Donna).await;
    assert!(
        answer.contains("name"),
        "Donna asks for the visitor's name: {answer:?}"
    );
    until_quiet(&mut events).await;
    let played = tokio::task::block_in_place(|| speaker.finish()).unwrap();
    let spoken_ms = loud_span_ms(&played);
    assert!(
        spoken_ms > 500.0,
        "Donna's answer came out of the speaker: {spoken_ms:.0} ms"
    );

    // The visitor gives their name by voice: the check-in is done on the call.
    voice.press().await.unwrap();
    visitor_says(&sandbox, "My name is Ann Walker.").await;
    // A visitor lets go a moment after the last word, which is still crossing the devices.
    tokio::time::sleep(Duration::from_millis(600)).await;
    voice.release().await.unwrap();
    let name = caption(&mut events, Speaker::Visitor).await.to_lowercase();
    assert!(
        super::util::heard_name(&name, "walker"),
        "the visitor's name was heard: {name:?}"
    );
    let checked_in = caption(&mut events, Speaker::Donna).await;
    assert!(checked_in.contains("know you're here"), "{checked_in:?}");
    until_quiet(&mut events).await;

    // A barge-in: the visitor presses the button while Donna speaks. The speaker stops, the
    // server is told to stop playing, and the item keeps exactly what the speaker played.
    let speaker = SinkRecorder::start(&sandbox.home.path().join("barge-in.raw"), 48_000).unwrap();
    let asking = client.clone();
    let asked = tokio::spawn(async move { asking.ask_text("Where are the toilets?").await });
    until_speaking(&mut events).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    voice.interrupt().await.unwrap();
    let Some(VoiceEvent::BargeIn {
        trigger,
        item_id,
        audio_end_ms,
        received_ms,
        ..
    }) = next_matching(&mut events, Duration::from_secs(5), |e| {
        matches!(e, VoiceEvent::BargeIn { .. })
    })
    .await
    else {
        panic!("no barge-in");
    };
    assert_eq!(trigger, BargeInTrigger::Button);
    assert!(
        (500..=received_ms).contains(&audio_end_ms),
        "played {audio_end_ms} ms of the {received_ms} ms received"
    );
    // The server's last word on the item is the speaker's position.
    let mut kept = None;
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(update) = tokio::time::timeout_at(until, updates.recv()).await {
        match update {
            Ok(UiUpdate::Truncated {
                item_id: id,
                audio_end_ms,
            }) if id == item_id => kept = Some(audio_end_ms),
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
    let _ = asked.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let recording = tokio::task::block_in_place(|| speaker.finish()).unwrap();
    let heard_ms = loud_span_ms(&recording);
    eprintln!(
        "barge-in on a call: played {audio_end_ms} ms of {received_ms} ms; the speaker's sound spans {heard_ms:.0} ms; the server kept {kept:?}"
    );
    assert!(
        heard_ms <= audio_end_ms as f64 + 30.0 && heard_ms >= audio_end_ms as f64 - 400.0,
        "the speaker played {heard_ms:.0} ms, the truncation says {audio_end_ms}"
    );
    assert_eq!(kept, Some(audio_end_ms), "the server keeps what was played");

    // The engine dies mid-answer: the client says so within seconds, nothing hangs.
    let mut updates = client.subscribe();
    let asking = client.clone();
    let asked = tokio::spawn(async move { asking.ask_text("What are your opening hours?").await });
    until_speaking(&mut events).await;
    let killed = Instant::now();
    engine.child.kill().unwrap();
    engine.child.wait().unwrap();
    let reason = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match updates.recv().await {
                Ok(UiUpdate::Reconnecting { reason, .. }) => return reason,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return "closed".to_owned(),
            }
        }
    })
    .await
    .expect("the lost call is noticed");
    eprintln!(
        "the engine's death was noticed in {:?}: {reason}",
        killed.elapsed()
    );
    let answer = tokio::time::timeout(Duration::from_secs(60), asked)
        .await
        .expect("the turn ends, answered or not");
    assert!(answer.is_ok(), "the turn's task ended cleanly");
    voice.stop().await;
}

/// Every ICE candidate in `sdp` (an offer, an answer, or a form holding one) moved to
/// `127.0.0.1:port`.
fn move_candidates(sdp: &str, port: u16) -> String {
    sdp.split("\r\n")
        .map(|line| match line.strip_prefix("a=candidate:") {
            Some(candidate) => {
                let mut fields: Vec<&str> = candidate.split(' ').collect();
                let port = port.to_string();
                if fields.len() > 5 {
                    fields[4] = "127.0.0.1";
                    fields[5] = &port;
                }
                format!("a=candidate:{}", fields.join(" "))
            }
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Relays calls to the engine with every candidate, the caller's and the engine's, moved to a
/// UDP port that never replies: ICE can find no path either way.
async fn black_hole(engine: String) -> (String, std::net::UdpSocket) {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/v1/realtime/calls",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let engine = engine.clone();
            async move {
                let mut request = reqwest::Client::new()
                    .post(format!("{engine}/v1/realtime/calls"))
                    .body(move_candidates(&body, port));
                for name in ["content-type", "authorization"] {
                    if let Some(value) = headers.get(name) {
                        request = request.header(name, value.as_bytes());
                    }
                }
                let answer = request.send().await.unwrap();
                let status = answer.status().as_u16();
                let sdp = answer.text().await.unwrap();
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/sdp")],
                    move_candidates(&sdp, port),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, silent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_ice_never_connects_falls_back_to_the_websocket_within_the_bound() {
    let sandbox = Sandbox::new();
    let engine = Served::start(&sandbox, &[], &[("DONNA_ENGINE_KEY", KEY)]);
    // A call with the wrong key is refused as the service refuses it, typed.
    let refused = WebRtcConnector::new(
        &format!("{}/v1", engine.url),
        "gpt-realtime",
        Credential::new("sk-wrong"),
    )
    .unwrap()
    .connect()
    .await;
    assert!(
        matches!(
            refused,
            Err(RealtimeError::Unauthorized {
                status: Some(401),
                ..
            })
        ),
        "{refused:?}"
    );
    let (calls, _silent) = black_hole(engine.url.clone()).await;
    let call = WebRtcConnector::new(&calls, "gpt-realtime", Credential::new(KEY))
        .unwrap()
        .with_connect_timeout(Duration::from_millis(2500));
    let socket = WebSocketConnector::new(
        &format!("{}/v1", engine.url),
        "gpt-realtime",
        Credential::new(KEY),
    )
    .unwrap();
    let failover = Failover::new(vec![
        ("local".to_owned(), Dial::WebRtc(call)),
        ("local".to_owned(), Dial::WebSocket(socket)),
    ]);
    let live = failover.watch();
    let started = Instant::now();
    let client = RealtimeClient::connect_with(failover, ClientConfig::new(voice_session()))
        .await
        .expect("the WebSocket takes over");
    let took = started.elapsed();
    let route = live.borrow().clone().expect("live");
    assert_eq!(route.index, 1, "on the WebSocket: {route:?}");
    assert!(
        route.passed_over[0].contains("did not connect within 2.5 s"),
        "{:?}",
        route.passed_over
    );
    assert!(took < Duration::from_secs(6), "fell back in {took:?}");
    let hours = client.ask_text("What are your opening hours?").await.unwrap();
    assert!(
        hours.to_lowercase().contains("open"),
        "answered over the WebSocket: {hours}"
    );
    eprintln!("ICE never connected; on the WebSocket after {took:?}");
}
