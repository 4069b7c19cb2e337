//! WebRTC calls to the engine, as a browser or an SDK makes them: an offer with an audio
//! transceiver and the `oai-events` data channel posted to `/v1/realtime/calls`, the answer
//! set, and the protocol's events on the channel; and every way a call can be refused.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::sync::Arc;
use std::time::Duration;

use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use webrtc::api::APIBuilder;
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::MediaEngine;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::data_channel::RTCDataChannel;
use webrtc::data_channel::data_channel_message::DataChannelMessage;
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;

const KEY: &str = "sk-test-engine-key";

async fn start() -> (String, Engine) {
    // Thursday 26 November 2026, 10:00 in London: the clinic is open.
    let thursday = "2026-11-26T10:00:00Z".parse().unwrap();
    let engine = Engine::new(
        Arc::new(Reception::example_at(thursday).unwrap()),
        Keys::new(KEY.to_owned()),
        EngineConfig::default(),
    );
    (util::serve(&engine).await.to_string(), engine)
}

/// The caller's side: a peer connection with an audio transceiver and the events channel, as
/// a browser sets one up before `createOffer()`.
struct Caller {
    pc: Arc<RTCPeerConnection>,
    channel: Arc<RTCDataChannel>,
    events: mpsc::UnboundedReceiver<Value>,
    opened: mpsc::UnboundedReceiver<()>,
}

impl Caller {
    async fn new() -> (Self, String) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut media = MediaEngine::default();
        media.register_default_codecs().unwrap();
        let registry = register_default_interceptors(Registry::new(), &mut media).unwrap();
        let mut settings = SettingEngine::default();
        settings.set_include_loopback_candidate(true);
        let api = APIBuilder::new()
            .with_media_engine(media)
            .with_interceptor_registry(registry)
            .with_setting_engine(settings)
            .build();
        let pc = Arc::new(
            api.new_peer_connection(RTCConfiguration::default())
                .await
                .unwrap(),
        );
        pc.add_transceiver_from_kind(RTPCodecType::Audio, None)
            .await
            .unwrap();
        let channel = pc.create_data_channel("oai-events", None).await.unwrap();
        let (tell, events) = mpsc::unbounded_channel();
        channel.on_message(Box::new(move |message: DataChannelMessage| {
            let event = serde_json::from_slice(&message.data).unwrap_or(Value::Null);
            let _ = tell.send(event);
            Box::pin(async {})
        }));
        let (open, opened) = mpsc::unbounded_channel();
        channel.on_open(Box::new(move || {
            let _ = open.send(());
            Box::pin(async {})
        }));
        let offer = pc.create_offer(None).await.unwrap();
        let mut gathered = pc.gathering_complete_promise().await;
        pc.set_local_description(offer).await.unwrap();
        let _ = gathered.recv().await;
        let sdp = pc.local_description().await.unwrap().sdp;
        (
            Self {
                pc,
                channel,
                events,
                opened,
            },
            sdp,
        )
    }

    async fn answered(&mut self, answer: String) {
        let answer = RTCSessionDescription::answer(answer).unwrap();
        self.pc.set_remote_description(answer).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.opened.recv())
            .await
            .expect("the events channel opens")
            .unwrap();
    }

    async fn send(&self, event: Value) {
        self.channel.send_text(event.to_string()).await.unwrap();
    }

    /// The next event, past `rate_limits.updated`, which follows each response.
    async fn recv(&mut self) -> Value {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), self.events.recv())
                .await
                .expect("an event within 10 s")
                .expect("the channel is open");
            if event["type"] != "rate_limits.updated" {
                return event;
            }
        }
    }

    /// Every event up to and including `response.done`.
    async fn until_done(&mut self) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let event = self.recv().await;
            let done = event["type"] == "response.done";
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}

