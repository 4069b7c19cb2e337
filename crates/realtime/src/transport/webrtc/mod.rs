//! The WebRTC transport, as the service's own clients call it: an Opus microphone track and
//! the `oai-events` data channel in an offer, posted to `POST {base_url}/realtime/calls`, the
//! answer back, and then the protocol's events on the channel.
//!
//! To the rest of the client it is one more [`Transport`]: events out and in as on a
//! WebSocket, with the audio moved to the tracks at this edge ([`media`]):
//! `input_audio_buffer.append` becomes Opus on the microphone track, and the server's track
//! comes back as `response.output_audio.delta`s of the response that is playing. What the call
//! changes in the protocol is handled here too: the buffer is committed only after the last
//! of its audio has been sent, and a truncation (a barge-in) first tells the server to stop
//! playing (`output_audio_buffer.clear`), then says exactly how much the speaker played.
//!
//! ICE uses host candidates (loopback and the machine's addresses): a kiosk reaches its
//! gateway's engine on the same network, and the service's answer carries its own public
//! candidates. A call that does not connect within [`CONNECT_WITHIN`] is given up, so a
//! [`super::failover::Failover`] falls back to the WebSocket quickly.

pub mod media;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use tokio::sync::{mpsc, watch};
use webrtc::api::API;
use webrtc::api::APIBuilder;
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::{MIME_TYPE_OPUS, MediaEngine};
use webrtc::api::setting_engine::SettingEngine;
use webrtc::data_channel::RTCDataChannel;
use webrtc::data_channel::data_channel_message::DataChannelMessage;
use webrtc::interceptor::registry::Registry;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::peer_connection_state::RTCPeerConnectionState;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTPCodecType};
use webrtc::track::track_local::TrackLocal;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;
use webrtc::track::track_remote::TrackRemote;

use super::{CloseInfo, Connector, Incoming, Transport};
use crate::RealtimeError;
use crate::protocol::ServerEvent;
use crate::protocol::client::{Bare, ClientEvent};
use crate::transport::websocket::Credential;
use media::{Mic, Playout};

/// The data channel the protocol's events travel on.
pub const EVENTS_CHANNEL: &str = "oai-events";
/// How long a call may take from the answer to an open events channel. ICE, DTLS and SCTP take
/// tens of milliseconds on a LAN; a network that drops UDP never gets there, and the kiosk
/// should be on its WebSocket by then.
pub const CONNECT_WITHIN: Duration = Duration::from_secs(3);
/// Gathering host candidates takes milliseconds; this only bounds a broken network stack.
const GATHER_WITHIN: Duration = Duration::from_secs(2);
/// Longest wait for the service's answer to the offer.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// No word from the peer this long: the path is disconnected (it may come back).
const ICE_DISCONNECTED: Duration = Duration::from_secs(2);
/// No word this much longer: the call has failed and ends.
const ICE_FAILED: Duration = Duration::from_secs(4);
/// How often a quiet path is checked.
const ICE_KEEPALIVE: Duration = Duration::from_secs(1);
/// How long a commit follows the turn's last audio frame.
const COMMIT_AFTER: Duration = Duration::from_millis(40);
/// Events buffered between the channel and the client before the channel waits.
const INBOX: usize = 1024;

