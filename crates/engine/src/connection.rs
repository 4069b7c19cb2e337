//! One session: the only task that reads and writes its transport, a WebSocket or a WebRTC
//! call's `oai-events` data channel (see [`Pipe`]).
//!
//! A single `select!` loop owns the transport, so events are answered in order, a streaming
//! response yields to incoming events between its own (a cancel or a barge-in lands between two
//! deltas), and every way out of the loop closes the transport with a meaningful code.

use std::future::Future;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use donna_realtime::protocol::{ServerEvent, SessionConfig};

use crate::Engine;
use crate::error::ProtocolError;
use crate::session::ServerSession;
use donna_speech::stt::{Heard, Transcriber};

/// Close codes the service uses.
const GOING_AWAY: u16 = 1001;
const TOO_BIG: u16 = 1009;
const BETA_DISABLED: u16 = 4000;
/// How long a client's close waits for ours to be written.
const CLOSE_ANSWER: std::time::Duration = std::time::Duration::from_secs(2);

/// What a session's transport delivered.
#[derive(Debug)]
pub enum Incoming {
    /// One client event's JSON.
    Event(String),
    /// A call's microphone: PCM16 mono 24 kHz from its media track.
    Audio(Vec<i16>),
    /// Something that is no event (a binary frame): answered with an error, the session goes on.
    NotText,
    /// Nothing for the session (a ping).
    Nothing,
    /// A message over the size limit: the session ends.
    TooBig,
    /// The client said it is leaving: answered (see [`Pipe::answer_close`]), then the session ends.
    Leaving,
    /// The client is gone, or the transport failed.
    Closed,
}

/// A session's transport: the loop below reads events from it and writes events to it, and
/// knows nothing else of WebSocket frames or data channels.
pub trait Pipe: Send {
    /// The next thing the client sent; cancel-safe, as it races the loop's other work.
    fn recv(&mut self) -> impl Future<Output = Incoming> + Send;
    /// Send one event; an error means the client is gone.
    fn send(&mut self, event: ServerEvent) -> impl Future<Output = Result<(), PipeClosed>> + Send;
    /// End the session with a WebSocket close code and reason (a call hangs up instead).
    fn close(&mut self, code: u16, reason: &str) -> impl Future<Output = ()> + Send;
    /// Answer the client's own close, where the transport has such a thing.
    fn answer_close(&mut self) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
    /// Whether audio travels as media (a call's tracks) rather than in events.
    fn carries_media(&self) -> bool {
        false
    }
    /// Stop the audio being played at once: the assistant item it belonged to and how many
    /// milliseconds of it were heard, or `None` when nothing was playing.
    fn cut_playback(&mut self) -> impl Future<Output = Option<(String, u64)>> + Send {
        std::future::ready(None)
    }
}

/// The client can no longer be written to.
#[derive(Debug, Clone, Copy)]
pub struct PipeClosed;

/// Serve one session until the client leaves, the session expires or the transport fails.
pub async fn run(engine: Engine, socket: WebSocket, session: SessionConfig, beta: bool) {
    serve(engine, WebSocketPipe(socket), session, beta).await;
}

