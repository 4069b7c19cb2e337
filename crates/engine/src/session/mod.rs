//! One realtime session on the engine, without I/O: client events in, server events out. The
//! server's side of what `donna_realtime::ClientSession` is to a client.
//!
//! [`ServerSession::handle_frame`] answers each client frame at once (acks, errors, VAD events);
//! a response is streamed through [`ServerSession::next_streamed`], one event per call, so the
//! connection can interleave incoming frames (a `response.cancel`, a barge-in) with the
//! stream. Event orders follow the protocol reference, section 7.
//!
//! One dispatcher ([`ServerSession::handle_frame`], here) over rooms that each own their state:
//!
//! | module | owns |
//! |---|---|
//! | `input` | the input audio buffer, its limits and server VAD: append, commit, clear |
//! | `transcription` | committed audio waiting for the recogniser, live captions, transcripts |
//! | `items` | the conversation's items: create, retrieve, truncate, delete |
//! | `response` | the response lifecycle: what to answer (the desk's dialogue), status, usage |
//! | `output` | the events waiting to be sent and the response streamed into them |
//!
//! A media transport (WebRTC) adds an input path beside `input` and an output audio buffer
//! beside `output`; neither needs to know the other rooms.

use std::collections::VecDeque;
use std::sync::Arc;

use base64::Engine as _;
use donna_desk::reply::Plan;
use donna_desk::{Dialogue, Reception};
use donna_realtime::protocol::client::{
    ConversationItemCreate, ConversationItemTruncate, InputAudioBufferAppend, ItemRef, ResponseParams,
};
use donna_realtime::protocol::server::{
    Committed, ContentPartEvent, Delta, FunctionCallArgumentsDelta, FunctionCallArgumentsDone, ItemDeleted,
    ItemEvent, ItemTruncated, OutputItem, Part, Plain, RateLimit, RateLimitsUpdated, ResponseEvent,
    SessionEvent, SpeechStarted, SpeechStopped, TextDone, TranscriptDone, TranscriptionCompleted,
    TranscriptionDelta, TranscriptionFailed,
};
use donna_realtime::protocol::session::TurnDetection;
use donna_realtime::protocol::{
    ClientEvent, ContentPart, DecodeError, Item, ItemStatus, Response, ResponseStatus, Role, ServerEvent,
    SessionConfig,
};
use donna_speech::Synthesizer;
use serde_json::{Value, json};

use crate::error::ProtocolError;
use crate::ids::new_id;
use crate::session_config::{apply_update, check_max_tokens, check_tool_choice};
use crate::vad::{Vad, VadEvent};
use donna_speech::stt::Heard;

mod input;
mod items;
mod output;
mod response;
#[cfg(test)]
mod tests;
mod transcription;

// What the rooms share with one another, through `use super::*` in each.
use input::{InputBuffer, turn_detection};
use items::{ItemStore, Stored, item_event, samples_of};
use response::{Output, Responses};
use transcription::{Transcription, transcription_failed};

/// PCM16 mono 24 kHz: bytes per millisecond.
const BYTES_PER_MS: u64 = 48;
/// Milliseconds of spoken output per audio token, as usage reports it.
const AUDIO_TOKEN_MS: u64 = 50;
/// The service refuses to commit less than this.
const MIN_COMMIT_MS: u64 = 100;

/// Limits the engine enforces like the service.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest decoded audio in one `input_audio_buffer.append`.
    pub max_append_bytes: usize,
    /// Largest uncommitted input buffer.
    pub max_buffer_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_append_bytes: 15 * 1024 * 1024,
            // Ten minutes of speech without a commit is a stuck client, not a visitor.
            max_buffer_bytes: 10 * 60 * 1000 * BYTES_PER_MS as usize,
        }
    }
}

/// The state of one session, room by room.
#[derive(Debug)]
pub struct ServerSession {
    reception: Arc<Reception>,
    session: SessionConfig,
    conversation_id: String,
    input: InputBuffer,
    transcription: Transcription,
    store: ItemStore,
    response: Responses,
    /// Events waiting to be sent, in order, whichever room queued them.
    outbox: VecDeque<ServerEvent>,
    /// On a call: the audio being played must stop now (see [`Self::take_playback_cut`]).
    playback_cut: bool,
}

impl ServerSession {
    pub fn new(reception: Arc<Reception>, session: SessionConfig, limits: Limits) -> Self {
        let mut conversation = Self {
            reception,
            session,
            conversation_id: new_id("conv"),
            input: InputBuffer::new(limits),
            transcription: Transcription::default(),
            store: ItemStore::default(),
            response: Responses::default(),
            outbox: VecDeque::new(),
            playback_cut: false,
        };
        conversation.reset_vad();
        conversation
    }

    /// Speak audio responses with `tts`.
    pub fn with_tts(mut self, tts: Option<Arc<dyn Synthesizer>>) -> Self {
        self.response.tts = tts;
        self
    }

    /// Transcribe committed audio (the connection runs the recogniser; see
    /// [`Self::take_transcription`] and [`Self::transcribed`]).
    pub fn with_transcription(mut self, available: bool) -> Self {
        self.transcription.available = available;
        self
    }

    /// Feed the input audio to a live recogniser as it arrives (see [`Self::take_live_audio`]);
    /// committed utterances then need no audio of their own.
    pub fn with_live_transcription(mut self, live: bool) -> Self {
        self.transcription.live = live && self.transcription.available;
        self
    }

