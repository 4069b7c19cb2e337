//! One realtime session on the engine, without I/O: client events in, server events out.
//!
//! [`Conversation::handle_frame`] answers each client frame at once (acks, errors, VAD events);
//! a response is streamed through [`Conversation::next_streamed`], one event per call, so the
//! connection can interleave incoming frames (a `response.cancel`, a barge-in) with the
//! stream. Event orders follow the protocol reference, section 7.

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

#[derive(Debug)]
struct Stored {
    item: Item,
    /// Raw input audio of a user audio item, for `conversation.item.retrieve`.
    audio: Option<Vec<u8>>,
}

#[derive(Debug)]
enum Output {
    Message {
        text: String,
    },
    Call {
        call_id: String,
        name: String,
        arguments: String,
    },
}

#[derive(Debug)]
struct Active {
    id: String,
    item_id: String,
    in_conversation: bool,
    previous_item_id: Option<String>,
    metadata: Option<Value>,
    output: Output,
    /// Pieces not yet streamed.
    pending: VecDeque<String>,
    /// What has been streamed so far (text, transcript or arguments).
    sent: String,
    input_chars: usize,
    /// Spoken (audio + transcript) rather than text.
    audio: bool,
    /// The PCM16 24 kHz audio streamed so far, kept for truncation and retrieval.
    audio_bytes: Vec<u8>,
    /// How much audio was sent, for usage (the bytes above move to the item when it is done).
    audio_ms: u64,
}

/// The state of one session.
#[derive(Debug)]
pub struct Conversation {
    reception: Arc<Reception>,
    /// The offline dialogue's state for this visitor.
    dialogue: Dialogue,
    limits: Limits,
    session: SessionConfig,
    conversation_id: String,
    items: Vec<Stored>,
    buffer: Vec<u8>,
    appended_bytes: u64,
    vad: Option<Vad>,
    vad_item_id: Option<String>,
    active: Option<Active>,
    outbox: VecDeque<ServerEvent>,
    audio_produced: bool,
    /// Offline speech synthesis; without it audio responses are refused with a clear error.
    tts: Option<Arc<dyn Synthesizer>>,
    /// Whether the connection can transcribe committed audio.
    stt: bool,
    /// Committed audio waiting to be handed to the recogniser: (item id, PCM16 24 kHz), or no
    /// audio when a live recogniser has been fed it already.
    to_transcribe: VecDeque<(String, Option<Vec<i16>>)>,
    /// A live recogniser follows the input audio as it is appended.
    live: bool,
    /// Appended audio the live recogniser has not been given yet.
    live_audio: Vec<i16>,
    /// The input buffer was cleared: the live recogniser must drop what it heard.
    live_reset: bool,
    /// The item being spoken now and the caption already sent for it.
    caption: Option<(String, String)>,
    /// Items whose transcript is still being made, oldest first.
    transcribing: VecDeque<String>,
    /// A response asked for while a transcript it depends on was being made.
    deferred: Option<Option<ResponseParams>>,
}

impl Conversation {
    pub fn new(reception: Arc<Reception>, session: SessionConfig, limits: Limits) -> Self {
        let mut conversation = Self {
            reception,
            dialogue: Dialogue::default(),
            limits,
            session,
            conversation_id: new_id("conv"),
            items: Vec::new(),
            buffer: Vec::new(),
            appended_bytes: 0,
            vad: None,
            vad_item_id: None,
            active: None,
            outbox: VecDeque::new(),
            audio_produced: false,
            tts: None,
            stt: false,
            to_transcribe: VecDeque::new(),
            live: false,
            live_audio: Vec::new(),
            live_reset: false,
            caption: None,
            transcribing: VecDeque::new(),
            deferred: None,
        };
        conversation.reset_vad();
        conversation
    }

    /// Speak audio responses with `tts`.
    pub fn with_tts(mut self, tts: Option<Arc<dyn Synthesizer>>) -> Self {
        self.tts = tts;
        self
    }

    /// Transcribe committed audio (the connection runs the recogniser; see
    /// [`Self::take_transcription`] and [`Self::transcribed`]).
    pub fn with_transcription(mut self, available: bool) -> Self {
        self.stt = available;
        self
    }

    /// Feed the input audio to a live recogniser as it arrives (see [`Self::take_live_audio`]);
    /// committed utterances then need no audio of their own.
    pub fn with_live_transcription(mut self, live: bool) -> Self {
        self.live = live && self.stt;
        self
    }

    /// The next committed utterance to transcribe: its item id and PCM16 24 kHz samples, or
    /// `None` for the samples when the live recogniser has them already.
    pub fn take_transcription(&mut self) -> Option<(String, Option<Vec<i16>>)> {
        self.to_transcribe.pop_front()
    }

    /// The live recogniser is gone: utterances waiting for it are failed (the answers ask the
    /// visitor to repeat) and later ones are transcribed from their committed audio.
    pub fn live_transcription_lost(&mut self) {
        self.live = false;
        self.live_audio.clear();
        for item_id in self.transcribing.clone() {
            if !self.to_transcribe.iter().any(|(id, _)| *id == item_id) {
                self.transcribed(&item_id, Err("the live recogniser stopped".to_owned()));
            }
        }
        for (item_id, samples) in &mut self.to_transcribe {
            if samples.is_none() {
                let i = self
                    .items
                    .iter()
                    .position(|s| s.item.id() == Some(item_id.as_str()));
                *samples = Some(i.map(|i| samples_of(&self.items[i].audio)).unwrap_or_default());
            }
        }
    }

    /// Audio appended since the last call, for the live recogniser, and whether it must first
    /// forget what it heard (the buffer was cleared).
    pub fn take_live_audio(&mut self) -> (bool, Vec<i16>) {
        (
            std::mem::take(&mut self.live_reset),
            std::mem::take(&mut self.live_audio),
        )
    }

