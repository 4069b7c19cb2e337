//! The engine over a real WebSocket, as an OpenAI Realtime client sees it: every sequence of
//! the protocol reference's section 7 that the engine can produce today, auth, client
//! secrets, limits, and every kind of bad input.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const KEY: &str = "sk-test-engine-key";

struct Server {
    addr: String,
    engine: Engine,
}

async fn start_with(config: EngineConfig) -> Server {
    // Thursday 26 November 2026, 10:00 in London: the clinic is open.
    let thursday = "2026-11-26T10:00:00Z".parse().unwrap();
    let engine = Engine::new(
        Arc::new(Reception::example_at(thursday).unwrap()),
        Keys::new(KEY.to_owned()),
        config,
    );
    let addr = util::serve(&engine).await.to_string();
    Server { addr, engine }
}

async fn start() -> Server {
    start_with(EngineConfig::default()).await
}

struct Peer {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Peer {
    async fn connect(server: &Server, key: &str) -> Result<Peer, tungstenite::Error> {
        let mut req = format!("ws://{}/v1/realtime?model=gpt-realtime", server.addr)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("authorization", format!("Bearer {key}").parse().unwrap());
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Peer { ws })
    }

    /// Connected, `session.created` read, and switched to text output (no TTS offline yet).
    async fn text_session(server: &Server) -> Peer {
        let mut peer = Peer::connect(server, KEY).await.unwrap();
        assert_eq!(peer.recv().await["type"], "session.created");
        peer.send(json!({ "type": "session.update", "session": { "type": "realtime", "output_modalities": ["text"] } })).await;
        assert_eq!(peer.recv().await["type"], "session.updated");
        peer
    }

    async fn send(&mut self, event: Value) {
        self.ws
            .send(Message::Text(event.to_string().into()))
            .await
            .unwrap();
    }

    async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("event within 5 s");
            match msg.expect("stream open").expect("frame") {
                Message::Text(t) => return serde_json::from_str(&t).unwrap(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Events up to and including the first of type `last`.
    async fn recv_until(&mut self, last: &str) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let e = self.recv().await;
            let done = e["type"] == last;
            events.push(e);
            if done {
                return events;
            }
        }
    }

    async fn expect_close(&mut self) -> (CloseCode, String) {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("close within 5 s");
            match msg {
                Some(Ok(Message::Close(Some(frame)))) => return (frame.code, frame.reason.to_string()),
                Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
                Some(Ok(_)) => {}
                Some(Err(e)) => panic!("socket error instead of a close: {e}"),
            }
        }
    }

    /// Send `event` and return the error event it causes; the session must stay usable.
    async fn expect_error(&mut self, event: Value) -> Value {
        self.send(event).await;
        let e = self.recv().await;
        assert_eq!(e["type"], "error", "{e}");
        e["error"].clone()
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn user_text(text: &str) -> Value {
    json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": text }] } })
}

fn pcm(ms: usize, amplitude: f64) -> Vec<u8> {
    (0..ms * 24)
        .flat_map(|i| {
            let s = (amplitude * 32767.0 * (i as f64 * 2.0 * std::f64::consts::PI * 220.0 / 24_000.0).sin())
                as i16;
            s.to_le_bytes()
        })
        .collect()
}

fn append(bytes: &[u8]) -> Value {
    json!({ "type": "input_audio_buffer.append", "audio": base64::engine::general_purpose::STANDARD.encode(bytes) })
}

#[tokio::test]
async fn connect_sends_a_full_session_first() {
    let server = start().await;
    let mut peer = Peer::connect(&server, KEY).await.unwrap();
    let created = peer.recv().await;
    assert_eq!(created["type"], "session.created");
    assert!(created["event_id"].as_str().unwrap().starts_with("event_"));
    let s = &created["session"];
    assert_eq!(s["object"], "realtime.session");
    assert!(s["id"].as_str().unwrap().starts_with("sess_"));
    assert_eq!(s["model"], "gpt-realtime");
    assert_eq!(s["output_modalities"], json!(["audio"]));
    assert_eq!(
        s["audio"]["input"]["format"],
        json!({ "type": "audio/pcm", "rate": 24000 })
    );
    assert_eq!(s["audio"]["input"]["turn_detection"]["type"], "server_vad");
    assert!(s["audio"]["input"]["transcription"].is_null());
    assert!(
        s["instructions"]
            .as_str()
            .unwrap()
            .contains("Harbor Street Clinic")
    );
    assert!(s["expires_at"].as_i64().unwrap() > 0);
    assert_eq!(server.engine.open_sessions(), 1);
}

/// A client's close is answered with a close frame echoing its code (RFC 6455 §5.5.1), not by
/// dropping the connection: clients would see 1006 and log an error at every goodbye.
#[tokio::test]
async fn a_clients_close_is_answered_with_a_close_frame() {
    let server = start().await;
    let mut peer = Peer::connect(&server, KEY).await.unwrap();
    assert_eq!(peer.recv().await["type"], "session.created");
    peer.ws
        .send(Message::Close(Some(tungstenite::protocol::CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        })))
        .await
        .unwrap();
    let (code, _) = peer.expect_close().await;
    assert_eq!(code, CloseCode::Normal);
    // The stream then ends cleanly, without an error.
    let end = tokio::time::timeout(Duration::from_secs(5), peer.ws.next())
        .await
        .expect("the stream ends");
    assert!(
        matches!(end, None | Some(Err(tungstenite::Error::ConnectionClosed))),
        "{end:?}"
    );
}

