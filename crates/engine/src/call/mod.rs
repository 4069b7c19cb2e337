//! WebRTC calls, as the service takes them: the client's SDP offer to `POST /v1/realtime/calls`,
//! the engine's answer back, and then the same session as over a WebSocket, its events on the
//! `oai-events` data channel the client opened.
//!
//! The caller's audio track is decoded into the session's input and Donna's voice is played
//! back on the engine's own track (its `media` module); audio never travels as events on a call.
//!
//! ICE uses host candidates only (loopback and the machine's own addresses): a kiosk and its
//! gateway share a network, so no STUN or TURN server is needed, and none is reachable offline.
//! The answer is sent once candidate gathering is complete, so the client needs no trickle ICE.

mod media;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use donna_realtime::protocol::{ServerEvent, SessionConfig};
use donna_realtime::transport::webrtc::{EVENTS_CHANNEL, host_api, opus_track};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::{CancellationToken, DropGuard};
use webrtc::data_channel::RTCDataChannel;
use webrtc::data_channel::data_channel_message::DataChannelMessage;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::RTPCodecType;
use webrtc::track::track_local::TrackLocal;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;
use webrtc::track::track_remote::TrackRemote;

use crate::Engine;
use crate::connection::{Incoming, Pipe, PipeClosed};
use crate::error::EngineError;
use crate::ids::new_id;

/// How long after the answer a client has to connect and open [`EVENTS_CHANNEL`]; a call that
/// never does (ICE that never connects) is hung up, not left holding a session slot.
const CONNECT_WITHIN: Duration = Duration::from_secs(20);
/// Gathering host candidates takes milliseconds; this only bounds a broken network stack.
const GATHER_WITHIN: Duration = Duration::from_secs(5);
/// Client events waiting for the session loop; beyond this the data channel waits for it.
const QUEUED_EVENTS: usize = 256;

/// A call the engine answered.
#[derive(Debug)]
pub struct Answered {
    /// `rtc_...`, the last segment of the `Location` the service returns.
    pub call_id: String,
    /// The answer SDP, with every host candidate in it.
    pub sdp: String,
}

/// Answer `offer` and serve the call's session in the background once the client connects.
pub async fn answer(engine: Engine, offer: String, session: SessionConfig) -> Result<Answered, EngineError> {
    if !offer.lines().any(|line| line.starts_with("m=application")) {
        return Err(EngineError::Offer(format!(
            "it has no data channel: create the \"{EVENTS_CHANNEL}\" channel before createOffer()"
        )));
    }
    let has_audio = offer.lines().any(|line| line.starts_with("m=audio"));
    let offer = RTCSessionDescription::offer(offer).map_err(|e| EngineError::Offer(e.to_string()))?;
    let pc = Arc::new(peer_connection().await?);
    let (events, incoming) = mpsc::channel(QUEUED_EVENTS);
    let opened = watch_for_events_channel(&pc, events.clone());
    listen_to_caller(&pc, events.clone());
    watch_connection(&pc, events);

    // Donna's voice answers on the caller's audio section, if the offer has one.
    let voice = if has_audio {
        match add_voice(&pc).await {
            Ok(track) => Some(track),
            Err(e) => {
                let _ = pc.close().await;
                return Err(e);
            }
        }
    } else {
        None
    };
    if let Err(e) = pc.set_remote_description(offer).await {
        let _ = pc.close().await;
        return Err(EngineError::Offer(e.to_string()));
    }
    let sdp = match local_answer(&pc).await {
        Ok(sdp) => sdp,
        Err(e) => {
            let _ = pc.close().await;
            return Err(e);
        }
    };
    let call_id = new_id("rtc");
    let id = call_id.clone();
    engine.calls().add(&call_id, pc.clone());
    let calls = engine.clone();
    tokio::spawn(async move {
        match tokio::time::timeout(CONNECT_WITHIN, opened).await {
            Ok(Ok(channel)) => {
                tracing::debug!(call = %id, "call connected");
                let stop = CancellationToken::new();
                let playback = voice.and_then(|track| {
                    media::Playback::start(track, channel.clone(), stop.clone())
                        .inspect_err(
                            |e| tracing::warn!(call = %id, error = %e, "no Opus encoder: Donna is not heard"),
                        )
                        .ok()
                });
                let pipe = CallPipe {
                    incoming,
                    channel,
                    pc: pc.clone(),
                    playback,
                    _stop: stop.drop_guard(),
                };
                crate::connection::serve(engine, pipe, session, false).await;
            }
            _ => tracing::info!(call = %id, "call never opened its events channel; hung up"),
        }
        calls.calls().remove(&id);
        let _ = pc.close().await;
    });
    Ok(Answered { call_id, sdp })
}

