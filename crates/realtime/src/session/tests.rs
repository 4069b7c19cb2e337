//! Replays of the recorded sequences of the protocol reference (§7), and the exact numbers the
//! session promises: truncation math, `response.create` gating, tool round-trip ordering.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::*;

/// Replay a JSONL transcript through a session. Lines:
/// - `{"config": {...}}` (first): the session configuration;
/// - `{"s": event}`: a server event to feed;
/// - `{"c": event}`: the next event the session must have sent (every sent event must be
///   listed, in order, before the next `s` or `app` line);
/// - `{"ui": update}`: an update that must have been produced (in order; others may come
///   between);
/// - `{"app": "send_text" | "tool_result" | "cancel" | "truncate" | "append_audio" |
///   "commit_audio", ...}`: an action of the app.
fn replay(fixture: &str) -> ClientSession {
    let mut lines = fixture
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let config: SessionConfig = serde_json::from_value(lines.next().unwrap()["config"].clone()).unwrap();
    let mut session = ClientSession::new(config);
    let mut sent: VecDeque<Value> = VecDeque::new();
    let mut ui: VecDeque<Value> = VecDeque::new();
    let absorb = |outputs: Vec<Output>, sent: &mut VecDeque<Value>, ui: &mut VecDeque<Value>| {
        for output in outputs {
            match output {
                Output::Send(event) => sent.push_back(serde_json::from_str(&event.to_json()).unwrap()),
                Output::Update(update) => ui.push_back(serde_json::to_value(update).unwrap()),
            }
        }
    };
    for (n, line) in lines.enumerate() {
        let n = n + 2;
        if let Some(expected) = line.get("c") {
            let got = sent
                .pop_front()
                .unwrap_or_else(|| panic!("line {n}: expected {expected}, nothing was sent"));
            assert_eq!(&got, expected, "line {n}");
            continue;
        }
        if let Some(expected) = line.get("ui") {
            loop {
                let got = ui
                    .pop_front()
                    .unwrap_or_else(|| panic!("line {n}: update {expected} never came"));
                if &got == expected {
                    break;
                }
            }
            continue;
        }
        assert!(sent.is_empty(), "line {n}: unexpected sends {sent:?}");
        if let Some(event) = line.get("s") {
            let event = ServerEvent::parse(&event.to_string()).unwrap();
            assert!(!matches!(event, ServerEvent::Unknown(_)), "line {n}");
            absorb(session.handle(event), &mut sent, &mut ui);
        } else if let Some(action) = line.get("app").and_then(Value::as_str) {
            let outputs = match action {
                "send_text" => session.send_text(line["text"].as_str().unwrap()).1,
                "tool_result" => session.tool_result(
                    line["call_id"].as_str().unwrap(),
                    line["output"].as_str().unwrap(),
                ),
                "cancel" => session.cancel(),
                "truncate" => session.truncate(line["played_ms"].as_u64().unwrap()),
                "append_audio" => session.append_audio(&vec![0u8; line["bytes"].as_u64().unwrap() as usize]),
                "commit_audio" => session.commit_audio().1,
                other => panic!("line {n}: unknown action {other}"),
            };
            absorb(outputs, &mut sent, &mut ui);
        } else {
            panic!("line {n}: unknown line {line}");
        }
    }
    assert!(sent.is_empty(), "unexpected sends at the end: {sent:?}");
    session
}

#[test]
fn text_turn() {
    let session = replay(include_str!("../../tests/fixtures/text-turn.jsonl"));
    assert!(session.is_quiet());
    let items: Vec<_> = session.items().filter_map(Item::id).collect();
    assert_eq!(items, ["item_donna_00000001", "item_a01"]);
}

#[test]
fn manual_audio_turn() {
    let session = replay(include_str!("../../tests/fixtures/manual-audio-turn.jsonl"));
    assert!(session.is_quiet());
    assert_eq!(session.input_buffer_bytes(), 0);
}

#[test]
fn server_vad_turn() {
    let session = replay(include_str!("../../tests/fixtures/server-vad-turn.jsonl"));
    assert_eq!(session.state(), AgentState::Idle);
}

#[test]
fn function_call_round_trip() {
    replay(include_str!("../../tests/fixtures/function-call.jsonl"));
}

#[test]
fn barge_in_truncates_to_received_audio() {
    let session = replay(include_str!("../../tests/fixtures/barge-in.jsonl"));
    // The user is still talking when the cancelled response ends.
    assert_eq!(session.state(), AgentState::Thinking);
}