#[tokio::test]
async fn text_turn_follows_the_reference_order() {
    let server = start().await;
    let mut peer = Peer::text_session(&server).await;
    peer.send(user_text("What's the wifi password?")).await;
    let acks = [peer.recv().await, peer.recv().await];
    assert_eq!(
        types(&acks),
        ["conversation.item.added", "conversation.item.done"]
    );
    let user_id = acks[0]["item"]["id"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("item_"));
    assert!(acks[0]["previous_item_id"].is_null());

    peer.send(json!({ "type": "response.create" })).await;
    let events = peer.recv_until("rate_limits.updated").await;
    let t = types(&events);
    let deltas = t.iter().filter(|x| **x == "response.output_text.delta").count();
    assert!(deltas > 3, "text streams in pieces");
    let mut expected = vec![
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ];
    expected.extend(std::iter::repeat_n("response.output_text.delta", deltas));
    expected.extend([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
        "rate_limits.updated",
    ]);
    assert_eq!(t, expected);

    let streamed: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .unwrap();
    assert_eq!(done["text"], streamed.as_str());
    assert!(streamed.contains("HarborGuest"), "{streamed}");
    assert_eq!(events[2]["previous_item_id"], user_id.as_str());
    assert_eq!(events[3]["part"], json!({ "type": "text", "text": "" }));
    let response = &events
        .last()
        .unwrap()
        .get("rate_limits")
        .map(|_| events[events.len() - 2]["response"].clone())
        .unwrap();
    assert_eq!(response["status"], "completed");
    assert_eq!(
        response["output"][0]["content"][0],
        json!({ "type": "output_text", "text": streamed })
    );
    assert!(response["usage"]["total_tokens"].as_u64().unwrap() > 0);
    assert!(response["conversation_id"].as_str().unwrap().starts_with("conv_"));
}