/// A WebRTC API that gathers host candidates only, loopback included (a kiosk whose engine is
/// the same machine), with Opus and the usual interceptors (NACK, reports).
pub fn host_api() -> Result<API, webrtc::Error> {
    // DTLS uses the process's default cryptography, which the features of the crates in one
    // build leave undecided (the WebRTC stack builds rustls with ring, the rest of Donna with
    // aws-lc-rs): decide it as the rest of Donna does (a second call changes nothing).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut media = MediaEngine::default();
    media.register_default_codecs()?;
    let registry = register_default_interceptors(Registry::new(), &mut media)?;
    let mut settings = SettingEngine::default();
    settings.set_include_loopback_candidate(true);
    // IPv6 link-local addresses need a scope the candidates cannot carry: binding them fails on
    // every call, and no peer could reach them.
    settings.set_ip_filter(Box::new(|ip: std::net::IpAddr| match ip {
        std::net::IpAddr::V6(v6) => !v6.is_unicast_link_local(),
        std::net::IpAddr::V4(_) => true,
    }));
    // A peer that vanished (a crashed engine, a pulled cable) is given up after 6 s of
    // silence, not the stack's default half minute: on one network a path does not come back
    // later, and the client reconnects, over the WebSocket if it must.
    settings.set_ice_timeouts(Some(ICE_DISCONNECTED), Some(ICE_FAILED), Some(ICE_KEEPALIVE));
    Ok(APIBuilder::new()
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .build())
}

/// An Opus audio track, as browsers and the service send it (48 kHz RTP clock, stereo
/// signalled, mono sent).
pub fn opus_track(id: &str, stream: &str) -> Arc<TrackLocalStaticSample> {
    Arc::new(TrackLocalStaticSample::new(
        RTCRtpCodecCapability {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: 48_000,
            channels: 2,
            ..RTCRtpCodecCapability::default()
        },
        id.to_owned(),
        stream.to_owned(),
    ))
}

/// Opens calls to one server with one credential.
#[derive(Debug, Clone)]
pub struct WebRtcConnector {
    calls_url: String,
    model: String,
    credential: Credential,
    http: reqwest::Client,
    connect_within: Duration,
}

impl WebRtcConnector {
    /// `base_url` as for the WebSocket (`https://api.openai.com/v1`, `http://127.0.0.1:8787/v1`;
    /// `ws(s)://` is read as `http(s)://`); calls go to `{base_url}/realtime/calls`.
    pub fn new(base_url: &str, model: &str, credential: Credential) -> Result<Self, RealtimeError> {
        let base = base_url.trim().trim_end_matches('/');
        let base = if let Some(rest) = base.strip_prefix("wss://") {
            format!("https://{rest}")
        } else if let Some(rest) = base.strip_prefix("ws://") {
            format!("http://{rest}")
        } else {
            base.to_owned()
        };
        let url = reqwest::Url::parse(&format!("{base}/realtime/calls"))
            .map_err(|_| RealtimeError::InvalidUrl(base_url.to_owned()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(RealtimeError::InvalidUrl(base_url.to_owned()));
        }
        let http = reqwest::Client::builder()
            .timeout(ANSWER_WITHIN)
            .build()
            .map_err(|e| RealtimeError::Tls(e.to_string()))?;
        Ok(Self {
            calls_url: url.to_string(),
            model: model.to_owned(),
            credential,
            http,
            connect_within: CONNECT_WITHIN,
        })
    }

    /// How long a call may take to connect once answered (default [`CONNECT_WITHIN`]).
    pub fn with_connect_timeout(mut self, within: Duration) -> Self {
        self.connect_within = within;
        self
    }

    /// Where offers are posted.
    pub fn url(&self) -> &str {
        &self.calls_url
    }

    /// Post the offer; the answer SDP, or the service's refusal, typed as the WebSocket's
    /// upgrade refusals are.
    async fn post_offer(&self, offer: String) -> Result<String, RealtimeError> {
        let request = self
            .http
            .post(&self.calls_url)
            .bearer_auth(self.credential.expose());
        // A client secret carries its session; a key names the model in the unified form.
        let request = if self.credential.expose().starts_with("ek_") {
            request
                .header(reqwest::header::CONTENT_TYPE, "application/sdp")
                .body(offer)
        } else {
            let session = serde_json::json!({"type": "realtime", "model": self.model}).to_string();
            let form = reqwest::multipart::Form::new()
                .part("sdp", text_part(offer, "application/sdp")?)
                .part("session", text_part(session, "application/json")?);
            request.multipart(form)
        };
        let response = request.send().await.map_err(|e| {
            RealtimeError::Connect(std::io::Error::other(format!(
                "posting the call's offer: {}",
                without_url(&e)
            )))
        })?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| {
            RealtimeError::Connect(std::io::Error::other(format!(
                "reading the call's answer: {}",
                without_url(&e)
            )))
        })?;
        match status {
            200 | 201 => Ok(body),
            401 => Err(RealtimeError::Unauthorized {
                status: Some(status),
                message: error_message(&body),
            }),
            403 => Err(RealtimeError::Forbidden {
                status,
                message: error_message(&body),
            }),
            _ => Err(RealtimeError::Http {
                status,
                message: error_message(&body),
            }),
        }
    }

