//! The client through real interfaces: a WebSocket fake server on 127.0.0.1:0 that follows the
//! protocol reference, and the recorded transcripts replayed through the mock transport.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use donna_realtime::protocol::{ClientEvent, SessionConfig};
use donna_realtime::transport::failover::Failover;
use donna_realtime::transport::mock::{MockConnector, mock_pair};
use donna_realtime::{
    ClientConfig, ConnectOptions, Credential, RealtimeClient, RealtimeError, ReconnectPolicy, ToolHandler,
    UiUpdate,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

const LIMIT: Duration = Duration::from_secs(5);

// --- the fake server ----------------------------------------------------------------------

/// What the fake does, and what it saw.
#[derive(Default)]
struct Fake {
    /// Client events received, per connection, as JSON.
    seen: Mutex<Vec<Vec<Value>>>,
    /// Close frames received from the client, per connection (code).
    closes: Mutex<Vec<u16>>,
    /// Drop the TCP connection (no close frame) after `response.created` on this many first
    /// responses.
    drops_left: AtomicUsize,
    ids: AtomicUsize,
}

impl Fake {
    fn id(&self, prefix: &str) -> String {
        format!("{prefix}_{}", self.ids.fetch_add(1, Ordering::SeqCst))
    }
}

/// Start the fake on a free port; returns the base URL (`http://127.0.0.1:PORT/v1`).
async fn start(fake: Arc<Fake>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(fake.clone(), tcp));
        }
    });
    format!("http://{addr}/v1")
}

