//! The receptionist over HTTP: browser conversations that check visitors in, the staff routes,
//! acknowledgements, the live event stream to several subscribers, the internal fan-out, and
//! signed webhooks with retries against a real local receiver.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use donna_config::Secret;
use donna_desk::store::Store;
use donna_desk::{Desk, Reception};
use donna_gateway::auth::{Authenticator, Jwt, Role};
use donna_gateway::webhooks::{DeliveryPolicy, signature};
use donna_gateway::{GatewayState, HealthInfo, UiAssets};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

struct NoUi;
impl UiAssets for NoUi {
    fn get(&self, _: &str) -> Option<Cow<'static, [u8]>> {
        None
    }
}

struct Server {
    base: String,
    http: reqwest::Client,
    jwt: Jwt,
    reception: Arc<Reception>,
    shutdown: CancellationToken,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Server {
    fn token(&self, sub: &str, role: Role) -> String {
        self.jwt.mint(sub, role, 600).unwrap()
    }

    async fn chat(&self, message: &str, conversation: Option<&str>) -> (StatusCode, Value) {
        let mut body = json!({ "message": message });
        if let Some(c) = conversation {
            body["conversation_id"] = json!(c);
        }
        let resp = self
            .http
            .post(format!("{}/api/chat", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap_or(Value::Null))
    }
}

async fn start(webhooks: Vec<String>, policy: Option<DeliveryPolicy>) -> Server {
    // Thursday 26 November 2026, 10:00 in London: open.
    start_at("2026-11-26T10:00:00Z", webhooks, policy).await
}

/// The gateway on the example clinic with its clock stopped at `at`.
async fn start_at(at: &str, webhooks: Vec<String>, policy: Option<DeliveryPolicy>) -> Server {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("donna.sqlite3");
    start_on(&db, data, at, webhooks, policy).await
}

/// A gateway on the store at `db`: two on one store are two gateways of one front desk.
async fn start_on(
    db: &std::path::Path,
    data: tempfile::TempDir,
    at: &str,
    webhooks: Vec<String>,
    policy: Option<DeliveryPolicy>,
) -> Server {
    let desk = Desk::load(None).unwrap().with_fixed_time(at.parse().unwrap());
    let store = Store::open(db).unwrap();
    let reception = Arc::new(Reception::new(desk.clone(), store, webhooks));
    let jwt = Jwt::hs256(
        &Secret::new("a-test-secret-that-is-long-enough-1234"),
        "donna",
        "donna",
    );
    let info = HealthInfo {
        version: "test",
        backend: "local",
        data_dir: data.path().to_owned(),
    };
    let state = GatewayState::new(Arc::new(desk), info, Arc::new(NoUi))
        .with_auth(Authenticator::new(Some(jwt.clone())))
        .with_reception(reception.clone(), None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    tokio::spawn(donna_gateway::serve(
        listener,
        donna_gateway::app(state),
        shutdown.clone(),
    ));
    if let Some(policy) = policy {
        donna_gateway::webhooks::spawn(
            reception.clone(),
            Some(Secret::new("hook-secret")),
            policy,
            shutdown.clone(),
        );
    }
    Server {
        base,
        http: reqwest::Client::new(),
        jwt,
        reception,
        shutdown,
        _data: data,
    }
}

#[tokio::test]
async fn a_browser_conversation_checks_a_visitor_in_and_staff_see_it() {
    let s = start(vec![], None).await;
    let (status, first) = s.chat("Hello, I'm here to see Maria at two", None).await;
    assert_eq!(status, 200);
    let conv = first["conversation_id"].as_str().unwrap().to_owned();
    assert!(conv.starts_with("web_") && conv.len() == 36, "{conv}");
    assert_eq!(
        first["reply"],
        "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
    );
    assert_eq!(
        s.chat("Maria Lopez", Some(&conv)).await.1["reply"],
        "Thank you. May I have your name, please?"
    );
    let (_, done) = s.chat("My name is Ann Lee", Some(&conv)).await;
    assert!(
        done["reply"]
            .as_str()
            .unwrap()
            .starts_with("Thank you, Ann. I've let Maria Lopez know"),
        "{done}"
    );

    // Another visitor's conversation is separate.
    let (_, other) = s.chat("Maria Chen", None).await;
    assert_ne!(other["conversation_id"], conv.as_str());

    let staff = s.token("maria-lopez", Role::Staff);
    let (status, visits) = s.get("/api/visits?since=0", &staff).await;
    assert_eq!(status, 200);
    assert_eq!(visits.as_array().unwrap().len(), 1);
    assert_eq!(visits[0]["visitor_name"], "Ann Lee");
    assert_eq!(visits[0]["appointment_time"], "14:00");
    let (_, overview) = s.get("/api/overview", &staff).await;
    assert_eq!(overview["waiting"].as_array().unwrap().len(), 1);

    // Unknown or malformed conversation ids are refused, not silently restarted.
    let (status, err) = s.chat("hello", Some("web_0000")).await;
    assert_eq!(
        (status.as_u16(), err["error"]["code"].as_str()),
        (404, Some("conversation_not_found"))
    );
    let (status, _) = s.chat("hello", Some("../etc/passwd")).await;
    assert_eq!(status, 422);
}

/// The desk, the store's stamps and the staff lists read one clock: a visit Donna confirms
/// under a stopped clock is in that day's list and overview, whatever the real date is, and
/// nothing from another day is.
#[tokio::test]
async fn a_visit_under_a_stopped_clock_is_listed_for_that_day() {
    // Thursday 10 January 2030, 10:00 in London: open, and years from any real test run.
    let s = start_at("2030-01-10T10:00:00Z", vec![], None).await;
    let check_in = async |name: &str| {
        let message = format!("Hi, my name is {name} and I'm here to see Tom Becker");
        s.chat(&message, None).await
    };
    let (_, reply) = check_in("Ann Lee").await;
    assert!(
        reply["reply"]
            .as_str()
            .unwrap()
            .contains("I've let Tom Becker know"),
        "{reply}"
    );
    // A visit stamped on another day (yesterday by this clock) is not today's.
    let clock = s.reception.desk().clock();
    clock.advance(jiff::SignedDuration::from_hours(-24));
    check_in("Bo Diaz").await;
    clock.advance(jiff::SignedDuration::from_hours(24));
    assert_eq!(s.reception.store().visits_since(0).unwrap().len(), 2);

    let staff = s.token("tom-becker", Role::Staff);
    let (status, visits) = s.get("/api/visits", &staff).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = visits
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["visitor_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann Lee"], "{visits}");
    assert_eq!(
        visits[0]["checked_in_at"],
        json!(
            jiff::Timestamp::from_second(1_894_269_600)
                .unwrap()
                .as_millisecond()
        )
    );
    let (_, overview) = s.get("/api/overview", &staff).await;
    assert_eq!(overview["visits_today"], 1, "{overview}");
    assert_eq!(overview["waiting"][0]["visitor_name"], "Ann Lee");
}

#[tokio::test]
async fn staff_routes_need_a_staff_token() {
    let s = start(vec![], None).await;
    let kiosk = s.token("kiosk-lobby", Role::Kiosk);
    for path in ["/api/visits", "/api/messages", "/api/overview"] {
        assert_eq!(s.get(path, &kiosk).await.0, 403, "{path}");
        let resp = s.http.get(format!("{}{path}", s.base)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
    }
    let (status, messages) = s
        .get("/api/messages?since=0", &s.token("tom-becker", Role::Staff))
        .await;
    assert_eq!((status.as_u16(), messages), (200, json!([])));
}

#[tokio::test]
async fn events_stream_to_staff_and_the_kiosk_hears_only_its_own_acknowledgement() {
    let s = start(vec![], None).await;
    let subscribe = |token: String, query: &str| {
        let url = format!("{}/api/voice/events{query}", s.base);
        let http = s.http.clone();
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let kiosk = s.token("kiosk-lobby", Role::Kiosk);
    // A kiosk must name its conversation: staff events are not for the lobby.
    let refused = subscribe(kiosk.clone(), "").await;
    assert_eq!(refused.status(), 422);
    let staff_stream = subscribe(s.token("staff-maria-chen", Role::Staff), "").await;
    assert_eq!(staff_stream.status(), 200);
    assert_eq!(staff_stream.headers()["content-type"], "text/event-stream");
    let mut staff_events = staff_stream;

    let (_, reply) = s
        .chat("Hi, my name is Ann Lee and I'm here to see Dr Maria Chen", None)
        .await;
    assert!(
        reply["reply"].as_str().unwrap().starts_with("Thank you, Ann."),
        "{reply}"
    );
    let conversation = reply["conversation_id"].as_str().unwrap().to_owned();
    let text = read_until(&mut staff_events, "visitor.checked_in").await;
    assert!(text.contains("Ann Lee is at reception to see you."), "{text}");

    // The visitor's kiosk listens for its own conversation; another kiosk for another one.
    let mut ours = subscribe(kiosk.clone(), &format!("?conversation_id={conversation}")).await;
    let mut theirs = subscribe(kiosk, "?conversation_id=web_0123456789abcdef0123456789abcdef").await;
    assert_eq!((ours.status().as_u16(), theirs.status().as_u16()), (200, 200));

    // A message for staff (names and a phone number) reaches staff, never a kiosk.
    s.reception.run_tool(
        "take_message",
        &json!({ "for_staff": "Maria Chen", "from_name": "Bo Diaz", "message": "Call me on 07700 900123" })
            .to_string(),
        Some(&conversation),
    );
    let text = read_until(&mut staff_events, "message.left").await;
    assert!(text.contains("Bo Diaz"), "{text}");

    // The staff member acknowledges; the visitor's kiosk hears she is on her way.
    let visit_id = s.reception.store().visits_since(0).unwrap()[0].id;
    let resp = s
        .http
        .post(format!("{}/api/visits/{visit_id}/ack", s.base))
        .bearer_auth(s.token("staff-maria-chen", Role::Staff))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = read_until(&mut ours, "visitor.acknowledged").await;
    assert!(text.contains("Maria is on their way."), "{text}");
    for private in ["Ann", "Lee", "Bo Diaz", "07700", "checked_in", "message.left"] {
        assert!(!text.contains(private), "the kiosk heard {private:?}: {text}");
    }
    // The other kiosk heard nothing of it (only keep-alives, if anything, within a second).
    let heard = tokio::time::timeout(Duration::from_secs(1), theirs.chunk()).await;
    if let Ok(Ok(Some(chunk))) = heard {
        let text = String::from_utf8_lossy(&chunk);
        assert!(!text.contains("event:"), "another kiosk heard: {text}");
    }
    // A staff token that is not a member of staff cannot acknowledge.
    let resp = s
        .http
        .post(format!("{}/api/visits/{visit_id}/ack", s.base))
        .bearer_auth(s.token("someone-else", Role::Staff))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
}

#[tokio::test]
async fn staff_see_a_visitor_out_once_and_the_desks_hear_it_once() {
    let s = start(vec![], None).await;
    let staff = s.token("staff-maria-chen", Role::Staff);
    let mut events = s
        .http
        .get(format!("{}/api/voice/events", s.base))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap();
    s.chat("Hi, my name is Ann Lee and I'm here to see Dr Maria Chen", None)
        .await;
    let (_, visits) = s.get("/api/visits", &staff).await;
    let id = visits[0]["id"].as_i64().unwrap();
    let check_out = |token: String, id: i64| {
        let request = s
            .http
            .post(format!("{}/api/visits/{id}/checkout", s.base))
            .bearer_auth(token);
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    // A kiosk cannot check visitors out; any member of staff can.
    let (status, body) = check_out(s.token("kiosk-lobby", Role::Kiosk), id).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let (status, body) = check_out(s.token("staff-front-desk", Role::Staff), id).await;
    assert_eq!(status, 200, "{body}");
    let left_at = body["visit"]["checked_out_at"].as_i64().unwrap();
    let text = read_until(&mut events, "visitor.checked_out").await;
    assert!(text.contains("Ann Lee has left."), "{text}");
    // Again: the first time is kept, and nobody is told twice.
    let (status, body) = check_out(staff.clone(), id).await;
    assert_eq!(
        (status, body["visit"]["checked_out_at"].as_i64()),
        (200, Some(left_at))
    );
    let heard = tokio::time::timeout(Duration::from_millis(500), events.chunk()).await;
    if let Ok(Ok(Some(chunk))) = heard {
        let text = String::from_utf8_lossy(&chunk);
        assert!(!text.contains("visitor.checked_out"), "told twice: {text}");
    }
    let (_, visits) = s.get("/api/visits", &staff).await;
    assert_eq!(visits[0]["checked_out_at"].as_i64(), Some(left_at));
    let (status, body) = check_out(staff, id + 1000).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
}

#[tokio::test]
async fn the_kiosk_page_is_welcomed_in_the_businesss_words() {
    let s = start(vec![], None).await;
    let resp = s
        .http
        .get(format!("{}/api/welcome", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("content-security-policy"));
    let welcome: Value = resp.json().await.unwrap();
    assert_eq!(welcome["name"], "Harbor Street Clinic");
    assert_eq!(
        welcome["greeting"],
        "Welcome to Harbor Street Clinic. I'm Donna, the receptionist. How can I help you today?"
    );
    assert_eq!(welcome["suggestions"][0], "I'm here to see someone", "{welcome}");
    assert_eq!(welcome["mode"], "window");
    assert_eq!(
        welcome["visit"],
        json!({ "idle_s": 60, "goodbye_s": 20, "max_s": 900 })
    );
}

#[tokio::test]
async fn a_visit_ended_at_the_kiosk_leaves_nothing_for_the_next_visitor() {
    let s = start(vec![], None).await;
    let (_, first) = s.chat("I'm here to see Tom Becker", None).await;
    assert_eq!(first["reply"], "Thank you. May I have your name, please?");
    let id = first["conversation_id"].as_str().unwrap().to_owned();
    let end = |id: String| {
        let request = s.http.delete(format!("{}/api/chat/{id}", s.base));
        async move { request.send().await.unwrap() }
    };
    assert_eq!(end(id.clone()).await.status(), 204);
    // The old id is gone: the page starts a new conversation, which knows nothing of Tom.
    let (status, body) = s.chat("Ann Lee", Some(&id)).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (404, Some("conversation_not_found"))
    );
    let (_, next) = s.chat("Ann Lee", None).await;
    assert!(!next["reply"].as_str().unwrap().contains("Tom"), "{next}");
    assert!(s.reception.store().visits_since(0).unwrap().is_empty());
    let again = end(id).await;
    assert_eq!(again.status(), 404);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conversation_not_found");
}

/// A conversation begun on one gateway goes on through another of the same desk, where it
/// left off; ended on either, it is over on both.
#[tokio::test]
async fn a_conversation_goes_on_through_another_gateway_of_the_desk() {
    let a = start(vec![], None).await;
    let db = a._data.path().join("donna.sqlite3");
    let b = start_on(
        &db,
        tempfile::tempdir().unwrap(),
        "2026-11-26T10:00:00Z",
        vec![],
        None,
    )
    .await;
    let (_, first) = a.chat("Hi, I'm here to see Maria at two", None).await;
    let id = first["conversation_id"].as_str().unwrap().to_owned();
    let (status, next) = b.chat("The one in general practice", Some(&id)).await;
    assert_eq!(status, 200, "{next}");
    assert_eq!(next["reply"], "Thank you. May I have your name, please?");
    assert_eq!(next["conversation_id"], id.as_str());
    // Back on the first: it reads the turn it did not take.
    let (_, done) = a.chat("It's Ann Lee", Some(&id)).await;
    assert!(
        done["reply"]
            .as_str()
            .unwrap()
            .starts_with("Thank you, Ann. I've let Dr Maria Chen know you're here."),
        "{done}"
    );
    let visits = b.reception.store().visits_since(0).unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].appointment_time.as_deref(), Some("14:00"));
    // The kiosk's stream of its own acknowledgements opens on either gateway.
    let stream = b
        .http
        .get(format!("{}/api/chat/{id}/events", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    drop(stream);
    // Ended on B, over on A too: its history is gone from the store.
    let ended = b
        .http
        .delete(format!("{}/api/chat/{id}", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 204);
    assert_eq!(a.reception.store().conversation(&id).unwrap(), None);
    let (status, body) = a.chat("Hello again", Some(&id)).await;
    assert_eq!(
        (status.as_u16(), &body["error"]["code"]),
        (404, &json!("conversation_not_found"))
    );
}

/// A turn sent again with its key after it was answered gets the same answer and runs once;
/// the key sent with other words is refused.
#[tokio::test]
async fn a_turn_sent_again_with_its_key_is_answered_once() {
    let s = start(vec![], None).await;
    let send = |message: &'static str, id: Option<String>, key: &'static str| {
        let mut body = json!({ "message": message });
        if let Some(id) = id {
            body["conversation_id"] = json!(id);
        }
        let request = s
            .http
            .post(format!("{}/api/chat", s.base))
            .header("Idempotency-Key", key)
            .json(&body);
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (_, first) = send("I'm here to see Tom Becker", None, "turn-000000000001").await;
    let id = first["conversation_id"].as_str().unwrap().to_owned();
    let (_, done) = send("Ann Lee", Some(id.clone()), "turn-000000000002").await;
    let (status, again) = send("Ann Lee", Some(id.clone()), "turn-000000000002").await;
    assert_eq!((status, &again["reply"]), (200, &done["reply"]));
    assert_eq!(s.reception.store().visits_since(0).unwrap().len(), 1);
    let (status, refused) = send("Bob Ray", Some(id), "turn-000000000002").await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (422, &json!("idempotency_key_reused")),
        "{refused}"
    );
}

async fn read_until(stream: &mut reqwest::Response, kind: &str) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !text.contains(&format!("event: {kind}")) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("event in time")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test]
async fn fanout_is_admin_only_and_validated() {
    let s = start(vec![], None).await;
    let url = format!("{}/api/voice/fanout", s.base);
    let body =
        json!({ "kind": "escalation.fire_drill", "summary": "Fire drill at 3pm", "staff_id": "tom-becker" });
    let resp = s
        .http
        .post(&url)
        .bearer_auth(s.token("staff-x", Role::Staff))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let mut rx = s.reception.subscribe();
    let admin = s.token("ops", Role::Admin);
    let resp = s
        .http
        .post(&url)
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let event: Value = resp.json().await.unwrap();
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(rx.try_recv().unwrap().kind, "escalation.fire_drill");
    for bad in [
        json!({ "kind": "Bad Kind!", "summary": "x" }),
        json!({ "kind": "a.b", "summary": "" }),
        json!({ "kind": "a.b", "summary": "x", "staff_id": "nobody" }),
        json!({ "kind": "a.b" }),
    ] {
        let resp = s
            .http
            .post(&url)
            .bearer_auth(&admin)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 422, "{bad}");
    }
}

/// A webhook receiver that fails the first `fail_first` requests, then records the rest.
#[derive(Clone, Default)]
struct Receiver {
    fail_first: usize,
    seen: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let mut seen = r.seen.lock().unwrap();
    seen.push((headers, body));
    if seen.len() <= r.fail_first {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_their_state_stored() {
    let receiver = Receiver {
        fail_first: 2,
        ..Receiver::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let policy = DeliveryPolicy {
        poll: Duration::from_millis(20),
        base_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        max_attempts: 5,
        timeout: Duration::from_secs(2),
    };
    let s = start(vec![hook.clone()], Some(policy)).await;
    let (_, reply) = s
        .chat("Hi, my name is Ann Lee and I'm here to see Priya Shah", None)
        .await;
    assert!(
        reply["reply"].as_str().unwrap().starts_with("Thank you, Ann."),
        "{reply}"
    );

    let event_id = loop {
        let seen = receiver.seen.lock().unwrap().clone();
        if seen.len() >= 3 {
            break seen[2].0["x-donna-event-id"].to_str().unwrap().to_owned();
        }
        drop(seen);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "two failures, then one success, then nothing more");
    let (headers, body) = &seen[2];
    let ts: i64 = headers["x-donna-timestamp"].to_str().unwrap().parse().unwrap();
    assert_eq!(
        headers["x-donna-signature"].to_str().unwrap(),
        signature(&Secret::new("hook-secret"), ts, body)
    );
    assert_ne!(
        headers["x-donna-signature"].to_str().unwrap(),
        signature(&Secret::new("wrong"), ts, body)
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (event["kind"].as_str(), event["staff_id"].as_str()),
        (Some("visitor.checked_in"), Some("priya-shah"))
    );
    // Every attempt carried the same event id.
    assert!(
        seen.iter()
            .all(|(h, _)| h["x-donna-event-id"] == event_id.as_str())
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (state, attempts, _) = s.reception.store().delivery(&event_id, &hook).unwrap().unwrap();
    assert_eq!((state.as_str(), attempts), ("delivered", 3));
}

#[tokio::test]
async fn undeliverable_webhooks_end_as_failed() {
    let hook = format!("http://127.0.0.1:{}/gone", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    });
    let policy = DeliveryPolicy {
        poll: Duration::from_millis(10),
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_attempts: 3,
        timeout: Duration::from_millis(500),
    };
    let s = start(vec![hook.clone()], Some(policy)).await;
    s.chat("Hi, my name is Ann Lee and I'm here to see Priya Shah", None)
        .await;
    // The check-in's event: one per visit, named by it (reading the queue would lease it away
    // from the worker under test).
    let visit = &s.reception.store().visits_since(0).unwrap()[0];
    let event_id = format!("evt_visit_{}", visit.id);
    for _ in 0..200 {
        if let Some((state, attempts, error)) = s.reception.store().delivery(&event_id, &hook).unwrap()
            && state == "failed"
        {
            assert_eq!(attempts, 3);
            assert_eq!(error.as_deref(), Some("connection failed"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("delivery never marked failed");
}
