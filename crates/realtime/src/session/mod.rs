//! The client side of one Realtime conversation as a state machine, without I/O.
//!
//! [`ClientSession`] owns what the client knows about the conversation: the ordered items, the
//! input audio buffer, the response in flight (created → output items → content parts → deltas →
//! done), the function calls the model asked for, the user turns still waiting for an answer and
//! the recent text history used to re-seed a new connection. Feed it every [`ServerEvent`] with
//! [`ClientSession::handle`] and call its action methods ([`ClientSession::send_text`],
//! [`ClientSession::tool_result`], [`ClientSession::cancel`], [`ClientSession::truncate`], …);
//! each returns the [`Output`]s to act on: client events to send, in order, and [`UiUpdate`]s to
//! show.
//!
//! It does not own the socket, the clock, the tool implementations or the audio device: the
//! client ([`crate::client`]) and the app do.
//!
//! Rules it enforces, each one a lesson of the protocol reference:
//! - one `response.create` at a time: it waits for the previous `response.done` (and for an
//!   in-flight `response.create` to be answered), otherwise the service answers
//!   `conversation_already_has_active_response`;
//! - after a response with function calls it sends exactly one `response.create`, once that
//!   response is done *and* every call has its output;
//! - a push-to-talk `response.create` waits for `input_audio_buffer.committed`, so a commit the
//!   service rejects (too short) does not make the model answer an empty turn;
//! - `conversation.item.truncate` never claims more audio than was received (an `invalid_value`
//!   error otherwise);
//! - nothing but `session.update` and the restored items goes out before `session.updated`.

mod actions;
mod history;
mod reconnect;
mod responses;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use base64::Engine as _;
use tracing::{debug, warn};

use crate::protocol::client::{
    Bare, ConversationItemCreate, ConversationItemTruncate, InputAudioBufferAppend, ItemRef, ResponseCancel,
    ResponseCreate, SessionUpdate,
};
use crate::protocol::server::ErrorEvent;
use crate::protocol::{
    ClientEvent, ContentPart, Item, ItemStatus, ResponseStatus, Role, ServerEvent, SessionConfig,
};

/// Error codes that report a harmless race (the thing was already done, or not there any more).
/// They are surfaced, flagged benign, and the conversation goes on.
pub const BENIGN_ERROR_CODES: &[&str] = &[
    "response_cancel_not_active",
    "item_truncate_invalid_item_id",
    "input_audio_buffer_commit_empty",
    "conversation_already_has_active_response",
];

/// How many text items [`ClientSession`] keeps for re-seeding a new connection, by default.
pub const DEFAULT_HISTORY_LIMIT: usize = 20;

/// Identifies one user turn (a typed text or a push-to-talk commit) until it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct TurnId(pub u64);

impl std::fmt::Display for TurnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "turn {}", self.0)
    }
}

/// What the assistant is doing, for the face of the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Nothing in flight.
    Idle,
    /// The user is speaking (speech detected, or push-to-talk audio arriving).
    Listening,
    /// A response has been asked for or is being generated, or tools are running.
    Thinking,
    /// The assistant's text or audio is streaming.
    Speaking,
}

/// A function call the model asked for: run it and answer with [`ClientSession::tool_result`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolCall {
    pub call_id: String,
    pub name: String,
    /// A JSON document as the model wrote it; it may not be valid JSON.
    pub arguments: String,
}

/// Why a turn ended without an answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum TurnError {
    /// The response was cancelled (by [`ClientSession::cancel`] or by the user speaking).
    #[error("the response was cancelled")]
    Cancelled,
    /// The response ended with `status: "failed"`; the text is the service's `status_details`.
    #[error("the response failed: {0}")]
    Failed(String),
    /// The service rejected one of the turn's events (`error` event with that `event_id`).
    #[error("the service rejected the turn: {code}: {message}")]
    Rejected { code: String, message: String },
    /// The connection dropped and the turn cannot be sent again (recorded audio is not kept).
    #[error("the connection dropped and the turn could not be resent")]
    Lost,
}

