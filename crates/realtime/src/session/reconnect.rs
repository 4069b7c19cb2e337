//! A lost connection: failing or keeping the turns in flight, and what re-seeds the next
//! connection.

use super::*;

impl ClientSession {
    /// The connection is gone. Everything tied to it is dropped; the next `session.created`
    /// re-seeds the new connection ([`Self::restore_events`]) and sends the unanswered text
    /// turns again. Unanswered audio turns fail with [`TurnError::Lost`].
    pub fn on_disconnected(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        self.ready = false;
        self.restoring = true;
        if !self.held.is_empty() {
            debug!(
                count = self.held.len(),
                "dropping events held for the lost connection"
            );
            self.held.clear();
        }
        self.order.clear();
        self.items.clear();
        self.response = None;
        self.create_sent = None;
        self.committing = None;
        self.open_calls.clear();
        self.input_bytes = 0;
        self.user_speaking = false;
        self.audio = None;
        let lost: Vec<TurnId> = self
            .turns
            .iter()
            .filter(|(_, t)| t.text.is_none())
            .map(|(id, _)| *id)
            .collect();
        for turn in lost {
            self.fail_turn(turn, TurnError::Lost, &mut out);
        }
        self.waiting = self.turns.keys().copied().collect();
        self.create_wanted = !self.waiting.is_empty();
        self.set_state(
            if self.create_wanted {
                AgentState::Thinking
            } else {
                AgentState::Idle
            },
            &mut out,
        );
        out
    }

    /// The events that seed a new connection: `session.update` with the configured session,
    /// then `conversation.item.create` for the remembered text items, oldest first (user text as
    /// `input_text`, assistant text as `output_text`: clients may not create assistant *audio*
    /// items, so spoken answers come back as their transcripts), then the items of unanswered
    /// text turns. The items keep their ids, so the service's echoes update the history instead
    /// of duplicating it. The `response.create` for unanswered turns follows `session.updated`.
    pub fn restore_events(&mut self) -> Vec<ClientEvent> {
        let mut events = vec![self.session_update()];
        let turn_items: HashSet<&str> = self.turns.values().filter_map(|t| t.item_id.as_deref()).collect();
        let history: Vec<HistoryEntry> = self
            .history
            .iter()
            .filter(|h| !turn_items.contains(h.id.as_str()))
            .cloned()
            .collect();
        for entry in history {
            let part = match entry.role {
                Role::Assistant => ContentPart::OutputText { text: entry.text },
                Role::User | Role::System => ContentPart::InputText { text: entry.text },
            };
            events.push(ClientEvent::ConversationItemCreate(ConversationItemCreate {
                event_id: None,
                previous_item_id: None,
                item: Item::Message {
                    id: Some(entry.id),
                    object: None,
                    status: None,
                    role: entry.role,
                    content: vec![part],
                },
            }));
        }
        let resend: Vec<(TurnId, String, String)> = self
            .turns
            .iter()
            .filter_map(|(id, t)| Some((*id, t.item_id.clone()?, t.text.clone()?)))
            .collect();
        for (turn, item_id, text) in resend {
            events.push(self.user_item_event(turn, &item_id, &text));
        }
        events
    }
}