#[test]
fn cancel() {
    replay(include_str!("../../tests/fixtures/cancel.jsonl"));
}

// --- helpers for hand-written sequences ---------------------------------------------------

fn server(value: Value) -> ServerEvent {
    let event = ServerEvent::parse(&value.to_string()).unwrap();
    assert!(!matches!(event, ServerEvent::Unknown(_)), "{value}");
    event
}

fn sends(outputs: &[Output]) -> Vec<Value> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send(e) => Some(serde_json::from_str(&e.to_json()).unwrap()),
            Output::Update(_) => None,
        })
        .collect()
}

fn kinds(outputs: &[Output]) -> Vec<String> {
    sends(outputs)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn updates(outputs: &[Output]) -> Vec<UiUpdate> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Update(u) => Some(u.clone()),
            Output::Send(_) => None,
        })
        .collect()
}

fn session_with(config: Value) -> ClientSession {
    let mut session = ClientSession::new(serde_json::from_value(config).unwrap());
    let created =
        json!({"type":"session.created","event_id":"e","session":{"type":"realtime","id":"sess_1"}});
    assert_eq!(kinds(&session.handle(server(created))), ["session.update"]);
    session.handle(server(
        json!({"type":"session.updated","event_id":"e","session":{"type":"realtime","id":"sess_1"}}),
    ));
    assert!(session.is_ready());
    session
}

fn ready_session() -> ClientSession {
    session_with(json!({"type":"realtime","output_modalities":["text"]}))
}

fn created(id: &str) -> ServerEvent {
    server(json!({"type":"response.created","event_id":"e","response":{"id":id,"status":"in_progress"}}))
}

fn done(id: &str, status: &str, output: Value) -> ServerEvent {
    server(
        json!({"type":"response.done","event_id":"e","response":{"id":id,"status":status,"output":output}}),
    )
}

fn text_done(response: &str, item: &str, text: &str) -> ServerEvent {
    server(
        json!({"type":"response.output_text.done","event_id":"e","response_id":response,"item_id":item,
        "output_index":0,"content_index":0,"text":text}),
    )
}

fn audio_delta(item: &str, bytes: usize) -> ServerEvent {
    let delta = base64::engine::general_purpose::STANDARD.encode(vec![7u8; bytes]);
    server(
        json!({"type":"response.output_audio.delta","event_id":"e","response_id":"resp_1","item_id":item,
        "output_index":0,"content_index":0,"delta":delta}),
    )
}

fn call_done(response: &str, call: &str) -> ServerEvent {
    server(
        json!({"type":"response.function_call_arguments.done","event_id":"e","response_id":response,
        "item_id":format!("item_{call}"),"output_index":0,"call_id":call,"name":"lookup","arguments":"{}"}),
    )
}

// --- numbers ------------------------------------------------------------------------------

#[test]
fn base64_length_math() {
    assert_eq!(base64_decoded_len(""), 0);
    assert_eq!(base64_decoded_len("AA=="), 1);
    assert_eq!(base64_decoded_len("AAA="), 2);
    assert_eq!(base64_decoded_len("AAAA"), 3);
    assert_eq!(base64_decoded_len("AAA"), 2); // unpadded
    assert_eq!(base64_decoded_len(&"A".repeat(6400)), 4800);
    for n in 0..50 {
        let b64 = base64::engine::general_purpose::STANDARD.encode(vec![1u8; n]);
        assert_eq!(base64_decoded_len(&b64), n as u64, "{n} bytes");
    }
}

#[test]
fn truncate_caps_at_received_pcm16_audio() {
    // 7 chunks of 20 ms (960 bytes each) = 6720 bytes = 140 ms at 48 bytes/ms.
    for (played, expected) in [(90, 90), (140, 140), (500, 140), (0, 0)] {
        let mut s = session_with(json!({"type":"realtime"}));
        s.handle(created("resp_1"));
        for _ in 0..7 {
            s.handle(audio_delta("item_a", 960));
        }
        let out = s.truncate(played);
        assert_eq!(
            sends(&out),
            [
                json!({"type":"conversation.item.truncate","item_id":"item_a","content_index":0,"audio_end_ms":expected})
            ],
            "played {played}"
        );
        assert!(s.truncate(played).is_empty(), "truncated once only");
    }
}