/// The calls in progress, by id, so that one can be hung up from outside it
/// (`POST /v1/realtime/calls/{call_id}/hangup`).
#[derive(Default)]
pub struct Calls(Mutex<HashMap<String, Arc<RTCPeerConnection>>>);

impl std::fmt::Debug for Calls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Calls")
            .field("in_progress", &self.lock().len())
            .finish()
    }
}

impl Calls {
    fn add(&self, id: &str, pc: Arc<RTCPeerConnection>) {
        self.lock().insert(id.to_owned(), pc);
    }

    fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// End call `id` as if its caller had hung up: its session ends with it. False when no
    /// such call is in progress.
    pub async fn hang_up(&self, id: &str) -> bool {
        let pc = self.lock().remove(id);
        match pc {
            Some(pc) => {
                tracing::info!(call = %id, "call hung up");
                let _ = pc.close().await;
                true
            }
            None => false,
        }
    }

    /// The map is only inserted into and removed from, so a poisoned lock is still sound.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<RTCPeerConnection>>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A peer connection with Opus and the usual interceptors, gathering host candidates
/// (loopback included, for a kiosk whose gateway is the same machine).
async fn peer_connection() -> Result<RTCPeerConnection, EngineError> {
    Ok(host_api()?
        .new_peer_connection(RTCConfiguration::default())
        .await?)
}

/// The engine's outbound audio track, Opus as every browser and the service send it.
async fn add_voice(pc: &RTCPeerConnection) -> Result<Arc<TrackLocalStaticSample>, EngineError> {
    let track = opus_track("audio", "donna");
    // Added before the offer is set, the track's transceiver is the one the offer's audio
    // section is matched to, and the answer says sendrecv.
    let sender = pc
        .add_track(Arc::clone(&track) as Arc<dyn TrackLocal + Send + Sync>)
        .await?;
    // The caller's RTCP reports must be read for the interceptors (NACK, reports) to work.
    tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        while sender.read(&mut buf).await.is_ok() {}
    });
    Ok(track)
}

/// Each audio track the caller sends is heard by the session.
fn listen_to_caller(pc: &RTCPeerConnection, events: mpsc::Sender<Incoming>) {
    pc.on_track(Box::new(move |track: Arc<TrackRemote>, _, _| {
        if track.kind() == RTPCodecType::Audio {
            tokio::spawn(media::hear(track, events.clone()));
        }
        Box::pin(async {})
    }));
}

/// The answer, once candidate gathering is over.
async fn local_answer(pc: &RTCPeerConnection) -> Result<String, EngineError> {
    let answer = pc.create_answer(None).await?;
    let mut gathered = pc.gathering_complete_promise().await;
    pc.set_local_description(answer).await?;
    let _ = tokio::time::timeout(GATHER_WITHIN, gathered.recv()).await;
    pc.local_description()
        .await
        .map(|d| d.sdp)
        .ok_or_else(|| EngineError::Offer("no local description after gathering".to_owned()))
}

