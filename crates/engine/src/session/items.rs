//! The conversation's items as the client sees them: created by either side, retrieved,
//! truncated (what the visitor really heard) and deleted.

use super::*;

#[derive(Debug)]
pub(super) struct Stored {
    pub(super) item: Item,
    /// Raw input audio of a user audio item, for `conversation.item.retrieve`.
    pub(super) audio: Option<Vec<u8>>,
}

/// Every item of the conversation, in order.
#[derive(Debug, Default)]
pub(super) struct ItemStore {
    pub(super) items: Vec<Stored>,
}

impl ServerSession {
    pub(super) fn create_item(
        &mut self,
        create: ConversationItemCreate,
    ) -> Result<Vec<ServerEvent>, ProtocolError> {
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
                    .store
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
            None => self.store.items.len(),
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
            .and_then(|i| self.store.items[i].item.id().map(str::to_owned));
        self.store.items.insert(
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

    pub(super) fn retrieve(&self, r: ItemRef) -> Result<Vec<ServerEvent>, ProtocolError> {
        let i = self
            .position(&r.item_id)
            .ok_or_else(|| not_found("item_retrieve_invalid_item_id", &r.item_id))?;
        let stored = &self.store.items[i];
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
            .and_then(|p| self.store.items[p].item.id().map(str::to_owned));
        Ok(vec![item_event(
            ServerEvent::ConversationItemRetrieved,
            &item,
            previous_item_id,
        )])
    }

    pub(super) fn truncate(
        &mut self,
        t: ConversationItemTruncate,
    ) -> Result<Vec<ServerEvent>, ProtocolError> {
        let i = self
            .position(&t.item_id)
            .ok_or_else(|| not_found("item_truncate_invalid_item_id", &t.item_id))?;
        let has_audio = matches!(&self.store.items[i].item, Item::Message { role: Role::Assistant, content, .. }
            if content.iter().any(|p| matches!(p, ContentPart::OutputAudio { .. } | ContentPart::Audio { .. })));
        if !has_audio {
            return Err(ProtocolError::invalid(
                "invalid_value",
                "Only assistant messages with audio content can be truncated.",
                Some("item_id"),
            ));
        }
        let audio_ms = self.store.items[i]
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
        if let Some(audio) = self.store.items[i].audio.as_mut() {
            audio.truncate((t.audio_end_ms * BYTES_PER_MS) as usize);
        }
        Ok(vec![ServerEvent::ConversationItemTruncated(ItemTruncated {
            event_id: new_id("event"),
            item_id: t.item_id,
            content_index: t.content_index,
            audio_end_ms: t.audio_end_ms,
        })])
    }

    pub(super) fn delete(&mut self, d: ItemRef) -> Result<Vec<ServerEvent>, ProtocolError> {
        let i = self
            .position(&d.item_id)
            .ok_or_else(|| not_found("item_delete_invalid_item_id", &d.item_id))?;
        self.store.items.remove(i);
        if self.store.items.is_empty() {
            // The offline dialogue's state (a check-in half done, a name given) is what Donna
            // remembers of the conversation: with the conversation gone, so is it, as a
            // model's context is.
            self.response.dialogue = donna_desk::Dialogue::default();
            self.response.read.clear();
        }
        Ok(vec![ServerEvent::ConversationItemDeleted(ItemDeleted {
            event_id: new_id("event"),
            item_id: d.item_id,
        })])
    }

    pub(super) fn position(&self, id: &str) -> Option<usize> {
        self.store.items.iter().position(|s| s.item.id() == Some(id))
    }

    pub(super) fn last_item_id(&self) -> Option<String> {
        self.store
            .items
            .last()
            .and_then(|s| s.item.id().map(str::to_owned))
    }
}

pub(super) fn item_event(
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

pub(super) fn set_status(item: &mut Item, new: ItemStatus) {
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

pub(super) fn samples_of(audio: &Option<Vec<u8>>) -> Vec<i16> {
    audio
        .as_deref()
        .unwrap_or_default()
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

pub(super) fn not_found(code: &'static str, id: &str) -> ProtocolError {
    ProtocolError::invalid(
        code,
        format!("Item with item_id not found: {id}"),
        Some("item_id"),
    )
}
