//! What a kiosk may not do through the proxy: the key behind it belongs to the business, and a
//! compromised tablet must not be able to turn it into a general-purpose assistant.
//!
//! For callers with the kiosk role, client events that would re-purpose the session are refused
//! (answered with an `error` event, never forwarded):
//!
//! - instructions other than the desk's, in `session.update` or in a `response.create` override;
//! - tools that are not the desk's, or a `tool_choice` naming another function;
//! - stored prompt references (`prompt`), which would swap the instructions wholesale;
//! - `system` messages added with `conversation.item.create`.
//!
//! Staff and admin tokens are not restricted. Everything else passes untouched, and the check
//! costs nothing for the frames that dominate traffic: only a frame containing one of the
//! event names above is parsed (audio appends are base64, which has no `.` to match).

use memchr::memmem::Finder;
use serde_json::{Value, json};

/// The desk's own session settings a kiosk may (re)state but not change.
#[derive(Debug)]
pub struct Policy {
    instructions: String,
    tool_names: Vec<String>,
    markers: [Finder<'static>; 3],
}

/// A refused client event.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The field that was refused, e.g. `session.instructions`.
    pub param: &'static str,
    pub message: &'static str,
    /// The client's `event_id`, echoed so it can match the error to its event.
    pub event_id: Option<String>,
}

impl Refusal {
    /// The `error` server event that tells the client.
    pub fn event(&self, id: &str) -> String {
        json!({
            "type": "error",
            "event_id": id,
            "error": {
                "type": "invalid_request_error",
                "code": "policy_violation",
                "message": self.message,
                "param": self.param,
                "event_id": self.event_id,
            }
        })
        .to_string()
    }
}

impl Policy {
    /// `tools` are function-tool definitions (`{"type": "function", "name", ...}`).
    pub fn new(instructions: String, tools: &[Value]) -> Self {
        Self {
            instructions,
            tool_names: tools
                .iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect(),
            markers: [
                Finder::new("session.update"),
                Finder::new("response.create"),
                Finder::new("item.create"),
            ],
        }
    }

    /// The desk's instructions, which the proxy states for kiosk sessions itself.
    pub fn instructions(&self) -> &str {
        &self.instructions
    }

    /// `Err` when a kiosk must not send this text frame.
    pub fn check(&self, frame: &str) -> Result<(), Refusal> {
        let bytes = frame.as_bytes();
        if !self.markers.iter().any(|m| m.find(bytes).is_some()) {
            return Ok(());
        }
        // Not JSON, or not an object: the service refuses it itself, and it can carry no setting.
        let Ok(event) = serde_json::from_str::<Value>(frame) else {
            return Ok(());
        };
        let refuse = |param, message| Refusal {
            param,
            message,
            event_id: event["event_id"].as_str().map(str::to_owned),
        };
        match event["type"].as_str() {
            Some("session.update" | "transcription_session.update") => {
                self.check_settings(&event["session"], "session", &refuse)
            }
            Some("response.create") => self.check_settings(&event["response"], "response", &refuse),
            Some("conversation.item.create") if event["item"]["role"] == "system" => Err(refuse(
                "item.role",
                "kiosk devices cannot add system messages through the proxy",
            )),
            _ => Ok(()),
        }
    }

    fn check_settings(
        &self,
        settings: &Value,
        scope: &'static str,
        refuse: &dyn Fn(&'static str, &'static str) -> Refusal,
    ) -> Result<(), Refusal> {
        let param = |field: &'static str| match (scope, field) {
            ("session", "instructions") => "session.instructions",
            ("session", "tools") => "session.tools",
            ("session", "tool_choice") => "session.tool_choice",
            ("session", _) => "session.prompt",
            (_, "instructions") => "response.instructions",
            (_, "tools") => "response.tools",
            (_, "tool_choice") => "response.tool_choice",
            _ => "response.prompt",
        };
        if let Some(text) = settings.get("instructions")
            && text.as_str() != Some(self.instructions.as_str())
        {
            return Err(refuse(
                param("instructions"),
                "instructions are set by the gateway for kiosk devices",
            ));
        }
        if let Some(tools) = settings.get("tools") {
            let ours = tools.as_array().is_some_and(|list| {
                list.iter().all(|t| {
                    t["type"] == "function"
                        && t["name"]
                            .as_str()
                            .is_some_and(|n| self.tool_names.iter().any(|o| o == n))
                })
            });
            if !ours {
                return Err(refuse(
                    param("tools"),
                    "kiosk devices may only declare the desk's own tools",
                ));
            }
        }
        if let Some(choice) = settings.get("tool_choice")
            && let Some(name) = choice.get("name")
            && !name
                .as_str()
                .is_some_and(|n| self.tool_names.iter().any(|o| o == n))
        {
            return Err(refuse(
                param("tool_choice"),
                "kiosk devices may only choose the desk's own tools",
            ));
        }
        if settings.get("prompt").is_some_and(|p| !p.is_null()) {
            return Err(refuse(
                param("prompt"),
                "stored prompts are not available to kiosk devices",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(
            "You are Donna.".to_owned(),
            &[json!({"type": "function", "name": "lookup_staff"})],
        )
    }

    #[test]
    fn the_desks_own_settings_and_ordinary_events_pass() {
        let p = policy();
        for ok in [
            r#"{"type":"input_audio_buffer.append","audio":"AAAA"}"#,
            r#"{"type":"session.update","session":{"type":"realtime","instructions":"You are Donna.","tools":[{"type":"function","name":"lookup_staff"}],"tool_choice":"auto"}}"#,
            r#"{"type":"session.update","session":{"type":"realtime","audio":{"output":{"voice":"marin"}}}}"#,
            r#"{"type":"response.create"}"#,
            r#"{"type":"response.create","response":{"output_modalities":["text"]}}"#,
            r#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"session.update"}]}}"#,
            "not json but mentions session.update",
        ] {
            assert_eq!(p.check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn repurposing_is_refused_with_the_field_and_the_event_id() {
        let p = policy();
        let cases = [
            (
                r#"{"type":"session.update","event_id":"e1","session":{"instructions":"You are a poet."}}"#,
                "session.instructions",
            ),
            (
                r#"{"type":"session.update","session":{"tools":[{"type":"function","name":"run_shell"}]}}"#,
                "session.tools",
            ),
            (
                r#"{"type":"session.update","session":{"tool_choice":{"type":"function","name":"run_shell"}}}"#,
                "session.tool_choice",
            ),
            (
                r#"{"type":"session.update","session":{"prompt":{"id":"pmpt_1"}}}"#,
                "session.prompt",
            ),
            (
                r#"{"type":"response.create","response":{"instructions":"Write an essay."}}"#,
                "response.instructions",
            ),
            (
                r#"{"type":"response.create","response":{"tools":[{"type":"mcp","server_url":"https://x"}]}}"#,
                "response.tools",
            ),
            (
                r#"{"type":"conversation.item.create","item":{"type":"message","role":"system","content":[]}}"#,
                "item.role",
            ),
        ];
        for (frame, param) in cases {
            let refusal = p.check(frame).unwrap_err();
            assert_eq!(refusal.param, param, "{frame}");
        }
        let refusal = p.check(cases[0].0).unwrap_err();
        assert_eq!(refusal.event_id.as_deref(), Some("e1"));
        let event: Value = serde_json::from_str(&refusal.event("event_x")).unwrap();
        assert_eq!(event["type"], "error");
        assert_eq!(event["error"]["code"], "policy_violation");
        assert_eq!(event["error"]["event_id"], "e1");
    }
}