/// What the app should show or do. Serialises as `{"kind": "turn_completed", ...}` so it can
/// cross to a webview as is.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UiUpdate {
    /// The service acknowledged the session configuration; turns are being sent.
    Ready { session_id: Option<String> },
    /// The assistant's state changed.
    State { state: AgentState },
    /// A piece of assistant text or audio transcript, for live captions.
    AssistantDelta { item_id: String, delta: String },
    /// The final text (or transcript) of one assistant item.
    AssistantText { item_id: String, text: String },
    /// Assistant audio to play: raw samples in the session's output format (PCM16 24 kHz mono
    /// unless configured otherwise).
    AssistantAudio { item_id: String, audio: Vec<u8> },
    /// The user started speaking over the assistant: stop playback now and then call
    /// [`ClientSession::truncate`] with what was played.
    StopPlayback { item_id: String },
    /// The server cut an assistant item's audio to `audio_end_ms`: what the conversation keeps
    /// of it (after a barge-in, what the visitor heard).
    Truncated { item_id: String, audio_end_ms: u64 },
    /// A piece of the transcript of the user's speech.
    UserTranscriptDelta { item_id: String, delta: String },
    /// The transcript of one user audio item.
    UserTranscript { item_id: String, transcript: String },
    /// The model wants a tool run; answer with [`ClientSession::tool_result`].
    ToolCall(ToolCall),
    /// A turn was answered: the assistant text of its final response (after any tool calls).
    TurnCompleted { turn: TurnId, text: String },
    /// A turn will not be answered.
    TurnFailed { turn: TurnId, error: TurnError },
    /// An `error` event. `benign` errors are races the session already handles.
    Error {
        code: Option<String>,
        message: String,
        benign: bool,
    },
    /// A response is done and this is what it used (for a cost estimate).
    Usage { usage: crate::protocol::response::Usage },
    /// The connection dropped; the client is connecting again (attempt counts from 1).
    Reconnecting { attempt: u32, reason: String },
}

/// One thing to do after feeding the session.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // short-lived; see `ClientEvent`
pub enum Output {
    /// Send this event, in this order.
    Send(ClientEvent),
    /// Show this to the user (or act on it: tool calls, stop playback).
    Update(UiUpdate),
}

/// A text item remembered for re-seeding.
#[derive(Debug, Clone, PartialEq)]
struct HistoryEntry {
    id: String,
    role: Role,
    text: String,
}

/// A user turn not yet answered.
#[derive(Debug, Clone)]
struct Turn {
    /// The typed text; `None` for push-to-talk audio, which cannot be sent again.
    text: Option<String>,
    /// The id this client gave the turn's item (text turns).
    item_id: Option<String>,
}

/// The response between `response.created` and `response.done`.
#[derive(Debug, Default)]
struct ActiveResponse {
    id: String,
    /// The event id of the `response.create` it was taken to answer, if any.
    create_id: Option<String>,
    /// Turns this response answers (those waiting when its `response.create` was sent).
    turns: Vec<TurnId>,
    /// Assistant text per item, in the order the items were added.
    order: Vec<String>,
    text: HashMap<String, String>,
    /// Function calls surfaced from this response.
    calls: Vec<String>,
    /// Arguments streamed so far, by call id (used if `arguments.done` never comes).
    arguments: HashMap<String, String>,
}

/// Received output audio of one assistant item.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AudioItem {
    item_id: String,
    content_index: u32,
    bytes: u64,
    truncated: bool,
}

/// The client side of one conversation; see the module docs.
#[derive(Debug)]
pub struct ClientSession {
    config: SessionConfig,
    bytes_per_ms: u64,
    history_limit: usize,

