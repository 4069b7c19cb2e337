//! The response object carried by `response.created` and `response.done`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::item::Item;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    InProgress,
    Completed,
    Cancelled,
    Incomplete,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub status: ResponseStatus,
    /// `{"type":"cancelled","reason":"turn_detected"}` and friends; `null` when completed.
    #[serde(default)]
    pub status_details: Option<Value>,
    #[serde(default)]
    pub output: Vec<Item>,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_modalities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Value>,
    #[serde(default)]
    pub usage: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// What one response used, as `response.done` reports it; missing fields read as zero (the
/// service leaves out what it did not use).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub input_token_details: InputTokenDetails,
    pub output_token_details: OutputTokenDetails,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputTokenDetails {
    pub text_tokens: u64,
    pub audio_tokens: u64,
    /// Of the input, how much was served from the cache (billed far lower).
    pub cached_tokens: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputTokenDetails {
    pub text_tokens: u64,
    pub audio_tokens: u64,
}

impl Response {
    /// The response's usage, when it carries one the protocol's shape describes.
    pub fn usage(&self) -> Option<Usage> {
        serde_json::from_value(self.usage.clone()?).ok()
    }
}
