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