#[test]
fn truncate_uses_the_output_format() {
    let mut s = session_with(json!({"type":"realtime","audio":{"output":{"format":{"type":"audio/pcmu"}}}}));
    s.handle(created("resp_1"));
    s.handle(audio_delta("item_a", 800)); // 100 ms of G.711
    assert_eq!(sends(&s.truncate(250))[0]["audio_end_ms"], 100);
}

#[test]
fn truncate_follows_the_latest_audio_item_and_needs_audio() {
    let mut s = ready_session();
    assert!(s.truncate(100).is_empty(), "no audio yet");
    s.handle(created("resp_1"));
    s.handle(audio_delta("item_a", 4800));
    s.handle(audio_delta("item_b", 960));
    assert_eq!(
        sends(&s.truncate(1000))[0],
        json!({"type":"conversation.item.truncate","item_id":"item_b","content_index":0,"audio_end_ms":20})
    );
}

// --- gating -------------------------------------------------------------------------------

#[test]
fn nothing_but_the_session_update_goes_out_before_session_updated() {
    let mut s = ClientSession::new(SessionConfig::default());
    let (turn, out) = s.send_text("hello");
    assert_eq!(turn, TurnId(1));
    assert!(out.is_empty());
    let out = s.handle(server(
        json!({"type":"session.created","event_id":"e","session":{"type":"realtime","id":"sess_1"}}),
    ));
    assert_eq!(
        sends(&out),
        [json!({"type":"session.update","session":{"type":"realtime"}})]
    );
    let out = s.handle(server(
        json!({"type":"session.updated","event_id":"e","session":{"type":"realtime"}}),
    ));
    assert_eq!(kinds(&out), ["conversation.item.create", "response.create"]);
    assert_eq!(
        updates(&out)[0],
        UiUpdate::Ready {
            session_id: Some("sess_1".into())
        }
    );
}

#[test]
fn response_create_waits_for_the_previous_response_done() {
    let mut s = ready_session();
    let (t1, out) = s.send_text("first");
    assert_eq!(kinds(&out), ["conversation.item.create", "response.create"]);
    let (t2, out) = s.send_text("second");
    assert_eq!(
        kinds(&out),
        ["conversation.item.create"],
        "create in flight: no second create"
    );
    assert!(
        s.handle(created("resp_1"))
            .iter()
            .all(|o| matches!(o, Output::Update(_)))
    );
    let (t3, out) = s.send_text("third");
    assert_eq!(
        kinds(&out),
        ["conversation.item.create"],
        "response active: no create"
    );
    s.handle(text_done("resp_1", "item_a1", "One."));
    let out = s.handle(done("resp_1", "completed", json!([])));
    assert_eq!(
        kinds(&out),
        ["response.create"],
        "exactly one create for the two waiting turns"
    );
    assert!(updates(&out).contains(&UiUpdate::TurnCompleted {
        turn: t1,
        text: "One.".into()
    }));
    s.handle(created("resp_2"));
    s.handle(text_done("resp_2", "item_a2", "Two and three."));
    let out = s.handle(done("resp_2", "completed", json!([])));
    assert!(kinds(&out).is_empty());
    let completed: Vec<_> = updates(&out)
        .into_iter()
        .filter_map(|u| match u {
            UiUpdate::TurnCompleted { turn, text } => Some((turn, text)),
            _ => None,
        })
        .collect();
    assert_eq!(
        completed,
        [
            (t2, "Two and three.".to_owned()),
            (t3, "Two and three.".to_owned())
        ]
    );
    assert!(s.is_quiet());
}

#[test]
fn a_lost_race_with_a_server_response_is_retried_after_it() {
    let mut s = ready_session();
    let (turn, out) = s.send_text("hi");
    let create_id = sends(&out)[1]["event_id"].as_str().unwrap().to_owned();
    // The service had started its own response (server VAD) just before ours arrived.
    s.handle(created("resp_vad"));
    let out = s.handle(server(
        json!({"type":"error","event_id":"e","error":{"type":"invalid_request_error",
        "code":"conversation_already_has_active_response","message":"busy","event_id":create_id}}),
    ));
    assert!(kinds(&out).is_empty());
    assert!(matches!(&updates(&out)[0], UiUpdate::Error { benign: true, .. }));
    // When it ends, ours is asked for again.
    let out = s.handle(done("resp_vad", "completed", json!([])));
    assert_eq!(kinds(&out), ["response.create"]);
    s.handle(created("resp_2"));
    s.handle(text_done("resp_2", "item_a", "Hello."));
    let out = s.handle(done("resp_2", "completed", json!([])));
    assert!(updates(&out).contains(&UiUpdate::TurnCompleted {
        turn,
        text: "Hello.".into()
    }));
}