    /// A WebRTC call's session: input audio comes from the media track ([`Self::hear`]), not in
    /// events, and output audio is played by the call, which the session can cut short.
    pub fn on_call(mut self) -> Self {
        self.input.from_track = true;
        self
    }

    /// Whether the call's playback must stop: the client sent `output_audio_buffer.clear`, or
    /// server VAD heard the visitor start speaking over Donna. Asking resets it.
    pub fn take_playback_cut(&mut self) -> bool {
        std::mem::take(&mut self.playback_cut)
    }

    /// The call stopped playing `item_id` after `heard_ms`: the item keeps only what the
    /// visitor heard, as a client's `conversation.item.truncate` would leave it.
    pub fn cut_short(&mut self, item_id: &str, heard_ms: u64) -> Vec<ServerEvent> {
        let truncate = ConversationItemTruncate {
            event_id: None,
            item_id: item_id.to_owned(),
            content_index: 0,
            audio_end_ms: heard_ms,
        };
        // The item may be gone (deleted by the client) or hold less audio than was played;
        // either way nothing is left to cut.
        self.truncate(truncate).unwrap_or_default()
    }

    /// The first event of every session.
    pub fn session_created(&self) -> ServerEvent {
        ServerEvent::SessionCreated(SessionEvent {
            event_id: new_id("event"),
            session: self.session.clone(),
        })
    }

    pub fn session(&self) -> &SessionConfig {
        &self.session
    }

    /// Handle one text frame from the client; returns what to send at once.
    pub fn handle_frame(&mut self, text: &str) -> Vec<ServerEvent> {
        match ClientEvent::parse_known(text) {
            Ok(event) => {
                let id = event.event_id().map(str::to_owned);
                match self.handle(event, text) {
                    Ok(events) => events,
                    Err(e) => vec![e.into_event(id.as_deref())],
                }
            }
            Err(e) => vec![decode_error(e).into_event(event_id_of(text).as_deref())],
        }
    }

    fn handle(&mut self, event: ClientEvent, raw: &str) -> Result<Vec<ServerEvent>, ProtocolError> {
        match event {
            ClientEvent::SessionUpdate(update) => {
                let raw: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
                let session = apply_update(
                    &self.session,
                    &raw["session"],
                    &update.session,
                    self.response.audio_produced,
                )?;
                let vad_changed = turn_detection(&session) != turn_detection(&self.session);
                self.session = session;
                if vad_changed {
                    self.reset_vad();
                }
                Ok(vec![ServerEvent::SessionUpdated(SessionEvent {
                    event_id: new_id("event"),
                    session: self.session.clone(),
                })])
            }
            ClientEvent::InputAudioBufferAppend(append) => self.append(append),
            ClientEvent::InputAudioBufferCommit(_) => self.commit(None),
            ClientEvent::InputAudioBufferClear(_) => {
                self.input.buffer.clear();
                if self.transcription.live {
                    self.transcription.live_audio.clear();
                    self.transcription.live_reset = true;
                }
                Ok(vec![ServerEvent::InputAudioBufferCleared(Plain {
                    event_id: new_id("event"),
                })])
            }
            ClientEvent::ConversationItemCreate(create) => self.create_item(create),
            ClientEvent::ConversationItemRetrieve(r) => self.retrieve(r),
            ClientEvent::ConversationItemTruncate(t) => self.truncate(t),
            ClientEvent::ConversationItemDelete(d) => self.delete(d),
            ClientEvent::ResponseCreate(create) => {
                self.start_response(create.response)?;
                Ok(Vec::new())
            }
            ClientEvent::ResponseCancel(cancel) => {
                let active_id = self.response.active.as_ref().map(|a| a.id.clone());
                match (active_id, cancel.response_id) {
                    (Some(active), Some(asked)) if active != asked => Err(ProtocolError::invalid(
                        "response_cancel_not_active",
                        format!("Cancellation failed: no active response found with id {asked}"),
                        Some("response_id"),
                    )),
                    (Some(_), _) => {
                        self.finish(ResponseStatus::Cancelled, Some("client_cancelled"));
                        Ok(Vec::new())
                    }
                    (None, _) => Err(ProtocolError::invalid(
                        "response_cancel_not_active",
                        "Cancellation failed: no active response found",
                        None,
                    )),
                }
            }
            ClientEvent::OutputAudioBufferClear(_) if self.input.from_track => {
                self.playback_cut = true;
                Ok(Vec::new())
            }
            ClientEvent::OutputAudioBufferClear(_) => Err(ProtocolError::invalid(
                "invalid_value",
                "output_audio_buffer.clear is only supported for WebRTC and SIP sessions.",
                Some("type"),
            )),
            ClientEvent::Unknown(_) => Err(ProtocolError::invalid(
                "invalid_value",
                "Unknown event type.",
                Some("type"),
            )),
        }
    }
}

fn decode_error(e: DecodeError) -> ProtocolError {
    let code = e.code();
    let param = e.param();
    ProtocolError::invalid(code, e.to_string(), param.as_deref())
}

/// The `event_id` of a frame that failed to decode, so the error can still point at it.
fn event_id_of(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.get("event_id")?.as_str().map(str::to_owned)
}