    /// Offer, answer and connect; the call's events channel, microphone, playout and inbox.
    async fn dial(&self, pc: &Arc<RTCPeerConnection>) -> Result<Dialled, RealtimeError> {
        let mic = opus_track("microphone", "kiosk");
        let sender = pc
            .add_track(Arc::clone(&mic) as Arc<dyn TrackLocal + Send + Sync>)
            .await
            .map_err(stack)?;
        // The server's RTCP must be read for the interceptors to work.
        tokio::spawn(async move {
            let mut buf = vec![0u8; 1500];
            while sender.read(&mut buf).await.is_ok() {}
        });
        let (inbox_tx, inbox) = mpsc::channel(INBOX);
        let playout = Shared::default();
        listen_to_server(pc, playout.clone(), inbox_tx.clone());
        let channel = pc
            .create_data_channel(EVENTS_CHANNEL, None)
            .await
            .map_err(stack)?;
        let (open_tx, mut open) = watch::channel(Opening::Waiting);
        watch_events(&channel, playout.clone(), inbox_tx.clone(), open_tx.clone());
        watch_connection(pc, inbox_tx, open_tx);

        let offer = pc.create_offer(None).await.map_err(stack)?;
        let mut gathered = pc.gathering_complete_promise().await;
        pc.set_local_description(offer).await.map_err(stack)?;
        let _ = tokio::time::timeout(GATHER_WITHIN, gathered.recv()).await;
        let offer = pc
            .local_description()
            .await
            .ok_or_else(|| RealtimeError::WebRtc("no offer after gathering candidates".to_owned()))?
            .sdp;
        let answer = self.post_offer(offer).await?;
        let answer = RTCSessionDescription::answer(answer)
            .map_err(|e| RealtimeError::WebRtc(format!("the answer is not SDP: {e}")))?;
        pc.set_remote_description(answer)
            .await
            .map_err(|e| RealtimeError::WebRtc(format!("the answer cannot be used: {e}")))?;
        let opened = tokio::time::timeout(self.connect_within, open.wait_for(|o| *o != Opening::Waiting))
            .await
            .map(|state| state.map(|s| *s).unwrap_or(Opening::Failed));
        match opened {
            Ok(Opening::Open) => {}
            Ok(Opening::Failed) => {
                return Err(RealtimeError::WebRtc(
                    "the call's connection failed (ICE or DTLS)".to_owned(),
                ));
            }
            Ok(Opening::Waiting) | Err(_) => {
                return Err(RealtimeError::WebRtc(format!(
                    "the call did not connect within {} s (ICE found no path: UDP blocked?)",
                    self.connect_within.as_secs_f32()
                )));
            }
        }
        Ok((channel, Mic::new(mic)?, playout, inbox))
    }
}

impl Connector for WebRtcConnector {
    type Transport = WebRtcTransport;

    async fn connect(&self) -> Result<WebRtcTransport, RealtimeError> {
        let pc = Peer(Arc::new(
            host_api()
                .map_err(stack)?
                .new_peer_connection(RTCConfiguration::default())
                .await
                .map_err(stack)?,
        ));
        // A failed dial, or one given up midway (a failover's bound), closes the peer as the
        // guard is dropped.
        let (channel, mic, playout, inbox) = self.dial(&pc.0).await?;
        Ok(WebRtcTransport {
            pc,
            channel,
            mic,
            playout,
            inbox,
            closed: None,
        })
    }
}