#[tokio::test]
async fn function_call_round_trip() {
    let server = start().await;
    let mut peer = Peer::text_session(&server).await;
    let tools = donna_desk::tools::definitions();
    peer.send(json!({ "type": "session.update", "session": { "type": "realtime", "tools": tools } }))
        .await;
    assert_eq!(
        peer.recv().await["session"]["tools"].as_array().unwrap().len(),
        tools.len()
    );

    peer.send(user_text("Where can I find Dr Okafor?")).await;
    peer.recv_until("conversation.item.done").await;
    peer.send(json!({ "type": "response.create" })).await;
    let events = peer.recv_until("rate_limits.updated").await;
    let t = types(&events);
    let n = t
        .iter()
        .filter(|x| **x == "response.function_call_arguments.delta")
        .count();
    let mut expected = vec![
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
    ];
    expected.extend(std::iter::repeat_n("response.function_call_arguments.delta", n));
    expected.extend([
        "response.function_call_arguments.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
        "rate_limits.updated",
    ]);
    assert_eq!(t, expected);
    let done = events
        .iter()
        .find(|e| e["type"] == "response.function_call_arguments.done")
        .unwrap();
    assert_eq!(done["name"], "lookup_staff");
    let call_id = done["call_id"].as_str().unwrap().to_owned();
    assert!(call_id.starts_with("call_"));
    let args = done["arguments"].as_str().unwrap();
    let streamed: String = events.iter().filter_map(|e| e["delta"].as_str()).collect();
    assert_eq!(streamed, args);
    assert_eq!(events[1]["item"]["type"], "function_call");
    assert_eq!(events[1]["item"]["status"], "in_progress");

    // The client runs the tool (here: the desk, as the app does) and returns its output.
    let output = server.engine.reception().run_tool("lookup_staff", args, None);
    peer.send(json!({ "type": "conversation.item.create", "item": { "type": "function_call_output", "call_id": call_id, "output": output } })).await;
    let acks = peer.recv_until("conversation.item.done").await;
    assert_eq!(acks[0]["item"]["type"], "function_call_output");
    peer.send(json!({ "type": "response.create" })).await;
    let events = peer.recv_until("response.done").await;
    let text = events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.starts_with("Dr James Okafor, our General Practitioner"),
        "{text}"
    );
}

#[tokio::test]
async fn without_the_tool_declared_the_desk_answers_directly() {
    let server = start().await;
    let mut peer = Peer::text_session(&server).await;
    peer.send(user_text("Are you open on Sunday?")).await;
    peer.recv_until("conversation.item.done").await;
    peer.send(json!({ "type": "response.create" })).await;
    let events = peer.recv_until("response.done").await;
    assert!(!types(&events).contains(&"response.function_call_arguments.done"));
    let text = &events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .unwrap()["text"];
    assert_eq!(text, "On Sunday we're closed.");
}

#[tokio::test]
async fn manual_audio_turn_and_missing_speech_models_are_named() {
    let server = start().await;
    let mut peer = Peer::text_session(&server).await;
    peer.send(json!({ "type": "session.update", "session": { "type": "realtime", "audio": { "input": { "turn_detection": null, "transcription": { "model": "whisper-1" } } } } })).await;
    assert!(peer.recv().await["session"]["audio"]["input"]["turn_detection"].is_null());

    // Too little audio: the service's exact error, and nothing else happens.
    peer.send(append(&pcm(50, 0.3))).await;
    let err = peer
        .expect_error(json!({ "type": "input_audio_buffer.commit", "event_id": "evt_c1" }))
        .await;
    assert_eq!(err["code"], "input_audio_buffer_commit_empty");
    assert_eq!(err["event_id"], "evt_c1");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("buffer only has 50.00ms of audio")
    );

    for chunk in pcm(600, 0.3).chunks(960) {
        peer.send(append(chunk)).await;
    }
    peer.send(json!({ "type": "input_audio_buffer.commit" })).await;
    let events = peer
        .recv_until("conversation.item.input_audio_transcription.failed")
        .await;
    assert_eq!(
        types(&events),
        [
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
            "conversation.item.input_audio_transcription.failed"
        ]
    );
    let item_id = events[0]["item_id"].as_str().unwrap();
    assert_eq!(
        events[1]["item"]["content"][0],
        json!({ "type": "input_audio", "transcript": null })
    );
    assert_eq!(events[3]["error"]["code"], "transcription_unavailable");

    // The audio is kept: retrieve returns all 650 ms of it.
    peer.send(json!({ "type": "conversation.item.retrieve", "item_id": item_id }))
        .await;
    let retrieved = peer.recv().await;
    let audio = retrieved["item"]["content"][0]["audio"].as_str().unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(audio)
            .unwrap()
            .len(),
        650 * 48
    );

    let err = peer.expect_error(json!({ "type": "response.create" })).await;
    assert_eq!(
        (err["type"].as_str(), err["code"].as_str()),
        (Some("server_error"), Some("transcription_unavailable"))
    );
}