/// The events channel, once the client has opened it; its messages go to `events`. Channels
/// with other labels are left alone.
fn watch_for_events_channel(
    pc: &RTCPeerConnection,
    events: mpsc::Sender<Incoming>,
) -> oneshot::Receiver<Arc<RTCDataChannel>> {
    let (tell, opened) = oneshot::channel();
    let tell = Arc::new(std::sync::Mutex::new(Some(tell)));
    pc.on_data_channel(Box::new(move |channel: Arc<RTCDataChannel>| {
        let events = events.clone();
        let tell = tell.clone();
        Box::pin(async move {
            if channel.label() != EVENTS_CHANNEL {
                tracing::debug!(label = channel.label(), "ignoring a data channel");
                return;
            }
            let on_message = events.clone();
            channel.on_message(Box::new(move |message: DataChannelMessage| {
                let events = on_message.clone();
                Box::pin(async move {
                    let incoming = if message.is_string {
                        match String::from_utf8(message.data.to_vec()) {
                            Ok(text) => Incoming::Event(text),
                            Err(_) => Incoming::NotText,
                        }
                    } else {
                        Incoming::NotText
                    };
                    let _ = events.send(incoming).await;
                })
            }));
            channel.on_close(Box::new(move || {
                let events = events.clone();
                Box::pin(async move {
                    let _ = events.send(Incoming::Closed).await;
                })
            }));
            let open = channel.clone();
            channel.on_open(Box::new(move || {
                Box::pin(async move {
                    let sender = tell.lock().ok().and_then(|mut slot| slot.take());
                    if let Some(sender) = sender {
                        let _ = sender.send(open);
                    }
                })
            }));
        })
    }));
    opened
}

/// A connection that fails or closes ends the session.
fn watch_connection(pc: &RTCPeerConnection, events: mpsc::Sender<Incoming>) {
    pc.on_peer_connection_state_change(Box::new(move |state: RTCPeerConnectionState| {
        let events = events.clone();
        Box::pin(async move {
            if matches!(
                state,
                RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed
            ) {
                tracing::debug!(?state, "call ended");
                let _ = events.try_send(Incoming::Closed);
            }
        })
    }));
}

/// A call's session transport: events in from the data channel's handlers, out on the channel.
struct CallPipe {
    incoming: mpsc::Receiver<Incoming>,
    channel: Arc<RTCDataChannel>,
    pc: Arc<RTCPeerConnection>,
    /// Donna's voice, when the caller offered audio.
    playback: Option<media::Playback>,
    /// Ends the playback task with the session.
    _stop: DropGuard,
}

impl Pipe for CallPipe {
    async fn recv(&mut self) -> Incoming {
        self.incoming.recv().await.unwrap_or(Incoming::Closed)
    }

    async fn send(&mut self, event: ServerEvent) -> Result<(), PipeClosed> {
        match (&event, &self.playback) {
            // On a call, audio goes out on the media track, never as deltas on the channel.
            (ServerEvent::OutputAudioDelta(delta), playback) => {
                if let Some(playback) = playback
                    && let Ok(pcm) = base64::engine::general_purpose::STANDARD.decode(&delta.delta)
                {
                    let samples = pcm.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]]));
                    playback.queue(&delta.response_id, &delta.item_id, samples);
                }
                return Ok(());
            }
            (ServerEvent::ResponseDone(done), Some(playback)) => playback.response_done(&done.response.id),
            _ => {}
        }
        self.channel
            .send_text(event.to_json())
            .await
            .map(|_| ())
            .map_err(|_| PipeClosed)
    }

    async fn close(&mut self, _code: u16, reason: &str) {
        tracing::debug!(reason, "hanging up a call");
        let _ = self.pc.close().await;
    }

    fn carries_media(&self) -> bool {
        self.playback.is_some()
    }

    async fn cut_playback(&mut self) -> Option<(String, u64)> {
        match &self.playback {
            Some(playback) => playback.cut().await,
            None => None,
        }
    }
}