/// A peer connection that is closed when dropped: its ICE agent and DTLS tasks outlive every
/// handle otherwise.
struct Peer(Arc<RTCPeerConnection>);

impl Drop for Peer {
    fn drop(&mut self) {
        let pc = self.0.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = pc.close().await;
            });
        }
    }
}

/// What a connected call is made of.
type Dialled = (Arc<RTCDataChannel>, Mic, Shared, mpsc::Receiver<Incoming>);

/// One call; see the module docs.
pub struct WebRtcTransport {
    pc: Peer,
    channel: Arc<RTCDataChannel>,
    mic: Mic,
    playout: Shared,
    inbox: mpsc::Receiver<Incoming>,
    closed: Option<CloseInfo>,
}

impl std::fmt::Debug for WebRtcTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcTransport")
            .field("channel", &self.channel.label())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Transport for WebRtcTransport {
    async fn send(&mut self, event: ClientEvent) -> Result<(), RealtimeError> {
        match &event {
            // On a call the microphone is the track: appends never reach the server.
            ClientEvent::InputAudioBufferAppend(append) => {
                let pcm = base64::engine::general_purpose::STANDARD
                    .decode(append.audio.as_bytes())
                    .map_err(|e| RealtimeError::WebRtc(format!("microphone audio is not base64: {e}")))?;
                return self.mic.send(&pcm).await;
            }
            ClientEvent::InputAudioBufferCommit(_) => {
                // The last packets travel on the media path, the commit on the channel, and
                // the server reads the two apart: give the packets a head start of two frames
                // so the turn is committed whole.
                let tail_sent = self.mic.flush().await?;
                if tail_sent {
                    tokio::time::sleep(COMMIT_AFTER).await;
                }
            }
            ClientEvent::InputAudioBufferClear(_) => self.mic.clear(),
            ClientEvent::ConversationItemTruncate(truncate) => {
                let still_playing = self.playout.lock().cut(&truncate.item_id);
                if still_playing {
                    send_on(
                        &self.channel,
                        &ClientEvent::OutputAudioBufferClear(Bare::default()),
                    )
                    .await?;
                }
            }
            _ => {}
        }
        send_on(&self.channel, &event).await
    }

    async fn recv(&mut self) -> Incoming {
        if let Some(closed) = &self.closed {
            return Incoming::Closed(closed.clone());
        }
        // A `response.done` held for its audio is let go when the audio cannot be waited for
        // any longer, even when nothing else arrives.
        let next = loop {
            let due = self.playout.lock().held_until();
            let overdue = async {
                match due {
                    Some(due) => tokio::time::sleep_until(due.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                next = self.inbox.recv() => {
                    break next.unwrap_or_else(|| Incoming::Closed(CloseInfo::abnormal("the call ended")));
                }
                () = overdue => {
                    if let Some(done) = self.playout.lock().overdue() {
                        break Incoming::Event(done);
                    }
                }
            }
        };
        if let Incoming::Closed(info) = &next {
            self.closed = Some(info.clone());
        }
        next
    }

    async fn close(self) {
        let _ = self.channel.close().await;
        let _ = self.pc.0.close().await;
    }
}

/// The playout state, shared by the channel's handler and the track's reader.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Playout>>);

impl Shared {
    /// The state is plain data and never left half-changed, so a poisoned lock is still sound.
    fn lock(&self) -> MutexGuard<'_, Playout> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    Waiting,
    Open,
    Failed,
}

/// The events channel: its messages (with any audio they release) go to the inbox; its
/// opening and closing are reported.
fn watch_events(
    channel: &RTCDataChannel,
    playout: Shared,
    inbox: mpsc::Sender<Incoming>,
    open: watch::Sender<Opening>,
) {
    let on_message = inbox.clone();
    channel.on_message(Box::new(move |message: DataChannelMessage| {
        let inbox = on_message.clone();
        let playout = playout.clone();
        Box::pin(async move {
            let text = match std::str::from_utf8(&message.data) {
                Ok(text) => text,
                Err(_) => {
                    tracing::warn!("skipping a binary message on the events channel");
                    return;
                }
            };
            let event = match ServerEvent::parse(text) {
                Ok(event) => event,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping an undecodable event");
                    return;
                }
            };
            let deliver = playout.lock().on_event(event);
            for event in deliver {
                let _ = inbox.send(Incoming::Event(event)).await;
            }
        })
    }));
    let opened = open.clone();
    channel.on_open(Box::new(move || {
        opened.send_replace(Opening::Open);
        Box::pin(async {})
    }));
    channel.on_close(Box::new(move || {
        let inbox = inbox.clone();
        open.send_replace(Opening::Failed);
        Box::pin(async move {
            let _ = inbox
                .send(Incoming::Closed(CloseInfo::abnormal("the events channel closed")))
                .await;
        })
    }));
}

/// A connection that fails or is closed ends the call.
fn watch_connection(pc: &RTCPeerConnection, inbox: mpsc::Sender<Incoming>, open: watch::Sender<Opening>) {
    pc.on_peer_connection_state_change(Box::new(move |state: RTCPeerConnectionState| {
        if matches!(
            state,
            RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed
        ) {
            open.send_replace(Opening::Failed);
            let _ = inbox.try_send(Incoming::Closed(CloseInfo::abnormal(format!(
                "the call's connection {state}"
            ))));
        }
        Box::pin(async {})
    }));
}

/// Donna's voice: the server's audio track, decoded, becomes the playing response's deltas.
/// A track that ends while the call is up ends the call (a voice session without a voice).
fn listen_to_server(pc: &RTCPeerConnection, playout: Shared, inbox: mpsc::Sender<Incoming>) {
    pc.on_track(Box::new(move |track: Arc<TrackRemote>, _, _| {
        if track.kind() == RTPCodecType::Audio {
            tokio::spawn(hear(track, playout.clone(), inbox.clone()));
        }
        Box::pin(async {})
    }));
}

async fn hear(track: Arc<TrackRemote>, playout: Shared, inbox: mpsc::Sender<Incoming>) {
    let mut decoder = match media::TrackDecoder::new(track) {
        Ok(decoder) => decoder,
        Err(e) => {
            tracing::error!(error = %e, "no Opus decoder: Donna cannot be heard on this call");
            return;
        }
    };
    while let Some(pcm) = decoder.next().await {
        let deliver = playout.lock().on_audio(pcm);
        for event in deliver {
            if inbox.send(Incoming::Event(event)).await.is_err() {
                return;
            }
        }
    }
    let _ = inbox
        .send(Incoming::Closed(CloseInfo::abnormal("Donna's audio track ended")))
        .await;
}

async fn send_on(channel: &RTCDataChannel, event: &ClientEvent) -> Result<(), RealtimeError> {
    channel
        .send_text(event.to_json())
        .await
        .map(|_| ())
        .map_err(|e| RealtimeError::WebRtc(format!("the events channel is closed: {e}")))
}

fn stack(e: webrtc::Error) -> RealtimeError {
    RealtimeError::WebRtc(e.to_string())
}

fn text_part(text: String, mime: &str) -> Result<reqwest::multipart::Part, RealtimeError> {
    reqwest::multipart::Part::text(text)
        .mime_str(mime)
        .map_err(|e| RealtimeError::WebRtc(e.to_string()))
}

/// The service's `{"error": {"message": …}}`, or the body itself, shortened.
fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// A request error without its URL (which is ours and adds nothing).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(&format!(" ({url})"), "");
    }
    text
}
