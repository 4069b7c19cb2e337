//! Server errors and finished responses: turns answered or failed, tool calls surfaced, the next
//! response.create when every call has its output.

use super::*;

impl ClientSession {
    pub(super) fn on_error(&mut self, e: ErrorEvent, out: &mut Vec<Output>) {
        let code = e.error.code.clone().unwrap_or_default();
        let benign = BENIGN_ERROR_CODES.contains(&code.as_str());
        let culprit = e.error.event_id.clone().unwrap_or_default();
        if benign {
            debug!(code, message = %e.error.message, "benign error");
        } else {
            warn!(code, message = %e.error.message, param = ?e.error.param, "error event");
        }
        out.push(Output::Update(UiUpdate::Error {
            code: e.error.code.clone(),
            message: e.error.message.clone(),
            benign,
        }));
        if culprit.is_empty() {
            return;
        }
        let rejected = || TurnError::Rejected {
            code: code.clone(),
            message: e.error.message.clone(),
        };
        let busy = code == "conversation_already_has_active_response";
        if busy
            && let Some(r) = self
                .response
                .as_mut()
                .filter(|r| r.create_id.as_deref() == Some(culprit.as_str()))
        {
            // The response we took for ours was the service's own (server VAD), which had
            // started first: our turns wait for it to end and then ask again.
            r.create_id = None;
            self.waiting.splice(0..0, std::mem::take(&mut r.turns));
            self.create_wanted = true;
        } else if self.create_sent.as_ref().is_some_and(|(id, _)| *id == culprit) {
            let Some((_, turns)) = self.create_sent.take() else {
                return;
            };
            if busy {
                // Lost a race with a response the service started itself: ask again after it.
                self.waiting.splice(0..0, turns);
                self.create_wanted = true;
            } else {
                for turn in turns {
                    self.fail_turn(turn, rejected(), out);
                }
            }
        } else if self.committing.as_ref().is_some_and(|(_, id)| *id == culprit) {
            if let Some((turn, _)) = self.committing.take() {
                self.fail_turn(turn, rejected(), out);
            }
        } else if let Some(turn) = self.turns.keys().copied().find(|t| turn_event_id(*t) == culprit) {
            self.fail_turn(turn, rejected(), out);
        }
        if self.is_quiet() {
            self.set_state(AgentState::Idle, out);
        }
        self.pump(out);
    }

    pub(super) fn final_text(&mut self, item_id: String, text: String, out: &mut Vec<Output>) {
        if let Some(r) = &mut self.response {
            r.text.insert(item_id.clone(), text.clone());
            if !r.order.contains(&item_id) {
                r.order.push(item_id.clone());
            }
        }
        out.push(Output::Update(UiUpdate::AssistantText { item_id, text }));
    }

    pub(super) fn surface_call(&mut self, call: ToolCall, out: &mut Vec<Output>) {
        let Some(r) = &mut self.response else {
            warn!(call_id = %call.call_id, "function call outside a response; ignored");
            return;
        };
        if r.calls.contains(&call.call_id) {
            return;
        }
        r.calls.push(call.call_id.clone());
        r.arguments.remove(&call.call_id);
        self.open_calls.insert(call.call_id.clone());
        out.push(Output::Update(UiUpdate::ToolCall(call)));
    }

    pub(super) fn on_response_done(&mut self, response: crate::protocol::Response, out: &mut Vec<Output>) {
        let Some(mut active) = self.response.take().filter(|r| r.id == response.id) else {
            warn!(response_id = %response.id, "response.done for a response this session did not see start");
            return;
        };
        // The finished items are authoritative; streamed text fills in what they lack.
        for item in &response.output {
            if let (
                Item::Message {
                    role: Role::Assistant,
                    ..
                },
                Some(id),
            ) = (item, item.id())
            {
                let text = item.text();
                if !text.is_empty() {
                    active.text.insert(id.to_owned(), text);
                }
                if !active.order.iter().any(|o| o == id) {
                    active.order.push(id.to_owned());
                }
            }
        }
        let text = active
            .order
            .iter()
            .filter_map(|id| active.text.get(id))
            .filter(|t| !t.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n");
        match response.status {
            ResponseStatus::Completed | ResponseStatus::Incomplete | ResponseStatus::InProgress
                if !active.calls.is_empty() =>
            {
                // The model is waiting for tool outputs; the same turns get the next response.
                self.waiting.splice(0..0, active.turns);
                self.create_wanted = true;
            }
            ResponseStatus::Completed | ResponseStatus::Incomplete | ResponseStatus::InProgress => {
                for turn in active.turns {
                    if self.turns.remove(&turn).is_some() {
                        out.push(Output::Update(UiUpdate::TurnCompleted {
                            turn,
                            text: text.clone(),
                        }));
                    }
                }
            }
            ResponseStatus::Cancelled => {
                for call in &active.calls {
                    self.open_calls.remove(call);
                }
                for turn in active.turns {
                    self.fail_turn(turn, TurnError::Cancelled, out);
                }
            }
            ResponseStatus::Failed => {
                for call in &active.calls {
                    self.open_calls.remove(call);
                }
                let details = response
                    .status_details
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "no details".to_owned());
                for turn in active.turns {
                    self.fail_turn(turn, TurnError::Failed(details.clone()), out);
                }
            }
        }
        let next = if self.user_speaking {
            AgentState::Listening
        } else if self.create_wanted || !self.open_calls.is_empty() {
            AgentState::Thinking
        } else {
            AgentState::Idle
        };
        self.set_state(next, out);
        self.pump(out);
    }
}
