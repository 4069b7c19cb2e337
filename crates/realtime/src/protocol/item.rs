//! Conversation items and their content parts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Completed,
    Incomplete,
    InProgress,
}

/// A conversation item. Types this build does not know (MCP items, future ones) are kept raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Item {
    #[serde(rename = "message")]
    Message {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<ItemStatus>,
        role: Role,
        content: Vec<ContentPart>,
    },
    #[serde(rename = "function_call")]
    FunctionCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<ItemStatus>,
        call_id: String,
        name: String,
        /// A JSON document as a string, streamed by the model.
        arguments: String,
    },
    #[serde(rename = "function_call_output")]
    FunctionCallOutput {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<ItemStatus>,
        call_id: String,
        output: String,
    },
    #[serde(untagged)]
    Other(Value),
}

impl Item {
    /// A user text message, as `conversation.item.create` sends it.
    pub fn user_text(text: impl Into<String>) -> Self {
        Item::Message {
            id: None,
            object: None,
            status: None,
            role: Role::User,
            content: vec![ContentPart::InputText { text: text.into() }],
        }
    }

    /// A tool's result for `call_id`.
    pub fn function_output(call_id: impl Into<String>, output: impl Into<String>) -> Self {
        Item::FunctionCallOutput {
            id: None,
            object: None,
            status: None,
            call_id: call_id.into(),
            output: output.into(),
        }
    }

    pub fn id(&self) -> Option<&str> {
        match self {
            Item::Message { id, .. }
            | Item::FunctionCall { id, .. }
            | Item::FunctionCallOutput { id, .. } => id.as_deref(),
            Item::Other(raw) => raw.get("id").and_then(Value::as_str),
        }
    }

    /// Set the id (servers assign one when the client did not).
    pub fn set_id(&mut self, new: String) {
        match self {
            Item::Message { id, .. }
            | Item::FunctionCall { id, .. }
            | Item::FunctionCallOutput { id, .. } => *id = Some(new),
            Item::Other(raw) => {
                if let Some(obj) = raw.as_object_mut() {
                    obj.insert("id".to_owned(), Value::String(new));
                }
            }
        }
    }

    /// The text of a message item: typed text, transcripts of audio, in order.
    pub fn text(&self) -> String {
        match self {
            Item::Message { content, .. } => content
                .iter()
                .filter_map(ContentPart::text)
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        }
    }
}

/// A content part. Both spellings the service uses are accepted (`output_text` in items, `text`
/// in `response.content_part.*`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ContentPart {
    #[serde(rename = "input_text")]
    InputText { text: String },
    #[serde(rename = "input_audio")]
    InputAudio {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<String>,
        #[serde(default)]
        transcript: Option<String>,
    },
    #[serde(rename = "output_text")]
    OutputText { text: String },
    #[serde(rename = "output_audio")]
    OutputAudio {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<String>,
        #[serde(default)]
        transcript: Option<String>,
    },
    #[serde(rename = "text")]
    Text { text: String },
    #[serde(rename = "audio")]
    Audio {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audio: Option<String>,
        #[serde(default)]
        transcript: Option<String>,
    },
    #[serde(untagged)]
    Other(Value),
}

impl ContentPart {
    /// Text or transcript, whichever this part carries.
    pub fn text(&self) -> Option<&str> {
        match self {
            ContentPart::InputText { text }
            | ContentPart::OutputText { text }
            | ContentPart::Text { text } => Some(text),
            ContentPart::InputAudio { transcript, .. }
            | ContentPart::OutputAudio { transcript, .. }
            | ContentPart::Audio { transcript, .. } => transcript.as_deref(),
            ContentPart::Other(_) => None,
        }
    }
}
