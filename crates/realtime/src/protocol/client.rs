//! Client → server events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::codec::event_enum;
use super::item::Item;
use super::session::SessionConfig;

event_enum! {
    /// Everything a client may send.
    ClientEvent {
        "session.update" => SessionUpdate(SessionUpdate),
        "input_audio_buffer.append" => InputAudioBufferAppend(InputAudioBufferAppend),
        "input_audio_buffer.commit" => InputAudioBufferCommit(Bare),
        "input_audio_buffer.clear" => InputAudioBufferClear(Bare),
        "conversation.item.create" => ConversationItemCreate(ConversationItemCreate),
        "conversation.item.retrieve" => ConversationItemRetrieve(ItemRef),
        "conversation.item.truncate" => ConversationItemTruncate(ConversationItemTruncate),
        "conversation.item.delete" => ConversationItemDelete(ItemRef),
        "response.create" => ResponseCreate(ResponseCreate),
        "response.cancel" => ResponseCancel(ResponseCancel),
        "output_audio_buffer.clear" => OutputAudioBufferClear(Bare),
    }
    aliases {}
}

/// The client event types, for error messages.
pub const KNOWN_TYPES: &[&str] = ClientEvent::KNOWN_TYPES;

impl ClientEvent {
    /// The client's own `event_id`, echoed in `error.event_id` when the event fails.
    pub fn event_id(&self) -> Option<&str> {
        match self {
            ClientEvent::SessionUpdate(e) => e.event_id.as_deref(),
            ClientEvent::InputAudioBufferAppend(e) => e.event_id.as_deref(),
            ClientEvent::InputAudioBufferCommit(e)
            | ClientEvent::InputAudioBufferClear(e)
            | ClientEvent::OutputAudioBufferClear(e) => e.event_id.as_deref(),
            ClientEvent::ConversationItemCreate(e) => e.event_id.as_deref(),
            ClientEvent::ConversationItemRetrieve(e) | ClientEvent::ConversationItemDelete(e) => {
                e.event_id.as_deref()
            }
            ClientEvent::ConversationItemTruncate(e) => e.event_id.as_deref(),
            ClientEvent::ResponseCreate(e) => e.event_id.as_deref(),
            ClientEvent::ResponseCancel(e) => e.event_id.as_deref(),
            ClientEvent::Unknown(raw) => raw.get("event_id").and_then(Value::as_str),
        }
    }
}

/// An event with nothing but its optional id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bare {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub session: SessionConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputAudioBufferAppend {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Base64 of raw samples in the session's input format.
    pub audio: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationItemCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Insert after this item; `"root"` prepends; absent appends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_item_id: Option<String>,
    pub item: Item,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub item_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationItemTruncate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub item_id: String,
    pub content_index: u32,
    /// How much of the item's audio the listener actually heard.
    pub audio_end_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseCreate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseParams>,
}

/// Per-response overrides of the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<super::session::Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<Value>,
    /// `"auto"` (default) or `"none"` (out of band).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseCancel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
}
