//! The session object: the engine's defaults, and `session.update` validated and merged the way
//! the service does it (whole update rejected on any error, partial fields merged on success).

use donna_realtime::protocol::SessionConfig;
use donna_realtime::protocol::session::{
    AudioConfig, AudioFormat, AudioInput, AudioOutput, TurnDetection, unknown_session_fields,
};
use serde_json::{Value, json};

use crate::error::ProtocolError;

/// The voices the service accepts by name (the protocol's list).
pub use donna_realtime::protocol::session::VOICES;

/// A session as `session.created` reports it, with every field filled.
pub fn default_session(id: String, model: &str, instructions: &str, expires_at: i64) -> SessionConfig {
    SessionConfig {
        kind: Some("realtime".to_owned()),
        object: Some("realtime.session".to_owned()),
        id: Some(id),
        model: Some(model.to_owned()),
        output_modalities: Some(vec!["audio".to_owned()]),
        instructions: Some(instructions.to_owned()),
        audio: Some(AudioConfig {
            input: Some(AudioInput {
                format: Some(AudioFormat::pcm24k()),
                transcription: Some(None),
                noise_reduction: Some(None),
                turn_detection: Some(Some(TurnDetection::server_vad())),
            }),
            output: Some(AudioOutput {
                format: Some(AudioFormat::pcm24k()),
                voice: Some(json!("alloy")),
                speed: Some(1.0),
            }),
        }),
        tools: Some(Vec::new()),
        tool_choice: Some(json!("auto")),
        max_output_tokens: Some(json!("inf")),
        include: Some(None),
        tracing: Some(None),
        truncation: Some(json!("auto")),
        prompt: Some(None),
        expires_at: Some(expires_at),
        parallel_tool_calls: None,
        reasoning: None,
    }
}

/// Apply a `session.update`: `raw` is the event's `session` as sent, `update` its typed form.
/// Returns the new full session, or the error that rejects the whole update.
pub fn apply_update(
    current: &SessionConfig,
    raw: &Value,
    update: &SessionConfig,
    voice_locked: bool,
) -> Result<SessionConfig, ProtocolError> {
    validate(current, raw, update, voice_locked)?;
    Ok(merge(current, update))
}

