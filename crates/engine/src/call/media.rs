//! A call's audio: the caller's Opus decoded into the session's input, and Donna's voice encoded
//! to Opus and played out in real time, as the service plays it.
//!
//! The session produces a response's audio faster than it is spoken, so on a call the server
//! holds the unplayed audio (the client's buffer, on a WebSocket). [`Playback`] is that buffer:
//! it says when a response's audio starts and stops playing (`output_audio_buffer.started`,
//! `.stopped`), and when it is cut short (`.cleared`) it knows exactly how much was heard.
//!
//! Both directions run at 24 kHz, the protocol's rate: Opus encodes and decodes it natively,
//! so no resampling happens on a call (the RTP clock stays Opus's 48 kHz, per RFC 7587).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use donna_realtime::protocol::ServerEvent;
use donna_realtime::protocol::server::OutputAudioBuffer;
use donna_realtime::transport::webrtc::media::{
    FRAME, FRAME_SAMPLES, MAX_PACKET, RATE, TrackDecoder, encoder as speech_encoder,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use webrtc::data_channel::RTCDataChannel;
use webrtc::media::Sample;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;
use webrtc::track::track_remote::TrackRemote;

use crate::connection::Incoming;
use crate::ids::new_id;

/// The caller's microphone, decoded into the session's input until the track ends.
pub(super) async fn hear(track: Arc<TrackRemote>, session: mpsc::Sender<Incoming>) {
    let mut decoder = match TrackDecoder::new(track) {
        Ok(decoder) => decoder,
        Err(e) => {
            tracing::warn!(error = %e, "no Opus decoder: the caller's audio is not heard");
            return;
        }
    };
    while let Some(pcm) = decoder.next().await {
        if session.send(Incoming::Audio(pcm.to_vec())).await.is_err() {
            return;
        }
    }
}

/// A run of one item's audio waiting to be played.
struct Run {
    response_id: String,
    item_id: String,
    samples: VecDeque<i16>,
}

/// The response whose audio is playing, and how much of its item has been heard.
struct Playing {
    response_id: String,
    item_id: String,
    heard: u64,
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<Run>,
    playing: Option<Playing>,
    /// Responses the session has finished: when their audio has all been played, the
    /// buffer reports `stopped`.
    done: Vec<String>,
}

/// Donna's side of the call's audio, shared by the session's transport (which fills and cuts
/// it) and the task that plays it.
#[derive(Clone)]
pub(super) struct Playback {
    queue: Arc<Mutex<Queue>>,
    events: Arc<RTCDataChannel>,
}

impl Playback {
    /// Start playing onto `track`, silence between responses (a steady stream keeps the
    /// caller's jitter buffer settled), until `stop`.
    pub(super) fn start(
        track: Arc<TrackLocalStaticSample>,
        events: Arc<RTCDataChannel>,
        stop: CancellationToken,
    ) -> Result<Self, opus::Error> {
        let mut encoder = speech_encoder()?;
        let playback = Self {
            queue: Arc::default(),
            events,
        };
        let player = playback.clone();
        tokio::spawn(async move {
            let mut clock = tokio::time::interval(FRAME);
            let mut packet = vec![0u8; MAX_PACKET];
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = clock.tick() => {}
                }
                let (frame, news) = player.next_frame();
                // A response's start is told before its first frame, its end after its last:
                // a client reading both knows which frames are the response's.
                let (before, after): (Vec<_>, Vec<_>) = news
                    .into_iter()
                    .partition(|e| matches!(e, ServerEvent::OutputAudioBufferStarted(_)));
                for event in before {
                    player.tell(event).await;
                }
                let size = match encoder.encode(&frame, &mut packet) {
                    Ok(size) => size,
                    Err(e) => {
                        tracing::warn!(error = %e, "Opus could not encode Donna's voice; the call's audio stops");
                        return;
                    }
                };
                let sample = Sample {
                    data: bytes::Bytes::copy_from_slice(&packet[..size]),
                    duration: FRAME,
                    ..Sample::default()
                };
                if let Err(e) = track.write_sample(&sample).await {
                    tracing::debug!(error = %e, "the call's audio track is closed");
                    return;
                }
                for event in after {
                    player.tell(event).await;
                }
            }
        });
        Ok(playback)
    }

    /// Queue a delta of `item_id`'s audio.
    pub(super) fn queue(&self, response_id: &str, item_id: &str, samples: impl Iterator<Item = i16>) {
        let mut queue = self.lock();
        match queue.pending.back_mut() {
            Some(run) if run.item_id == item_id => run.samples.extend(samples),
            _ => queue.pending.push_back(Run {
                response_id: response_id.to_owned(),
                item_id: item_id.to_owned(),
                samples: samples.collect(),
            }),
        }
    }

    /// The session finished `response_id`: once its audio has played, the buffer stops.
    pub(super) fn response_done(&self, response_id: &str) {
        let mut queue = self.lock();
        let has_audio = queue
            .playing
            .as_ref()
            .is_some_and(|p| p.response_id == response_id)
            || queue.pending.iter().any(|run| run.response_id == response_id);
        if has_audio {
            queue.done.push(response_id.to_owned());
        }
    }

    /// Stop at once: the item that was playing and the milliseconds of it that were heard,
    /// after telling the client the buffer was cleared. `None` when nothing was playing.
    pub(super) async fn cut(&self) -> Option<(String, u64)> {
        let cut = {
            let mut queue = self.lock();
            let cut = match queue.playing.take() {
                Some(playing) => Some((playing.response_id, playing.item_id, playing.heard)),
                None => queue
                    .pending
                    .front()
                    .map(|run| (run.response_id.clone(), run.item_id.clone(), 0)),
            };
            queue.pending.clear();
            queue.done.clear();
            cut
        };
        let (response_id, item_id, heard) = cut?;
        self.tell(ServerEvent::OutputAudioBufferCleared(buffer_event(&response_id)))
            .await;
        Some((item_id, heard * 1000 / u64::from(RATE)))
    }

    /// The next 20 ms to play, and what the client must hear of it.
    fn next_frame(&self) -> (Vec<i16>, Vec<ServerEvent>) {
        let mut queue = self.lock();
        let mut frame = Vec::with_capacity(FRAME_SAMPLES);
        let mut news = Vec::new();
        while frame.len() < FRAME_SAMPLES {
            let Some(run) = queue.pending.front_mut() else {
                break;
            };
            let wanted = FRAME_SAMPLES - frame.len();
            let taken = wanted.min(run.samples.len());
            frame.extend(run.samples.drain(..taken));
            let (response_id, item_id) = (run.response_id.clone(), run.item_id.clone());
            let emptied = run.samples.is_empty();
            if emptied {
                queue.pending.pop_front();
            }
            let same_response = queue.playing.as_ref().map(|p| p.response_id == response_id);
            match (same_response, queue.playing.as_mut()) {
                (Some(true), Some(playing)) if playing.item_id == item_id => playing.heard += taken as u64,
                (Some(true), Some(playing)) => {
                    playing.item_id = item_id;
                    playing.heard = taken as u64;
                }
                _ => {
                    // A new response: the one before it has played to its end.
                    if let Some(previous) = queue.playing.take() {
                        queue.done.retain(|id| *id != previous.response_id);
                        news.push(ServerEvent::OutputAudioBufferStopped(buffer_event(
                            &previous.response_id,
                        )));
                    }
                    news.push(ServerEvent::OutputAudioBufferStarted(buffer_event(&response_id)));
                    queue.playing = Some(Playing {
                        response_id,
                        item_id,
                        heard: taken as u64,
                    });
                }
            }
            if !emptied {
                break;
            }
        }
        // Played out: a finished response's buffer stops; one still being made waits for more.
        let finished = queue.pending.is_empty()
            && queue
                .playing
                .as_ref()
                .is_some_and(|p| queue.done.contains(&p.response_id));
        if finished && let Some(playing) = queue.playing.take() {
            queue.done.retain(|id| *id != playing.response_id);
            news.push(ServerEvent::OutputAudioBufferStopped(buffer_event(
                &playing.response_id,
            )));
        }
        frame.resize(FRAME_SAMPLES, 0);
        (frame, news)
    }

    async fn tell(&self, event: ServerEvent) {
        if let Err(e) = self.events.send_text(event.to_json()).await {
            tracing::debug!(error = %e, "the call's events channel is closed");
        }
    }

    /// The queue is plain data and never left half-changed, so a poisoned lock is still sound.
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn buffer_event(response_id: &str) -> OutputAudioBuffer {
    OutputAudioBuffer {
        event_id: new_id("event"),
        response_id: response_id.to_owned(),
    }
}
