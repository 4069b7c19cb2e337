//! A call's audio on the client's side.
//!
//! On a call the protocol's audio leaves the events: the microphone goes out on an Opus track
//! and Donna's voice comes back on the server's track. The rest of the client speaks in
//! events, so this module translates at the edge:
//!
//! - [`Mic`]: the PCM16 of each `input_audio_buffer.append` is cut into 20 ms frames and sent
//!   as Opus;
//! - [`Playout`]: Donna's track is decoded and, while the server says a response's audio is
//!   playing (`output_audio_buffer.started` to `.stopped`), handed on as that response's
//!   `response.output_audio.delta`s, so the speaker and barge-in work exactly as on a
//!   WebSocket: what the speaker played of an item is what a truncation reports.
//!
//! Between responses the server's track carries silence (or nothing); it is never played.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use webrtc::media::Sample;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;
use webrtc::track::track_remote::TrackRemote;

use crate::RealtimeError;
use crate::protocol::ServerEvent;
use crate::protocol::item::{ContentPart, Item, Role};
use crate::protocol::server::Delta;

/// The protocol's audio rate. Opus encodes and decodes it natively, so a call needs no
/// resampling (the RTP clock stays Opus's 48 kHz, per RFC 7587).
pub const RATE: u32 = 24_000;
/// One Opus frame: 20 ms, what browsers and the service send and expect.
pub const FRAME: Duration = Duration::from_millis(20);
/// Samples in one [`FRAME`].
pub const FRAME_SAMPLES: usize = (RATE / 50) as usize;
/// Speech at a telephone-plus quality; Opus's voice mode makes it clear at this rate.
pub const BITRATE: i32 = 32_000;
/// How hard Opus works (0 to 10). Opus's default, 10, costs 2.4 times the CPU of this setting,
/// which keeps a call's audio, both ways, under 1 % of a core (BENCHMARKS.md, "WebRTC calls on
/// the local engine").
pub const COMPLEXITY: i32 = 3;
/// The largest Opus packet is 120 ms; a decode buffer that holds it never fails for size.
pub const MAX_DECODED: usize = (RATE as usize / 1000) * 120;
/// Bounds the encoder's output for one 20 ms frame (Opus's own recommended maximum).
pub const MAX_PACKET: usize = 4000;

/// A speech encoder at the call's settings.
pub fn encoder() -> Result<opus::Encoder, opus::Error> {
    let mut encoder = opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip)?;
    encoder.set_bitrate(opus::Bitrate::Bits(BITRATE))?;
    encoder.set_complexity(COMPLEXITY)?;
    Ok(encoder)
}

/// A remote Opus track, decoded at the call's rate packet by packet.
pub struct TrackDecoder {
    track: Arc<TrackRemote>,
    decoder: opus::Decoder,
    pcm: Vec<i16>,
    warned: bool,
}

impl std::fmt::Debug for TrackDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackDecoder")
            .field("track", &self.track.id())
            .finish_non_exhaustive()
    }
}

impl TrackDecoder {
    pub fn new(track: Arc<TrackRemote>) -> Result<Self, opus::Error> {
        Ok(Self {
            track,
            decoder: opus::Decoder::new(RATE, opus::Channels::Mono)?,
            pcm: vec![0; MAX_DECODED],
            warned: false,
        })
    }

    /// The next packet's audio; `None` once the track has ended. A packet that cannot be
    /// decoded is a moment of lost audio, not a lost call: it is skipped, and logged once.
    pub async fn next(&mut self) -> Option<&[i16]> {
        loop {
            let packet = match self.track.read_rtp().await {
                Ok((packet, _)) => packet,
                Err(e) => {
                    tracing::debug!(error = %e, track = self.track.id(), "the audio track ended");
                    return None;
                }
            };
            if packet.payload.is_empty() {
                continue;
            }
            match self.decoder.decode(&packet.payload, &mut self.pcm, false) {
                Ok(samples) => return Some(&self.pcm[..samples]),
                Err(e) if !self.warned => {
                    self.warned = true;
                    tracing::warn!(error = %e, track = self.track.id(), "an Opus packet could not be decoded");
                }
                Err(_) => {}
            }
        }
    }
}

/// The kiosk's microphone on the call: PCM16 in, 20 ms Opus frames out on `track`.
pub(super) struct Mic {
    track: Arc<TrackLocalStaticSample>,
    encoder: opus::Encoder,
    /// Samples short of a whole frame, waiting for the next append.
    pending: Vec<i16>,
    packet: Vec<u8>,
}

impl Mic {
    pub(super) fn new(track: Arc<TrackLocalStaticSample>) -> Result<Self, RealtimeError> {
        Ok(Self {
            track,
            encoder: encoder().map_err(|e| RealtimeError::WebRtc(format!("no Opus encoder: {e}")))?,
            pending: Vec::with_capacity(FRAME_SAMPLES * 2),
            packet: vec![0; MAX_PACKET],
        })
    }