    session_id: Option<String>,
    /// `session.updated` seen for the current connection.
    ready: bool,
    /// A connection was lost: the next `session.created` re-seeds.
    restoring: bool,
    /// Events held until `session.updated`.
    held: Vec<ClientEvent>,
    state: AgentState,

    /// Items in conversation order, and by id.
    order: Vec<String>,
    items: HashMap<String, Item>,
    history: VecDeque<HistoryEntry>,

    turns: BTreeMap<TurnId, Turn>,
    /// Turns that need a (new) response.
    waiting: Vec<TurnId>,
    /// A push-to-talk turn whose commit is not acknowledged yet, with the commit's event id.
    committing: Option<(TurnId, String)>,
    /// A `response.create` is wanted as soon as the gates open.
    create_wanted: bool,
    /// The `response.create` sent and not answered yet: its event id and the turns it answers.
    create_sent: Option<(String, Vec<TurnId>)>,
    response: Option<ActiveResponse>,
    /// Calls surfaced and not answered yet.
    open_calls: HashSet<String>,

    input_bytes: u64,
    /// The service heard the user start speaking and not stop yet.
    user_speaking: bool,
    audio: Option<AudioItem>,
    /// [`ClientSession::forget`] cancelled a response still under way: what it adds to the
    /// conversation before it is done is deleted too.
    forgetting: bool,

    next_turn: u64,
    next_event: u64,
}

impl ClientSession {
    /// A session that will configure the service with `config` (its `type` defaults to
    /// `"realtime"`, which the service requires on every update).
    pub fn new(mut config: SessionConfig) -> Self {
        if config.kind.is_none() {
            config.kind = Some("realtime".to_owned());
        }
        let bytes_per_ms = output_bytes_per_ms(&config).unwrap_or(48);
        Self {
            config,
            bytes_per_ms,
            history_limit: DEFAULT_HISTORY_LIMIT,
            session_id: None,
            ready: false,
            restoring: false,
            held: Vec::new(),
            state: AgentState::Idle,
            forgetting: false,
            order: Vec::new(),
            items: HashMap::new(),
            history: VecDeque::new(),
            turns: BTreeMap::new(),
            waiting: Vec::new(),
            committing: None,
            create_wanted: false,
            create_sent: None,
            response: None,
            open_calls: HashSet::new(),
            input_bytes: 0,
            user_speaking: false,
            audio: None,
            next_turn: 1,
            next_event: 1,
        }
    }

