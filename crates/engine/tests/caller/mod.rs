//! The caller's side of a WebRTC call to the engine, as a browser sets one up: an audio
//! transceiver (or a microphone track) and the `oai-events` channel before `createOffer()`, the
//! offer posted to `/v1/realtime/calls`, Donna's track decoded as it arrives. Shared by the call
//! tests and the call bench.

#![allow(dead_code)] // each test binary and bench uses its own part

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use webrtc::api::APIBuilder;
use webrtc::api::interceptor_registry::register_default_interceptors;
use webrtc::api::media_engine::MediaEngine;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::data_channel::RTCDataChannel;
use webrtc::data_channel::data_channel_message::DataChannelMessage;
use webrtc::interceptor::registry::Registry;
use webrtc::media::Sample;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::peer_connection::sdp::session_description::RTCSessionDescription;
use webrtc::rtp_transceiver::rtp_codec::{RTCRtpCodecCapability, RTPCodecType};
use webrtc::track::track_local::TrackLocal;
use webrtc::track::track_local::track_local_static_sample::TrackLocalStaticSample;
use webrtc::track::track_remote::TrackRemote;

/// The caller's side: a peer connection with an audio transceiver and the events channel, as
/// a browser sets one up before `createOffer()`.
pub struct Caller {
    pub pc: Arc<RTCPeerConnection>,
    pub channel: Arc<RTCDataChannel>,
    events: mpsc::UnboundedReceiver<Value>,
    opened: mpsc::UnboundedReceiver<()>,
    /// Every sample of Donna's track, decoded from Opus at 24 kHz as it arrived.
    pub heard: Arc<std::sync::Mutex<Vec<i16>>>,
}

/// The caller's microphone: Opus frames on its own track.
pub struct Mic {
    track: Arc<TrackLocalStaticSample>,
    encoder: opus::Encoder,
}

impl Mic {
    /// Send `pcm` (24 kHz) as 20 ms Opus frames at the pace of speech.
    pub async fn say(&mut self, pcm: &[i16]) {
        let mut clock = tokio::time::interval(Duration::from_millis(20));
        let mut packet = vec![0u8; 4000];
        for frame in pcm.chunks(480) {
            let mut frame = frame.to_vec();
            frame.resize(480, 0);
            let size = self.encoder.encode(&frame, &mut packet).unwrap();
            clock.tick().await;
            let sample = Sample {
                data: bytes::Bytes::copy_from_slice(&packet[..size]),
                duration: Duration::from_millis(20),
                ..Sample::default()
            };
            self.track.write_sample(&sample).await.unwrap();
        }
    }
}

impl Caller {
    pub async fn new() -> (Self, String) {
        let (caller, _, offer) = Self::build(false).await;
        (caller, offer)
    }

    /// A caller with a microphone, as a browser after `getUserMedia`.
    pub async fn with_mic() -> (Self, Mic, String) {
        let (caller, mic, offer) = Self::build(true).await;
        (caller, mic.unwrap(), offer)
    }

    pub async fn build(with_mic: bool) -> (Self, Option<Mic>, String) {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut media = MediaEngine::default();
        media.register_default_codecs().unwrap();
        let registry = register_default_interceptors(Registry::new(), &mut media).unwrap();
        let mut settings = SettingEngine::default();
        settings.set_include_loopback_candidate(true);
        let api = APIBuilder::new()
            .with_media_engine(media)
            .with_interceptor_registry(registry)
            .with_setting_engine(settings)
            .build();
        let pc = Arc::new(
            api.new_peer_connection(RTCConfiguration::default())
                .await
                .unwrap(),
        );
        let mic = if with_mic {
            let track = Arc::new(TrackLocalStaticSample::new(
                RTCRtpCodecCapability {
                    mime_type: "audio/opus".to_owned(),
                    clock_rate: 48_000,
                    channels: 2,
                    ..RTCRtpCodecCapability::default()
                },
                "mic".to_owned(),
                "visitor".to_owned(),
            ));
            pc.add_track(Arc::clone(&track) as Arc<dyn TrackLocal + Send + Sync>)
                .await
                .unwrap();
            let encoder = opus::Encoder::new(24_000, opus::Channels::Mono, opus::Application::Voip).unwrap();
            Some(Mic { track, encoder })
        } else {
            pc.add_transceiver_from_kind(RTPCodecType::Audio, None)
                .await
                .unwrap();
            None
        };
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = heard.clone();
        pc.on_track(Box::new(move |track: Arc<TrackRemote>, _, _| {
            let into = into.clone();
            tokio::spawn(async move {
                let mut decoder = opus::Decoder::new(24_000, opus::Channels::Mono).unwrap();
                let mut pcm = vec![0i16; 2880];
                while let Ok((packet, _)) = track.read_rtp().await {
                    let n = decoder.decode(&packet.payload, &mut pcm, false).unwrap();
                    into.lock().unwrap().extend_from_slice(&pcm[..n]);
                }
            });
            Box::pin(async {})
        }));
        let channel = pc.create_data_channel("oai-events", None).await.unwrap();
        let (tell, events) = mpsc::unbounded_channel();
        let so_far = heard.clone();
        channel.on_message(Box::new(move |message: DataChannelMessage| {
            let mut event = serde_json::from_slice(&message.data).unwrap_or(Value::Null);
            // How much of Donna's track had arrived when this event did.
            event["heard_samples"] = json!(so_far.lock().unwrap().len());
            let _ = tell.send(event);
            Box::pin(async {})
        }));
        let (open, opened) = mpsc::unbounded_channel();
        channel.on_open(Box::new(move || {
            let _ = open.send(());
            Box::pin(async {})
        }));
        let offer = pc.create_offer(None).await.unwrap();
        let mut gathered = pc.gathering_complete_promise().await;
        pc.set_local_description(offer).await.unwrap();
        let _ = gathered.recv().await;
        let sdp = pc.local_description().await.unwrap().sdp;
        (
            Self {
                pc,
                channel,
                events,
                opened,
                heard,
            },
            mic,
            sdp,
        )
    }

    /// Events up to the first of type `kind`, which is returned last.
    pub async fn until(&mut self, kind: &str) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let event = self.recv().await;
            assert_ne!(event["type"], "error", "{event}");
            let found = event["type"] == kind;
            seen.push(event);
            if found {
                return seen;
            }
        }
    }

    pub async fn answered(&mut self, answer: String) {
        let answer = RTCSessionDescription::answer(answer).unwrap();
        self.pc.set_remote_description(answer).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.opened.recv())
            .await
            .expect("the events channel opens")
            .unwrap();
    }

    pub async fn send(&self, event: Value) {
        self.channel.send_text(event.to_string()).await.unwrap();
    }

    /// The next event, past `rate_limits.updated`, which follows each response.
    pub async fn recv(&mut self) -> Value {
        loop {
            let event = tokio::time::timeout(Duration::from_secs(10), self.events.recv())
                .await
                .expect("an event within 10 s")
                .expect("the channel is open");
            if event["type"] != "rate_limits.updated" {
                return event;
            }
        }
    }

    /// Every event up to and including `response.done`.
    pub async fn until_done(&mut self) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let event = self.recv().await;
            let done = event["type"] == "response.done";
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}

pub async fn post_offer(
    addr: &str,
    key: Option<&str>,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/v1/realtime/calls"))
        .header("content-type", content_type)
        .body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}