    /// Send `pcm` (PCM16 little-endian, 24 kHz): every whole frame now, the rest with the
    /// next call.
    pub(super) async fn send(&mut self, pcm: &[u8]) -> Result<(), RealtimeError> {
        self.pending
            .extend(pcm.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
        let whole = self.pending.len() / FRAME_SAMPLES * FRAME_SAMPLES;
        let frames: Vec<i16> = self.pending.drain(..whole).collect();
        for frame in frames.chunks_exact(FRAME_SAMPLES) {
            self.encode(frame).await?;
        }
        Ok(())
    }

    /// Send what is left of the turn, padded with silence to a whole frame. True when
    /// anything was sent.
    pub(super) async fn flush(&mut self) -> Result<bool, RealtimeError> {
        if self.pending.is_empty() {
            return Ok(false);
        }
        let mut frame = std::mem::take(&mut self.pending);
        frame.resize(FRAME_SAMPLES, 0);
        self.encode(&frame).await?;
        Ok(true)
    }

    /// Forget audio not yet sent (the input buffer was cleared).
    pub(super) fn clear(&mut self) {
        self.pending.clear();
    }

    async fn encode(&mut self, frame: &[i16]) -> Result<(), RealtimeError> {
        let size = self
            .encoder
            .encode(frame, &mut self.packet)
            .map_err(|e| RealtimeError::WebRtc(format!("Opus could not encode the microphone: {e}")))?;
        let sample = Sample {
            data: bytes::Bytes::copy_from_slice(&self.packet[..size]),
            duration: FRAME,
            ..Sample::default()
        };
        self.track
            .write_sample(&sample)
            .await
            .map_err(|e| RealtimeError::WebRtc(format!("the microphone's track failed: {e}")))
    }
}

/// Below this peak a decoded frame is silence (-60 dBFS).
const SILENT_PEAK: i16 = 32;
/// Frames after `output_audio_buffer.stopped` still taken as the response's: the last frame
/// may be read after the event that says it was sent.
const TAIL_FRAMES: u8 = 3;
/// Sound heard before `output_audio_buffer.started` is kept this long (frames), in case the
/// track outran the event.
const LEAD_FRAMES: usize = 3;
/// Responses whose audio item is remembered.
const REMEMBERED: usize = 8;

/// The assistant item a response's audio belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AudioItem {
    response_id: String,
    item_id: String,
    output_index: u32,
    content_index: u32,
    /// Its audio part was seen (rather than guessed from the item).
    confirmed: bool,
}

#[derive(Debug)]
struct Playing {
    item: AudioItem,
    /// Frames of grace left once the server said the audio stopped.
    tail: Option<u8>,
}

/// Which response's audio the server's track is carrying; see the module docs.
#[derive(Debug, Default)]
pub(super) struct Playout {
    items: VecDeque<AudioItem>,
    playing: Option<Playing>,
    lead: VecDeque<Vec<i16>>,
}

impl Playout {
    /// Learn from an event of the events channel; returns audio deltas to deliver after it
    /// (sound that arrived just before the server said it started).
    pub(super) fn on_event(&mut self, event: &ServerEvent) -> Vec<ServerEvent> {
        match event {
            ServerEvent::OutputItemAdded(e) => {
                if let Item::Message {
                    role: Role::Assistant,
                    ..
                } = &e.item
                    && let Some(id) = e.item.id()
                    && self.item_of(&e.response_id).is_none()
                {
                    self.remember(AudioItem {
                        response_id: e.response_id.clone(),
                        item_id: id.to_owned(),
                        output_index: e.output_index,
                        content_index: 0,
                        confirmed: false,
                    });
                }
            }
            // The first audio part of a response names its audio item for certain.
            ServerEvent::ContentPartAdded(e)
                if matches!(
                    e.part,
                    ContentPart::OutputAudio { .. } | ContentPart::Audio { .. }
                ) && self.item_of(&e.response_id).is_none_or(|i| !i.confirmed) =>
            {
                self.items.retain(|i| i.response_id != e.response_id);
                self.remember(AudioItem {
                    response_id: e.response_id.clone(),
                    item_id: e.item_id.clone(),
                    output_index: e.output_index,
                    content_index: e.content_index,
                    confirmed: true,
                });
            }
            ServerEvent::OutputAudioBufferStarted(e) => match self.item_of(&e.response_id).cloned() {
                Some(item) => {
                    let lead: Vec<_> = self.lead.drain(..).collect();
                    let deltas = lead.iter().map(|pcm| delta(&item, pcm)).collect();
                    self.playing = Some(Playing { item, tail: None });
                    return deltas;
                }
                None => tracing::warn!(
                    response_id = %e.response_id,
                    "audio started for a response with no assistant item; it is not played"
                ),
            },
            ServerEvent::OutputAudioBufferStopped(e) => {
                if let Some(playing) = &mut self.playing
                    && playing.item.response_id == e.response_id
                {
                    playing.tail = Some(TAIL_FRAMES);
                }
            }
            ServerEvent::OutputAudioBufferCleared(_) => {
                self.playing = None;
                self.lead.clear();
            }
            _ => {}
        }
        Vec::new()
    }