#[test]
fn a_rejected_commit_asks_for_no_response() {
    let mut s = session_with(json!({"type":"realtime","audio":{"input":{"turn_detection":null}}}));
    s.append_audio(&[0; 960]);
    let (turn, out) = s.commit_audio();
    assert_eq!(kinds(&out), ["input_audio_buffer.commit"]);
    let commit_id = sends(&out)[0]["event_id"].as_str().unwrap().to_owned();
    let out = s.handle(server(
        json!({"type":"error","event_id":"e","error":{"type":"invalid_request_error",
        "code":"input_audio_buffer_commit_empty","message":"buffer too small","event_id":commit_id}}),
    ));
    assert!(kinds(&out).is_empty());
    let ups = updates(&out);
    assert!(
        matches!(&ups[1], UiUpdate::TurnFailed { turn: t, error: TurnError::Rejected { code, .. } }
        if *t == turn && code == "input_audio_buffer_commit_empty")
    );
    assert_eq!(s.state(), AgentState::Idle);
}

// --- tools --------------------------------------------------------------------------------

#[test]
fn one_create_after_the_response_is_done_and_every_output_is_in() {
    let mut s = ready_session();
    let (turn, _) = s.send_text("book two rooms");
    s.handle(created("resp_1"));
    let out = s.handle(call_done("resp_1", "call_a"));
    assert_eq!(
        updates(&out),
        [UiUpdate::ToolCall(ToolCall {
            call_id: "call_a".into(),
            name: "lookup".into(),
            arguments: "{}".into()
        })]
    );
    s.handle(call_done("resp_1", "call_b"));
    // The same call reported again by output_item.done is not run twice.
    let out = s.handle(server(
        json!({"type":"response.output_item.done","event_id":"e","response_id":"resp_1",
        "output_index":1,"item":{"id":"item_call_b","type":"function_call","status":"completed",
        "call_id":"call_b","name":"lookup","arguments":"{}"}}),
    ));
    assert!(out.is_empty());
    // First output while the response is still running: sent, but no create.
    let out = s.tool_result("call_a", "A");
    assert_eq!(
        sends(&out),
        [json!({"type":"conversation.item.create","event_id":"evt_donna_2",
            "item":{"type":"function_call_output","call_id":"call_a","output":"A"}})]
    );
    let out = s.handle(done("resp_1", "completed", json!([])));
    assert!(kinds(&out).is_empty(), "call_b has no output yet");
    assert_eq!(s.state(), AgentState::Thinking);
    assert!(s.tool_result("call_zzz", "?").is_empty(), "unknown call");
    let out = s.tool_result("call_b", "B");
    assert_eq!(kinds(&out), ["conversation.item.create", "response.create"]);
    assert!(s.tool_result("call_b", "B").is_empty(), "answered once only");
    s.handle(created("resp_2"));
    s.handle(text_done("resp_2", "item_a", "Both booked."));
    let out = s.handle(done("resp_2", "completed", json!([])));
    assert!(updates(&out).contains(&UiUpdate::TurnCompleted {
        turn,
        text: "Both booked.".into()
    }));
}

#[test]
fn a_cancelled_response_drops_its_calls() {
    let mut s = ready_session();
    let (turn, _) = s.send_text("x");
    s.handle(created("resp_1"));
    s.handle(call_done("resp_1", "call_a"));
    let out = s.handle(done("resp_1", "cancelled", json!([])));
    assert!(updates(&out).contains(&UiUpdate::TurnFailed {
        turn,
        error: TurnError::Cancelled
    }));
    assert!(s.tool_result("call_a", "late").is_empty());
    assert!(s.is_quiet());
}

// --- reconnect ----------------------------------------------------------------------------

