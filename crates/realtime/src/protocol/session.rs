//! Session configuration (GA shape): what `session.update` sends and `session.created/updated` echo.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::nullable;

/// The voices the service accepts by name.
pub const VOICES: &[&str] = &[
    "alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar",
];

/// A session object. In requests every field is optional except `type` (which the service
/// requires on every update); in echoes the server fills every field and adds `object`, `id`
/// and `expires_at`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionConfig {
    /// `"realtime"` or `"transcription"`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<AudioConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    /// An integer 1–4096 or the string `"inf"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable::deserialize"
    )]
    pub include: Option<Option<Vec<String>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable::deserialize"
    )]
    pub tracing: Option<Option<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncation: Option<Value>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable::deserialize"
    )]
    pub prompt: Option<Option<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<AudioInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<AudioOutput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<AudioFormat>,
    /// `null` turns transcription off.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable::deserialize"
    )]
    pub transcription: Option<Option<Transcription>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable::deserialize"
    )]
    pub noise_reduction: Option<Option<NoiseReduction>>,
    /// `null` means manual turns (push-to-talk).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable::deserialize"
    )]
    pub turn_detection: Option<Option<TurnDetection>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioOutput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<AudioFormat>,
    /// A voice name, or `{"id": "voice_..."}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
}

/// `{"type":"audio/pcm","rate":24000}`, `{"type":"audio/pcmu"}` or `{"type":"audio/pcma"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioFormat {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<u32>,
}

impl AudioFormat {
    /// PCM16 mono 24 kHz, the default and the only PCM rate the protocol allows.
    pub fn pcm24k() -> Self {
        Self {
            kind: "audio/pcm".to_owned(),
            rate: Some(24_000),
        }
    }

    /// Bytes of this format per millisecond of audio (48 for PCM16 at 24 kHz, 8 for G.711).
    pub fn bytes_per_ms(&self) -> u32 {
        match self.kind.as_str() {
            "audio/pcmu" | "audio/pcma" => 8,
            _ => 48,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcription {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseReduction {
    #[serde(rename = "type")]
    pub kind: String,
}

/// `server_vad` or `semantic_vad` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnDetection {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_padding_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silence_duration_ms: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "nullable::deserialize"
    )]
    pub idle_timeout_ms: Option<Option<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_response: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupt_response: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eagerness: Option<String>,
}

impl TurnDetection {
    /// Server VAD with the service's defaults.
    pub fn server_vad() -> Self {
        Self {
            kind: "server_vad".to_owned(),
            threshold: Some(0.5),
            prefix_padding_ms: Some(300),
            silence_duration_ms: Some(200),
            idle_timeout_ms: Some(None),
            create_response: Some(true),
            interrupt_response: Some(true),
            eagerness: None,
        }
    }
}

/// A function tool: flat, with a JSON Schema for `parameters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// The keys a GA session object may contain, by path; anything else in a request is
/// `unknown_parameter` (the service's answer to beta fields such as `session.modalities`).
const KNOWN_KEYS: &[(&str, &[&str])] = &[
    (
        "session",
        &[
            "type",
            "object",
            "id",
            "model",
            "output_modalities",
            "instructions",
            "audio",
            "tools",
            "tool_choice",
            "max_output_tokens",
            "include",
            "tracing",
            "truncation",
            "prompt",
            "expires_at",
            "parallel_tool_calls",
            "reasoning",
        ],
    ),
    ("session.audio", &["input", "output"]),
    (
        "session.audio.input",
        &["format", "transcription", "noise_reduction", "turn_detection"],
    ),
    ("session.audio.input.format", &["type", "rate"]),
    (
        "session.audio.input.transcription",
        &["model", "language", "prompt"],
    ),
    ("session.audio.input.noise_reduction", &["type"]),
    (
        "session.audio.input.turn_detection",
        &[
            "type",
            "threshold",
            "prefix_padding_ms",
            "silence_duration_ms",
            "idle_timeout_ms",
            "create_response",
            "interrupt_response",
            "eagerness",
        ],
    ),
    ("session.audio.output", &["format", "voice", "speed"]),
    ("session.audio.output.format", &["type", "rate"]),
];

/// The first key in a raw session object (at path `session`) that the GA protocol does not
/// define, as a full path such as `session.modalities`.
pub fn unknown_session_fields(session: &Value) -> Option<String> {
    /// `path` grows by a key on the way down and shrinks on the way back: one buffer for the
    /// whole walk, since every session a client sends is walked.
    fn walk(value: &Value, path: &mut String) -> Option<String> {
        let obj = value.as_object()?;
        let known = KNOWN_KEYS
            .iter()
            .find(|(p, _)| *p == path.as_str())
            .map(|(_, keys)| *keys)?;
        for (key, child) in obj {
            let parent = path.len();
            path.push('.');
            path.push_str(key);
            if !known.contains(&key.as_str()) {
                return Some(path.clone());
            }
            if let Some(found) = walk(child, path) {
                return Some(found);
            }
            path.truncate(parent);
        }
        None
    }
    walk(session, &mut String::from("session"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_and_absent_differ() {
        let cleared: AudioInput = serde_json::from_value(json!({ "turn_detection": null })).unwrap();
        assert_eq!(cleared.turn_detection, Some(None));
        let kept: AudioInput = serde_json::from_value(json!({})).unwrap();
        assert_eq!(kept.turn_detection, None);
        assert_eq!(
            serde_json::to_value(&cleared).unwrap(),
            json!({ "turn_detection": null })
        );
        assert_eq!(serde_json::to_value(&kept).unwrap(), json!({}));
    }

    #[test]
    fn beta_fields_are_found_by_path() {
        let beta = json!({ "type": "realtime", "modalities": ["text"] });
        assert_eq!(
            unknown_session_fields(&beta).as_deref(),
            Some("session.modalities")
        );
        let nested = json!({ "type": "realtime", "audio": { "input": { "turn_detection": { "type": "server_vad", "loudness": 1 } } } });
        assert_eq!(
            unknown_session_fields(&nested).as_deref(),
            Some("session.audio.input.turn_detection.loudness")
        );
        let fine = json!({ "type": "realtime", "audio": { "output": { "voice": { "id": "voice_1" } } }, "tools": [{ "type": "function", "name": "x" }] });
        assert_eq!(unknown_session_fields(&fine), None);
    }
}