    /// One decoded frame of the server's track: the delta to deliver, if it is a response's.
    pub(super) fn on_audio(&mut self, pcm: &[i16]) -> Option<ServerEvent> {
        let silent = pcm.iter().all(|s| s.unsigned_abs() < SILENT_PEAK.unsigned_abs());
        let Some(playing) = &mut self.playing else {
            if silent {
                self.lead.clear();
            } else {
                self.lead.push_back(pcm.to_vec());
                while self.lead.len() > LEAD_FRAMES {
                    self.lead.pop_front();
                }
            }
            return None;
        };
        match &mut playing.tail {
            Some(0) => {
                self.playing = None;
                return None;
            }
            Some(_) if silent => {
                self.playing = None;
                return None;
            }
            Some(left) => *left -= 1,
            None => {}
        }
        Some(delta(&playing.item, pcm))
    }

    /// The client stopped playing `item_id` (a barge-in): the rest of its audio is dropped.
    /// True when the server was still playing it, so it must be told to stop.
    pub(super) fn cut(&mut self, item_id: &str) -> bool {
        let playing = self.playing.as_ref().is_some_and(|p| p.item.item_id == item_id);
        if playing {
            self.playing = None;
            self.lead.clear();
        }
        playing
    }

    fn item_of(&self, response_id: &str) -> Option<&AudioItem> {
        self.items.iter().find(|i| i.response_id == response_id)
    }

    fn remember(&mut self, item: AudioItem) {
        self.items.push_back(item);
        while self.items.len() > REMEMBERED {
            self.items.pop_front();
        }
    }
}

fn delta(item: &AudioItem, pcm: &[i16]) -> ServerEvent {
    let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
    ServerEvent::OutputAudioDelta(Delta {
        event_id: String::new(),
        response_id: item.response_id.clone(),
        item_id: item.item_id.clone(),
        output_index: item.output_index,
        content_index: item.content_index,
        delta: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn event(json: serde_json::Value) -> ServerEvent {
        ServerEvent::parse(&json.to_string()).unwrap()
    }

    fn speech() -> Vec<i16> {
        (0..FRAME_SAMPLES).map(|i| ((i % 48) as i16 - 24) * 400).collect()
    }

    fn silence() -> Vec<i16> {
        vec![0; FRAME_SAMPLES]
    }

    fn answer_started(playout: &mut Playout) -> Vec<ServerEvent> {
        playout.on_event(&event(
            serde_json::json!({"type":"response.output_item.added","response_id":"resp_1",
            "output_index":0,"item":{"id":"item_1","type":"message","role":"assistant","content":[]}}),
        ));
        playout.on_event(&event(serde_json::json!({"type":"response.content_part.added","response_id":"resp_1",
            "item_id":"item_1","output_index":0,"content_index":0,"part":{"type":"output_audio","transcript":""}})));
        playout.on_event(&event(
            serde_json::json!({"type":"output_audio_buffer.started","response_id":"resp_1"}),
        ))
    }

    fn delta_of(event: Option<ServerEvent>) -> Delta {
        match event {
            Some(ServerEvent::OutputAudioDelta(d)) => d,
            other => panic!("not a delta: {other:?}"),
        }
    }

    #[test]
    fn only_a_playing_responses_sound_becomes_its_audio() {
        let mut playout = Playout::default();
        assert!(
            playout.on_audio(&silence()).is_none(),
            "silence between responses"
        );
        assert!(answer_started(&mut playout).is_empty());
        let d = delta_of(playout.on_audio(&speech()));
        assert_eq!((d.response_id.as_str(), d.item_id.as_str()), ("resp_1", "item_1"));
        let pcm = base64::engine::general_purpose::STANDARD.decode(d.delta).unwrap();
        assert_eq!(pcm.len(), FRAME_SAMPLES * 2);
    }

    #[test]
    fn the_tail_after_stopped_is_kept_until_silence() {
        let mut playout = Playout::default();
        answer_started(&mut playout);
        playout.on_event(&event(
            serde_json::json!({"type":"output_audio_buffer.stopped","response_id":"resp_1"}),
        ));
        assert!(playout.on_audio(&speech()).is_some(), "the last frame, read late");
        assert!(playout.on_audio(&silence()).is_none());
        assert!(playout.on_audio(&speech()).is_none(), "over: the next response's");
    }

    #[test]
    fn sound_just_before_started_is_not_lost() {
        let mut playout = Playout::default();
        assert!(playout.on_audio(&speech()).is_none());
        let early = answer_started(&mut playout);
        assert_eq!(early.len(), 1);
    }

    #[test]
    fn a_cut_item_is_heard_no_more_and_the_server_is_told_once() {
        let mut playout = Playout::default();
        answer_started(&mut playout);
        assert!(playout.cut("item_1"));
        assert!(playout.on_audio(&speech()).is_none());
        assert!(!playout.cut("item_1"));
    }
}