    /// The live recogniser's caption of the speech in progress. Sent as transcription deltas of
    /// the item server VAD announced, and only where the caption grows: deltas only append.
    pub fn live_caption(&mut self, text: &str) {
        let Some(item_id) = self.vad_item_id.clone() else {
            return;
        };
        if !self.transcription_configured() {
            return;
        }
        let sent = match &mut self.caption {
            Some((id, sent)) if *id == item_id => sent,
            _ => &mut self.caption.insert((item_id.clone(), String::new())).1,
        };
        let Some(more) = text.strip_prefix(sent.as_str()).filter(|m| !m.is_empty()) else {
            return;
        };
        let delta = more.to_owned();
        *sent = text.to_owned();
        self.outbox
            .push_back(ServerEvent::TranscriptionDelta(TranscriptionDelta {
                event_id: new_id("event"),
                item_id,
                content_index: 0,
                delta,
                logprobs: None,
            }));
    }

    /// The recogniser's result for `item_id`: the item gets its transcript, the transcription
    /// events are queued (when the session asked for transcription), and a response held back
    /// for it starts.
    pub fn transcribed(&mut self, item_id: &str, result: Result<Heard, String>) {
        self.transcribing.retain(|id| id != item_id);
        let reported = self.transcription_configured();
        // A failed recognition counts as hearing nothing: the answer asks the visitor to repeat.
        let text = result
            .as_ref()
            .map(|h| h.text.trim().to_owned())
            .unwrap_or_default();
        let mut heard_ms = 0;
        if let Some(i) = self.position(item_id) {
            heard_ms = self.items[i]
                .audio
                .as_ref()
                .map_or(0, |a| a.len() as u64 / BYTES_PER_MS);
            if let Item::Message { content, .. } = &mut self.items[i].item
                && let Some(ContentPart::InputAudio { transcript, .. }) = content.first_mut()
            {
                *transcript = Some(text.clone());
            }
        }
        // What the captions already said of this item; the deltas only add to it.
        let captioned = match self.caption.take() {
            Some((id, sent)) if id == item_id => sent,
            other => {
                self.caption = other;
                String::new()
            }
        };
        match result {
            Ok(_) => {
                if reported {
                    let rest = text.strip_prefix(captioned.as_str()).unwrap_or_default();
                    if !rest.is_empty() {
                        self.outbox
                            .push_back(ServerEvent::TranscriptionDelta(TranscriptionDelta {
                                event_id: new_id("event"),
                                item_id: item_id.to_owned(),
                                content_index: 0,
                                delta: rest.to_owned(),
                                logprobs: None,
                            }));
                    }
                    self.outbox
                        .push_back(ServerEvent::TranscriptionCompleted(TranscriptionCompleted {
                            event_id: new_id("event"),
                            item_id: item_id.to_owned(),
                            content_index: 0,
                            transcript: text,
                            // Transcription is billed by the duration heard; clients' event
                            // types require the field.
                            usage: Some(json!({ "type": "duration", "seconds": heard_ms as f64 / 1000.0 })),
                            logprobs: None,
                        }));
                }
            }
            Err(message) => {
                tracing::warn!(error = %message, "transcription failed");
                if reported {
                    self.outbox.push_back(transcription_failed(
                        item_id,
                        "transcription_failed",
                        "Transcription failed: the offline recogniser could not process this audio.",
                    ));
                }
            }
        }
        if self.transcribing.is_empty()
            && let Some(params) = self.deferred.take()
            && let Err(e) = self.start_response(params)
        {
            self.outbox.push_back(e.into_event(None));
        }
    }