/// Check a session object sent by a client (in `session.update` or a client-secret request).
pub fn validate(
    current: &SessionConfig,
    raw: &Value,
    update: &SessionConfig,
    voice_locked: bool,
) -> Result<(), ProtocolError> {
    if let Some(path) = unknown_session_fields(raw) {
        return Err(ProtocolError::invalid(
            "unknown_parameter",
            format!("Unknown parameter: '{path}'."),
            Some(&path),
        ));
    }
    match update.kind.as_deref() {
        None => {
            return Err(ProtocolError::invalid(
                "missing_required_parameter",
                "Missing required parameter: 'session.type'.",
                Some("session.type"),
            ));
        }
        Some("realtime" | "transcription") => {}
        Some(other) => return Err(invalid("session.type", other, "'realtime' or 'transcription'")),
    }
    if let (Some(new), Some(old)) = (&update.model, &current.model)
        && new != old
    {
        return Err(ProtocolError::invalid(
            "invalid_value",
            "Cannot change the model of an existing session.",
            Some("session.model"),
        ));
    }
    if let Some(m) = &update.output_modalities
        && !(m.len() == 1 && (m[0] == "audio" || m[0] == "text"))
    {
        return Err(invalid(
            "session.output_modalities",
            &format!("{m:?}"),
            "[\"audio\"] or [\"text\"]",
        ));
    }
    if let Some(tokens) = &update.max_output_tokens {
        check_max_tokens("session.max_output_tokens", tokens)?;
    }
    if let Some(choice) = &update.tool_choice {
        check_tool_choice("session.tool_choice", choice)?;
    }
    if let Some(tools) = &update.tools {
        for (i, tool) in tools.iter().enumerate() {
            let path = format!("session.tools[{i}]");
            if tool.kind != "function" {
                return Err(invalid(&format!("{path}.type"), &tool.kind, "'function'"));
            }
            let name_ok = tool.name.as_deref().is_some_and(|n| {
                !n.is_empty()
                    && n.len() <= 64
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            if !name_ok {
                return Err(ProtocolError::invalid(
                    "invalid_value",
                    format!("Invalid '{path}.name': expected 1-64 characters of a-z, A-Z, 0-9, _ or -."),
                    Some(&format!("{path}.name")),
                ));
            }
            if let Some(params) = &tool.parameters
                && !params.is_object()
            {
                return Err(invalid(
                    &format!("{path}.parameters"),
                    &params.to_string(),
                    "a JSON Schema object",
                ));
            }
        }
    }
    if let Some(truncation) = &update.truncation {
        let ok = matches!(truncation.as_str(), Some("auto" | "disabled"))
            || truncation.get("type").and_then(Value::as_str) == Some("retention_ratio");
        if !ok {
            return Err(invalid(
                "session.truncation",
                &truncation.to_string(),
                "'auto', 'disabled' or a retention_ratio object",
            ));
        }
    }
    if let Some(audio) = &update.audio {
        if let Some(input) = &audio.input {
            if let Some(format) = &input.format {
                check_format("session.audio.input.format", format)?;
            }
            if let Some(Some(nr)) = &input.noise_reduction
                && !matches!(nr.kind.as_str(), "near_field" | "far_field")
            {
                return Err(invalid(
                    "session.audio.input.noise_reduction.type",
                    &nr.kind,
                    "'near_field' or 'far_field'",
                ));
            }
            if let Some(Some(td)) = &input.turn_detection {
                check_turn_detection(td)?;
            }
        }
        if let Some(output) = &audio.output {
            if let Some(format) = &output.format {
                check_format("session.audio.output.format", format)?;
            }
            if let Some(speed) = output.speed
                && !(0.25..=1.5).contains(&speed)
            {
                return Err(invalid(
                    "session.audio.output.speed",
                    &speed.to_string(),
                    "a number from 0.25 to 1.5",
                ));
            }
            if let Some(voice) = &output.voice {
                let ok = match voice {
                    Value::String(v) => VOICES.contains(&v.as_str()),
                    Value::Object(o) => o
                        .get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| id.starts_with("voice_")),
                    _ => false,
                };
                if !ok {
                    return Err(invalid(
                        "session.audio.output.voice",
                        &voice.to_string(),
                        &VOICES.join(", "),
                    ));
                }
                let current_voice = current
                    .audio
                    .as_ref()
                    .and_then(|a| a.output.as_ref())
                    .and_then(|o| o.voice.as_ref());
                if voice_locked && current_voice != Some(voice) {
                    return Err(ProtocolError::invalid(
                        "cannot_update_voice",
                        "Cannot update a conversation's voice if assistant audio is present.",
                        Some("session.audio.output.voice"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Merge a validated partial update into the full session (also used for the session a client
/// secret was minted with).
pub fn merge(current: &SessionConfig, u: &SessionConfig) -> SessionConfig {
    let mut s = current.clone();
    macro_rules! take {
        ($($field:ident),*) => { $( if u.$field.is_some() { s.$field = u.$field.clone(); } )* };
    }
    take!(
        kind,
        output_modalities,
        instructions,
        tools,
        tool_choice,
        max_output_tokens,
        include,
        tracing,
        truncation,
        prompt,
        parallel_tool_calls,
        reasoning
    );
    if let Some(audio) = &u.audio {
        let target = s.audio.get_or_insert_with(AudioConfig::default);
        if let Some(input) = &audio.input {
            let t = target.input.get_or_insert_with(AudioInput::default);
            if input.format.is_some() {
                t.format = input.format.clone();
            }
            if input.transcription.is_some() {
                t.transcription = input.transcription.clone();
            }
            if input.noise_reduction.is_some() {
                t.noise_reduction = input.noise_reduction.clone();
            }
            if let Some(td) = &input.turn_detection {
                // A new turn-detection object is completed with the service's defaults.
                t.turn_detection = Some(td.clone().map(with_vad_defaults));
            }
        }
        if let Some(output) = &audio.output {
            let t = target.output.get_or_insert_with(AudioOutput::default);
            if output.format.is_some() {
                t.format = output.format.clone();
            }
            if output.voice.is_some() {
                t.voice = output.voice.clone();
            }
            if output.speed.is_some() {
                t.speed = output.speed;
            }
        }
    }
    s
}

fn with_vad_defaults(td: TurnDetection) -> TurnDetection {
    if td.kind != "server_vad" {
        return TurnDetection {
            create_response: td.create_response.or(Some(true)),
            interrupt_response: td.interrupt_response.or(Some(true)),
            eagerness: td.eagerness.or(Some("auto".to_owned())),
            ..td
        };
    }
    let d = TurnDetection::server_vad();
    TurnDetection {
        kind: td.kind,
        threshold: td.threshold.or(d.threshold),
        prefix_padding_ms: td.prefix_padding_ms.or(d.prefix_padding_ms),
        silence_duration_ms: td.silence_duration_ms.or(d.silence_duration_ms),
        idle_timeout_ms: td.idle_timeout_ms.or(d.idle_timeout_ms),
        create_response: td.create_response.or(d.create_response),
        interrupt_response: td.interrupt_response.or(d.interrupt_response),
        eagerness: td.eagerness,
    }
}

fn check_format(path: &str, f: &AudioFormat) -> Result<(), ProtocolError> {
    match (f.kind.as_str(), f.rate) {
        ("audio/pcm", None | Some(24_000)) | ("audio/pcmu" | "audio/pcma", None) => Ok(()),
        ("audio/pcm", Some(rate)) => Err(invalid(&format!("{path}.rate"), &rate.to_string(), "24000")),
        (other, _) => Err(invalid(
            &format!("{path}.type"),
            other,
            "'audio/pcm', 'audio/pcmu' or 'audio/pcma'",
        )),
    }
}

fn check_turn_detection(td: &TurnDetection) -> Result<(), ProtocolError> {
    let path = "session.audio.input.turn_detection";
    if !matches!(td.kind.as_str(), "server_vad" | "semantic_vad") {
        return Err(invalid(
            &format!("{path}.type"),
            &td.kind,
            "'server_vad' or 'semantic_vad'",
        ));
    }
    if let Some(t) = td.threshold
        && !(0.0..=1.0).contains(&t)
    {
        return Err(invalid(
            &format!("{path}.threshold"),
            &t.to_string(),
            "a number from 0.0 to 1.0",
        ));
    }
    if let Some(Some(ms)) = td.idle_timeout_ms
        && !(5000..=30000).contains(&ms)
    {
        return Err(invalid(
            &format!("{path}.idle_timeout_ms"),
            &ms.to_string(),
            "5000 to 30000",
        ));
    }
    if let Some(e) = &td.eagerness
        && !matches!(e.as_str(), "low" | "medium" | "high" | "auto")
    {
        return Err(invalid(
            &format!("{path}.eagerness"),
            e,
            "'low', 'medium', 'high' or 'auto'",
        ));
    }
    Ok(())
}

/// `max_output_tokens`: an integer 1–4096 or `"inf"`.
pub fn check_max_tokens(path: &str, v: &Value) -> Result<(), ProtocolError> {
    let ok = v.as_str() == Some("inf") || v.as_u64().is_some_and(|n| (1..=4096).contains(&n));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            path,
            &v.to_string(),
            "an integer from 1 to 4096, or 'inf'",
        ))
    }
}

/// `tool_choice`: `auto`, `none`, `required` or `{"type":"function","name":...}`.
pub fn check_tool_choice(path: &str, v: &Value) -> Result<(), ProtocolError> {
    let ok = matches!(v.as_str(), Some("auto" | "none" | "required"))
        || (v.get("type").and_then(Value::as_str) == Some("function")
            && v.get("name").is_some_and(Value::is_string));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            path,
            &v.to_string(),
            "'auto', 'none', 'required' or a function choice",
        ))
    }
}

fn invalid(param: &str, got: &str, expected: &str) -> ProtocolError {
    ProtocolError::invalid(
        "invalid_value",
        format!("Invalid value: '{got}'. Supported values are: {expected}."),
        Some(param),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> SessionConfig {
        default_session("sess_1".into(), "gpt-realtime", "Be kind.", 0)
    }

    fn update(raw: Value) -> Result<SessionConfig, ProtocolError> {
        let typed: SessionConfig = serde_json::from_value(raw.clone()).unwrap();
        apply_update(&current(), &raw, &typed, false)
    }

    #[test]
    fn partial_updates_merge_and_null_clears() {
        let s = update(json!({ "type": "realtime", "instructions": "Be brief.", "audio": { "input": { "turn_detection": null } } }))
            .unwrap();
        assert_eq!(s.instructions.as_deref(), Some("Be brief."));
        let input = s.audio.as_ref().unwrap().input.as_ref().unwrap();
        assert_eq!(input.turn_detection, Some(None));
        // Untouched fields keep their values.
        assert_eq!(s.output_modalities, Some(vec!["audio".to_owned()]));
        assert_eq!(input.format, Some(AudioFormat::pcm24k()));
    }

    #[test]
    fn vad_objects_are_completed_with_defaults() {
        let s = update(json!({ "type": "realtime", "audio": { "input": { "turn_detection": { "type": "server_vad", "silence_duration_ms": 700 } } } }))
            .unwrap();
        let td = s.audio.unwrap().input.unwrap().turn_detection.unwrap().unwrap();
        assert_eq!(td.silence_duration_ms, Some(700));
        assert_eq!(td.threshold, Some(0.5));
        assert_eq!(td.create_response, Some(true));
    }

    #[test]
    fn errors_match_the_service() {
        let cases = [
            (
                json!({ "instructions": "x" }),
                "missing_required_parameter",
                "session.type",
            ),
            (
                json!({ "type": "realtime", "modalities": ["text"] }),
                "unknown_parameter",
                "session.modalities",
            ),
            (
                json!({ "type": "realtime", "output_modalities": ["text", "audio"] }),
                "invalid_value",
                "session.output_modalities",
            ),
            (
                json!({ "type": "realtime", "model": "other-model" }),
                "invalid_value",
                "session.model",
            ),
            (
                json!({ "type": "realtime", "audio": { "output": { "voice": "robot" } } }),
                "invalid_value",
                "session.audio.output.voice",
            ),
            (
                json!({ "type": "realtime", "audio": { "output": { "speed": 3.0 } } }),
                "invalid_value",
                "session.audio.output.speed",
            ),
            (
                json!({ "type": "realtime", "audio": { "input": { "format": { "type": "audio/pcm", "rate": 16000 } } } }),
                "invalid_value",
                "session.audio.input.format.rate",
            ),
            (
                json!({ "type": "realtime", "max_output_tokens": 0 }),
                "invalid_value",
                "session.max_output_tokens",
            ),
            (
                json!({ "type": "realtime", "tools": [{ "type": "function", "name": "bad name!" }] }),
                "invalid_value",
                "session.tools[0].name",
            ),
            (
                json!({ "type": "realtime", "audio": { "input": { "turn_detection": { "type": "loud_vad" } } } }),
                "invalid_value",
                "session.audio.input.turn_detection.type",
            ),
        ];
        for (raw, code, param) in cases {
            let err = update(raw.clone()).unwrap_err();
            assert_eq!(
                (err.code, err.param.as_deref()),
                (code, Some(param)),
                "{raw}: {}",
                err.message
            );
        }
    }

    #[test]
    fn voice_is_locked_after_audio() {
        let raw = json!({ "type": "realtime", "audio": { "output": { "voice": "marin" } } });
        let typed: SessionConfig = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(
            apply_update(&current(), &raw, &typed, true).unwrap_err().code,
            "cannot_update_voice"
        );
        assert!(apply_update(&current(), &raw, &typed, false).is_ok());
    }
}