#[test]
fn a_new_connection_is_reseeded_and_the_turn_in_flight_resent() {
    let mut s = ClientSession::new(
        serde_json::from_value(json!({"type":"realtime","instructions":"Be Donna."})).unwrap(),
    )
    .with_history_limit(3);
    s.handle(server(
        json!({"type":"session.created","event_id":"e","session":{"id":"sess_1"}}),
    ));
    s.handle(server(
        json!({"type":"session.updated","event_id":"e","session":{}}),
    ));
    for (i, (q, a)) in [("one?", "One."), ("two?", "Two.")].iter().enumerate() {
        let (_, out) = s.send_text(*q);
        let item = &sends(&out)[0]["item"];
        s.handle(server(
            json!({"type":"conversation.item.done","event_id":"e","previous_item_id":null,"item":item}),
        ));
        let rid = format!("resp_{i}");
        s.handle(created(&rid));
        let answer = json!({"id":format!("item_a{i}"),"type":"message","role":"assistant","status":"completed",
            "content":[{"type":"output_audio","transcript":a}]});
        s.handle(server(
            json!({"type":"conversation.item.done","event_id":"e","previous_item_id":null,"item":answer}),
        ));
        s.handle(done(&rid, "completed", json!([answer])));
    }
    let (pending, _) = s.send_text("three?");
    s.handle(created("resp_x"));
    s.handle(audio_delta("item_partial", 960));

    let out = s.on_disconnected();
    assert_eq!(
        updates(&out),
        [UiUpdate::State {
            state: AgentState::Thinking
        }]
    );
    // A turn typed while disconnected waits for the new connection too.
    let (late, out) = s.send_text("four?");
    assert!(out.is_empty());
    let out = s.handle(server(
        json!({"type":"session.created","event_id":"e","session":{"id":"sess_2"}}),
    ));
    let user = |id: &str, t: &str| json!({"type":"conversation.item.create","item":{"type":"message","id":id,"role":"user","content":[{"type":"input_text","text":t}]}});
    let assistant = |id: &str, t: &str| json!({"type":"conversation.item.create","item":{"type":"message","id":id,"role":"assistant","content":[{"type":"output_text","text":t}]}});
    let mut turn3 = user("item_donna_00000003", "three?");
    turn3["event_id"] = json!("evt_donna_turn_3");
    let mut turn4 = user("item_donna_00000004", "four?");
    turn4["event_id"] = json!("evt_donna_turn_4");
    assert_eq!(
        sends(&out),
        [
            json!({"type":"session.update","session":{"type":"realtime","instructions":"Be Donna."}}),
            // history limit 3: the oldest of the four text items is gone
            assistant("item_a0", "One."),
            user("item_donna_00000002", "two?"),
            assistant("item_a1", "Two."),
            turn3,
            turn4,
        ]
    );
    assert!(
        s.truncate(10).is_empty(),
        "audio of the lost connection is forgotten"
    );
    let out = s.handle(server(
        json!({"type":"session.updated","event_id":"e","session":{}}),
    ));
    assert_eq!(kinds(&out), ["response.create"]);
    s.handle(created("resp_y"));
    s.handle(text_done("resp_y", "item_b", "Three and four."));
    let out = s.handle(done("resp_y", "completed", json!([])));
    let completed: Vec<_> = updates(&out)
        .into_iter()
        .filter(|u| matches!(u, UiUpdate::TurnCompleted { .. }))
        .collect();
    assert_eq!(completed.len(), 2, "{completed:?} for {pending} and {late}");
}

#[test]
fn an_audio_turn_in_flight_is_reported_lost() {
    let mut s = session_with(json!({"type":"realtime","audio":{"input":{"turn_detection":null}}}));
    s.append_audio(&[0; 4800]);
    let (turn, _) = s.commit_audio();
    s.handle(server(
        json!({"type":"input_audio_buffer.committed","event_id":"e","item_id":"item_u","previous_item_id":null}),
    ));
    let out = s.on_disconnected();
    assert!(updates(&out).contains(&UiUpdate::TurnFailed {
        turn,
        error: TurnError::Lost
    }));
    assert!(s.is_quiet());
}

#[test]
fn updates_serialise_for_the_webview() {
    let update = UiUpdate::TurnFailed {
        turn: TurnId(4),
        error: TurnError::Failed("boom".into()),
    };
    assert_eq!(
        serde_json::to_value(update).unwrap(),
        json!({"kind":"turn_failed","turn":4,"error":{"kind":"failed","detail":"boom"}})
    );
}

fn item_added(id: &str, role: &str) -> ServerEvent {
    server(
        json!({"type":"conversation.item.added","event_id":"e","previous_item_id":null,
        "item":{"id":id,"type":"message","role":role,"content":[]}}),
    )
}