    fn transcription_configured(&self) -> bool {
        self.session
            .audio
            .as_ref()
            .and_then(|a| a.input.as_ref())
            .is_some_and(|i| matches!(i.transcription, Some(Some(_))))
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

    /// True while events are waiting for [`Self::next_streamed`].
    pub fn is_streaming(&self) -> bool {
        !self.outbox.is_empty() || self.active.is_some()
    }

    /// The next event of the response in progress (and of anything queued behind it).
    pub fn next_streamed(&mut self) -> Option<ServerEvent> {
        if let Some(event) = self.outbox.pop_front() {
            return Some(event);
        }
        let active = self.active.as_mut()?;
        if active.audio {
            return match active.pending.pop_front() {
                Some(sentence) => {
                    self.speak(sentence);
                    self.outbox.pop_front()
                }
                None => {
                    self.finish(ResponseStatus::Completed, None);
                    self.outbox.pop_front()
                }
            };
        }
        match active.pending.pop_front() {
            Some(piece) => {
                active.sent.push_str(&piece);
                Some(match &active.output {
                    Output::Message { .. } => ServerEvent::OutputTextDelta(Delta {
                        event_id: new_id("event"),
                        response_id: active.id.clone(),
                        item_id: active.item_id.clone(),
                        output_index: 0,
                        content_index: 0,
                        delta: piece,
                    }),
                    Output::Call { call_id, .. } => {
                        ServerEvent::FunctionCallArgumentsDelta(FunctionCallArgumentsDelta {
                            event_id: new_id("event"),
                            response_id: active.id.clone(),
                            item_id: active.item_id.clone(),
                            output_index: 0,
                            call_id: call_id.clone(),
                            delta: piece,
                        })
                    }
                })
            }
            None => {
                self.finish(ResponseStatus::Completed, None);
                self.outbox.pop_front()
            }
        }
    }

    /// Synthesise one sentence of the active response and queue its transcript and audio deltas
    /// (100 ms of PCM16 24 kHz each, as the service sends them).
    fn speak(&mut self, sentence: String) {
        let Some(active) = self.active.as_mut() else {
            return;
        };
        let text = if active.pending.is_empty() {
            sentence
        } else {
            format!("{sentence} ")
        };
        let pcm = match self.tts.as_ref().map(|t| t.synthesize(text.trim())) {
            Some(Ok(pcm)) => pcm,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "speech synthesis failed for a sentence; sending its transcript only");
                Vec::new()
            }
            None => Vec::new(),
        };
        active.sent.push_str(&text);
        self.outbox
            .push_back(ServerEvent::OutputAudioTranscriptDelta(Delta {
                event_id: new_id("event"),
                response_id: active.id.clone(),
                item_id: active.item_id.clone(),
                output_index: 0,
                content_index: 0,
                delta: text,
            }));
        let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
        for chunk in bytes.chunks((100 * BYTES_PER_MS) as usize) {
            self.outbox.push_back(ServerEvent::OutputAudioDelta(Delta {
                event_id: new_id("event"),
                response_id: active.id.clone(),
                item_id: active.item_id.clone(),
                output_index: 0,
                content_index: 0,
                delta: base64::engine::general_purpose::STANDARD.encode(chunk),
            }));
        }
        active.audio_ms += bytes.len() as u64 / BYTES_PER_MS;
        active.audio_bytes.extend_from_slice(&bytes);
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
                    self.audio_produced,
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
                self.buffer.clear();
                if self.live {
                    self.live_audio.clear();
                    self.live_reset = true;
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
                let active_id = self.active.as_ref().map(|a| a.id.clone());
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

    fn append(&mut self, append: InputAudioBufferAppend) -> Result<Vec<ServerEvent>, ProtocolError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(append.audio.as_bytes())
            .map_err(|_| {
                ProtocolError::invalid(
                    "invalid_value",
                    "Invalid 'audio': not valid base64.",
                    Some("audio"),
                )
            })?;
        if bytes.len() > self.limits.max_append_bytes {
            return Err(ProtocolError::invalid(
                "invalid_value",
                format!(
                    "Invalid 'audio': {} bytes exceeds the maximum of {} bytes per event.",
                    bytes.len(),
                    self.limits.max_append_bytes
                ),
                Some("audio"),
            ));
        }
        if bytes.len() % 2 != 0 {
            return Err(ProtocolError::invalid(
                "invalid_value",
                "Invalid 'audio': PCM16 audio must have an even number of bytes.",
                Some("audio"),
            ));
        }
        if self.buffer.len() + bytes.len() > self.limits.max_buffer_bytes {
            return Err(ProtocolError::invalid(
                "input_audio_buffer_too_large",
                "The input audio buffer is full: commit or clear it before appending more audio.",
                Some("audio"),
            ));
        }
        self.buffer.extend_from_slice(&bytes);
        self.appended_bytes += bytes.len() as u64;
        if self.vad.is_none() && !self.live {
            return Ok(Vec::new());
        }
        let samples: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        if self.live {
            self.live_audio.extend_from_slice(&samples);
        }
        let Some(vad) = self.vad.as_mut() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for event in vad.feed(&samples) {
            match event {
                VadEvent::Started { audio_start_ms } => {
                    let item_id = new_id("item");
                    self.vad_item_id = Some(item_id.clone());
                    out.push(ServerEvent::SpeechStarted(SpeechStarted {
                        event_id: new_id("event"),
                        audio_start_ms,
                        item_id,
                    }));
                    let td = turn_detection(&self.session);
                    if self.active.is_some() && td.is_some_and(|t| t.interrupt_response != Some(false)) {
                        self.finish(ResponseStatus::Cancelled, Some("turn_detected"));
                    }
                }
                VadEvent::Stopped { audio_end_ms } => {
                    let item_id = self.vad_item_id.take().unwrap_or_else(|| new_id("item"));
                    out.push(ServerEvent::SpeechStopped(SpeechStopped {
                        event_id: new_id("event"),
                        audio_end_ms,
                        item_id: item_id.clone(),
                    }));
                    match self.commit(Some(item_id)) {
                        Ok(events) => out.extend(events),
                        Err(e) => out.push(e.into_event(None)),
                    }
                    let create =
                        turn_detection(&self.session).is_some_and(|t| t.create_response != Some(false));
                    if create && let Err(e) = self.start_response(None) {
                        out.push(e.into_event(None));
                    }
                }
            }
        }
        Ok(out)
    }

    fn commit(&mut self, item_id: Option<String>) -> Result<Vec<ServerEvent>, ProtocolError> {
        let ms = self.buffer.len() as f64 / BYTES_PER_MS as f64;
        if (self.buffer.len() as u64) < MIN_COMMIT_MS * BYTES_PER_MS {
            return Err(ProtocolError::invalid(
                "input_audio_buffer_commit_empty",
                format!(
                    "Error committing input audio buffer: buffer too small. Expected at least {MIN_COMMIT_MS}ms of audio, but buffer only has {ms:.2}ms of audio."
                ),
                None,
            ));
        }
        let item_id = item_id.unwrap_or_else(|| new_id("item"));
        let previous_item_id = self.last_item_id();
        let audio = std::mem::take(&mut self.buffer);
        let item = Item::Message {
            id: Some(item_id.clone()),
            object: Some("realtime.item".to_owned()),
            status: Some(ItemStatus::Completed),
            role: Role::User,
            content: vec![ContentPart::InputAudio {
                audio: None,
                transcript: None,
            }],
        };
        self.items.push(Stored {
            item: item.clone(),
            audio: Some(audio),
        });
        let mut out = vec![
            ServerEvent::InputAudioBufferCommitted(Committed {
                event_id: new_id("event"),
                item_id: item_id.clone(),
                previous_item_id: previous_item_id.clone(),
            }),
            item_event(
                ServerEvent::ConversationItemAdded,
                &item,
                previous_item_id.clone(),
            ),
            item_event(ServerEvent::ConversationItemDone, &item, previous_item_id),
        ];
        if self.stt {
            let samples = (!self.live).then(|| samples_of(&self.items[self.items.len() - 1].audio));
            self.to_transcribe.push_back((item_id.clone(), samples));
            self.transcribing.push_back(item_id);
        } else if self.transcription_configured() {
            out.push(transcription_failed(
                &item_id,
                "transcription_unavailable",
                "Transcription unavailable: the offline speech model is not installed (run `donna models install`).",
            ));
        }
        Ok(out)
    }

