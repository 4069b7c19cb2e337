//! The session without a socket: frames in, events out.

use super::*;
use crate::session_config::default_session;

fn conversation() -> ServerSession {
    let reception = Arc::new(Reception::new(
        donna_desk::Desk::load(None).unwrap(),
        donna_desk::store::Store::open_in_memory().unwrap(),
        Vec::new(),
    ));
    let mut session = default_session("sess_t".into(), "gpt-realtime", "", 0);
    session.output_modalities = Some(vec!["text".into()]);
    ServerSession::new(reception, session, Limits::default())
}

fn kinds(events: &[ServerEvent]) -> Vec<&str> {
    events.iter().map(ServerEvent::kind).collect()
}

fn frame(v: Value) -> String {
    v.to_string()
}

fn start_parking_answer(c: &mut ServerSession) {
    c.handle_frame(&frame(json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "Where can I park?" }] } })));
    assert!(
        c.handle_frame(&frame(json!({ "type": "response.create" })))
            .is_empty()
    );
}

fn speech_frames(ms: usize) -> Vec<String> {
    let bytes: Vec<u8> = (0..ms * 24)
        .flat_map(|i| ((0.3 * 32767.0 * (i as f64 * 0.0576).sin()) as i16).to_le_bytes())
        .collect();
    bytes
        .chunks(960)
        .map(|c| frame(json!({ "type": "input_audio_buffer.append", "audio": base64::engine::general_purpose::STANDARD.encode(c) })))
        .collect()
}

fn drain(c: &mut ServerSession) -> Vec<ServerEvent> {
    std::iter::from_fn(|| c.next_streamed()).collect()
}

#[test]
fn a_spoken_turn_is_answered_once_its_transcript_is_in() {
    let mut c = conversation().with_transcription(true);
    c.handle_frame(&frame(
        json!({"type": "session.update", "session": {"type": "realtime",
        "audio": {"input": {"transcription": {"model": "whisper-1"}}}}}),
    ));
    for f in speech_frames(600) {
        c.handle_frame(&f);
    }
    let committed = c.handle_frame(&frame(json!({"type": "input_audio_buffer.commit"})));
    assert_eq!(
        kinds(&committed),
        [
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done"
        ]
    );
    // The response waits for the words.
    assert!(
        c.handle_frame(&frame(json!({"type": "response.create"})))
            .is_empty()
    );
    assert!(drain(&mut c).is_empty(), "nothing before the transcript");
    let (item_id, pcm) = c.take_transcription().expect("a job");
    assert_eq!(
        pcm.map(|p| p.len()),
        Some(600 * 24),
        "the committed audio, as samples"
    );
    assert!(c.take_transcription().is_none());
    c.transcribed(
        &item_id,
        Ok(Heard {
            text: " Where can I park? ".into(),
            confidence: 0.9,
        }),
    );
    let events = drain(&mut c);
    let kinds = kinds(&events);
    assert_eq!(
        kinds[..3],
        [
            "conversation.item.input_audio_transcription.delta",
            "conversation.item.input_audio_transcription.completed",
            "response.created"
        ]
    );
    assert!(kinds.contains(&"response.done"), "{kinds:?}");
    let ServerEvent::TranscriptionCompleted(done) = &events[1] else {
        unreachable!()
    };
    assert_eq!(
        (done.item_id.as_str(), done.transcript.as_str()),
        (item_id.as_str(), "Where can I park?")
    );
    let answer: String = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::OutputTextDelta(d) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect();
    assert!(answer.to_lowercase().contains("park"), "{answer}");
}

#[test]
fn a_failed_or_empty_transcript_gets_a_clear_event_and_a_polite_retry() {
    let mut c = conversation().with_transcription(true);
    c.handle_frame(&frame(
        json!({"type": "session.update", "session": {"type": "realtime",
        "audio": {"input": {"transcription": {"model": "whisper-1"}}}}}),
    ));
    for f in speech_frames(300) {
        c.handle_frame(&f);
    }
    c.handle_frame(&frame(json!({"type": "input_audio_buffer.commit"})));
    c.handle_frame(&frame(json!({"type": "response.create"})));
    let (item_id, _) = c.take_transcription().unwrap();
    c.transcribed(&item_id, Err("decoder failed".into()));
    let events = drain(&mut c);
    assert_eq!(
        events[0].kind(),
        "conversation.item.input_audio_transcription.failed"
    );
    let text: String = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::OutputTextDelta(d) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "Sorry, I didn't catch that. Could you say it again?");
}

