//! Server → client events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::codec::event_enum;
use super::item::{ContentPart, Item};
use super::response::Response;
use super::session::SessionConfig;

event_enum! {
    /// Everything the service (or the local engine) sends.
    ServerEvent {
        "error" => Error(ErrorEvent),
        "session.created" => SessionCreated(SessionEvent),
        "session.updated" => SessionUpdated(SessionEvent),
        "conversation.created" => ConversationCreated(ConversationCreated),
        "rate_limits.updated" => RateLimitsUpdated(RateLimitsUpdated),
        "input_audio_buffer.speech_started" => SpeechStarted(SpeechStarted),
        "input_audio_buffer.speech_stopped" => SpeechStopped(SpeechStopped),
        "input_audio_buffer.committed" => InputAudioBufferCommitted(Committed),
        "input_audio_buffer.cleared" => InputAudioBufferCleared(Plain),
        "input_audio_buffer.timeout_triggered" => InputAudioBufferTimeoutTriggered(TimeoutTriggered),
        "input_audio_buffer.dtmf_event_received" => DtmfEventReceived(DtmfEvent),
        "conversation.item.added" => ConversationItemAdded(ItemEvent),
        "conversation.item.done" => ConversationItemDone(ItemEvent),
        "conversation.item.created" => ConversationItemCreated(ItemEvent),
        "conversation.item.retrieved" => ConversationItemRetrieved(ItemEvent),
        "conversation.item.truncated" => ConversationItemTruncated(ItemTruncated),
        "conversation.item.deleted" => ConversationItemDeleted(ItemDeleted),
        "conversation.item.input_audio_transcription.delta" => TranscriptionDelta(TranscriptionDelta),
        "conversation.item.input_audio_transcription.completed" => TranscriptionCompleted(TranscriptionCompleted),
        "conversation.item.input_audio_transcription.failed" => TranscriptionFailed(TranscriptionFailed),
        "conversation.item.input_audio_transcription.segment" => TranscriptionSegment(TranscriptionSegment),
        "response.created" => ResponseCreated(ResponseEvent),
        "response.done" => ResponseDone(ResponseEvent),
        "response.output_item.added" => OutputItemAdded(OutputItem),
        "response.output_item.done" => OutputItemDone(OutputItem),
        "response.content_part.added" => ContentPartAdded(ContentPartEvent),
        "response.content_part.done" => ContentPartDone(ContentPartEvent),
        "response.output_text.delta" => OutputTextDelta(Delta),
        "response.output_text.done" => OutputTextDone(TextDone),
        "response.output_audio_transcript.delta" => OutputAudioTranscriptDelta(Delta),
        "response.output_audio_transcript.done" => OutputAudioTranscriptDone(TranscriptDone),
        "response.output_audio.delta" => OutputAudioDelta(Delta),
        "response.output_audio.done" => OutputAudioDone(Part),
        "response.function_call_arguments.delta" => FunctionCallArgumentsDelta(FunctionCallArgumentsDelta),
        "response.function_call_arguments.done" => FunctionCallArgumentsDone(FunctionCallArgumentsDone),
        "output_audio_buffer.started" => OutputAudioBufferStarted(OutputAudioBuffer),
        "output_audio_buffer.stopped" => OutputAudioBufferStopped(OutputAudioBuffer),
        "output_audio_buffer.cleared" => OutputAudioBufferCleared(OutputAudioBuffer),
    }
    // Beta names, read only so old servers and recorded logs still decode.
    aliases {
        "response.text.delta" => OutputTextDelta(Delta),
        "response.text.done" => OutputTextDone(TextDone),
        "response.audio_transcript.delta" => OutputAudioTranscriptDelta(Delta),
        "response.audio_transcript.done" => OutputAudioTranscriptDone(TranscriptDone),
        "response.audio.delta" => OutputAudioDelta(Delta),
        "response.audio.done" => OutputAudioDone(Part),
    }
}

/// The `error` object of an `error` event (and of failed transcriptions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `invalid_request_error` or `server_error`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub code: Option<String>,
    pub message: String,
    #[serde(default)]
    pub param: Option<String>,
    /// The client event that caused it, when it had an id.
    #[serde(default)]
    pub event_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorEvent {
    #[serde(default)]
    pub event_id: String,
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plain {
    #[serde(default)]
    pub event_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionEvent {
    #[serde(default)]
    pub event_id: String,
    pub session: SessionConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationCreated {
    #[serde(default)]
    pub event_id: String,
    pub conversation: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub name: String,
    pub limit: u64,
    pub remaining: u64,
    pub reset_seconds: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RateLimitsUpdated {
    #[serde(default)]
    pub event_id: String,
    pub rate_limits: Vec<RateLimit>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpeechStarted {
    #[serde(default)]
    pub event_id: String,
    pub audio_start_ms: u64,
    pub item_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpeechStopped {
    #[serde(default)]
    pub event_id: String,
    pub audio_end_ms: u64,
    pub item_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Committed {
    #[serde(default)]
    pub event_id: String,
    pub item_id: String,
    #[serde(default)]
    pub previous_item_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeoutTriggered {
    #[serde(default)]
    pub event_id: String,
    pub audio_start_ms: u64,
    pub audio_end_ms: u64,
    pub item_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DtmfEvent {
    pub event: String,
    #[serde(default)]
    pub received_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEvent {
    #[serde(default)]
    pub event_id: String,
    #[serde(default)]
    pub previous_item_id: Option<String>,
    pub item: Item,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemTruncated {
    #[serde(default)]
    pub event_id: String,
    pub item_id: String,
    pub content_index: u32,
    pub audio_end_ms: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemDeleted {
    #[serde(default)]
    pub event_id: String,
    pub item_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionDelta {
    #[serde(default)]
    pub event_id: String,
    pub item_id: String,
    #[serde(default)]
    pub content_index: u32,
    pub delta: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionCompleted {
    #[serde(default)]
    pub event_id: String,
    pub item_id: String,
    #[serde(default)]
    pub content_index: u32,
    pub transcript: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionFailed {
    #[serde(default)]
    pub event_id: String,
    pub item_id: String,
    #[serde(default)]
    pub content_index: u32,
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptionSegment {
    #[serde(default)]
    pub event_id: String,
    pub item_id: String,
    #[serde(default)]
    pub content_index: u32,
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub speaker: Option<String>,
    #[serde(default)]
    pub start: f64,
    #[serde(default)]
    pub end: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseEvent {
    #[serde(default)]
    pub event_id: String,
    pub response: Response,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputItem {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub output_index: u32,
    pub item: Item,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentPartEvent {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub item_id: String,
    pub output_index: u32,
    pub content_index: u32,
    pub part: ContentPart,
}

/// A streamed piece of text, transcript or (base64) audio.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub item_id: String,
    pub output_index: u32,
    pub content_index: u32,
    pub delta: String,
}

/// The end of a content part's stream with no payload (`response.output_audio.done`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Part {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub item_id: String,
    pub output_index: u32,
    pub content_index: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TextDone {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub item_id: String,
    pub output_index: u32,
    pub content_index: u32,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TranscriptDone {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub item_id: String,
    pub output_index: u32,
    pub content_index: u32,
    pub transcript: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallArgumentsDelta {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub item_id: String,
    pub output_index: u32,
    pub call_id: String,
    pub delta: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallArgumentsDone {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
    pub item_id: String,
    pub output_index: u32,
    pub call_id: String,
    pub name: String,
    pub arguments: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputAudioBuffer {
    #[serde(default)]
    pub event_id: String,
    pub response_id: String,
}