    fn create_item(&mut self, create: ConversationItemCreate) -> Result<Vec<ServerEvent>, ProtocolError> {
        let mut item = create.item;
        let mut audio = None;
        match &mut item {
            Item::Other(raw) => {
                let kind = raw.get("type").and_then(Value::as_str).unwrap_or("");
                return Err(match kind {
                    "message" | "function_call" | "function_call_output" => ProtocolError::invalid(
                        "invalid_value",
                        format!("The item is not a valid '{kind}' item."),
                        Some("item"),
                    ),
                    _ => ProtocolError::invalid(
                        "invalid_value",
                        format!(
                            "Invalid value: '{kind}'. Supported values are: 'message', 'function_call', 'function_call_output'."
                        ),
                        Some("item.type"),
                    ),
                });
            }
            Item::Message { role, content, .. } => {
                for (i, part) in content.iter_mut().enumerate() {
                    let allowed = matches!(
                        (*role, &*part),
                        (
                            Role::User,
                            ContentPart::InputText { .. } | ContentPart::InputAudio { .. }
                        ) | (Role::System, ContentPart::InputText { .. })
                            | (
                                Role::Assistant,
                                ContentPart::OutputText { .. } | ContentPart::Text { .. }
                            )
                    );
                    if !allowed {
                        return Err(ProtocolError::invalid(
                            "invalid_value",
                            format!("Invalid content part for a {role:?} message."),
                            Some(&format!("item.content[{i}]")),
                        ));
                    }
                    if let ContentPart::InputAudio { audio: data, .. } = part
                        && let Some(b64) = data.take()
                    {
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(b64.as_bytes())
                            .map_err(|_| {
                                ProtocolError::invalid(
                                    "invalid_value",
                                    "Invalid audio: not valid base64.",
                                    Some(&format!("item.content[{i}].audio")),
                                )
                            })?;
                        audio = Some(bytes);
                    }
                }
            }
            Item::FunctionCallOutput { call_id, .. } => {
                let known = self
                    .items
                    .iter()
                    .any(|s| matches!(&s.item, Item::FunctionCall { call_id: c, .. } if c == call_id));
                if !known {
                    return Err(ProtocolError::invalid(
                        "invalid_value",
                        format!("No function call found with call_id '{call_id}'."),
                        Some("item.call_id"),
                    ));
                }
            }
            Item::FunctionCall { .. } => {}
        }
        match item.id() {
            Some(id) if self.position(id).is_some() => {
                return Err(ProtocolError::invalid(
                    "invalid_value",
                    format!("Item with id '{id}' already exists."),
                    Some("item.id"),
                ));
            }
            Some(_) => {}
            None => item.set_id(new_id("item")),
        }
        set_status(&mut item, ItemStatus::Completed);
        let index = match create.previous_item_id.as_deref() {
            None => self.items.len(),
            Some("root") => 0,
            Some(prev) => match self.position(prev) {
                Some(i) => i + 1,
                None => {
                    return Err(ProtocolError::invalid(
                        "invalid_value",
                        format!("Previous item with id '{prev}' not found."),
                        Some("previous_item_id"),
                    ));
                }
            },
        };
        let previous_item_id = index
            .checked_sub(1)
            .and_then(|i| self.items[i].item.id().map(str::to_owned));
        self.items.insert(
            index,
            Stored {
                item: item.clone(),
                audio,
            },
        );
        Ok(vec![
            item_event(
                ServerEvent::ConversationItemAdded,
                &item,
                previous_item_id.clone(),
            ),
            item_event(ServerEvent::ConversationItemDone, &item, previous_item_id),
        ])
    }

    fn retrieve(&self, r: ItemRef) -> Result<Vec<ServerEvent>, ProtocolError> {
        let i = self
            .position(&r.item_id)
            .ok_or_else(|| not_found("item_retrieve_invalid_item_id", &r.item_id))?;
        let stored = &self.items[i];
        let mut item = stored.item.clone();
        if let (Some(bytes), Item::Message { content, .. }) = (&stored.audio, &mut item) {
            for part in content.iter_mut() {
                if let ContentPart::InputAudio { audio, .. } = part {
                    *audio = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
                }
            }
        }
        let previous_item_id = i
            .checked_sub(1)
            .and_then(|p| self.items[p].item.id().map(str::to_owned));
        Ok(vec![item_event(
            ServerEvent::ConversationItemRetrieved,
            &item,
            previous_item_id,
        )])
    }

    fn truncate(&mut self, t: ConversationItemTruncate) -> Result<Vec<ServerEvent>, ProtocolError> {
        let i = self
            .position(&t.item_id)
            .ok_or_else(|| not_found("item_truncate_invalid_item_id", &t.item_id))?;
        let has_audio = matches!(&self.items[i].item, Item::Message { role: Role::Assistant, content, .. }
            if content.iter().any(|p| matches!(p, ContentPart::OutputAudio { .. } | ContentPart::Audio { .. })));
        if !has_audio {
            return Err(ProtocolError::invalid(
                "invalid_value",
                "Only assistant messages with audio content can be truncated.",
                Some("item_id"),
            ));
        }
        let audio_ms = self.items[i]
            .audio
            .as_ref()
            .map_or(0, |a| a.len() as u64 / BYTES_PER_MS);
        if t.audio_end_ms > audio_ms {
            return Err(ProtocolError::invalid(
                "invalid_value",
                format!(
                    "Audio content of {audio_ms}ms is already shorter than {}ms",
                    t.audio_end_ms
                ),
                Some("audio_end_ms"),
            ));
        }
        if let Some(audio) = self.items[i].audio.as_mut() {
            audio.truncate((t.audio_end_ms * BYTES_PER_MS) as usize);
        }
        Ok(vec![ServerEvent::ConversationItemTruncated(ItemTruncated {
            event_id: new_id("event"),
            item_id: t.item_id,
            content_index: t.content_index,
            audio_end_ms: t.audio_end_ms,
        })])
    }

    fn delete(&mut self, d: ItemRef) -> Result<Vec<ServerEvent>, ProtocolError> {
        let i = self
            .position(&d.item_id)
            .ok_or_else(|| not_found("item_delete_invalid_item_id", &d.item_id))?;
        self.items.remove(i);
        Ok(vec![ServerEvent::ConversationItemDeleted(ItemDeleted {
            event_id: new_id("event"),
            item_id: d.item_id,
        })])
    }