#[test]
fn cancel_between_deltas_keeps_exactly_what_was_streamed() {
    let mut c = conversation();
    start_parking_answer(&mut c);
    let head: Vec<ServerEvent> = (0..6).filter_map(|_| c.next_streamed()).collect();
    assert_eq!(
        kinds(&head),
        [
            "response.created",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta"
        ]
    );
    let streamed: String = head
        .iter()
        .filter_map(|e| match e {
            ServerEvent::OutputTextDelta(d) => Some(d.delta.clone()),
            _ => None,
        })
        .collect();
    assert!(
        c.handle_frame(&frame(json!({ "type": "response.cancel" })))
            .is_empty()
    );
    let tail: Vec<ServerEvent> = std::iter::from_fn(|| c.next_streamed()).collect();
    assert_eq!(
        kinds(&tail),
        [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "conversation.item.done",
            "response.done",
            "rate_limits.updated"
        ]
    );
    match &tail[0] {
        ServerEvent::OutputTextDone(d) => assert_eq!(d.text, streamed),
        other => panic!("{other:?}"),
    }
    match &tail[4] {
        ServerEvent::ResponseDone(r) => {
            assert_eq!(r.response.status, ResponseStatus::Cancelled);
            assert_eq!(
                r.response.status_details,
                Some(json!({ "type": "cancelled", "reason": "client_cancelled" }))
            );
        }
        other => panic!("{other:?}"),
    }
    // The stored assistant item holds the partial text, so later turns see what was said.
    assert_eq!(c.store.items.last().unwrap().item.text(), streamed);
}

#[test]
fn speech_during_a_response_interrupts_it_as_turn_detected() {
    let mut c = conversation();
    start_parking_answer(&mut c);
    for _ in 0..5 {
        c.next_streamed();
    }
    let mut events = Vec::new();
    for f in speech_frames(100) {
        events.extend(c.handle_frame(&f));
    }
    assert_eq!(kinds(&events), ["input_audio_buffer.speech_started"]);
    let tail: Vec<ServerEvent> = std::iter::from_fn(|| c.next_streamed()).collect();
    let done = tail.iter().find_map(|e| match e {
        ServerEvent::ResponseDone(r) => Some(r),
        _ => None,
    });
    assert_eq!(
        done.unwrap().response.status_details,
        Some(json!({ "type": "cancelled", "reason": "turn_detected" }))
    );
}

#[test]
fn interrupt_response_false_lets_the_answer_finish() {
    let mut c = conversation();
    c.handle_frame(&frame(json!({ "type": "session.update", "session": { "type": "realtime", "audio": { "input": { "turn_detection": { "type": "server_vad", "interrupt_response": false } } } } })));
    start_parking_answer(&mut c);
    c.next_streamed();
    for f in speech_frames(100) {
        c.handle_frame(&f);
    }
    let tail: Vec<ServerEvent> = std::iter::from_fn(|| c.next_streamed()).collect();
    let done = tail.iter().find_map(|e| match e {
        ServerEvent::ResponseDone(r) => Some(r),
        _ => None,
    });
    assert_eq!(done.unwrap().response.status, ResponseStatus::Completed);
}

/// A client that gives a new session the conversation so far (another gateway carrying on a
/// visit the first began) gets the answer the first session would have given.
#[test]
fn a_session_given_history_carries_the_conversation_on() {
    // Thursday 26 November 2026, 10:00 in London: the example clinic is open.
    let at: jiff::Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
    let reception = Arc::new(Reception::example_at(at).unwrap());
    let mut session = default_session("sess_t".into(), "gpt-realtime", "", 0);
    session.output_modalities = Some(vec!["text".into()]);
    let mut c = ServerSession::new(reception.clone(), session, Limits::default());
    let said = [
        ("user", "input_text", "Hi, I'm here to see Maria at two"),
        (
            "assistant",
            "output_text",
            "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?",
        ),
        ("user", "input_text", "The one in general practice"),
        (
            "assistant",
            "output_text",
            "Thank you. May I have your name, please?",
        ),
        ("user", "input_text", "It's Ann Lee"),
    ];
    for (role, kind, text) in said {
        let created = c.handle_frame(&frame(json!({ "type": "conversation.item.create", "item": {
            "type": "message", "role": role, "content": [{ "type": kind, "text": text }] } })));
        assert_eq!(kinds(&created)[0], "conversation.item.added", "{created:?}");
    }
    assert!(
        c.handle_frame(&frame(json!({ "type": "response.create" })))
            .is_empty()
    );
    let text: String = drain(&mut c)
        .iter()
        .filter_map(|e| match e {
            ServerEvent::OutputTextDelta(d) => Some(d.delta.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        text.starts_with("Thank you, Ann. I've let Dr Maria Chen know you're here."),
        "{text}"
    );
    let visits = reception.store().visits_since(0).unwrap();
    assert_eq!(visits.len(), 1, "the history ran nothing again");
    assert_eq!(
        (
            visits[0].host_staff_id.as_str(),
            visits[0].appointment_time.as_deref()
        ),
        ("maria-chen", Some("14:00"))
    );
}
