//! The output: events waiting to be sent, and the active response streamed into them one
//! piece at a time (words of text, arguments, or a sentence of speech as transcript and audio
//! deltas), so frames from the client can interleave with the stream.

use super::*;

impl ServerSession {
    /// True while events are waiting for [`Self::next_streamed`].
    pub fn is_streaming(&self) -> bool {
        !self.outbox.is_empty() || self.response.active.is_some()
    }

    /// The next event of the response in progress (and of anything queued behind it).
    pub fn next_streamed(&mut self) -> Option<ServerEvent> {
        if let Some(event) = self.outbox.pop_front() {
            return Some(event);
        }
        let active = self.response.active.as_mut()?;
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
    pub(super) fn speak(&mut self, sentence: String) {
        let Some(active) = self.response.active.as_mut() else {
            return;
        };
        let text = if active.pending.is_empty() {
            sentence
        } else {
            format!("{sentence} ")
        };
        let pcm = match self.response.tts.as_ref().map(|t| t.synthesize(text.trim())) {
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
}