    /// Begin a response: decide its content from the conversation and queue its first events.
    fn start_response(&mut self, params: Option<ResponseParams>) -> Result<(), ProtocolError> {
        if !self.transcribing.is_empty() && self.active.is_none() && self.deferred.is_none() {
            // The answer depends on words not transcribed yet: it starts when they are.
            self.deferred = Some(params);
            return Ok(());
        }
        if let Some(active) = &self.active {
            return Err(ProtocolError::invalid(
                "conversation_already_has_active_response",
                format!(
                    "Conversation already has an active response in progress: {}. Wait until the response is finished before creating a new one.",
                    active.id
                ),
                None,
            ));
        }
        let params = params.unwrap_or_default();
        if let Some(tokens) = &params.max_output_tokens {
            check_max_tokens("response.max_output_tokens", tokens)?;
        }
        if let Some(choice) = &params.tool_choice {
            check_tool_choice("response.tool_choice", choice)?;
        }
        let modalities = params
            .output_modalities
            .clone()
            .or_else(|| self.session.output_modalities.clone())
            .unwrap_or_default();
        let audio = modalities.iter().any(|m| m == "audio");
        if audio && self.tts.is_none() {
            return Err(ProtocolError::server(
                "speech_synthesis_unavailable",
                "Audio output unavailable: offline text-to-speech is not installed in the local engine. Use output_modalities [\"text\"].",
            ));
        }
        let in_conversation = params.conversation.as_deref() != Some("none");
        let context: Vec<Item> = match &params.input {
            Some(input) => input.iter().filter_map(|v| self.resolve_input(v)).collect(),
            None => self.items.iter().map(|s| s.item.clone()).collect(),
        };
        let output = self.decide(&context, &params)?;
        let input_chars = context.iter().map(|i| i.text().len()).sum();

        let id = new_id("resp");
        let item_id = new_id("item");
        let previous_item_id = if in_conversation {
            self.last_item_id()
        } else {
            None
        };
        let audio = audio && matches!(output, Output::Message { .. });
        let pending = match &output {
            Output::Message { text } if audio => donna_speech::tts::sentences(text).into(),
            Output::Message { text } => split_words(text),
            Output::Call { arguments, .. } => split_every(arguments, 16),
        };
        let active = Active {
            id: id.clone(),
            item_id,
            in_conversation,
            previous_item_id,
            metadata: params.metadata.clone(),
            output,
            pending,
            sent: String::new(),
            input_chars,
            audio,
            audio_bytes: Vec::new(),
            audio_ms: 0,
        };
        let response = self.response_object(&active, ResponseStatus::InProgress, None, Vec::new());
        self.outbox.push_back(ServerEvent::ResponseCreated(ResponseEvent {
            event_id: new_id("event"),
            response,
        }));
        let item = output_item(&active, ItemStatus::InProgress, "");
        self.outbox.push_back(ServerEvent::OutputItemAdded(OutputItem {
            event_id: new_id("event"),
            response_id: id.clone(),
            output_index: 0,
            item: item.clone(),
        }));
        if in_conversation {
            self.outbox.push_back(item_event(
                ServerEvent::ConversationItemAdded,
                &item,
                active.previous_item_id.clone(),
            ));
        }
        if let Output::Message { .. } = active.output {
            self.outbox
                .push_back(ServerEvent::ContentPartAdded(ContentPartEvent {
                    event_id: new_id("event"),
                    response_id: id,
                    item_id: active.item_id.clone(),
                    output_index: 0,
                    content_index: 0,
                    part: if active.audio {
                        ContentPart::Audio {
                            audio: None,
                            transcript: Some(String::new()),
                        }
                    } else {
                        ContentPart::Text { text: String::new() }
                    },
                }));
        }
        self.active = Some(active);
        Ok(())
    }

    /// What the desk says (or which tool it calls) given the conversation so far.
    fn decide(&mut self, context: &[Item], params: &ResponseParams) -> Result<Output, ProtocolError> {
        let last = context.iter().rev().find(|i| {
            !matches!(
                i,
                Item::Message {
                    role: Role::System,
                    ..
                }
            )
        });
        let text = match last {
            Some(Item::FunctionCallOutput { call_id, output, .. }) => {
                let name = context.iter().find_map(|i| match i {
                    Item::FunctionCall { call_id: c, name, .. } if c == call_id => Some(name.clone()),
                    _ => None,
                });
                let profile = self.reception.desk().profile();
                return Ok(Output::Message {
                    text: self
                        .dialogue
                        .after_tool(profile, name.as_deref().unwrap_or(""), output),
                });
            }
            Some(Item::Message {
                role: Role::User,
                content,
                ..
            }) => {
                let typed: Vec<&str> = content.iter().filter_map(ContentPart::text).collect();
                if typed.is_empty()
                    && content
                        .iter()
                        .any(|p| matches!(p, ContentPart::InputAudio { .. }))
                {
                    return Err(ProtocolError::server(
                        "transcription_unavailable",
                        "Input audio cannot be understood: the offline speech model is not installed (run `donna models install`).",
                    ));
                }
                let text = typed.join(" ");
                if text.trim().is_empty() {
                    return Ok(Output::Message {
                        text: "Sorry, I didn't catch that. Could you say it again?".to_owned(),
                    });
                }
                text
            }
            _ => {
                return Ok(Output::Message {
                    text: self.reception.desk().profile().greeting(),
                });
            }
        };
        let desk = self.reception.desk();
        let message = match desk.check_message(&text) {
            Ok(message) => message,
            Err(e) => {
                return Ok(Output::Message {
                    text: format!("Sorry, I can't answer that: {e}."),
                });
            }
        };
        Ok(match self.dialogue.plan(desk.profile(), message, &desk.now()) {
            Plan::Say(text) => Output::Message { text },
            Plan::Tool { name, arguments } => {
                if self.tool_offered(name, params) {
                    Output::Call {
                        call_id: new_id("call"),
                        name: name.to_owned(),
                        arguments: arguments.to_string(),
                    }
                } else {
                    // The client did not declare the tool: the engine does the work itself.
                    let output =
                        self.reception
                            .run_tool(name, &arguments.to_string(), Some(&self.conversation_id));
                    Output::Message {
                        text: self.dialogue.after_tool(desk.profile(), name, &output),
                    }
                }
            }
        })
    }

