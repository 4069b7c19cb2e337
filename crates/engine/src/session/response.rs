//! The response lifecycle: what Donna answers (the desk's dialogue, or a tool call for the
//! client to run), its status from created to done, cancellation and usage.

use super::*;
use donna_desk::history::Said;

#[derive(Debug)]
pub(super) enum Output {
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
pub(super) struct Active {
    pub(super) id: String,
    pub(super) item_id: String,
    pub(super) in_conversation: bool,
    pub(super) previous_item_id: Option<String>,
    pub(super) metadata: Option<Value>,
    pub(super) output: Output,
    /// Pieces not yet streamed.
    pub(super) pending: VecDeque<String>,
    /// What has been streamed so far (text, transcript or arguments).
    pub(super) sent: String,
    pub(super) input_chars: usize,
    /// Spoken (audio + transcript) rather than text.
    pub(super) audio: bool,
    /// The PCM16 24 kHz audio streamed so far, kept for truncation and retrieval.
    pub(super) audio_bytes: Vec<u8>,
    /// How much audio was sent, for usage (the bytes above move to the item when it is done).
    pub(super) audio_ms: u64,
}

/// The response in progress and what decides the next one.
#[derive(Debug, Default)]
pub(super) struct Responses {
    /// The offline dialogue's state for this visitor.
    pub(super) dialogue: Dialogue,
    /// The conversation's items the dialogue has read: those it has not (history a client
    /// gave the session before asking) it recalls before answering, as a model reads context.
    pub(super) read: std::collections::HashSet<String>,
    pub(super) active: Option<Active>,
    /// A response asked for while a transcript it depends on was being made.
    pub(super) deferred: Option<Option<ResponseParams>>,
    /// Offline speech synthesis; without it audio responses are refused with a clear error.
    pub(super) tts: Option<Arc<dyn Synthesizer>>,
    pub(super) audio_produced: bool,
}

impl ServerSession {
    /// Begin a response: decide its content from the conversation and queue its first events.
    pub(super) fn start_response(&mut self, params: Option<ResponseParams>) -> Result<(), ProtocolError> {
        if !self.transcription.pending.is_empty()
            && self.response.active.is_none()
            && self.response.deferred.is_none()
        {
            // The answer depends on words not transcribed yet: it starts when they are.
            self.response.deferred = Some(params);
            return Ok(());
        }
        if let Some(active) = &self.response.active {
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
        if audio && self.response.tts.is_none() {
            return Err(ProtocolError::server(
                "speech_synthesis_unavailable",
                "Audio output unavailable: offline text-to-speech is not installed in the local engine. Use output_modalities [\"text\"].",
            ));
        }
        let in_conversation = params.conversation.as_deref() != Some("none");
        let context: Vec<Item> = match &params.input {
            Some(input) => input.iter().filter_map(|v| self.resolve_input(v)).collect(),
            None => self.store.items.iter().map(|s| s.item.clone()).collect(),
        };
        if params.input.is_none() {
            self.recall_unread(&context);
        }
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
        self.response.active = Some(active);
        Ok(())
    }

    /// Let the dialogue read what the conversation holds that it has not (all but the last
    /// item, which it answers): a visitor's words, and what a tool answered, move its state
    /// (a check-in waiting for a name, staff to choose between) as if it had been there.
    fn recall_unread(&mut self, context: &[Item]) {
        let Some((_, earlier)) = context.split_last() else {
            return;
        };
        let desk = self.reception.desk();
        let now = desk.now();
        for item in earlier {
            let Some(id) = item.id() else { continue };
            if !self.response.read.insert(id.to_owned()) {
                continue;
            }
            let said = match item {
                Item::Message {
                    role: Role::User,
                    content,
                    ..
                } => {
                    let text: Vec<&str> = content.iter().filter_map(ContentPart::text).collect();
                    Said::Visitor { text: text.join(" ") }
                }
                Item::FunctionCallOutput { call_id, output, .. } => Said::Tool {
                    name: function_name(context, call_id).unwrap_or_default(),
                    arguments: String::new(),
                    output: output.clone(),
                },
                _ => continue,
            };
            self.response.dialogue.recall(desk.profile(), &said, &now);
        }
        if let Some(id) = context.last().and_then(Item::id) {
            self.response.read.insert(id.to_owned());
        }
    }

    /// What the desk says (or which tool it calls) given the conversation so far.
    pub(super) fn decide(
        &mut self,
        context: &[Item],
        params: &ResponseParams,
    ) -> Result<Output, ProtocolError> {
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
                let name = function_name(context, call_id);
                let profile = self.reception.desk().profile();
                return Ok(Output::Message {
                    text: self
                        .response
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
        Ok(
            match self.response.dialogue.plan(desk.profile(), message, &desk.now()) {
                Plan::Say(text) => Output::Message { text },
                Plan::Tool(call) => {
                    let name = call.name();
                    if self.tool_offered(name, params) {
                        Output::Call {
                            call_id: new_id("call"),
                            name: name.to_owned(),
                            arguments: call.arguments().to_string(),
                        }
                    } else {
                        // The client did not declare the tool: the engine does the work itself.
                        let output = self
                            .reception
                            .run(&call, donna_desk::Recording::under(Some(&self.conversation_id)));
                        Output::Message {
                            text: self.response.dialogue.after_tool(desk.profile(), name, &output),
                        }
                    }
                }
            },
        )
    }

    /// Whether the client declared tool `name` for this response (and did not forbid tools).
    pub(super) fn tool_offered(&self, name: &str, params: &ResponseParams) -> bool {
        let choice = params.tool_choice.as_ref().or(self.session.tool_choice.as_ref());
        if choice.and_then(Value::as_str) == Some("none") {
            return false;
        }
        let tools = params.tools.as_ref().or(self.session.tools.as_ref());
        tools.is_some_and(|t| t.iter().any(|tool| tool.name.as_deref() == Some(name)))
    }

    pub(super) fn resolve_input(&self, v: &Value) -> Option<Item> {
        if v.get("type").and_then(Value::as_str) == Some("item_reference") {
            let id = v.get("id")?.as_str()?;
            return self.position(id).map(|i| self.store.items[i].item.clone());
        }
        serde_json::from_value(v.clone()).ok()
    }

    /// Close the active response with `status`, queueing its closing events.
    pub(super) fn finish(&mut self, status: ResponseStatus, reason: Option<&str>) {
        let Some(mut active) = self.response.active.take() else {
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
                self.response.audio_produced = true;
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
            self.store.items.push(Stored {
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

    pub(super) fn response_object(
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
}

/// The name of the function call `call_id` answers.
fn function_name(context: &[Item], call_id: &str) -> Option<String> {
    context.iter().find_map(|i| match i {
        Item::FunctionCall { call_id: c, name, .. } if c == call_id => Some(name.clone()),
        _ => None,
    })
}

pub(super) fn output_item(a: &Active, status: ItemStatus, sent: &str) -> Item {
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

/// Words with their trailing spaces, the way text streams from a model.
pub(super) fn split_words(text: &str) -> VecDeque<String> {
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

pub(super) fn split_every(text: &str, n: usize) -> VecDeque<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}