    /// Keep at most `limit` text items for re-seeding (default [`DEFAULT_HISTORY_LIMIT`]).
    pub fn with_history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit;
        self
    }

    /// The configuration sent with every `session.update`.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// True once the service acknowledged the configuration on this connection.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    pub fn state(&self) -> AgentState {
        self.state
    }

    /// The service's id for the current session.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The conversation items known on this connection, in conversation order.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.order.iter().filter_map(|id| self.items.get(id))
    }

    /// True while a response is being generated or has been asked for.
    pub fn response_active(&self) -> bool {
        self.response.is_some() || self.create_sent.is_some()
    }

    /// True when nothing is in flight: no response, no unanswered turn, no open tool call.
    /// A good moment to roll the session over to a new connection.
    pub fn is_quiet(&self) -> bool {
        !self.response_active() && self.turns.is_empty() && self.open_calls.is_empty()
    }

    /// Turns sent and not yet answered.
    pub fn pending_turns(&self) -> impl Iterator<Item = TurnId> + '_ {
        self.turns.keys().copied()
    }

    /// Bytes appended to the input audio buffer since the last commit or clear.
    pub fn input_buffer_bytes(&self) -> u64 {
        self.input_bytes
    }

    /// Feed one server event.
    pub fn handle(&mut self, event: ServerEvent) -> Vec<Output> {
        let mut out = Vec::new();
        match event {
            ServerEvent::SessionCreated(e) => {
                self.session_id = e.session.id.clone();
                if let Some(bpm) = output_bytes_per_ms(&e.session) {
                    self.bytes_per_ms = bpm;
                }
                self.ready = false;
                let events = if self.restoring {
                    self.restoring = false;
                    self.restore_events()
                } else {
                    vec![self.session_update()]
                };
                out.extend(events.into_iter().map(Output::Send));
            }
            ServerEvent::SessionUpdated(e) => {
                if let Some(bpm) = output_bytes_per_ms(&e.session) {
                    self.bytes_per_ms = bpm;
                }
                if !self.ready {
                    self.ready = true;
                    out.push(Output::Update(UiUpdate::Ready {
                        session_id: self.session_id.clone(),
                    }));
                    out.extend(self.held.drain(..).map(Output::Send));
                    self.pump(&mut out);
                }
            }
            ServerEvent::Error(e) => self.on_error(e, &mut out),
            ServerEvent::SpeechStarted(_) => {
                if let Some(audio) = &self.audio
                    && !audio.truncated
                {
                    out.push(Output::Update(UiUpdate::StopPlayback {
                        item_id: audio.item_id.clone(),
                    }));
                }
                self.user_speaking = true;
                self.set_state(AgentState::Listening, &mut out);
            }
            ServerEvent::SpeechStopped(_) | ServerEvent::InputAudioBufferTimeoutTriggered(_) => {
                self.user_speaking = false;
                self.set_state(AgentState::Thinking, &mut out);
            }
            ServerEvent::InputAudioBufferCommitted(e) => {
                self.input_bytes = 0;
                self.user_speaking = false;
                if let Some((turn, _)) = self.committing.take() {
                    self.waiting.push(turn);
                    self.create_wanted = true;
                }
                self.insert_item_id(e.item_id, e.previous_item_id.as_deref());
                self.set_state(AgentState::Thinking, &mut out);
                self.pump(&mut out);
            }
            ServerEvent::InputAudioBufferCleared(_) => self.input_bytes = 0,
            ServerEvent::ConversationItemAdded(e) => {
                self.upsert_item(e.item, e.previous_item_id.as_deref());
            }
            // Beta servers only send `created`; it carries the finished item there.
            ServerEvent::ConversationItemDone(e)
            | ServerEvent::ConversationItemCreated(e)
            | ServerEvent::ConversationItemRetrieved(e) => {
                self.remember(&e.item);
                self.upsert_item(e.item, e.previous_item_id.as_deref());
            }
            ServerEvent::ConversationItemTruncated(e) => {
                if let Some(audio) = &mut self.audio
                    && audio.item_id == e.item_id
                {
                    audio.truncated = true;
                }
                out.push(Output::Update(UiUpdate::Truncated {
                    item_id: e.item_id,
                    audio_end_ms: e.audio_end_ms,
                }));
            }
            ServerEvent::ConversationItemDeleted(e) => {
                self.order.retain(|id| *id != e.item_id);
                self.items.remove(&e.item_id);
                self.history.retain(|h| h.id != e.item_id);
            }
            ServerEvent::TranscriptionDelta(e) => out.push(Output::Update(UiUpdate::UserTranscriptDelta {
                item_id: e.item_id,
                delta: e.delta,
            })),
            ServerEvent::TranscriptionCompleted(e) => {
                self.remember_text(&e.item_id, Role::User, &e.transcript);
                out.push(Output::Update(UiUpdate::UserTranscript {
                    item_id: e.item_id,
                    transcript: e.transcript,
                }));
            }
            ServerEvent::TranscriptionFailed(e) => out.push(Output::Update(UiUpdate::Error {
                code: e.error.code,
                message: e.error.message,
                // The turn itself still goes on; only its caption is missing.
                benign: true,
            })),
            ServerEvent::ResponseCreated(e) => {
                let (create_id, turns) = match self.create_sent.take() {
                    Some((id, turns)) => (Some(id), turns),
                    None => (None, Vec::new()), // started by the service (server VAD, idle timeout)
                };
                self.response = Some(ActiveResponse {
                    id: e.response.id,
                    create_id,
                    turns,
                    ..ActiveResponse::default()
                });
                self.set_state(AgentState::Thinking, &mut out);
            }
            ServerEvent::OutputItemAdded(e) => {
                if let Some(id) = e.item.id() {
                    let id = id.to_owned();
                    if let Some(r) = self.response.as_mut().filter(|r| r.id == e.response_id)
                        && !r.order.contains(&id)
                    {
                        r.order.push(id);
                    }
                }
            }
            ServerEvent::OutputTextDelta(d) | ServerEvent::OutputAudioTranscriptDelta(d) => {
                if let Some(r) = &mut self.response {
                    r.text.entry(d.item_id.clone()).or_default().push_str(&d.delta);
                    if !r.order.contains(&d.item_id) {
                        r.order.push(d.item_id.clone());
                    }
                }
                self.set_state(AgentState::Speaking, &mut out);
                out.push(Output::Update(UiUpdate::AssistantDelta {
                    item_id: d.item_id,
                    delta: d.delta,
                }));
            }
            ServerEvent::OutputTextDone(d) => self.final_text(d.item_id, d.text, &mut out),
            ServerEvent::OutputAudioTranscriptDone(d) => self.final_text(d.item_id, d.transcript, &mut out),
            ServerEvent::OutputAudioDelta(d) => {
                let bytes = base64_decoded_len(&d.delta);
                match &mut self.audio {
                    Some(a) if a.item_id == d.item_id && a.content_index == d.content_index => {
                        a.bytes += bytes
                    }
                    _ => {
                        self.audio = Some(AudioItem {
                            item_id: d.item_id.clone(),
                            content_index: d.content_index,
                            bytes,
                            truncated: false,
                        })
                    }
                }
                // On a call the audio plays in real time, so most of it arrives after
                // `response.done`: the response is over, and the state stays where it went.
                if self.response.is_some() {
                    self.set_state(AgentState::Speaking, &mut out);
                }
                match base64::engine::general_purpose::STANDARD.decode(d.delta.as_bytes()) {
                    Ok(audio) => out.push(Output::Update(UiUpdate::AssistantAudio {
                        item_id: d.item_id,
                        audio,
                    })),
                    Err(e) => warn!(item_id = %d.item_id, error = %e, "skipping undecodable audio delta"),
                }
            }
            ServerEvent::FunctionCallArgumentsDelta(d) => {
                if let Some(r) = &mut self.response {
                    r.arguments.entry(d.call_id).or_default().push_str(&d.delta);
                }
            }
            ServerEvent::FunctionCallArgumentsDone(d) => self.surface_call(
                ToolCall {
                    call_id: d.call_id,
                    name: d.name,
                    arguments: d.arguments,
                },
                &mut out,
            ),
            ServerEvent::OutputItemDone(e) => {
                // Some servers only report the finished call here; surface it once either way.
                if let Item::FunctionCall {
                    call_id,
                    name,
                    arguments,
                    status,
                    ..
                } = e.item
                    && status != Some(ItemStatus::Incomplete)
                {
                    self.surface_call(
                        ToolCall {
                            call_id,
                            name,
                            arguments,
                        },
                        &mut out,
                    );
                }
            }
            ServerEvent::ResponseDone(e) => {
                if let Some(usage) = e.response.usage() {
                    out.push(Output::Update(UiUpdate::Usage { usage }));
                }
                self.on_response_done(e.response, &mut out);
                if std::mem::take(&mut self.forgetting) {
                    self.delete_all_items(&mut out);
                }
            }
            ServerEvent::OutputAudioBufferCleared(_) => {
                if let Some(audio) = &mut self.audio {
                    // WebRTC: the service trimmed playback itself.
                    audio.truncated = true;
                }
            }
            ServerEvent::ConversationCreated(_)
            | ServerEvent::RateLimitsUpdated(_)
            | ServerEvent::DtmfEventReceived(_)
            | ServerEvent::TranscriptionSegment(_)
            | ServerEvent::ContentPartAdded(_)
            | ServerEvent::ContentPartDone(_)
            | ServerEvent::OutputAudioDone(_)
            | ServerEvent::OutputAudioBufferStarted(_)
            | ServerEvent::OutputAudioBufferStopped(_) => {}
            ServerEvent::Unknown(raw) => {
                debug!(
                    kind = raw.get("type").and_then(|t| t.as_str()).unwrap_or(""),
                    "ignoring unknown event"
                );
            }
        }
        out
    }

    fn session_update(&self) -> ClientEvent {
        ClientEvent::SessionUpdate(SessionUpdate {
            event_id: None,
            session: self.config.clone(),
        })
    }

    fn user_item_event(&self, turn: TurnId, item_id: &str, text: &str) -> ClientEvent {
        let mut item = Item::user_text(text);
        item.set_id(item_id.to_owned());
        ClientEvent::ConversationItemCreate(ConversationItemCreate {
            event_id: Some(turn_event_id(turn)),
            previous_item_id: None,
            item,
        })
    }

    fn new_turn(&mut self) -> TurnId {
        let turn = TurnId(self.next_turn);
        self.next_turn += 1;
        turn
    }

    fn event_id(&mut self) -> String {
        let id = format!("evt_donna_{}", self.next_event);
        self.next_event += 1;
        id
    }

    /// Send now if the service is ready for it, else hold it until `session.updated`.
    fn send(&mut self, event: ClientEvent, out: &mut Vec<Output>) {
        if self.ready {
            out.push(Output::Send(event));
        } else {
            self.held.push(event);
        }
    }

    /// Send the wanted `response.create` if every gate is open.
    fn pump(&mut self, out: &mut Vec<Output>) {
        if !self.create_wanted
            || !self.ready
            || self.response.is_some()
            || self.create_sent.is_some()
            || !self.open_calls.is_empty()
        {
            return;
        }
        self.create_wanted = false;
        let event_id = self.event_id();
        let turns = std::mem::take(&mut self.waiting);
        out.push(Output::Send(ClientEvent::ResponseCreate(ResponseCreate {
            event_id: Some(event_id.clone()),
            response: None,
        })));
        self.create_sent = Some((event_id, turns));
        self.set_state(AgentState::Thinking, out);
    }

    fn set_state(&mut self, state: AgentState, out: &mut Vec<Output>) {
        if self.state != state {
            self.state = state;
            out.push(Output::Update(UiUpdate::State { state }));
        }
    }

    fn fail_turn(&mut self, turn: TurnId, error: TurnError, out: &mut Vec<Output>) {
        if self.turns.remove(&turn).is_some() {
            self.waiting.retain(|t| *t != turn);
            out.push(Output::Update(UiUpdate::TurnFailed { turn, error }));
        }
    }
}

/// The `event_id` of a text turn's item, so an `error` about it can be traced to the turn.
fn turn_event_id(turn: TurnId) -> String {
    format!("evt_donna_turn_{}", turn.0)
}

fn output_bytes_per_ms(config: &SessionConfig) -> Option<u64> {
    let format = config.audio.as_ref()?.output.as_ref()?.format.as_ref()?;
    Some(u64::from(format.bytes_per_ms()))
}

/// The number of bytes a standard base64 string decodes to, from its length and padding alone.
pub fn base64_decoded_len(b64: &str) -> u64 {
    let trimmed = b64.trim_end();
    let len = trimmed.len() as u64;
    let padding = trimmed.bytes().rev().take_while(|b| *b == b'=').count() as u64;
    // Unpadded input: every 4 chars are 3 bytes, a trailing 2 or 3 chars are 1 or 2 bytes.
    let unpadded = len - padding.min(len);
    unpadded / 4 * 3 + (unpadded % 4).saturating_sub(1)
}

#[cfg(test)]
mod tests;