    /// Whether the client declared tool `name` for this response (and did not forbid tools).
    fn tool_offered(&self, name: &str, params: &ResponseParams) -> bool {
        let choice = params.tool_choice.as_ref().or(self.session.tool_choice.as_ref());
        if choice.and_then(Value::as_str) == Some("none") {
            return false;
        }
        let tools = params.tools.as_ref().or(self.session.tools.as_ref());
        tools.is_some_and(|t| t.iter().any(|tool| tool.name.as_deref() == Some(name)))
    }

    fn resolve_input(&self, v: &Value) -> Option<Item> {
        if v.get("type").and_then(Value::as_str) == Some("item_reference") {
            let id = v.get("id")?.as_str()?;
            return self.position(id).map(|i| self.items[i].item.clone());
        }
        serde_json::from_value(v.clone()).ok()
    }

    /// Close the active response with `status`, queueing its closing events.
    fn finish(&mut self, status: ResponseStatus, reason: Option<&str>) {
        let Some(mut active) = self.active.take() else {
            return;
        };
        active.pending.clear();
        let item_status = if status == ResponseStatus::Completed {
            ItemStatus::Completed
        } else {
            ItemStatus::Incomplete
        };
        let item = output_item(&active, item_status, &active.sent);
        let id = active.id.clone();
        match &active.output {
            Output::Message { .. } if active.audio => {
                let part = |p: &Active| Part {
                    event_id: new_id("event"),
                    response_id: p.id.clone(),
                    item_id: p.item_id.clone(),
                    output_index: 0,
                    content_index: 0,
                };
                self.outbox.push_back(ServerEvent::OutputAudioDone(part(&active)));
                self.outbox
                    .push_back(ServerEvent::OutputAudioTranscriptDone(TranscriptDone {
                        event_id: new_id("event"),
                        response_id: id.clone(),
                        item_id: active.item_id.clone(),
                        output_index: 0,
                        content_index: 0,
                        transcript: active.sent.clone(),
                    }));
                self.outbox
                    .push_back(ServerEvent::ContentPartDone(ContentPartEvent {
                        event_id: new_id("event"),
                        response_id: id.clone(),
                        item_id: active.item_id.clone(),
                        output_index: 0,
                        content_index: 0,
                        part: ContentPart::Audio {
                            audio: None,
                            transcript: Some(active.sent.clone()),
                        },
                    }));
                self.audio_produced = true;
            }
            Output::Message { .. } => {
                self.outbox.push_back(ServerEvent::OutputTextDone(TextDone {
                    event_id: new_id("event"),
                    response_id: id.clone(),
                    item_id: active.item_id.clone(),
                    output_index: 0,
                    content_index: 0,
                    text: active.sent.clone(),
                }));
                self.outbox
                    .push_back(ServerEvent::ContentPartDone(ContentPartEvent {
                        event_id: new_id("event"),
                        response_id: id.clone(),
                        item_id: active.item_id.clone(),
                        output_index: 0,
                        content_index: 0,
                        part: ContentPart::Text {
                            text: active.sent.clone(),
                        },
                    }));
            }
            Output::Call { call_id, name, .. } => {
                self.outbox.push_back(ServerEvent::FunctionCallArgumentsDone(
                    FunctionCallArgumentsDone {
                        event_id: new_id("event"),
                        response_id: id.clone(),
                        item_id: active.item_id.clone(),
                        output_index: 0,
                        call_id: call_id.clone(),
                        name: name.clone(),
                        arguments: active.sent.clone(),
                    },
                ));
            }
        }
        self.outbox.push_back(ServerEvent::OutputItemDone(OutputItem {
            event_id: new_id("event"),
            response_id: id,
            output_index: 0,
            item: item.clone(),
        }));
        if active.in_conversation {
            self.outbox.push_back(item_event(
                ServerEvent::ConversationItemDone,
                &item,
                active.previous_item_id.clone(),
            ));
            self.items.push(Stored {
                item: item.clone(),
                audio: active.audio.then(|| std::mem::take(&mut active.audio_bytes)),
            });
        }
        let details = match (status, reason) {
            (ResponseStatus::Cancelled, Some(reason)) => {
                Some(json!({ "type": "cancelled", "reason": reason }))
            }
            _ => None,
        };
        let response = self.response_object(&active, status, details, vec![item]);
        self.outbox.push_back(ServerEvent::ResponseDone(ResponseEvent {
            event_id: new_id("event"),
            response,
        }));
        self.outbox
            .push_back(ServerEvent::RateLimitsUpdated(RateLimitsUpdated {
                event_id: new_id("event"),
                // The local engine has no quota; it reports an untouched budget so clients that
                // track it see the same shape as from the service.
                rate_limits: vec![RateLimit {
                    name: "tokens".to_owned(),
                    limit: 40_000,
                    remaining: 40_000,
                    reset_seconds: 0.0,
                }],
            }));
    }

    fn response_object(
        &self,
        a: &Active,
        status: ResponseStatus,
        details: Option<Value>,
        output: Vec<Item>,
    ) -> Response {
        let done = status != ResponseStatus::InProgress;
        // Estimates in the service's units: a token per four characters of text, and for
        // spoken output one audio token per 50 ms of audio sent (20 a second).
        let (input_tokens, text_tokens) = (a.input_chars.div_ceil(4), a.sent.len().div_ceil(4));
        let audio_tokens = a.audio_ms.div_ceil(AUDIO_TOKEN_MS) as usize;
        let output_tokens = text_tokens + audio_tokens;
        Response {
            id: a.id.clone(),
            object: Some("realtime.response".to_owned()),
            status,
            status_details: details,
            output,
            conversation_id: a.in_conversation.then(|| self.conversation_id.clone()),
            output_modalities: Some(vec![if a.audio { "audio" } else { "text" }.to_owned()]),
            max_output_tokens: Some(self.session.max_output_tokens.clone().unwrap_or(json!("inf"))),
            audio: None,
            usage: done.then(|| {
                json!({
                    "total_tokens": input_tokens + output_tokens,
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "input_token_details": { "text_tokens": input_tokens, "audio_tokens": 0, "cached_tokens": 0 },
                    "output_token_details": { "text_tokens": text_tokens, "audio_tokens": audio_tokens }
                })
            }),
            metadata: a.metadata.clone(),
        }
    }

