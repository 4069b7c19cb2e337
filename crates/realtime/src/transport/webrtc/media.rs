//! A call's audio on the client's side.
//!
//! On a call the protocol's audio leaves the events: the microphone goes out on an Opus track
//! and Donna's voice comes back on the server's track. The rest of the client speaks in
//! events, so this module translates at the edge:
//!
//! - `Mic`: the PCM16 of each `input_audio_buffer.append` is cut into 20 ms frames and sent
//!   as Opus;
//! - `Playout`: Donna's track is decoded and, while the server says a response's audio is
//!   playing (`output_audio_buffer.started` to `.stopped`), handed on as that response's
//!   `response.output_audio.delta`s, so the speaker and barge-in work exactly as on a
//!   WebSocket: what the speaker played of an item is what a truncation reports.
//!
//! A response's `response.done` comes long before its audio has played out on a call (the
//! server paces it in real time); on a WebSocket it comes after the last delta. `Playout`
//! holds it back until the response's audio has stopped, so the client's session sees a call
//! as it sees a socket: Donna is speaking until she has finished, and a turn is answered when
//! it has been heard.
//!
//! Between responses the server's track carries silence (or nothing); it is never played.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use webrtc::media::Sample;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;
use webrtc::track::track_remote::TrackRemote;

use crate::RealtimeError;
use crate::protocol::ServerEvent;
use crate::protocol::item::{ContentPart, Item, Role};
use crate::protocol::response::ResponseStatus;
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
/// A held `response.done` whose audio has not started within this is let go (a response whose
/// audio never plays must still end).
const START_WITHIN: Duration = Duration::from_secs(2);
/// A held `response.done` is let go when its audio has been silent this long (a server that
/// never says the audio stopped).
const STALL_WITHIN: Duration = Duration::from_millis(500);

/// The assistant item a response's audio belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AudioItem {
    response_id: String,
    item_id: String,
    output_index: u32,
    content_index: u32,
    /// Its audio part was seen (rather than guessed from the item).
    confirmed: bool,
    /// Its audio has played to its end or was cut.
    finished: bool,
}

#[derive(Debug)]
struct Playing {
    item: AudioItem,
    /// Frames of grace left once the server said the audio stopped.
    tail: Option<u8>,
}

/// A `response.done` waiting for its response's audio to play out.
#[derive(Debug)]
struct Held {
    response_id: String,
    done: ServerEvent,
    since: Instant,
}

/// Which response's audio the server's track is carrying; see the module docs.
#[derive(Debug, Default)]
pub(super) struct Playout {
    items: VecDeque<AudioItem>,
    playing: Option<Playing>,
    lead: VecDeque<Vec<i16>>,
    held: Option<Held>,
    /// When the playing response's last frame arrived.
    last_audio: Option<Instant>,
}

