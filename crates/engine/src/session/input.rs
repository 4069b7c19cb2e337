//! The input audio buffer: appended audio up to its limits, server VAD over it, and commits
//! that turn it into a user item.

use super::*;

/// The uncommitted input audio and the voice activity detector that watches it.
#[derive(Debug)]
pub(super) struct InputBuffer {
    pub(super) limits: Limits,
    /// PCM16 mono 24 kHz bytes appended since the last commit or clear.
    pub(super) buffer: Vec<u8>,
    /// Every byte ever appended: the session's audio clock for VAD timestamps.
    pub(super) appended_bytes: u64,
    pub(super) vad: Option<Vad>,
    /// The item server VAD announced for the speech in progress.
    pub(super) vad_item_id: Option<String>,
    /// The audio comes on a call's media track, not in `input_audio_buffer.append` events: a
    /// microphone that never stops, so a full buffer forgets its oldest audio.
    pub(super) from_track: bool,
}

impl InputBuffer {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            limits,
            buffer: Vec::new(),
            appended_bytes: 0,
            vad: None,
            vad_item_id: None,
            from_track: false,
        }
    }
}

impl ServerSession {
    pub(super) fn append(
        &mut self,
        append: InputAudioBufferAppend,
    ) -> Result<Vec<ServerEvent>, ProtocolError> {
        if self.input.from_track {
            return Err(ProtocolError::invalid(
                "invalid_value",
                "input_audio_buffer.append is not supported on a WebRTC call: the audio comes on its media track.",
                Some("type"),
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(append.audio.as_bytes())
            .map_err(|_| {
                ProtocolError::invalid(
                    "invalid_value",
                    "Invalid 'audio': not valid base64.",
                    Some("audio"),
                )
            })?;
        if bytes.len() > self.input.limits.max_append_bytes {
            return Err(ProtocolError::invalid(
                "invalid_value",
                format!(
                    "Invalid 'audio': {} bytes exceeds the maximum of {} bytes per event.",
                    bytes.len(),
                    self.input.limits.max_append_bytes
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
        if self.input.buffer.len() + bytes.len() > self.input.limits.max_buffer_bytes {
            return Err(ProtocolError::invalid(
                "input_audio_buffer_too_large",
                "The input audio buffer is full: commit or clear it before appending more audio.",
                Some("audio"),
            ));
        }
        let samples: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        Ok(self.take_in(&samples))
    }

    /// Audio from a call's media track (PCM16 mono 24 kHz): into the buffer like appended
    /// audio, past VAD and the live recogniser. It never fails: a full buffer drops its oldest
    /// audio, since a call's microphone keeps sending while nobody commits.
    pub fn hear(&mut self, samples: &[i16]) -> Vec<ServerEvent> {
        let over =
            (self.input.buffer.len() + samples.len() * 2).saturating_sub(self.input.limits.max_buffer_bytes);
        self.input.buffer.drain(..over.min(self.input.buffer.len()));
        self.take_in(samples)
    }

    /// Buffer `samples`, then run VAD over them.
    fn take_in(&mut self, samples: &[i16]) -> Vec<ServerEvent> {
        self.input
            .buffer
            .extend(samples.iter().flat_map(|s| s.to_le_bytes()));
        self.input.appended_bytes += samples.len() as u64 * 2;
        if self.transcription.live {
            self.transcription.live_audio.extend_from_slice(samples);
        }
        let Some(vad) = self.input.vad.as_mut() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for event in vad.feed(samples) {
            match event {
                VadEvent::Started { audio_start_ms } => {
                    let item_id = new_id("item");
                    self.input.vad_item_id = Some(item_id.clone());
                    out.push(ServerEvent::SpeechStarted(SpeechStarted {
                        event_id: new_id("event"),
                        audio_start_ms,
                        item_id,
                    }));
                    let td = turn_detection(&self.session);
                    let interrupts = td.is_some_and(|t| t.interrupt_response != Some(false));
                    if self.response.active.is_some() && interrupts {
                        self.finish(ResponseStatus::Cancelled, Some("turn_detected"));
                    }
                    // On a call the server plays the audio, so it stops it too, even when the
                    // response itself is long done and only its playback is left.
                    self.playback_cut |= interrupts && self.input.from_track;
                }
                VadEvent::Stopped { audio_end_ms } => {
                    let item_id = self.input.vad_item_id.take().unwrap_or_else(|| new_id("item"));
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
        out
    }

    pub(super) fn commit(&mut self, item_id: Option<String>) -> Result<Vec<ServerEvent>, ProtocolError> {
        let ms = self.input.buffer.len() as f64 / BYTES_PER_MS as f64;
        if (self.input.buffer.len() as u64) < MIN_COMMIT_MS * BYTES_PER_MS {
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
        let audio = std::mem::take(&mut self.input.buffer);
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
        self.store.items.push(Stored {
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
        if self.transcription.available {
            let samples = (!self.transcription.live)
                .then(|| samples_of(&self.store.items[self.store.items.len() - 1].audio));
            self.transcription.queue.push_back((item_id.clone(), samples));
            self.transcription.pending.push_back(item_id);
        } else if self.transcription_configured() {
            out.push(transcription_failed(
                &item_id,
                "transcription_unavailable",
                "Transcription unavailable: the offline speech model is not installed (run `donna models install`).",
            ));
        }
        Ok(out)
    }

    pub(super) fn reset_vad(&mut self) {
        let clock = self.input.appended_bytes / BYTES_PER_MS;
        self.input.vad = turn_detection(&self.session)
            .filter(|t| t.kind == "server_vad" || t.kind == "semantic_vad")
            .map(|t| {
                Vad::new(
                    t.threshold.unwrap_or(0.5),
                    t.prefix_padding_ms.unwrap_or(300),
                    t.silence_duration_ms.unwrap_or(200),
                    clock,
                )
            });
        self.input.vad_item_id = None;
    }
}

pub(super) fn turn_detection(session: &SessionConfig) -> Option<&TurnDetection> {
    session
        .audio
        .as_ref()?
        .input
        .as_ref()?
        .turn_detection
        .as_ref()?
        .as_ref()
}