    fn reset_vad(&mut self) {
        let clock = self.appended_bytes / BYTES_PER_MS;
        self.vad = turn_detection(&self.session)
            .filter(|t| t.kind == "server_vad" || t.kind == "semantic_vad")
            .map(|t| {
                Vad::new(
                    t.threshold.unwrap_or(0.5),
                    t.prefix_padding_ms.unwrap_or(300),
                    t.silence_duration_ms.unwrap_or(200),
                    clock,
                )
            });
        self.vad_item_id = None;
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|s| s.item.id() == Some(id))
    }

    fn last_item_id(&self) -> Option<String> {
        self.items.last().and_then(|s| s.item.id().map(str::to_owned))
    }
}

fn turn_detection(session: &SessionConfig) -> Option<&TurnDetection> {
    session
        .audio
        .as_ref()?
        .input
        .as_ref()?
        .turn_detection
        .as_ref()?
        .as_ref()
}

fn output_item(a: &Active, status: ItemStatus, sent: &str) -> Item {
    match &a.output {
        Output::Message { .. } => Item::Message {
            id: Some(a.item_id.clone()),
            object: Some("realtime.item".to_owned()),
            status: Some(status),
            role: Role::Assistant,
            content: if status == ItemStatus::InProgress {
                Vec::new()
            } else if a.audio {
                vec![ContentPart::OutputAudio {
                    audio: None,
                    transcript: Some(sent.to_owned()),
                }]
            } else {
                vec![ContentPart::OutputText {
                    text: sent.to_owned(),
                }]
            },
        },
        Output::Call { call_id, name, .. } => Item::FunctionCall {
            id: Some(a.item_id.clone()),
            object: Some("realtime.item".to_owned()),
            status: Some(status),
            call_id: call_id.clone(),
            name: name.clone(),
            arguments: sent.to_owned(),
        },
    }
}

fn item_event(
    make: fn(ItemEvent) -> ServerEvent,
    item: &Item,
    previous_item_id: Option<String>,
) -> ServerEvent {
    make(ItemEvent {
        event_id: new_id("event"),
        previous_item_id,
        item: item.clone(),
    })
}

fn set_status(item: &mut Item, new: ItemStatus) {
    match item {
        Item::Message { status, object, .. }
        | Item::FunctionCall { status, object, .. }
        | Item::FunctionCallOutput { status, object, .. } => {
            *status = Some(new);
            *object = Some("realtime.item".to_owned());
        }
        Item::Other(_) => {}
    }
}

fn transcription_failed(item_id: &str, code: &str, message: &str) -> ServerEvent {
    ServerEvent::TranscriptionFailed(TranscriptionFailed {
        event_id: new_id("event"),
        item_id: item_id.to_owned(),
        content_index: 0,
        error: donna_realtime::protocol::server::ErrorDetail {
            kind: "transcription_error".to_owned(),
            code: Some(code.to_owned()),
            message: message.to_owned(),
            param: None,
            event_id: None,
        },
    })
}