#[tokio::test]
async fn server_vad_turn_reports_exact_speech_times() {
    let server = start().await;
    let mut peer = Peer::text_session(&server).await;
    let mut audio = pcm(1000, 0.0);
    audio.extend(pcm(800, 0.3));
    audio.extend(pcm(1000, 0.0));
    for chunk in audio.chunks(960) {
        peer.send(append(chunk)).await;
    }
    let events = peer.recv_until("error").await;
    assert_eq!(
        types(&events),
        [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
            "error"
        ]
    );
    // Speech from 1000 ms to 1800 ms; the start includes the 300 ms prefix padding.
    assert_eq!(events[0]["audio_start_ms"], 700);
    assert_eq!(events[1]["audio_end_ms"], 1800);
    let item = events[0]["item_id"].as_str().unwrap();
    assert_eq!(events[1]["item_id"], item);
    assert_eq!(events[2]["item_id"], item);
    assert_eq!(events[5]["error"]["code"], "transcription_unavailable");
}

#[tokio::test]
async fn audio_output_without_speech_synthesis_is_a_clear_error() {
    let server = start().await;
    let mut peer = Peer::connect(&server, KEY).await.unwrap();
    peer.recv().await;
    peer.send(user_text("hello")).await;
    peer.recv_until("conversation.item.done").await;
    let err = peer.expect_error(json!({ "type": "response.create" })).await;
    assert_eq!(err["code"], "speech_synthesis_unavailable");
    // A text response on the same session still works.
    peer.send(json!({ "type": "response.create", "response": { "output_modalities": ["text"] } }))
        .await;
    let done = peer.recv_until("response.done").await;
    assert_eq!(done.last().unwrap()["response"]["status"], "completed");
}

#[tokio::test]
async fn cancel_ends_the_response_consistently() {
    let server = start().await;
    let mut peer = Peer::text_session(&server).await;
    peer.send(user_text("Where can I park?")).await;
    peer.recv_until("conversation.item.done").await;
    peer.send(json!({ "type": "response.create" })).await;
    peer.send(json!({ "type": "response.cancel" })).await;
    let events = peer.recv_until("response.done").await;
    let response = &events.last().unwrap()["response"];
    let streamed: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    let done_text = events
        .iter()
        .find(|e| e["type"] == "response.output_text.done")
        .unwrap()["text"]
        .as_str()
        .unwrap();
    // Whatever was streamed before the cancel is exactly what the item keeps.
    assert_eq!(done_text, streamed);
    if response["status"] == "cancelled" {
        assert_eq!(
            response["status_details"],
            json!({ "type": "cancelled", "reason": "client_cancelled" })
        );
        assert_eq!(response["output"][0]["status"], "incomplete");
    } else {
        // The whole answer went out before the cancel arrived: the cancel then finds nothing.
        assert_eq!(response["status"], "completed");
        assert_eq!(
            peer.recv_until("error").await.last().unwrap()["error"]["code"],
            "response_cancel_not_active"
        );
    }
    let err = peer.expect_error(json!({ "type": "response.cancel" })).await;
    assert_eq!(err["code"], "response_cancel_not_active");
}