#[test]
fn forget_deletes_the_conversation_and_what_a_cancelled_response_still_adds() {
    let mut s = ready_session();
    let (turn, _) = s.send_text("I'm here to see Tom Becker");
    s.handle(item_added("item_user", "user"));
    s.handle(created("resp_1"));
    let out = s.forget();
    assert_eq!(
        kinds(&out),
        [
            "response.cancel",
            "input_audio_buffer.clear",
            "conversation.item.delete"
        ]
    );
    assert_eq!(sends(&out)[2]["item_id"], "item_user");
    // The response adds its item before the cancel lands; it goes when the response is done.
    s.handle(item_added("item_answer", "assistant"));
    let out = s.handle(done("resp_1", "cancelled", json!([])));
    let deletes: Vec<Value> = sends(&out)
        .into_iter()
        .filter(|e| e["type"] == "conversation.item.delete")
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0]["item_id"], "item_answer");
    assert!(
        updates(&out)
            .iter()
            .any(|u| matches!(u, UiUpdate::TurnFailed { turn: t, .. } if *t == turn)),
        "the turn under way is not answered: {:?}",
        updates(&out)
    );
    // Afterwards the conversation is the next visitor's alone.
    s.handle(item_added("item_next", "user"));
    let out = s.handle(done("resp_2", "completed", json!([])));
    assert!(!kinds(&out).contains(&"conversation.item.delete".to_owned()));
}

#[test]
fn a_responses_usage_is_reported_for_the_cost_estimate() {
    let mut session = ready_session();
    let _ = session.send_text("hello".to_owned());
    let _ = session.handle(created("resp_1"));
    let outputs = session.handle(server(json!({
        "type": "response.done", "event_id": "e",
        "response": {"id": "resp_1", "status": "completed", "output": [],
            "usage": {"total_tokens": 1300, "input_tokens": 1000, "output_tokens": 300,
                "input_token_details": {"text_tokens": 700, "audio_tokens": 300, "cached_tokens": 640},
                "output_token_details": {"text_tokens": 60, "audio_tokens": 240}}}
    })));
    let usage = updates(&outputs).into_iter().find_map(|u| match u {
        UiUpdate::Usage { usage } => Some(usage),
        _ => None,
    });
    let usage = usage.expect("a usage update");
    assert_eq!((usage.input_tokens, usage.output_tokens), (1000, 300));
    assert_eq!(usage.input_token_details.cached_tokens, 640);
    assert_eq!(usage.output_token_details.audio_tokens, 240);

    // A response without usage (cancelled early) reports none.
    let _ = session.send_text("again".to_owned());
    let _ = session.handle(created("resp_2"));
    let outputs = session.handle(done("resp_2", "cancelled", json!([])));
    assert!(
        !updates(&outputs)
            .iter()
            .any(|u| matches!(u, UiUpdate::Usage { .. }))
    );
}

#[test]
fn recalled_items_go_out_in_order_without_a_response_and_reseed_a_new_connection() {
    let mut s = ready_session();
    let items: Vec<Item> = serde_json::from_value(json!([
        {"type":"message","role":"user","content":[{"type":"input_text","text":"Here for Maria"}]},
        {"type":"function_call","call_id":"call_1","name":"lookup_staff","arguments":"{}"},
        {"type":"function_call_output","call_id":"call_1","output":"{\"matches\":[]}"},
        {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Which Maria?"}]}
    ]))
    .unwrap();
    let out = s.recall(items);
    let sent = sends(&out);
    assert_eq!(
        sent.iter()
            .map(|e| e["item"]["type"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["message", "function_call", "function_call_output", "message"]
    );
    assert!(sent.iter().all(|e| e["type"] == "conversation.item.create"));
    let ids: std::collections::HashSet<&str> =
        sent.iter().map(|e| e["item"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4, "each item its own id: {sent:?}");
    assert!(s.is_quiet(), "no response is asked for");

    // On a new connection the messages are given again, as the session's own turns are.
    s.on_disconnected();
    let out = s.handle(server(
        json!({"type":"session.created","event_id":"e","session":{"id":"sess_2"}}),
    ));
    let sent = sends(&out);
    let texts: Vec<&str> = sent
        .iter()
        .filter_map(|e| e["item"]["content"][0]["text"].as_str())
        .collect();
    assert_eq!(texts, ["Here for Maria", "Which Maria?"]);
}
