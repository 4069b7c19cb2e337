//! Transcription of committed audio: what waits for the recogniser, the live recogniser's
//! captions while the visitor speaks, and transcripts that release a held response.

use super::*;

/// What the recogniser has to do and has said.
#[derive(Debug, Default)]
pub(super) struct Transcription {
    /// Whether the connection can transcribe committed audio.
    pub(super) available: bool,
    /// Committed audio waiting to be handed to the recogniser: (item id, PCM16 24 kHz), or no
    /// audio when a live recogniser has been fed it already.
    pub(super) queue: VecDeque<(String, Option<Vec<i16>>)>,
    /// A live recogniser follows the input audio as it is appended.
    pub(super) live: bool,
    /// Appended audio the live recogniser has not been given yet.
    pub(super) live_audio: Vec<i16>,
    /// The input buffer was cleared: the live recogniser must drop what it heard.
    pub(super) live_reset: bool,
    /// The item being spoken now and the caption already sent for it.
    pub(super) caption: Option<(String, String)>,
    /// Items whose transcript is still being made, oldest first.
    pub(super) pending: VecDeque<String>,
}

impl ServerSession {
    /// The next committed utterance to transcribe: its item id and PCM16 24 kHz samples, or
    /// `None` for the samples when the live recogniser has them already.
    pub fn take_transcription(&mut self) -> Option<(String, Option<Vec<i16>>)> {
        self.transcription.queue.pop_front()
    }

    /// The live recogniser is gone: utterances waiting for it are failed (the answers ask the
    /// visitor to repeat) and later ones are transcribed from their committed audio.
    pub fn live_transcription_lost(&mut self) {
        self.transcription.live = false;
        self.transcription.live_audio.clear();
        for item_id in self.transcription.pending.clone() {
            if !self.transcription.queue.iter().any(|(id, _)| *id == item_id) {
                self.transcribed(&item_id, Err("the live recogniser stopped".to_owned()));
            }
        }
        for (item_id, samples) in &mut self.transcription.queue {
            if samples.is_none() {
                let i = self
                    .store
                    .items
                    .iter()
                    .position(|s| s.item.id() == Some(item_id.as_str()));
                *samples = Some(
                    i.map(|i| samples_of(&self.store.items[i].audio))
                        .unwrap_or_default(),
                );
            }
        }
    }

    /// Audio appended since the last call, for the live recogniser, and whether it must first
    /// forget what it heard (the buffer was cleared).
    pub fn take_live_audio(&mut self) -> (bool, Vec<i16>) {
        (
            std::mem::take(&mut self.transcription.live_reset),
            std::mem::take(&mut self.transcription.live_audio),
        )
    }

    /// The live recogniser's caption of the speech in progress. Sent as transcription deltas of
    /// the item server VAD announced, and only where the caption grows: deltas only append.
    pub fn live_caption(&mut self, text: &str) {
        let Some(item_id) = self.input.vad_item_id.clone() else {
            return;
        };
        if !self.transcription_configured() {
            return;
        }
        let sent = match &mut self.transcription.caption {
            Some((id, sent)) if *id == item_id => sent,
            _ => {
                &mut self
                    .transcription
                    .caption
                    .insert((item_id.clone(), String::new()))
                    .1
            }
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
        self.transcription.pending.retain(|id| id != item_id);
        let reported = self.transcription_configured();
        // A failed recognition counts as hearing nothing: the answer asks the visitor to repeat.
        let text = result
            .as_ref()
            .map(|h| h.text.trim().to_owned())
            .unwrap_or_default();
        let mut heard_ms = 0;
        if let Some(i) = self.position(item_id) {
            heard_ms = self.store.items[i]
                .audio
                .as_ref()
                .map_or(0, |a| a.len() as u64 / BYTES_PER_MS);
            if let Item::Message { content, .. } = &mut self.store.items[i].item
                && let Some(ContentPart::InputAudio { transcript, .. }) = content.first_mut()
            {
                *transcript = Some(text.clone());
            }
        }
        // What the captions already said of this item; the deltas only add to it.
        let captioned = match self.transcription.caption.take() {
            Some((id, sent)) if id == item_id => sent,
            other => {
                self.transcription.caption = other;
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
        if self.transcription.pending.is_empty()
            && let Some(params) = self.response.deferred.take()
            && let Err(e) = self.start_response(params)
        {
            self.outbox.push_back(e.into_event(None));
        }
    }

    pub(super) fn transcription_configured(&self) -> bool {
        self.session
            .audio
            .as_ref()
            .and_then(|a| a.input.as_ref())
            .is_some_and(|i| matches!(i.transcription, Some(Some(_))))
    }
}

pub(super) fn transcription_failed(item_id: &str, code: &str, message: &str) -> ServerEvent {
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
