//! What the client asks of the conversation: a typed turn, a tool result, cancel, truncate, audio
//! appended and committed.

use super::*;

impl ClientSession {
    /// Send a user text and ask for a response. The item goes out now (or when the session is
    /// ready); `response.create` waits for any response in flight to finish.
    pub fn send_text(&mut self, text: impl Into<String>) -> (TurnId, Vec<Output>) {
        let text = text.into();
        let turn = self.new_turn();
        let item_id = format!("item_donna_{:08}", turn.0);
        let mut out = Vec::new();
        if !self.restoring {
            // While reconnecting, the re-seed sends it with the other unanswered turns.
            let event = self.user_item_event(turn, &item_id, &text);
            self.send(event, &mut out);
        }
        self.turns.insert(
            turn,
            Turn {
                text: Some(text),
                item_id: Some(item_id),
            },
        );
        self.waiting.push(turn);
        self.create_wanted = true;
        self.pump(&mut out);
        (turn, out)
    }

    /// Give the conversation what was said and done before this session took part (a
    /// conversation carried on from another gateway): each item is created on the service, in
    /// order and without a response, and its text is remembered to re-seed a new connection as
    /// the session's own turns are. Items without an id are given one.
    pub fn recall(&mut self, items: Vec<Item>) -> Vec<Output> {
        let mut out = Vec::new();
        for mut item in items {
            if item.id().is_none() {
                let turn = self.new_turn();
                item.set_id(format!("item_donna_h{:08}", turn.0));
            }
            self.remember(&item);
            if !self.restoring {
                // While reconnecting, the re-seed sends the remembered text with the rest.
                self.send(
                    ClientEvent::ConversationItemCreate(ConversationItemCreate {
                        event_id: None,
                        previous_item_id: None,
                        item,
                    }),
                    &mut out,
                );
            }
        }
        out
    }

    /// Answer a tool call. The output item goes out now; the follow-up `response.create` goes
    /// once the response that made the call is done and every call of it has its output.
    /// Outputs for calls this session does not know (answered already, or from a connection
    /// that was lost) are dropped.
    pub fn tool_result(&mut self, call_id: &str, output: impl Into<String>) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.open_calls.remove(call_id) {
            warn!(call_id, "dropping the output of a call that is not open");
            return out;
        }
        let event = ClientEvent::ConversationItemCreate(ConversationItemCreate {
            event_id: Some(self.event_id()),
            previous_item_id: None,
            item: Item::function_output(call_id, output),
        });
        self.send(event, &mut out);
        self.pump(&mut out);
        out
    }

    /// Stop the assistant: `response.cancel` if a response is active, and no queued follow-up
    /// response. Turns waiting for an answer fail with [`TurnError::Cancelled`].
    pub fn cancel(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        if self.response_active() {
            let response_id = self.response.as_ref().map(|r| r.id.clone());
            self.send(
                ClientEvent::ResponseCancel(ResponseCancel {
                    event_id: None,
                    response_id,
                }),
                &mut out,
            );
        }
        self.create_wanted = false;
        self.open_calls.clear();
        for turn in std::mem::take(&mut self.waiting) {
            self.fail_turn(turn, TurnError::Cancelled, &mut out);
        }
        if let Some((turn, _)) = self.committing.take() {
            self.fail_turn(turn, TurnError::Cancelled, &mut out);
        }
        if !self.response_active() {
            self.set_state(AgentState::Idle, &mut out);
        }
        out
    }

    /// Start afresh on the same connection, for the next visitor: the turn under way is
    /// cancelled, the input buffer cleared and every item of the conversation deleted on the
    /// server, so nothing said so far is in the model's context, nor re-seeded after a
    /// reconnect. Items a cancelled response still adds are deleted when it is done.
    pub fn forget(&mut self) -> Vec<Output> {
        let was_answering = self.response_active();
        let mut out = self.cancel();
        self.send(ClientEvent::InputAudioBufferClear(Bare::default()), &mut out);
        self.delete_all_items(&mut out);
        self.history.clear();
        self.forgetting = was_answering;
        out
    }

    pub(super) fn delete_all_items(&mut self, out: &mut Vec<Output>) {
        self.items.clear();
        for item_id in std::mem::take(&mut self.order) {
            self.send(
                ClientEvent::ConversationItemDelete(ItemRef {
                    event_id: None,
                    item_id,
                }),
                out,
            );
        }
    }

    /// The user heard `played_ms` of the current assistant audio item before it was cut off:
    /// tell the service so it forgets the unheard rest. Sends `conversation.item.truncate` with
    /// `audio_end_ms = min(played_ms, received ms)`, received ms being the bytes received
    /// divided by the format's bytes per millisecond (48 for PCM16 24 kHz). Nothing is sent when
    /// no audio was received or the item was truncated already.
    pub fn truncate(&mut self, played_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let Some(audio) = self.audio.as_mut().filter(|a| !a.truncated && a.bytes > 0) else {
            return out;
        };
        audio.truncated = true;
        let received_ms = audio.bytes / self.bytes_per_ms.max(1);
        let event = ClientEvent::ConversationItemTruncate(ConversationItemTruncate {
            event_id: None,
            item_id: audio.item_id.clone(),
            content_index: audio.content_index,
            audio_end_ms: played_ms.min(received_ms),
        });
        self.send(event, &mut out);
        out
    }

    /// Append microphone audio (raw samples in the session's input format) to the input buffer.
    pub fn append_audio(&mut self, pcm: &[u8]) -> Vec<Output> {
        let mut out = Vec::new();
        if pcm.is_empty() {
            return out;
        }
        self.input_bytes += pcm.len() as u64;
        let audio = base64::engine::general_purpose::STANDARD.encode(pcm);
        self.send(
            ClientEvent::InputAudioBufferAppend(InputAudioBufferAppend {
                event_id: None,
                audio,
            }),
            &mut out,
        );
        if self.state == AgentState::Idle {
            self.set_state(AgentState::Listening, &mut out);
        }
        out
    }

    /// Push-to-talk release: commit the input buffer and, once the service confirms the commit,
    /// ask for a response.
    pub fn commit_audio(&mut self) -> (TurnId, Vec<Output>) {
        let turn = self.new_turn();
        let mut out = Vec::new();
        let event_id = self.event_id();
        self.send(
            ClientEvent::InputAudioBufferCommit(Bare {
                event_id: Some(event_id.clone()),
            }),
            &mut out,
        );
        self.turns.insert(
            turn,
            Turn {
                text: None,
                item_id: None,
            },
        );
        if let Some((earlier, _)) = self.committing.replace((turn, event_id)) {
            // Two commits before the first was confirmed: the first one's response still counts.
            self.waiting.push(earlier);
        }
        self.set_state(AgentState::Thinking, &mut out);
        (turn, out)
    }
}