/// Serve one session on any transport.
pub async fn serve(engine: Engine, mut socket: impl Pipe, session: SessionConfig, beta: bool) {
    let _open = engine.session_opened();
    if beta {
        let error = ProtocolError::invalid(
            "beta_api_shape_disabled",
            "The beta Realtime API shape is disabled; remove the OpenAI-Beta header and use the GA events.",
            None,
        );
        let _ = socket.send(error.into_event(None)).await;
        socket.close(BETA_DISABLED, "beta_api_shape_disabled").await;
        return;
    }
    let config = engine.config().clone();
    let mut conversation = ServerSession::new(engine.reception().clone(), session, config.limits.clone())
        .with_tts(config.tts.clone())
        .with_transcription(config.stt.is_some());
    if socket.carries_media() {
        conversation = conversation.on_call();
    }
    // A live recogniser follows the visitor's audio on a thread of its own, started with the
    // first audio (text-only sessions never pay for a decoder); without one, each committed
    // utterance is transcribed whole, one at a time.
    let mut live: Option<Listener> = None;
    let mut conversation = conversation.with_live_transcription(config.stt.is_some());
    let mut transcribing: Option<(String, tokio::task::JoinHandle<Result<Heard, String>>)> = None;
    if socket.send(conversation.session_created()).await.is_err() {
        return;
    }
    let expiry = tokio::time::sleep(config.session_duration);
    tokio::pin!(expiry);

    loop {
        let (reset, audio) = conversation.take_live_audio();
        if !audio.is_empty()
            && live.is_none()
            && let Some(stt) = &config.stt
        {
            live = Some(Listener::spawn(stt.clone()));
        }
        if let Some(listener) = &live {
            listener.send(reset, audio);
        }
        while transcribing.is_none()
            && let Some(stt) = &config.stt
            && let Some((item_id, pcm)) = conversation.take_transcription()
        {
            match (pcm, &live) {
                (None, Some(listener)) => listener.finish(item_id),
                (pcm, _) => {
                    let stt = stt.clone();
                    let pcm = pcm.unwrap_or_default();
                    let job =
                        tokio::task::spawn_blocking(move || stt.transcribe(&pcm).map_err(|e| e.to_string()));
                    transcribing = Some((item_id, job));
                }
            }
        }
        let streaming = conversation.is_streaming();
        tokio::select! {
            biased;
            incoming = socket.recv() => match incoming {
                Incoming::Event(text) => {
                    let events = conversation.handle_frame(&text);
                    if send_all(&mut socket, &mut conversation, events).await.is_err() {
                        return;
                    }
                }
                Incoming::Audio(samples) => {
                    let events = conversation.hear(&samples);
                    if send_all(&mut socket, &mut conversation, events).await.is_err() {
                        return;
                    }
                }
                Incoming::NotText => {
                    let error = ProtocolError::invalid(
                        "invalid_event",
                        "Binary frames are not supported: send each event as a JSON text frame.",
                        None,
                    );
                    if socket.send(error.into_event(None)).await.is_err() {
                        return;
                    }
                }
                Incoming::Nothing => {}
                Incoming::TooBig => {
                    socket.close(TOO_BIG, "message too big").await;
                    return;
                }
                // Outside `recv`, so no other branch of this select can cut the answer short.
                Incoming::Leaving => {
                    socket.answer_close().await;
                    return;
                }
                Incoming::Closed => return,
            },
            () = config.shutdown.cancelled() => {
                socket.close(GOING_AWAY, "server_shutting_down").await;
                return;
            }
            () = &mut expiry => {
                let minutes = config.session_duration.as_secs() / 60;
                let error = ProtocolError::invalid(
                    "session_expired",
                    format!("Your session hit the maximum duration of {minutes} minutes."),
                    None,
                );
                let _ = socket.send(error.into_event(None)).await;
                socket.close(GOING_AWAY, "session_expired").await;
                return;
            }
            result = async {
                match transcribing.as_mut() {
                    Some((_, job)) => job.await,
                    None => std::future::pending().await,
                }
            }, if transcribing.is_some() => {
                if let Some((item_id, _)) = transcribing.take() {
                    let result = result.unwrap_or_else(|e| Err(format!("the recogniser stopped: {e}")));
                    conversation.transcribed(&item_id, result);
                }
            }
            said = async {
                match live.as_mut() {
                    Some(listener) => listener.said.recv().await,
                    None => std::future::pending().await,
                }
            }, if live.is_some() => match said {
                Some(Said::Caption(text)) => conversation.live_caption(&text),
                Some(Said::Done(item_id, result)) => conversation.transcribed(&item_id, result),
                None => {
                    tracing::warn!("the live recogniser stopped; transcribing each utterance whole");
                    live = None;
                    conversation.live_transcription_lost();
                }
            },
            () = std::future::ready(()), if streaming => {
                if let Some(event) = conversation.next_streamed()
                    && socket.send(event).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Send what the session answered; then, when it asks, stop the call's playback and keep only
/// what was heard of the item it cut short.
async fn send_all(
    socket: &mut impl Pipe,
    conversation: &mut ServerSession,
    events: Vec<ServerEvent>,
) -> Result<(), PipeClosed> {
    for event in events {
        socket.send(event).await?;
    }
    if conversation.take_playback_cut()
        && let Some((item_id, heard_ms)) = socket.cut_playback().await
    {
        for event in conversation.cut_short(&item_id, heard_ms) {
            socket.send(event).await?;
        }
    }
    Ok(())
}

/// What the live recogniser's thread is asked to do, in order.
enum Heed {
    Feed(Vec<i16>),
    Reset,
    Finish(String),
}

/// What it reports back.
enum Said {
    Caption(String),
    Done(String, Result<Heard, String>),
}

/// The live recogniser on its own thread: decoding blocks for milliseconds per frame (and
/// whisper for a second or two), which must not stall the socket's task. The thread ends, with
/// whatever audio is still queued for it, as soon as the session drops its handle.
struct Listener {
    heed: std::sync::mpsc::Sender<Heed>,
    said: tokio::sync::mpsc::UnboundedReceiver<Said>,
}

impl Listener {
    /// The recogniser is built on the new thread (loading a decoder takes tens of
    /// milliseconds); when it cannot be, the thread ends and the session hears of it as a
    /// closed channel.
    fn spawn(stt: std::sync::Arc<dyn Transcriber>) -> Self {
        let (heed, orders) = std::sync::mpsc::channel::<Heed>();
        let (tell, said) = tokio::sync::mpsc::unbounded_channel();
        let spawned = std::thread::Builder::new()
            .name("donna-listener".to_owned())
            .spawn(move || {
                let Some(mut recognizer) = stt.live() else {
                    return;
                };
                let mut caption = String::new();
                while let Ok(order) = orders.recv() {
                    // The session is over: what it sent and nobody will read is dropped, not
                    // decoded (a client can queue minutes of audio and leave).
                    if tell.is_closed() {
                        return;
                    }
                    let report = match order {
                        Heed::Feed(pcm) => match recognizer.feed(&pcm) {
                            Ok(text) if text != caption => {
                                caption.clone_from(&text);
                                Some(Said::Caption(text))
                            }
                            Ok(_) => None,
                            Err(e) => {
                                tracing::warn!(error = %e, "live recognition failed for a frame");
                                None
                            }
                        },
                        Heed::Reset => {
                            caption.clear();
                            if let Err(e) = recognizer.reset() {
                                tracing::warn!(error = %e, "live recogniser reset failed");
                            }
                            None
                        }
                        Heed::Finish(item_id) => {
                            caption.clear();
                            Some(Said::Done(
                                item_id,
                                recognizer.finish().map_err(|e| e.to_string()),
                            ))
                        }
                    };
                    if let Some(report) = report
                        && tell.send(report).is_err()
                    {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            // The receiver then reports closed, and the session transcribes whole utterances.
            tracing::warn!(error = %e, "no thread for the live recogniser");
        }
        Self { heed, said }
    }

    fn send(&self, reset: bool, audio: Vec<i16>) {
        if reset {
            let _ = self.heed.send(Heed::Reset);
        }
        if !audio.is_empty() {
            let _ = self.heed.send(Heed::Feed(audio));
        }
    }

    fn finish(&self, item_id: String) {
        let _ = self.heed.send(Heed::Finish(item_id));
    }
}

/// A WebSocket session's frames: JSON text frames each way, closed with the service's codes.
struct WebSocketPipe(WebSocket);

impl Pipe for WebSocketPipe {
    async fn recv(&mut self) -> Incoming {
        match self.0.recv().await {
            Some(Ok(Message::Text(text))) => Incoming::Event(text.as_str().to_owned()),
            Some(Ok(Message::Binary(_))) => Incoming::NotText,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => Incoming::Nothing,
            Some(Ok(Message::Close(_))) => Incoming::Leaving,
            None => Incoming::Closed,
            Some(Err(e)) => {
                let message = e.to_string();
                if message.contains("too long") || message.contains("Space limit") {
                    tracing::debug!(error = %message, "oversized frame");
                    Incoming::TooBig
                } else {
                    tracing::debug!(error = %message, "session socket failed");
                    Incoming::Closed
                }
            }
        }
    }

    async fn send(&mut self, event: ServerEvent) -> Result<(), PipeClosed> {
        self.0
            .send(Message::Text(event.to_json().into()))
            .await
            .map_err(|_| PipeClosed)
    }

    /// The client's close is answered with ours, echoing its code (RFC 6455 §5.5.1): the
    /// WebSocket library queued that answer, and closing sends it. Dropping the socket instead
    /// would leave the client with 1006.
    async fn answer_close(&mut self) {
        let _ = tokio::time::timeout(CLOSE_ANSWER, futures_util::SinkExt::close(&mut self.0)).await;
    }

    async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: reason.to_owned().into(),
        };
        let _ = self.0.send(Message::Close(Some(frame))).await;
    }
}