async fn post_offer(addr: &str, key: Option<&str>, content_type: &str, body: String) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/v1/realtime/calls"))
        .header("content-type", content_type)
        .body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_holds_a_conversation_on_its_events_channel() {
    let (addr, _engine) = start().await;
    let (mut caller, offer) = Caller::new().await;
    let response = post_offer(&addr, Some(KEY), "application/sdp", offer).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["content-type"], "application/sdp");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/v1/realtime/calls/rtc_"), "{location}");
    let answer = response.text().await.unwrap();
    assert!(
        answer.contains("a=candidate:"),
        "host candidates in the answer:\n{answer}"
    );
    caller.answered(answer).await;

    let created = caller.recv().await;
    assert_eq!(created["type"], "session.created", "{created}");
    caller
        .send(json!({ "type": "session.update", "session": { "type": "realtime", "output_modalities": ["text"] } }))
        .await;
    assert_eq!(caller.recv().await["type"], "session.updated");

    // Two turns on the one call: the conversation carries over, as on a WebSocket.
    for (said, expect) in [
        ("Where are the toilets?", "toilets are on the ground floor"),
        ("And is there parking?", "car park"),
    ] {
        caller
            .send(json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": said }] } }))
            .await;
        assert_eq!(caller.recv().await["type"], "conversation.item.added");
        assert_eq!(caller.recv().await["type"], "conversation.item.done");
        caller.send(json!({ "type": "response.create" })).await;
        let events = caller.until_done().await;
        let done = events.last().unwrap();
        assert_eq!(done["response"]["status"], "completed", "{done}");
        let text = done["response"]["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(text.contains(expect), "{said:?} -> {text:?}");
    }

    // Bad input on the channel is an error event, and the call goes on.
    caller.channel.send_text("not json").await.unwrap();
    let error = caller.recv().await;
    assert_eq!(error["type"], "error", "{error}");
    caller.send(json!({ "type": "response.create" })).await;
    assert_eq!(caller.until_done().await.last().unwrap()["type"], "response.done");
    caller.pc.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_refused_with_the_service_error_shape() {
    let (addr, engine) = start().await;
    let (_caller, offer) = Caller::new().await;

    let refused = post_offer(&addr, None, "application/sdp", offer.clone()).await;
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");

    let refused = post_offer(&addr, Some("sk-wrong"), "application/sdp", offer.clone()).await;
    assert_eq!(refused.status(), 401);

    let refused = post_offer(&addr, Some(KEY), "application/json", offer.clone()).await;
    assert_eq!(refused.status(), 415);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");

    for bad in [
        "hello".to_owned(),
        String::new(),
        offer.replace("m=application", "m=text"),
        offer.replace("a=fingerprint:", "a=nothing:"),
    ] {
        let refused = post_offer(&addr, Some(KEY), "application/sdp", bad.clone()).await;
        assert_eq!(refused.status(), 400, "{bad:?}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_offer", "{body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }

    let huge = format!("{offer}{}", "a=x\r\n".repeat(20_000));
    assert_eq!(
        post_offer(&addr, Some(KEY), "application/sdp", huge)
            .await
            .status(),
        413
    );

    // A client secret opens a call as the engine key does; a revoked one does not.
    let secret = engine
        .mint_client_secret(60, &json!({ "type": "realtime", "model": "gpt-realtime" }))
        .unwrap();
    let (_caller, offer) = Caller::new().await;
    assert_eq!(
        post_offer(&addr, Some(&secret.value), "application/sdp", offer.clone())
            .await
            .status(),
        201
    );
    assert!(engine.keys().revoke(&secret.value));
    let (_caller, offer) = Caller::new().await;
    assert_eq!(
        post_offer(&addr, Some(&secret.value), "application/sdp", offer)
            .await
            .status(),
        401
    );
}

/// A caller that hangs up mid-session frees the engine's session slot: nothing waits on a
/// call that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_hung_up_by_the_caller_ends_its_session() {
    let (addr, engine) = start().await;
    let (mut caller, offer) = Caller::new().await;
    let response = post_offer(&addr, Some(KEY), "application/sdp", offer).await;
    caller.answered(response.text().await.unwrap()).await;
    assert_eq!(caller.recv().await["type"], "session.created");
    assert_eq!(engine.open_sessions(), 1);
    caller.pc.close().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while engine.open_sessions() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session outlived its call"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