#[tokio::test]
async fn bad_input_gets_the_protocol_error_and_the_session_survives() {
    let server = start().await;
    let mut peer = Peer::text_session(&server).await;
    let cases = [
        (json!("not json at all"), "invalid_json", Value::Null),
        (json!({ "event_id": "e1" }), "invalid_event", json!("type")),
        (
            json!({ "type": "session.explode", "event_id": "e2" }),
            "invalid_value",
            json!("type"),
        ),
        (
            json!({ "type": "conversation.item.delete" }),
            "missing_required_parameter",
            json!("item_id"),
        ),
        (
            json!({ "type": "conversation.item.truncate", "item_id": "x", "content_index": 0, "audio_end_ms": "soon" }),
            "invalid_value",
            json!("audio_end_ms"),
        ),
        (
            json!({ "type": "input_audio_buffer.append", "audio": "***not base64***" }),
            "invalid_value",
            json!("audio"),
        ),
        (
            json!({ "type": "input_audio_buffer.append", "audio": "AA==" }),
            "invalid_value",
            json!("audio"),
        ),
        (
            json!({ "type": "conversation.item.truncate", "item_id": "item_nope", "content_index": 0, "audio_end_ms": 10 }),
            "item_truncate_invalid_item_id",
            json!("item_id"),
        ),
        (
            json!({ "type": "conversation.item.delete", "item_id": "item_nope" }),
            "item_delete_invalid_item_id",
            json!("item_id"),
        ),
        (
            json!({ "type": "conversation.item.retrieve", "item_id": "item_nope" }),
            "item_retrieve_invalid_item_id",
            json!("item_id"),
        ),
        (
            json!({ "type": "conversation.item.create", "item": { "type": "function_call_output", "call_id": "call_nope", "output": "{}" } }),
            "invalid_value",
            json!("item.call_id"),
        ),
        (
            json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user" } }),
            "invalid_value",
            json!("item"),
        ),
        (
            json!({ "type": "conversation.item.create", "item": user_text("x")["item"].clone(), "previous_item_id": "item_nope" }),
            "invalid_value",
            json!("previous_item_id"),
        ),
        (
            json!({ "type": "session.update", "session": { "type": "realtime", "modalities": ["text"] }, "event_id": "e3" }),
            "unknown_parameter",
            json!("session.modalities"),
        ),
        (
            json!({ "type": "session.update", "session": { "instructions": "x" } }),
            "missing_required_parameter",
            json!("session.type"),
        ),
        (
            json!({ "type": "response.create", "response": { "max_output_tokens": 99999 } }),
            "invalid_value",
            json!("response.max_output_tokens"),
        ),
    ];
    for (event, code, param) in cases {
        let text = match &event {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        peer.ws.send(Message::Text(text.into())).await.unwrap();
        let e = peer.recv().await;
        assert_eq!(e["type"], "error", "{event} → {e}");
        assert_eq!(e["error"]["code"], code, "{event} → {e}");
        assert_eq!(e["error"]["param"], param, "{event} → {e}");
        assert_eq!(e["error"]["type"], "invalid_request_error");
        if let Some(id) = event.get("event_id") {
            assert_eq!(&e["error"]["event_id"], id);
        }
    }
    // A binary frame.
    peer.ws.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert_eq!(peer.recv().await["error"]["code"], "invalid_event");

    // A second response while one is in progress.
    peer.send(user_text("Tell me about parking")).await;
    peer.recv_until("conversation.item.done").await;
    peer.send(json!({ "type": "response.create" })).await;
    peer.send(json!({ "type": "response.create", "event_id": "e_dup" }))
        .await;
    let events = peer.recv_until("rate_limits.updated").await;
    let err = events.iter().find(|e| e["type"] == "error");
    if let Some(err) = err {
        assert_eq!(err["error"]["code"], "conversation_already_has_active_response");
        assert_eq!(err["error"]["event_id"], "e_dup");
    } else {
        // The first response finished before the second arrived: that one runs normally.
        let second = peer.recv_until("rate_limits.updated").await;
        assert_eq!(second[second.len() - 2]["response"]["status"], "completed");
    }

    // Still usable.
    peer.send(user_text("hello")).await;
    assert_eq!(peer.recv().await["type"], "conversation.item.added");
}

#[tokio::test]
async fn oversized_frames_close_with_1009() {
    let server = start_with(EngineConfig {
        max_frame_bytes: 64 * 1024,
        ..EngineConfig::default()
    })
    .await;
    let mut peer = Peer::text_session(&server).await;
    peer.send(append(&vec![0u8; 100 * 1024])).await;
    let (code, _) = peer.expect_close().await;
    assert_eq!(code, CloseCode::Size);
}

#[tokio::test]
async fn sessions_expire_with_the_service_error_and_close_1001() {
    let server = start_with(EngineConfig {
        session_duration: Duration::from_millis(300),
        ..EngineConfig::default()
    })
    .await;
    let mut peer = Peer::connect(&server, KEY).await.unwrap();
    assert_eq!(peer.recv().await["type"], "session.created");
    let err = peer.recv().await;
    assert_eq!(err["error"]["code"], "session_expired");
    let (code, reason) = peer.expect_close().await;
    assert_eq!((code, reason.as_str()), (CloseCode::Away, "session_expired"));
}

#[tokio::test]
async fn open_sessions_close_1001_when_the_server_shuts_down() {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = start_with(EngineConfig {
        shutdown: shutdown.clone(),
        ..EngineConfig::default()
    })
    .await;
    let mut peer = Peer::connect(&server, KEY).await.unwrap();
    assert_eq!(peer.recv().await["type"], "session.created");
    shutdown.cancel();
    let (code, reason) = peer.expect_close().await;
    assert_eq!((code, reason.as_str()), (CloseCode::Away, "server_shutting_down"));
}

#[tokio::test]
async fn auth_is_required_in_every_accepted_form() {
    let server = start().await;
    match Peer::connect(&server, "sk-wrong").await {
        Err(tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), 401);
            let body: Value = serde_json::from_slice(resp.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["error"]["code"], "invalid_api_key");
        }
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
    // Browsers: the key as a subprotocol, answered with `realtime`.
    let mut req = format!("ws://{}/v1/realtime?model=gpt-realtime", server.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        format!("realtime, openai-insecure-api-key.{KEY}")
            .parse()
            .unwrap(),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(resp.headers()["sec-websocket-protocol"], "realtime");
    let first = ws.next().await.unwrap().unwrap();
    assert!(first.to_text().unwrap().contains("session.created"));

    // The beta header: an error event, then close 4000.
    let mut req = format!("ws://{}/v1/realtime?model=gpt-realtime", server.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    req.headers_mut()
        .insert("openai-beta", "realtime=v1".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let mut peer = Peer { ws };
    assert_eq!(peer.recv().await["error"]["code"], "beta_api_shape_disabled");
    assert_eq!(peer.expect_close().await.0, CloseCode::Library(4000));
}

#[tokio::test]
async fn client_secrets_are_minted_used_revoked_and_validated() {
    let server = start().await;
    let http = reqwest::Client::new();
    let url = format!("http://{}/v1/realtime/client_secrets", server.addr);
    let body = json!({ "expires_after": { "anchor": "created_at", "seconds": 120 }, "session": { "type": "realtime", "model": "gpt-realtime-mini", "instructions": "Be brief.", "output_modalities": ["text"] } });
    let resp = http.post(&url).bearer_auth(KEY).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let minted: Value = resp.json().await.unwrap();
    let value = minted["value"].as_str().unwrap().to_owned();
    assert!(value.starts_with("ek_") && value.len() == 35, "{value}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((minted["expires_at"].as_i64().unwrap() - (now + 120)).abs() <= 2);
    assert_eq!(minted["session"]["instructions"], "Be brief.");
    assert_eq!(
        minted["session"]["audio"]["output"]["voice"], "alloy",
        "defaults are filled in"
    );

    // The secret starts a session configured as requested.
    let mut peer = Peer::connect(&server, &value).await.unwrap();
    let created = peer.recv().await;
    assert_eq!(created["session"]["model"], "gpt-realtime-mini");
    assert_eq!(created["session"]["instructions"], "Be brief.");
    assert_eq!(created["session"]["output_modalities"], json!(["text"]));

    // A secret cannot mint secrets.
    assert_eq!(
        http.post(&url)
            .bearer_auth(&value)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Revoked: no new sessions.
    let resp = http
        .delete(format!("{url}/{value}"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(
        matches!(Peer::connect(&server, &value).await, Err(tungstenite::Error::Http(r)) if r.status() == 401)
    );

    let bad = [
        (
            json!({ "expires_after": { "anchor": "created_at", "seconds": 5 } }),
            "invalid_value",
            "expires_after.seconds",
        ),
        (
            json!({ "expires_after": { "anchor": "now", "seconds": 60 } }),
            "invalid_value",
            "expires_after.anchor",
        ),
        (json!({ "colour": "blue" }), "unknown_parameter", "colour"),
        (
            json!({ "session": { "type": "realtime", "voice": "alloy" } }),
            "unknown_parameter",
            "session.voice",
        ),
    ];
    for (body, code, param) in bad {
        let resp = http.post(&url).bearer_auth(KEY).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(
            (err["error"]["code"].as_str(), err["error"]["param"].as_str()),
            (Some(code), Some(param)),
            "{body}"
        );
    }
}

#[tokio::test]
async fn expired_secrets_are_refused() {
    let server = start().await;
    let secret = server.engine.keys().mint(-1, Default::default()).unwrap();
    assert!(
        matches!(Peer::connect(&server, &secret.value).await, Err(tungstenite::Error::Http(r)) if r.status() == 401)
    );
}

#[tokio::test]
async fn closing_releases_the_session() {
    let server = start().await;
    let mut peer = Peer::connect(&server, KEY).await.unwrap();
    peer.recv().await;
    assert_eq!(server.engine.open_sessions(), 1);
    peer.ws.close(None).await.unwrap();
    for _ in 0..50 {
        if server.engine.open_sessions() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("session still counted as open");
}

#[tokio::test]
async fn spoken_answers_stream_audio_and_truncate_exactly() {
    let tts: Arc<dyn donna_speech::Synthesizer> = Arc::new(donna_speech::Tts::default());
    let server = start_with(EngineConfig {
        tts: Some(tts),
        ..EngineConfig::default()
    })
    .await;
    let mut peer = Peer::connect(&server, KEY).await.unwrap();
    assert_eq!(
        peer.recv().await["session"]["output_modalities"],
        json!(["audio"])
    );
    peer.send(user_text("Where are the toilets?")).await;
    peer.recv_until("conversation.item.done").await;
    peer.send(json!({ "type": "response.create" })).await;
    let events = peer.recv_until("rate_limits.updated").await;
    let t = types(&events);
    assert_eq!(
        &t[..4],
        [
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added"
        ]
    );
    assert_eq!(
        &t[t.len() - 7..],
        [
            "response.output_audio.done",
            "response.output_audio_transcript.done",
            "response.content_part.done",
            "response.output_item.done",
            "conversation.item.done",
            "response.done",
            "rate_limits.updated"
        ]
    );
    assert!(
        t[4..t.len() - 7]
            .iter()
            .all(|k| *k == "response.output_audio.delta" || *k == "response.output_audio_transcript.delta")
    );
    assert_eq!(events[3]["part"], json!({ "type": "audio", "transcript": "" }));

    let transcript: String = events
        .iter()
        .filter(|e| e["type"] == "response.output_audio_transcript.delta")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    let done = events
        .iter()
        .find(|e| e["type"] == "response.output_audio_transcript.done")
        .unwrap();
    assert_eq!(done["transcript"], transcript.as_str());
    assert!(
        transcript.contains("toilets are on the ground floor"),
        "{transcript}"
    );
    let audio: Vec<u8> = events
        .iter()
        .filter(|e| e["type"] == "response.output_audio.delta")
        .flat_map(|e| {
            base64::engine::general_purpose::STANDARD
                .decode(e["delta"].as_str().unwrap())
                .unwrap()
        })
        .collect();
    assert_eq!(audio.len() % 2, 0);
    let ms = audio.len() as u64 / 48;
    // Two sentences, about 20 words: several seconds of speech, not silence.
    assert!((3_000..15_000).contains(&ms), "{ms} ms");
    let samples: Vec<i16> = audio
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let rms = (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt();
    assert!(rms > 500.0, "rms {rms}");
    let response = &events[events.len() - 2]["response"];
    assert_eq!(response["output_modalities"], json!(["audio"]));
    assert_eq!(
        response["output"][0]["content"][0],
        json!({ "type": "output_audio", "transcript": transcript })
    );

    // The visitor heard 1,234 ms: the item keeps exactly that much audio.
    let item_id = events[1]["item"]["id"].as_str().unwrap().to_owned();
    let err = peer.expect_error(json!({ "type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": ms + 1 })).await;
    assert_eq!(err["code"], "invalid_value");
    assert!(
        err["message"].as_str().unwrap().contains("already shorter than"),
        "{err}"
    );
    peer.send(json!({ "type": "conversation.item.truncate", "item_id": item_id, "content_index": 0, "audio_end_ms": 1234 })).await;
    let truncated = peer.recv().await;
    assert_eq!(
        (truncated["type"].as_str(), truncated["audio_end_ms"].as_u64()),
        (Some("conversation.item.truncated"), Some(1234))
    );
    // The voice cannot change once it has spoken.
    let err = peer.expect_error(json!({ "type": "session.update", "session": { "type": "realtime", "audio": { "output": { "voice": "marin" } } } })).await;
    assert_eq!(err["code"], "cannot_update_voice");
}
