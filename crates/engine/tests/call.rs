//! WebRTC calls to the engine, as a browser or an SDK makes them: an offer with an audio
//! transceiver and the `oai-events` data channel posted to `/v1/realtime/calls`, the answer
//! set, and the protocol's events on the channel; and every way a call can be refused.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod caller;
mod util;

use std::sync::Arc;
use std::time::Duration;

use caller::{Caller, post_offer};
use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys};
use serde_json::{Value, json};
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;

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

/// A call hung up from outside, with the engine key, ends for its caller and frees its session;
/// a call that is not in progress, or a client secret, is refused in the service's shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_hung_up_from_outside_with_the_engine_key() {
    let (addr, engine) = start().await;
    let (mut caller, offer) = Caller::new().await;
    let response = post_offer(&addr, Some(KEY), "application/sdp", offer).await;
    let call_id = response.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    caller.answered(response.text().await.unwrap()).await;
    assert_eq!(caller.recv().await["type"], "session.created");
    let hang_up = |key: Option<&str>, id: &str| {
        let mut request = reqwest::Client::new().post(format!("http://{addr}/v1/realtime/calls/{id}/hangup"));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    assert_eq!(hang_up(None, &call_id).await.unwrap().status(), 401);
    let secret = engine
        .mint_client_secret(60, &json!({"type": "realtime"}))
        .unwrap();
    let refused = hang_up(Some(&secret.value), &call_id).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(engine.open_sessions(), 1, "refused hang-ups leave the call up");

    let done = hang_up(Some(KEY), &call_id).await.unwrap();
    assert_eq!(done.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let ended = |state| {
        matches!(
            state,
            RTCPeerConnectionState::Closed
                | RTCPeerConnectionState::Failed
                | RTCPeerConnectionState::Disconnected
        )
    };
    while engine.open_sessions() > 0 || !ended(caller.pc.connection_state()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the call outlived its hang-up: {:?}, {} sessions",
            caller.pc.connection_state(),
            engine.open_sessions()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let again = hang_up(Some(KEY), &call_id).await.unwrap();
    assert_eq!(again.status(), 404);
    let error: Value = again.json().await.unwrap();
    assert_eq!(error["error"]["code"], "call_not_found");
}

/// `text` spoken by espeak-ng as PCM16 mono 24 kHz, with the silence a microphone hears
/// around it.
fn spoken(text: &str) -> Vec<i16> {
    let out = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", text])
        .output()
        .expect("espeak-ng is installed (scripts/test.sh installs it)");
    assert!(out.status.success());
    let mut pcm = vec![0i16; 24 * 300];
    pcm.extend(donna_speech::wav::decode_at(&out.stdout, 24_000).unwrap());
    pcm.extend(std::iter::repeat_n(0i16, 24 * 900));
    pcm
}

/// The engine with its offline voice and recogniser (pocketsphinx on the profile's sentences).
async fn start_spoken() -> (String, tempfile::TempDir) {
    let thursday: jiff::Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
    let desk = donna_desk::Desk::load(None).unwrap().with_fixed_time(thursday);
    let work = tempfile::tempdir().unwrap();
    let stt = donna_engine::OfflineTranscriber::new(desk.profile(), work.path(), None).unwrap();
    let engine = util::speaking_engine(desk, Arc::new(stt), KEY);
    (util::serve(&engine).await.to_string(), work)
}

/// The first event of type `kind` in `events`.
fn first<'a>(events: &'a [Value], kind: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {events:#?}"))
}

/// Where loud audio ends in `pcm` (24 kHz): the end of its last 20 ms window above speech level.
fn end_of_speech_ms(pcm: &[i16]) -> u64 {
    let loud =
        |w: &[i16]| (w.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / w.len() as f64).sqrt() > 300.0;
    pcm.chunks(480).rposition(loud).map_or(0, |i| (i as u64 + 1) * 20)
}

/// A visitor speaks on a call and hears Donna answer on the call's audio track; then talks over
/// her, and the server stops her voice and keeps only what was heard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_spoken_both_ways_and_barge_in_keeps_what_was_heard() {
    let (addr, _work) = start_spoken().await;
    let (mut caller, mut mic, offer) = Caller::with_mic().await;
    let response = post_offer(&addr, Some(KEY), "application/sdp", offer).await;
    assert_eq!(response.status(), 201);
    let answer = response.text().await.unwrap();
    caller.answered(answer).await;
    assert_eq!(caller.recv().await["type"], "session.created");
    caller
        .send(
            json!({ "type": "session.update", "session": { "type": "realtime", "output_modalities": ["audio"],
            "audio": { "input": { "transcription": { "model": "whisper-1" },
                "turn_detection": { "type": "server_vad", "silence_duration_ms": 500 } } } } }),
        )
        .await;
    caller.until("session.updated").await;

    // A spoken question: heard from the track, answered on the track, played to its end.
    mic.say(&spoken("Where are the toilets?")).await;
    let events = caller.until("output_audio_buffer.stopped").await;
    let transcript = first(&events, "conversation.item.input_audio_transcription.completed")["transcript"]
        .as_str()
        .unwrap()
        .to_lowercase();
    assert!(transcript.contains("toilet"), "{transcript:?}");
    let done = first(&events, "response.done");
    let answer = done["response"]["output"][0]["content"][0]["transcript"]
        .as_str()
        .unwrap();
    assert!(answer.contains("ground floor"), "{answer:?}");
    let response_id = done["response"]["id"].as_str().unwrap();
    assert_eq!(
        first(&events, "output_audio_buffer.started")["response_id"],
        response_id
    );
    assert_eq!(
        first(&events, "output_audio_buffer.stopped")["response_id"],
        response_id
    );
    assert!(
        !events.iter().any(|e| e["type"] == "response.output_audio.delta"),
        "audio travels on the track, not on the events channel"
    );
    let heard = caller.heard.lock().unwrap().clone();
    assert!(
        end_of_speech_ms(&heard) > 1000,
        "Donna's answer is heard on the track"
    );

    // Donna answers the next question at length; the visitor talks over her a second in.
    mic.say(&spoken("Is there parking?")).await;
    let events = caller.until("output_audio_buffer.started").await;
    assert!(
        first(&events, "conversation.item.input_audio_transcription.completed")["transcript"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("park")
    );
    let mark = events.last().unwrap()["heard_samples"].as_u64().unwrap() as usize;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    mic.say(&spoken("Thank you.")).await;
    let events = caller.until("conversation.item.truncated").await;
    first(&events, "input_audio_buffer.speech_started");
    let cleared = first(&events, "output_audio_buffer.cleared")["heard_samples"]
        .as_u64()
        .unwrap() as usize;
    let truncated = events.last().unwrap();
    let cut_ms = truncated["audio_end_ms"].as_u64().unwrap();
    // What the server says was heard is what arrived on the track between its start and the
    // cut, give or take the 20 ms frames in flight and the decoding not yet done on a busy
    // machine; and it was Donna speaking.
    let heard = caller.heard.lock().unwrap()[mark..cleared].to_vec();
    let arrived_ms = heard.len() as u64 / 24;
    assert!(cut_ms > 900, "cut after a second of speech, at {cut_ms} ms");
    assert!(
        cut_ms.abs_diff(arrived_ms) <= 250,
        "the server cut at {cut_ms} ms; {arrived_ms} ms arrived"
    );
    assert!(end_of_speech_ms(&heard) > 900, "what arrived was speech");
    // The interruption is a turn of its own, answered; the client can stop its playback too.
    let events = caller.until("output_audio_buffer.started").await;
    let response_id = events.last().unwrap()["response_id"].clone();
    caller.send(json!({ "type": "output_audio_buffer.clear" })).await;
    let events = caller.until("conversation.item.truncated").await;
    assert_eq!(
        first(&events, "output_audio_buffer.cleared")["response_id"],
        response_id
    );

    // On a call the microphone is the track: audio in events is refused, and the call goes on.
    caller
        .send(json!({ "type": "input_audio_buffer.append", "audio": "AAAA" }))
        .await;
    let mut error = caller.recv().await;
    while error["type"] != "error" {
        error = caller.recv().await;
    }
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("media track"),
        "{error}"
    );
    caller.pc.close().await.unwrap();
}

/// A `multipart/form-data` body with these parts, as the service's backend clients send it.
fn form(parts: &[(&str, &str, &str)]) -> (String, String) {
    let boundary = "donna-call-form-7d3f";
    let mut body = String::new();
    for (name, content_type, value) in parts {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The service's other form: the offer and the session to open, posted from a backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_posted_as_a_form_opens_the_session_it_names() {
    let (addr, _engine) = start().await;
    let (mut caller, offer) = Caller::new().await;
    let session =
        json!({ "type": "realtime", "output_modalities": ["text"], "instructions": "Be brief." }).to_string();
    let (content_type, body) = form(&[
        ("sdp", "application/sdp", &offer),
        ("session", "application/json", &session),
    ]);
    let response = post_offer(&addr, Some(KEY), &content_type, body).await;
    assert_eq!(response.status(), 201);
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/v1/realtime/calls/rtc_")
    );
    caller.answered(response.text().await.unwrap()).await;
    let created = caller.recv().await;
    assert_eq!(created["type"], "session.created");
    assert_eq!(
        created["session"]["output_modalities"],
        json!(["text"]),
        "{created}"
    );
    assert_eq!(created["session"]["instructions"], "Be brief.");
    caller.pc.close().await.unwrap();

    // Each way a form can be wrong, in the service's error shape.
    let (_caller, offer) = Caller::new().await;
    for (parts, code) in [
        (
            vec![("session", "application/json", session.as_str())],
            "missing_required_parameter",
        ),
        (
            vec![
                ("sdp", "application/sdp", offer.as_str()),
                ("session", "application/json", "{not json"),
            ],
            "invalid_json",
        ),
        (
            vec![
                ("sdp", "application/sdp", offer.as_str()),
                (
                    "session",
                    "application/json",
                    r#"{"type":"realtime","output_modalities":["smell"]}"#,
                ),
            ],
            "invalid_value",
        ),
        (
            vec![
                ("sdp", "application/sdp", offer.as_str()),
                ("voice", "text/plain", "marin"),
            ],
            "unknown_parameter",
        ),
        (vec![("sdp", "application/sdp", "hello")], "invalid_offer"),
    ] {
        let (content_type, body) = form(&parts);
        let refused = post_offer(&addr, Some(KEY), &content_type, body).await;
        assert_eq!(refused.status(), 400, "{parts:?}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }
}