fn samples_of(audio: &Option<Vec<u8>>) -> Vec<i16> {
    audio
        .as_deref()
        .unwrap_or_default()
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

fn not_found(code: &'static str, id: &str) -> ProtocolError {
    ProtocolError::invalid(
        code,
        format!("Item with item_id not found: {id}"),
        Some("item_id"),
    )
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

/// Words with their trailing spaces, the way text streams from a model.
fn split_words(text: &str) -> VecDeque<String> {
    let mut out = VecDeque::new();
    let mut current = String::new();
    for c in text.chars() {
        if c == ' ' && !current.trim().is_empty() {
            current.push(c);
            out.push_back(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push_back(current);
    }
    out
}

fn split_every(text: &str, n: usize) -> VecDeque<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_config::default_session;

    fn conversation() -> Conversation {
        let reception = Arc::new(Reception::new(
            donna_desk::Desk::load(None).unwrap(),
            donna_desk::store::Store::open_in_memory().unwrap(),
            Vec::new(),
        ));
        let mut session = default_session("sess_t".into(), "gpt-realtime", "", 0);
        session.output_modalities = Some(vec!["text".into()]);
        Conversation::new(reception, session, Limits::default())
    }

    fn kinds(events: &[ServerEvent]) -> Vec<&str> {
        events.iter().map(ServerEvent::kind).collect()
    }

    fn frame(v: Value) -> String {
        v.to_string()
    }

    fn start_parking_answer(c: &mut Conversation) {
        c.handle_frame(&frame(json!({ "type": "conversation.item.create", "item": { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "Where can I park?" }] } })));
        assert!(
            c.handle_frame(&frame(json!({ "type": "response.create" })))
                .is_empty()
        );
    }

    fn speech_frames(ms: usize) -> Vec<String> {
        let bytes: Vec<u8> = (0..ms * 24)
            .flat_map(|i| ((0.3 * 32767.0 * (i as f64 * 0.0576).sin()) as i16).to_le_bytes())
            .collect();
        bytes
            .chunks(960)
            .map(|c| frame(json!({ "type": "input_audio_buffer.append", "audio": base64::engine::general_purpose::STANDARD.encode(c) })))
            .collect()
    }

    fn drain(c: &mut Conversation) -> Vec<ServerEvent> {
        std::iter::from_fn(|| c.next_streamed()).collect()
    }

    #[test]
    fn a_spoken_turn_is_answered_once_its_transcript_is_in() {
        let mut c = conversation().with_transcription(true);
        c.handle_frame(&frame(
            json!({"type": "session.update", "session": {"type": "realtime",
            "audio": {"input": {"transcription": {"model": "whisper-1"}}}}}),
        ));
        for f in speech_frames(600) {
            c.handle_frame(&f);
        }
        let committed = c.handle_frame(&frame(json!({"type": "input_audio_buffer.commit"})));
        assert_eq!(
            kinds(&committed),
            [
                "input_audio_buffer.committed",
                "conversation.item.added",
                "conversation.item.done"
            ]
        );
        // The response waits for the words.
        assert!(
            c.handle_frame(&frame(json!({"type": "response.create"})))
                .is_empty()
        );
        assert!(drain(&mut c).is_empty(), "nothing before the transcript");
        let (item_id, pcm) = c.take_transcription().expect("a job");
        assert_eq!(
            pcm.map(|p| p.len()),
            Some(600 * 24),
            "the committed audio, as samples"
        );
        assert!(c.take_transcription().is_none());
        c.transcribed(
            &item_id,
            Ok(Heard {
                text: " Where can I park? ".into(),
                confidence: 0.9,
            }),
        );
        let events = drain(&mut c);
        let kinds = kinds(&events);
        assert_eq!(
            kinds[..3],
            [
                "conversation.item.input_audio_transcription.delta",
                "conversation.item.input_audio_transcription.completed",
                "response.created"
            ]
        );
        assert!(kinds.contains(&"response.done"), "{kinds:?}");
        let ServerEvent::TranscriptionCompleted(done) = &events[1] else {
            unreachable!()
        };
        assert_eq!(
            (done.item_id.as_str(), done.transcript.as_str()),
            (item_id.as_str(), "Where can I park?")
        );
        let answer: String = events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::OutputTextDelta(d) => Some(d.delta.as_str()),
                _ => None,
            })
            .collect();
        assert!(answer.to_lowercase().contains("park"), "{answer}");
    }

    #[test]
    fn a_failed_or_empty_transcript_gets_a_clear_event_and_a_polite_retry() {
        let mut c = conversation().with_transcription(true);
        c.handle_frame(&frame(
            json!({"type": "session.update", "session": {"type": "realtime",
            "audio": {"input": {"transcription": {"model": "whisper-1"}}}}}),
        ));
        for f in speech_frames(300) {
            c.handle_frame(&f);
        }
        c.handle_frame(&frame(json!({"type": "input_audio_buffer.commit"})));
        c.handle_frame(&frame(json!({"type": "response.create"})));
        let (item_id, _) = c.take_transcription().unwrap();
        c.transcribed(&item_id, Err("decoder failed".into()));
        let events = drain(&mut c);
        assert_eq!(
            events[0].kind(),
            "conversation.item.input_audio_transcription.failed"
        );
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::OutputTextDelta(d) => Some(d.delta.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "Sorry, I didn't catch that. Could you say it again?");
    }

    #[test]
    fn cancel_between_deltas_keeps_exactly_what_was_streamed() {
        let mut c = conversation();
        start_parking_answer(&mut c);
        let head: Vec<ServerEvent> = (0..6).filter_map(|_| c.next_streamed()).collect();
        assert_eq!(
            kinds(&head),
            [
                "response.created",
                "response.output_item.added",
                "conversation.item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta"
            ]
        );
        let streamed: String = head
            .iter()
            .filter_map(|e| match e {
                ServerEvent::OutputTextDelta(d) => Some(d.delta.clone()),
                _ => None,
            })
            .collect();
        assert!(
            c.handle_frame(&frame(json!({ "type": "response.cancel" })))
                .is_empty()
        );
        let tail: Vec<ServerEvent> = std::iter::from_fn(|| c.next_streamed()).collect();
        assert_eq!(
            kinds(&tail),
            [
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "conversation.item.done",
                "response.done",
                "rate_limits.updated"
            ]
        );
        match &tail[0] {
            ServerEvent::OutputTextDone(d) => assert_eq!(d.text, streamed),
            other => panic!("{other:?}"),
        }
        match &tail[4] {
            ServerEvent::ResponseDone(r) => {
                assert_eq!(r.response.status, ResponseStatus::Cancelled);
                assert_eq!(
                    r.response.status_details,
                    Some(json!({ "type": "cancelled", "reason": "client_cancelled" }))
                );
            }
            other => panic!("{other:?}"),
        }
        // The stored assistant item holds the partial text, so later turns see what was said.
        assert_eq!(c.items.last().unwrap().item.text(), streamed);
    }

    #[test]
    fn speech_during_a_response_interrupts_it_as_turn_detected() {
        let mut c = conversation();
        start_parking_answer(&mut c);
        for _ in 0..5 {
            c.next_streamed();
        }
        let mut events = Vec::new();
        for f in speech_frames(100) {
            events.extend(c.handle_frame(&f));
        }
        assert_eq!(kinds(&events), ["input_audio_buffer.speech_started"]);
        let tail: Vec<ServerEvent> = std::iter::from_fn(|| c.next_streamed()).collect();
        let done = tail.iter().find_map(|e| match e {
            ServerEvent::ResponseDone(r) => Some(r),
            _ => None,
        });
        assert_eq!(
            done.unwrap().response.status_details,
            Some(json!({ "type": "cancelled", "reason": "turn_detected" }))
        );
    }

    #[test]
    fn interrupt_response_false_lets_the_answer_finish() {
        let mut c = conversation();
        c.handle_frame(&frame(json!({ "type": "session.update", "session": { "type": "realtime", "audio": { "input": { "turn_detection": { "type": "server_vad", "interrupt_response": false } } } } })));
        start_parking_answer(&mut c);
        c.next_streamed();
        for f in speech_frames(100) {
            c.handle_frame(&f);
        }
        let tail: Vec<ServerEvent> = std::iter::from_fn(|| c.next_streamed()).collect();
        let done = tail.iter().find_map(|e| match e {
            ServerEvent::ResponseDone(r) => Some(r),
            _ => None,
        });
        assert_eq!(done.unwrap().response.status, ResponseStatus::Completed);
    }
}