async fn serve(fake: Arc<Fake>, tcp: tokio::net::TcpStream) {
    let mut bearer = String::new();
    // The callback's signature is tungstenite's; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let check = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        assert!(req.uri().path().ends_with("/v1/realtime"), "{}", req.uri());
        assert_eq!(req.uri().query(), Some("model=gpt-realtime"));
        assert!(
            req.headers().get("openai-beta").is_none(),
            "GA sends no beta header"
        );
        bearer = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if bearer == "Bearer sk-good" || bearer == "Bearer sk-revoked" {
            Ok(resp)
        } else {
            let mut err = ErrorResponse::new(Some(r#"{"error":{"code":"invalid_api_key"}}"#.to_owned()));
            *err.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
            Err(err)
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, check).await else {
        return;
    };
    let conn = {
        let mut seen = fake.seen.lock().unwrap();
        seen.push(Vec::new());
        seen.len() - 1
    };
    let send = |v: Value| Message::text(v.to_string());
    if bearer == "Bearer sk-revoked" {
        // The older behaviour: accept, then an error event and close 3000.
        let _ = ws
            .send(send(json!({"type":"error","event_id":"event_x","error":{"type":"invalid_request_error",
                "code":"invalid_api_key","message":"Incorrect API key provided.","param":null,"event_id":null}})))
            .await;
        let _ = ws
            .send(Message::Close(Some(CloseFrame {
                code: 3000.into(),
                reason: "invalid_request_error.invalid_api_key".into(),
            })))
            .await;
        return;
    }
    let session =
        json!({"type":"realtime","object":"realtime.session","id":fake.id("sess"),"model":"gpt-realtime"});
    ws.send(send(
        json!({"type":"session.created","event_id":fake.id("event"),"session":session}),
    ))
    .await
    .unwrap();
    // The conversation as the server sees it: (id, kind, text).
    let mut items: Vec<(String, String, String)> = Vec::new();
    while let Some(Ok(msg)) = ws.next().await {
        let text = match msg {
            Message::Text(t) => t.to_string(),
            Message::Close(frame) => {
                fake.closes
                    .lock()
                    .unwrap()
                    .push(frame.map_or(1005, |f| u16::from(f.code)));
                return;
            }
            _ => continue,
        };
        let event = ClientEvent::parse_known(&text).unwrap();
        fake.seen.lock().unwrap()[conn].push(serde_json::from_str(&text).unwrap());
        let mut out = Vec::new();
        match event {
            ClientEvent::SessionUpdate(u) => {
                let mut s = serde_json::to_value(&u.session).unwrap();
                s["id"] = session["id"].clone();
                s["object"] = json!("realtime.session");
                out.push(json!({"type":"session.updated","event_id":fake.id("event"),"session":s}));
            }
            ClientEvent::ConversationItemCreate(c) => {
                let mut item = serde_json::to_value(&c.item).unwrap();
                let id = c.item.id().map_or_else(|| fake.id("item"), str::to_owned);
                item["id"] = json!(id);
                item["status"] = json!("completed");
                let prev = items.last().map(|i| json!(i.0)).unwrap_or(Value::Null);
                let kind = item["type"].as_str().unwrap().to_owned();
                let body = if kind == "function_call_output" {
                    item["output"].as_str().unwrap().to_owned()
                } else {
                    c.item.text()
                };
                items.push((id, kind, body));
                for t in ["conversation.item.added", "conversation.item.done"] {
                    out.push(
                        json!({"type":t,"event_id":fake.id("event"),"previous_item_id":prev,"item":item}),
                    );
                }
            }
            ClientEvent::ResponseCreate(_) => {
                let rid = fake.id("resp");
                out.push(json!({"type":"response.created","event_id":fake.id("event"),
                    "response":{"id":rid,"object":"realtime.response","status":"in_progress","output":[]}}));
                if fake
                    .drops_left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    for v in out {
                        ws.send(send(v)).await.unwrap();
                    }
                    // Abnormal drop: no close frame.
                    drop(ws);
                    return;
                }
                let (_, kind, body) = items.last().cloned().unwrap_or_default();
                let prev = items.last().map(|i| json!(i.0)).unwrap_or(Value::Null);
                if kind == "message" && body.contains("weather") {
                    let fc = json!({"id":fake.id("item"),"type":"function_call","status":"completed",
                        "call_id":"call_1","name":"weather","arguments":"{\"city\":\"Paris\"}"});
                    out.push(json!({"type":"response.output_item.added","event_id":fake.id("event"),"response_id":rid,"output_index":0,"item":fc}));
                    out.push(json!({"type":"response.function_call_arguments.done","event_id":fake.id("event"),"response_id":rid,
                        "item_id":fc["id"],"output_index":0,"call_id":"call_1","name":"weather","arguments":"{\"city\":\"Paris\"}"}));
                    out.push(json!({"type":"conversation.item.done","event_id":fake.id("event"),"previous_item_id":prev,"item":fc}));
                    items.push((
                        fc["id"].as_str().unwrap().to_owned(),
                        "function_call".into(),
                        String::new(),
                    ));
                    out.push(json!({"type":"response.done","event_id":fake.id("event"),
                        "response":{"id":rid,"status":"completed","output":[fc]}}));
                } else {
                    let answer = if kind == "function_call_output" {
                        format!("Tool said: {body}")
                    } else {
                        format!("You said: {body}")
                    };
                    let aid = fake.id("item");
                    let item = json!({"id":aid,"type":"message","status":"completed","role":"assistant",
                        "content":[{"type":"output_text","text":answer}]});
                    out.push(json!({"type":"response.output_item.added","event_id":fake.id("event"),"response_id":rid,"output_index":0,
                        "item":{"id":aid,"type":"message","status":"in_progress","role":"assistant","content":[]}}));
                    let (a, b) = answer.split_at(answer.len() / 2);
                    for d in [a, b] {
                        out.push(json!({"type":"response.output_text.delta","event_id":fake.id("event"),"response_id":rid,
                            "item_id":aid,"output_index":0,"content_index":0,"delta":d}));
                    }
                    out.push(json!({"type":"response.output_text.done","event_id":fake.id("event"),"response_id":rid,
                        "item_id":aid,"output_index":0,"content_index":0,"text":answer}));
                    out.push(json!({"type":"conversation.item.done","event_id":fake.id("event"),"previous_item_id":prev,"item":item}));
                    items.push((aid, "message".into(), answer));
                    out.push(json!({"type":"response.done","event_id":fake.id("event"),
                        "response":{"id":rid,"status":"completed","output":[item]}}));
                }
                out.push(json!({"type":"rate_limits.updated","event_id":fake.id("event"),
                    "rate_limits":[{"name":"tokens","limit":40000,"remaining":39000,"reset_seconds":1.0}]}));
            }
            _ => {}
        }
        for v in out {
            if ws.send(send(v)).await.is_err() {
                return;
            }
        }
        // A frame that is not an event must be skipped by the client, not fatal.
        let _ = ws.send(Message::text("{not json")).await;
    }
}

fn options(base: &str, key: &str) -> ConnectOptions {
    let session: SessionConfig =
        serde_json::from_value(json!({"type":"realtime","output_modalities":["text"],
        "instructions":"You are Donna."}))
        .unwrap();
    let mut options = ConnectOptions::new(base, "gpt-realtime", Credential::new(key), session);
    options.client.reconnect = ReconnectPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        rollover_after: None,
    };
    options
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

struct Weather;

impl ToolHandler for Weather {
    async fn call(&self, _call_id: &str, name: &str, arguments: &str) -> String {
        assert_eq!((name, arguments), ("weather", "{\"city\":\"Paris\"}"));
        "{\"temp_c\":21}".to_owned()
    }
}

// --- WebSocket ----------------------------------------------------------------------------

#[tokio::test]
async fn a_text_turn_over_websocket() {
    let fake = Arc::new(Fake::default());
    let base = start(fake.clone()).await;
    let client = tokio::time::timeout(LIMIT, RealtimeClient::connect(options(&base, "sk-good")))
        .await
        .unwrap()
        .unwrap();
    let mut updates = client.subscribe();
    let answer = tokio::time::timeout(LIMIT, client.ask_text("hello"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "You said: hello");
    let mut captions = String::new();
    while let Ok(update) = updates.try_recv() {
        if let UiUpdate::AssistantDelta { delta, .. } = update {
            captions.push_str(&delta);
        }
    }
    assert_eq!(captions, "You said: hello");
    tokio::time::timeout(LIMIT, client.close())
        .await
        .unwrap()
        .unwrap();
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        kinds(&seen[0]),
        ["session.update", "conversation.item.create", "response.create"]
    );
    assert_eq!(seen[0][0]["session"]["instructions"], "You are Donna.");
    assert_eq!(*fake.closes.lock().unwrap(), [1000]);
}

#[tokio::test]
async fn a_function_call_round_trip_over_websocket() {
    let fake = Arc::new(Fake::default());
    let base = start(fake.clone()).await;
    let mut options = options(&base, "sk-good");
    options.client = options.client.with_tools(Weather);
    let client = RealtimeClient::connect(options).await.unwrap();
    let answer = tokio::time::timeout(LIMIT, client.ask_text("what is the weather in Paris?"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "Tool said: {\"temp_c\":21}");
    client.close().await.unwrap();
    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(
        kinds(&seen[0]),
        [
            "session.update",
            "conversation.item.create",
            "response.create",
            "conversation.item.create",
            "response.create"
        ]
    );
    assert_eq!(
        seen[0][3]["item"],
        json!({"type":"function_call_output","call_id":"call_1","output":"{\"temp_c\":21}"})
    );
}

#[tokio::test]
async fn a_bad_bearer_is_unauthorized() {
    let base = start(Arc::new(Fake::default())).await;
    let err = RealtimeClient::connect(options(&base, "sk-bad"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RealtimeError::Unauthorized { status: Some(401), message } if message.contains("invalid_api_key")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_error_then_close_3000_is_unauthorized() {
    let base = start(Arc::new(Fake::default())).await;
    let err = RealtimeClient::connect(options(&base, "sk-revoked"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RealtimeError::Unauthorized { status: None, message } if message.contains("Incorrect API key")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = RealtimeClient::connect(options(&format!("http://{addr}/v1"), "sk-good"))
        .await
        .unwrap_err();
    assert!(matches!(err, RealtimeError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_drop_mid_response_reconnects_reseeds_and_finishes_the_turn() {
    let fake = Arc::new(Fake::default());
    let base = start(fake.clone()).await;
    let client = RealtimeClient::connect(options(&base, "sk-good")).await.unwrap();
    assert_eq!(client.ask_text("first").await.unwrap(), "You said: first");
    let mut updates = client.subscribe();
    fake.drops_left.store(1, Ordering::SeqCst);
    let answer = tokio::time::timeout(LIMIT, client.ask_text("second"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "You said: second");
    let mut reconnecting = 0;
    while let Ok(update) = updates.try_recv() {
        if let UiUpdate::Reconnecting { attempt, reason } = update {
            assert_eq!(attempt, 1);
            assert!(reason.contains("1006"), "{reason}");
            reconnecting += 1;
        }
    }
    assert_eq!(reconnecting, 1);
    client.close().await.unwrap();

    let seen = fake.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one reconnect");
    let second = &seen[1];
    assert_eq!(
        kinds(second),
        [
            "session.update",
            "conversation.item.create",
            "conversation.item.create",
            "conversation.item.create",
            "response.create"
        ]
    );
    assert_eq!(second[0]["session"]["instructions"], "You are Donna.");
    let restored: Vec<(&str, &str)> = second[1..4]
        .iter()
        .map(|e| {
            let item = &e["item"];
            (
                item["role"].as_str().unwrap(),
                item["content"][0]["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        restored,
        [
            ("user", "first"),
            ("assistant", "You said: first"),
            ("user", "second")
        ]
    );
    assert_eq!(second[2]["item"]["content"][0]["type"], "output_text");
}

// --- mock transport replays ---------------------------------------------------------------

/// Play the server side of a fixture over a mock transport: `s` lines are sent, `c` lines must
/// be what the client sends next; `app` and `ui` lines are the test's business.
async fn play_server(fixture: &'static str, mut peer: donna_realtime::transport::mock::MockPeer) {
    for line in fixture.lines().filter(|l| !l.trim().is_empty()) {
        let line: Value = serde_json::from_str(line).unwrap();
        if let Some(event) = line.get("s") {
            peer.send_json(&event.to_string()).unwrap();
        } else if let Some(expected) = line.get("c") {
            let got = tokio::time::timeout(LIMIT, peer.recv()).await.unwrap().unwrap();
            assert_eq!(&serde_json::from_str::<Value>(&got.to_json()).unwrap(), expected);
        }
    }
    // Hold the connection open until the client closes it.
    while peer.recv().await.is_some() {}
}

fn fixture_config(fixture: &str) -> ClientConfig {
    let first: Value = serde_json::from_str(fixture.lines().next().unwrap()).unwrap();
    let mut config = ClientConfig::new(serde_json::from_value(first["config"].clone()).unwrap());
    config.reconnect.rollover_after = None;
    config
}

#[tokio::test]
async fn the_recorded_text_turn_through_the_mock_transport() {
    let fixture = include_str!("fixtures/text-turn.jsonl");
    let (transport, peer) = mock_pair();
    let server = tokio::spawn(play_server(fixture, peer));
    let connector = Arc::new(MockConnector::new([Ok(transport)]));
    let client = RealtimeClient::connect_with(connector.clone(), fixture_config(fixture))
        .await
        .unwrap();
    let answer = tokio::time::timeout(LIMIT, client.ask_text("When do you open?"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "We open at 9 on weekdays.");
    client.close().await.unwrap();
    tokio::time::timeout(LIMIT, server).await.unwrap().unwrap();
    assert_eq!(connector.calls(), 1);
}

struct StaffPresence;

impl ToolHandler for StaffPresence {
    async fn call(&self, _call_id: &str, name: &str, arguments: &str) -> String {
        assert_eq!((name, arguments), ("staff_presence", "{\"name\":\"Dr. Lee\"}"));
        "{\"in\":true,\"until\":\"17:00\"}".to_owned()
    }
}

#[tokio::test]
async fn the_recorded_function_call_through_the_mock_transport() {
    let fixture = include_str!("fixtures/function-call.jsonl");
    let (transport, peer) = mock_pair();
    let server = tokio::spawn(play_server(fixture, peer));
    let connector = Arc::new(MockConnector::new([Ok(transport)]));
    let client = RealtimeClient::connect_with(connector, fixture_config(fixture).with_tools(StaffPresence))
        .await
        .unwrap();
    let answer = tokio::time::timeout(LIMIT, client.ask_text("Is Dr. Lee in today?"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "Yes, Dr. Lee is in until 5 pm.");
    client.close().await.unwrap();
    tokio::time::timeout(LIMIT, server).await.unwrap().unwrap();
}

#[tokio::test]
async fn the_session_rolls_over_when_quiet() {
    let (first, mut peer1) = mock_pair();
    let (second, mut peer2) = mock_pair();
    let connector = Arc::new(MockConnector::new([Ok(first), Ok(second)]));
    let mut config = ClientConfig::new(SessionConfig::default());
    config.reconnect.rollover_after = Some(Duration::from_millis(50));
    let created = r#"{"type":"session.created","event_id":"e","session":{"id":"sess_1"}}"#;
    let updated = r#"{"type":"session.updated","event_id":"e","session":{}}"#;
    peer1.send_json(created).unwrap();
    peer1.send_json(updated).unwrap();
    peer2.send_json(created).unwrap();
    peer2.send_json(updated).unwrap();
    let client = RealtimeClient::connect_with(connector.clone(), config)
        .await
        .unwrap();
    let update = tokio::time::timeout(LIMIT, peer2.recv()).await.unwrap().unwrap();
    assert_eq!(update.kind(), "session.update");
    assert!(peer1.client_closed(), "the old connection was closed first");
    assert!(matches!(peer1.recv().await, Some(ClientEvent::SessionUpdate(_))));
    assert!(peer1.recv().await.is_none());
    assert_eq!(connector.calls(), 2);
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_roll_over_asked_for_returns_to_the_preferred_route() {
    let (on_fallback, fallback_peer) = mock_pair();
    let (on_preferred, mut preferred_peer) = mock_pair();
    let refused = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "cloud is out");
    let failover = Failover::new(vec![
        (
            "cloud".to_owned(),
            Arc::new(MockConnector::new([
                Err(RealtimeError::Connect(refused())),
                Ok(on_preferred),
            ])),
        ),
        (
            "local".to_owned(),
            Arc::new(MockConnector::new([Ok(on_fallback)])),
        ),
    ]);
    let live = failover.watch();
    let created = r#"{"type":"session.created","event_id":"e","session":{"id":"sess_1"}}"#;
    let updated = r#"{"type":"session.updated","event_id":"e","session":{}}"#;
    for peer in [&fallback_peer, &preferred_peer] {
        peer.send_json(created).unwrap();
        peer.send_json(updated).unwrap();
    }
    let mut config = ClientConfig::new(SessionConfig::default());
    config.reconnect.rollover_after = None;
    let client = RealtimeClient::connect_with(failover, config).await.unwrap();
    assert_eq!(
        live.borrow().as_ref().map(|l| l.name.clone()).as_deref(),
        Some("local")
    );

    client.roll_over().await.unwrap();
    let update = tokio::time::timeout(LIMIT, preferred_peer.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(update.kind(), "session.update");
    assert!(
        fallback_peer.client_closed(),
        "the fallback connection was closed"
    );
    let now = live.borrow().clone().unwrap();
    assert_eq!((now.name.as_str(), now.is_fallback()), ("cloud", false));
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_turn_fails_explicitly_when_reconnecting_gives_up() {
    let (first, peer) = mock_pair();
    // The script has no second connection: every reconnect attempt is refused.
    let connector = Arc::new(MockConnector::new([Ok(first)]));
    let mut config = ClientConfig::new(SessionConfig::default());
    config.reconnect = ReconnectPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(5),
        rollover_after: None,
    };
    peer.send_json(r#"{"type":"session.created","event_id":"e","session":{"id":"sess_1"}}"#)
        .unwrap();
    peer.send_json(r#"{"type":"session.updated","event_id":"e","session":{}}"#)
        .unwrap();
    let client = RealtimeClient::connect_with(connector.clone(), config)
        .await
        .unwrap();
    let ask = client.ask_text("anyone?");
    let drop_it = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        peer.close(1011, "server error");
    };
    let (result, ()) = tokio::time::timeout(LIMIT, async { tokio::join!(ask, drop_it) })
        .await
        .unwrap();
    assert!(
        matches!(result, Err(RealtimeError::ReconnectFailed { attempts: 2, .. })),
        "{result:?}"
    );
    assert_eq!(connector.calls(), 3);
}