impl Playout {
    /// Learn from an event of the events channel; returns what to deliver for it, in order:
    /// the event itself (unless it is a `response.done` held for its audio), then any audio
    /// that arrived just before the server said it started, or a `response.done` its audio
    /// has now ended.
    pub(super) fn on_event(&mut self, event: ServerEvent) -> Vec<ServerEvent> {
        let mut out = Vec::new();
        match &event {
            ServerEvent::ResponseDone(e)
                if e.response.status == ResponseStatus::Completed
                    && self
                        .item_of(&e.response.id)
                        .is_some_and(|i| i.confirmed && !i.finished) =>
            {
                let released = self.held.take().map(|h| h.done);
                self.held = Some(Held {
                    response_id: e.response.id.clone(),
                    done: event,
                    since: Instant::now(),
                });
                return released.into_iter().collect();
            }
            _ => {}
        }
        let mut after = Vec::new();
        match &event {
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
                        finished: false,
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
                    finished: false,
                });
            }
            ServerEvent::OutputAudioBufferStarted(e) => match self.item_of(&e.response_id).cloned() {
                Some(item) => {
                    let lead: Vec<_> = self.lead.drain(..).collect();
                    after.extend(lead.iter().map(|pcm| delta(&item, pcm)));
                    self.last_audio = Some(Instant::now());
                    self.playing = Some(Playing { item, tail: None });
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
            ServerEvent::OutputAudioBufferCleared(e) => {
                self.lead.clear();
                let response_id = e.response_id.clone();
                self.finish(&response_id, &mut after);
            }
            _ => {}
        }
        out.push(event);
        out.extend(after);
        out
    }

    /// `response_id`'s audio is over: nothing more of it is played, and its held
    /// `response.done` goes out.
    fn finish(&mut self, response_id: &str, out: &mut Vec<ServerEvent>) {
        if self
            .playing
            .as_ref()
            .is_some_and(|p| p.item.response_id == response_id)
        {
            self.playing = None;
        }
        if let Some(item) = self.items.iter_mut().find(|i| i.response_id == response_id) {
            item.finished = true;
        }
        if self.held.as_ref().is_some_and(|h| h.response_id == response_id)
            && let Some(held) = self.held.take()
        {
            out.push(held.done);
        }
    }

    /// When a held `response.done` is due to be let go though its audio has not ended.
    pub(super) fn held_until(&self) -> Option<Instant> {
        let held = self.held.as_ref()?;
        let playing = self
            .playing
            .as_ref()
            .is_some_and(|p| p.item.response_id == held.response_id);
        Some(match (playing, self.last_audio) {
            (true, Some(last)) => last + STALL_WITHIN,
            _ => held.since + START_WITHIN,
        })
    }

    /// The held `response.done`, if it is overdue ([`Self::held_until`]).
    pub(super) fn overdue(&mut self) -> Option<ServerEvent> {
        if self.held_until()? > Instant::now() {
            return None;
        }
        let held = self.held.take()?;
        tracing::debug!(response_id = %held.response_id, "the response's audio did not end in time; it is over");
        let mut out = Vec::new();
        self.finish(&held.response_id, &mut out);
        Some(held.done)
    }

    /// One decoded frame of the server's track: what to deliver for it (the playing response's
    /// delta; or, when its audio has ended, its held `response.done`).
    pub(super) fn on_audio(&mut self, pcm: &[i16]) -> Vec<ServerEvent> {
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
            return Vec::new();
        };
        let ended = match &mut playing.tail {
            Some(0) => true,
            Some(_) if silent => true,
            Some(left) => {
                *left -= 1;
                false
            }
            None => false,
        };
        if ended {
            let response_id = playing.item.response_id.clone();
            let mut out = Vec::new();
            self.finish(&response_id, &mut out);
            return out;
        }
        self.last_audio = Some(Instant::now());
        vec![delta(&playing.item, pcm)]
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
        playout.on_event(event(
            serde_json::json!({"type":"response.output_item.added","response_id":"resp_1",
            "output_index":0,"item":{"id":"item_1","type":"message","role":"assistant","content":[]}}),
        ));
        playout.on_event(event(serde_json::json!({"type":"response.content_part.added","response_id":"resp_1",
            "item_id":"item_1","output_index":0,"content_index":0,"part":{"type":"output_audio","transcript":""}})));
        playout.on_event(event(
            serde_json::json!({"type":"output_audio_buffer.started","response_id":"resp_1"}),
        ))
    }

    fn done() -> ServerEvent {
        event(
            serde_json::json!({"type":"response.done","response":{"id":"resp_1","object":"realtime.response",
            "status":"completed","output":[]}}),
        )
    }

    fn kinds(events: &[ServerEvent]) -> Vec<&str> {
        events.iter().map(ServerEvent::kind).collect()
    }

    fn delta_of(events: Vec<ServerEvent>) -> Delta {
        match events.into_iter().next() {
            Some(ServerEvent::OutputAudioDelta(d)) => d,
            other => panic!("not a delta: {other:?}"),
        }
    }

    #[test]
    fn only_a_playing_responses_sound_becomes_its_audio() {
        let mut playout = Playout::default();
        assert!(
            playout.on_audio(&silence()).is_empty(),
            "silence between responses"
        );
        assert_eq!(
            kinds(&answer_started(&mut playout)),
            ["output_audio_buffer.started"]
        );
        let d = delta_of(playout.on_audio(&speech()));
        assert_eq!((d.response_id.as_str(), d.item_id.as_str()), ("resp_1", "item_1"));
        let pcm = base64::engine::general_purpose::STANDARD.decode(d.delta).unwrap();
        assert_eq!(pcm.len(), FRAME_SAMPLES * 2);
    }

    #[test]
    fn the_tail_after_stopped_is_kept_until_silence() {
        let mut playout = Playout::default();
        answer_started(&mut playout);
        playout.on_event(event(
            serde_json::json!({"type":"output_audio_buffer.stopped","response_id":"resp_1"}),
        ));
        assert_eq!(playout.on_audio(&speech()).len(), 1, "the last frame, read late");
        assert!(playout.on_audio(&silence()).is_empty());
        assert!(
            playout.on_audio(&speech()).is_empty(),
            "over: the next response's"
        );
    }

    #[test]
    fn sound_just_before_started_is_not_lost() {
        let mut playout = Playout::default();
        assert!(playout.on_audio(&speech()).is_empty());
        let early = answer_started(&mut playout);
        assert_eq!(
            kinds(&early),
            ["output_audio_buffer.started", "response.output_audio.delta"]
        );
    }

    #[test]
    fn a_responses_done_waits_until_its_audio_has_played() {
        let mut playout = Playout::default();
        answer_started(&mut playout);
        assert!(playout.on_event(done()).is_empty(), "held while Donna speaks");
        assert!(playout.overdue().is_none(), "not overdue while audio arrives");
        assert_eq!(
            kinds(&playout.on_audio(&speech())),
            ["response.output_audio.delta"]
        );
        let stopped = playout.on_event(event(
            serde_json::json!({"type":"output_audio_buffer.stopped","response_id":"resp_1"}),
        ));
        assert_eq!(kinds(&stopped), ["output_audio_buffer.stopped"]);
        assert_eq!(kinds(&playout.on_audio(&silence())), ["response.done"]);
    }

    #[test]
    fn a_cut_answers_done_goes_out_with_the_cleared_buffer() {
        let mut playout = Playout::default();
        answer_started(&mut playout);
        playout.on_event(done());
        assert!(playout.cut("item_1"));
        assert!(playout.on_audio(&speech()).is_empty());
        assert!(!playout.cut("item_1"));
        let cleared = playout.on_event(event(
            serde_json::json!({"type":"output_audio_buffer.cleared","response_id":"resp_1"}),
        ));
        assert_eq!(kinds(&cleared), ["output_audio_buffer.cleared", "response.done"]);
    }

    #[test]
    fn a_done_whose_audio_never_starts_is_let_go() {
        let mut playout = Playout::default();
        answer_started(&mut playout);
        playout.on_event(event(
            serde_json::json!({"type":"output_audio_buffer.cleared","response_id":"resp_1"}),
        ));
        // A second response whose audio part is announced but never plays.
        playout.on_event(event(serde_json::json!({"type":"response.content_part.added","response_id":"resp_2",
            "item_id":"item_2","output_index":0,"content_index":0,"part":{"type":"output_audio","transcript":""}})));
        let done = event(
            serde_json::json!({"type":"response.done","response":{"id":"resp_2",
            "object":"realtime.response","status":"completed","output":[]}}),
        );
        assert!(playout.on_event(done).is_empty());
        let due = playout.held_until().unwrap();
        assert!(due > Instant::now() + START_WITHIN - Duration::from_millis(100));
        assert!(due <= Instant::now() + START_WITHIN);
    }
}
