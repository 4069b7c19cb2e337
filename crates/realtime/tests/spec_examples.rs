//! Every JSON example in the protocol reference decodes into its typed event (never `Unknown`)
//! and encodes back without losing any field the reference shows.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use donna_realtime::protocol::{ClientEvent, ServerEvent};
use serde_json::Value;

/// The JSON examples of the protocol reference, one per line (taken verbatim from it).
const EXAMPLES: &str = include_str!("fixtures/spec-examples.jsonl");

/// The example events.
fn examples() -> Vec<&'static str> {
    EXAMPLES.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// Every field of `original` is in `encoded` with the same value, except fields the protocol
/// says clients drop (`obfuscation` padding).
fn assert_subset(original: &Value, encoded: &Value, path: &str) {
    match (original, encoded) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                if k == "obfuscation" {
                    continue;
                }
                let child = b.get(k).unwrap_or_else(|| panic!("{path}.{k} lost in {encoded}"));
                assert_subset(v, child, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_subset(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(original, encoded, "{path}"),
    }
}

#[test]
fn every_example_round_trips() {
    let examples = examples();
    assert!(examples.len() >= 35, "found only {} examples", examples.len());
    let (mut client, mut server) = (0, 0);
    for line in examples {
        let original: Value = serde_json::from_str(line).unwrap();
        let kind = original["type"].as_str().unwrap();
        let encoded = if ClientEvent::KNOWN_TYPES.contains(&kind) && !line.contains("\"event_id\":\"event_") {
            client += 1;
            let event = ClientEvent::parse_known(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(event.kind(), kind);
            event.to_json()
        } else {
            server += 1;
            let event = ServerEvent::parse_known(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(event.kind(), kind);
            event.to_json()
        };
        let encoded: Value = serde_json::from_str(&encoded).unwrap();
        assert_subset(&original, &encoded, kind);
    }
    assert!(client >= 10 && server >= 25, "client {client}, server {server}");
}

#[test]
fn unknown_events_and_fields_are_kept_not_fatal() {
    let event =
        ServerEvent::parse(r#"{"type":"mcp_list_tools.in_progress","event_id":"event_1","item_id":"x"}"#)
            .unwrap();
    assert_eq!(event.kind(), "mcp_list_tools.in_progress");
    assert!(matches!(event, ServerEvent::Unknown(_)));
    let event = ServerEvent::parse(
        r#"{"type":"response.output_text.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"Hi","brand_new":{"x":1}}"#,
    )
    .unwrap();
    assert!(matches!(event, ServerEvent::OutputTextDelta(ref d) if d.delta == "Hi"));
}

#[test]
fn beta_names_decode_to_ga_events() {
    let event = ServerEvent::parse(
        r#"{"type":"response.audio_transcript.delta","event_id":"e","response_id":"r","item_id":"i","output_index":0,"content_index":0,"delta":"Hel"}"#,
    )
    .unwrap();
    assert_eq!(event.kind(), "response.output_audio_transcript.delta");
}

#[test]
fn decode_errors_carry_the_protocol_code_and_param() {
    let cases = [
        ("not json", "invalid_json", None),
        (r#"{"event_id":"x"}"#, "invalid_event", Some("type")),
        (r#"{"type":"session.explode"}"#, "invalid_value", Some("type")),
        (
            r#"{"type":"conversation.item.truncate","item_id":"a","content_index":0}"#,
            "missing_required_parameter",
            Some("audio_end_ms"),
        ),
        (
            r#"{"type":"conversation.item.truncate","item_id":"a","content_index":0,"audio_end_ms":"soon"}"#,
            "invalid_value",
            Some("audio_end_ms"),
        ),
        (
            r#"{"type":"input_audio_buffer.append","audio":5}"#,
            "invalid_value",
            Some("audio"),
        ),
    ];
    for (text, code, param) in cases {
        let err = ClientEvent::parse_known(text).unwrap_err();
        assert_eq!(err.code(), code, "{text}: {err}");
        assert_eq!(err.param().as_deref(), param, "{text}: {err}");
    }
    let err = ClientEvent::parse_known(r#"{"type":"conversation.item.delete"}"#).unwrap_err();
    assert_eq!(err.to_string(), "Missing required parameter: 'item_id'.");
}
