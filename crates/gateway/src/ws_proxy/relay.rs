//! One proxied session: two pumps under one task, and the close each side gets.
//!
//! The client→upstream pump reads the browser's frames, applies the kiosk [`Policy`] and writes
//! upstream; the upstream→client pump does the reverse and also carries the proxy's own frames
//! to the client (keep-alive pings, policy errors). Both run in the same task with a watchdog
//! (idle time) and the session's time cap; whichever finishes first decides how the session
//! ends, the others are dropped on the spot, and both sockets get a close frame with a code
//! that says why (see [`End`]). Nothing is spawned per session beyond this one task, so nothing
//! can outlive it.
//!
//! Backpressure: a pump holds at most one frame. When its writer does not take that frame
//! within the send timeout (a client on a dead network, a tab frozen in the background), the
//! session ends rather than buffering without bound; until then the pump simply stops reading,
//! and TCP pushes back on the sender.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{self, WebSocket};
use futures_util::{Sink, SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, timeout};
use tokio_tungstenite::tungstenite::{self as ts, Message as Up, protocol::frame::coding::CloseCode};

use donna_realtime::transport::websocket::RawStream;

use super::policy::Policy;
use crate::metrics::Metrics;

/// The timing limits of a session.
#[derive(Debug, Clone, Copy)]
pub struct RelayLimits {
    /// No data frame either way for this long ends the session.
    pub idle: Duration,
    /// The longest a session may last.
    pub max_session: Duration,
    /// How often each side is pinged.
    pub keepalive: Duration,
    /// How long a side may take to accept one frame before it counts as stuck.
    pub send_timeout: Duration,
}

/// Policy errors waiting for the client; more than this and the client is flooding refusals,
/// which are dropped.
const NOTICES: usize = 16;
/// How long each side gets to finish the closing handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Why a session ended. Each reason maps to the close code each side is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// The client sent a close frame; its code goes upstream.
    ClientClosed(u16, String),
    /// The upstream sent a close frame (session expired, bad event...); its code goes to the client.
    UpstreamClosed(u16, String),
    /// The client's connection broke without a close frame.
    ClientLost,
    /// The upstream connection broke without a close frame.
    UpstreamLost,
    /// The client sent a frame over the size limit.
    ClientTooBig,
    /// The upstream sent a frame over the size limit.
    UpstreamTooBig,
    /// The client sent text that is not UTF-8.
    ClientInvalid,
    /// The client did not take a frame within the send timeout.
    ClientTooSlow,
    /// The upstream did not take a frame within the send timeout.
    UpstreamTooSlow,
    /// The client answered no ping for three keep-alive periods.
    ClientUnresponsive,
    /// No data frame either way for the idle timeout.
    Idle,
    /// The session reached its time cap.
    TimeLimit,
    /// The gateway is shutting down.
    Shutdown,
}

impl End {
    /// The label in `/metrics`.
    pub fn label(&self) -> &'static str {
        match self {
            End::ClientClosed(..) => "client_closed",
            End::UpstreamClosed(..) => "upstream_closed",
            End::ClientLost => "client_lost",
            End::UpstreamLost => "upstream_lost",
            End::ClientTooBig => "client_frame_too_big",
            End::UpstreamTooBig => "upstream_frame_too_big",
            End::ClientInvalid => "client_invalid_frame",
            End::ClientTooSlow => "client_too_slow",
            End::UpstreamTooSlow => "upstream_too_slow",
            End::ClientUnresponsive => "client_unresponsive",
            End::Idle => "idle_timeout",
            End::TimeLimit => "time_limit",
            End::Shutdown => "shutdown",
        }
    }

    /// The close frame for the client, `None` when its connection is gone.
    fn to_client(&self) -> Option<(u16, String)> {
        let says = |code: u16, reason: &str| Some((code, reason.to_owned()));
        match self {
            End::ClientClosed(..) | End::ClientLost | End::ClientUnresponsive => None,
            End::UpstreamClosed(code, reason) => Some((sendable(*code), reason.clone())),
            // 1011 rather than 1014 ("bad gateway"): some client libraries take 1014 for a
            // protocol violation.
            End::UpstreamLost => says(1011, "upstream connection lost"),
            End::UpstreamTooBig => says(1011, "upstream sent a frame over the size limit"),
            End::UpstreamTooSlow => says(1013, "upstream is not keeping up; try again"),
            End::ClientTooBig => says(1009, "frame too big"),
            End::ClientInvalid => says(1007, "text frame is not valid UTF-8"),
            End::ClientTooSlow => says(1008, "client is not reading its frames"),
            End::Idle => says(1001, "idle timeout"),
            End::TimeLimit => says(1001, "session time limit reached"),
            End::Shutdown => says(1012, "the gateway is restarting; reconnect"),
        }
    }

    /// The close frame for the upstream, `None` when its connection is gone.
    fn to_upstream(&self) -> Option<(u16, String)> {
        match self {
            End::UpstreamClosed(..) | End::UpstreamLost | End::UpstreamTooBig => None,
            End::ClientClosed(code, reason) => Some((sendable(*code), reason.clone())),
            _ => Some((1001, "client went away".to_owned())),
        }
    }
}

/// A code that may be sent in a close frame: 1005, 1006 and 1015 only describe what happened.
fn sendable(code: u16) -> u16 {
    match code {
        1005 => 1000,
        1006 | 1015 => 1011,
        c => c,
    }
}

/// Last data frame, and last frame of any kind from the client, in ms since the session began.
struct Activity {
    start: Instant,
    data: AtomicU64,
    client: AtomicU64,
}

impl Activity {
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn data(&self) {
        self.data.store(self.now(), Ordering::Relaxed);
    }

    fn client(&self) {
        self.client.store(self.now(), Ordering::Relaxed);
    }
}

/// Everything one session needs.
#[allow(missing_debug_implementations)] // sockets have nothing useful to print
pub struct Session {
    pub client: WebSocket,
    pub upstream: RawStream,
    pub limits: RelayLimits,
    /// The kiosk policy; `None` for staff and admin callers.
    pub policy: Option<Arc<Policy>>,
    /// A first event sent upstream before any client frame (the desk's settings for kiosks).
    pub greeting: Option<String>,
    pub metrics: Metrics,
    /// The gateway's shutdown.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// Relay until one side ends the session; returns why.
pub async fn run(session: Session) -> End {
    let Session {
        client,
        upstream,
        limits,
        policy,
        greeting,
        metrics,
        shutdown,
    } = session;
    let (mut c_tx, mut c_rx) = client.split();
    let (mut u_tx, mut u_rx) = upstream.split();
    let (notice_tx, mut notice_rx) = mpsc::channel::<String>(NOTICES);
    let activity = Activity {
        start: Instant::now(),
        data: AtomicU64::new(0),
        client: AtomicU64::new(0),
    };
    let metrics = &metrics;
    let activity = &activity;

    if let Some(greeting) = greeting
        && let Err(end) = deliver_up(&mut u_tx, Up::text(greeting), limits.send_timeout).await
    {
        close(&mut c_tx, &mut u_tx, &mut u_rx, &end).await;
        return end;
    }

    let client_to_upstream = async {
        let mut notices = 0u64;
        let mut ping = ticker(limits.keepalive);
        loop {
            let frame = tokio::select! {
                frame = c_rx.next() => frame,
                _ = ping.tick() => {
                    if let Err(end) = deliver_up(&mut u_tx, Up::Ping(Bytes::new()), limits.send_timeout).await {
                        return end;
                    }
                    continue;
                }
            };
            activity.client();
            let up = match frame {
                None => return End::ClientLost,
                Some(Err(e)) => return client_error(e),
                Some(Ok(ws::Message::Text(text))) => {
                    if let Some(refusal) = policy.as_deref().and_then(|p| p.check(&text).err()) {
                        notices += 1;
                        metrics.ws_policy_refusal(refusal.param);
                        let _ = notice_tx.try_send(refusal.event(&format!("event_proxy_{notices}")));
                        continue;
                    }
                    let bytes = Bytes::from(text);
                    metrics.ws_relayed(true, bytes.len());
                    match ts::Utf8Bytes::try_from(bytes) {
                        Ok(text) => Up::Text(text),
                        Err(_) => return End::ClientInvalid,
                    }
                }
                Some(Ok(ws::Message::Binary(bytes))) => {
                    metrics.ws_relayed(true, bytes.len());
                    Up::Binary(bytes)
                }
                // Answered by the WebSocket library; they only prove the client is there.
                Some(Ok(ws::Message::Ping(_) | ws::Message::Pong(_))) => continue,
                Some(Ok(ws::Message::Close(frame))) => {
                    let (code, reason) =
                        frame.map_or((1000, String::new()), |f| (f.code, f.reason.to_string()));
                    return End::ClientClosed(code, reason);
                }
            };
            activity.data();
            if let Err(end) = deliver_up(&mut u_tx, up, limits.send_timeout).await {
                return end;
            }
        }
    };

    let upstream_to_client = async {
        let mut ping = ticker(limits.keepalive);
        loop {
            let down = tokio::select! {
                frame = u_rx.next() => match frame {
                    None => return End::UpstreamLost,
                    Some(Err(e)) => return upstream_error(&e),
                    Some(Ok(Up::Text(text))) => {
                        let bytes = Bytes::from(text);
                        metrics.ws_relayed(false, bytes.len());
                        activity.data();
                        // Valid UTF-8 already: the upstream reader checked it.
                        match ws::Utf8Bytes::try_from(bytes) {
                            Ok(text) => ws::Message::Text(text),
                            Err(_) => return End::UpstreamLost,
                        }
                    }
                    Some(Ok(Up::Binary(bytes))) => {
                        metrics.ws_relayed(false, bytes.len());
                        activity.data();
                        ws::Message::Binary(bytes)
                    }
                    Some(Ok(Up::Close(frame))) => {
                        let (code, reason) = frame
                            .map_or((1005, String::new()), |f| (u16::from(f.code), f.reason.to_string()));
                        return End::UpstreamClosed(code, reason);
                    }
                    Some(Ok(_)) => continue, // pings are answered by the library; pongs and raw frames
                },
                Some(notice) = notice_rx.recv() => ws::Message::Text(notice.into()),
                _ = ping.tick() => {
                    let silent = activity.now().saturating_sub(activity.client.load(Ordering::Relaxed));
                    if silent > 3 * limits.keepalive.as_millis() as u64 {
                        return End::ClientUnresponsive;
                    }
                    ws::Message::Ping(Bytes::new())
                }
            };
            match timeout(limits.send_timeout, c_tx.send(down)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return End::ClientLost,
                Err(_) => return End::ClientTooSlow,
            }
        }
    };

    let watchdog = async {
        loop {
            let quiet = Duration::from_millis(
                activity
                    .now()
                    .saturating_sub(activity.data.load(Ordering::Relaxed)),
            );
            match limits.idle.checked_sub(quiet) {
                Some(left) if !left.is_zero() => tokio::time::sleep(left).await,
                _ => return End::Idle,
            }
        }
    };

    let end = tokio::select! {
        end = client_to_upstream => end,
        end = upstream_to_client => end,
        end = watchdog => end,
        () = tokio::time::sleep(limits.max_session) => End::TimeLimit,
        () = shutdown.cancelled() => End::Shutdown,
    };
    close(&mut c_tx, &mut u_tx, &mut u_rx, &end).await;
    end
}

/// Send `frame` upstream, or say why the session must end.
async fn deliver_up<S>(u_tx: &mut S, frame: Up, limit: Duration) -> Result<(), End>
where
    S: Sink<Up, Error = ts::Error> + Unpin,
{
    match timeout(limit, u_tx.send(frame)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(upstream_error(&e)),
        Err(_) => Err(End::UpstreamTooSlow),
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker
}

fn client_error(error: axum::Error) -> End {
    match error.into_inner().downcast::<ts::Error>() {
        Ok(e) => match *e {
            ts::Error::Capacity(_) => End::ClientTooBig,
            ts::Error::Utf8(_) => End::ClientInvalid,
            _ => End::ClientLost,
        },
        Err(_) => End::ClientLost,
    }
}

fn upstream_error(error: &ts::Error) -> End {
    match error {
        ts::Error::Capacity(_) => End::UpstreamTooBig,
        _ => End::UpstreamLost,
    }
}

/// Send each side still there its close frame, and give the upstream a moment to answer, so the
/// backend ends its session now rather than when its own timeout fires.
async fn close<C, U>(
    c_tx: &mut C,
    u_tx: &mut U,
    u_rx: &mut futures_util::stream::SplitStream<RawStream>,
    end: &End,
) where
    C: Sink<ws::Message> + Unpin,
    U: Sink<Up> + Unpin,
{
    let client = async {
        if let Some((code, reason)) = end.to_client() {
            let frame = ws::CloseFrame {
                code,
                reason: truncate(&reason).into(),
            };
            let _ = timeout(CLOSE_GRACE, c_tx.send(ws::Message::Close(Some(frame)))).await;
        }
        let _ = timeout(CLOSE_GRACE, c_tx.close()).await;
    };
    let upstream = async {
        if let Some((code, reason)) = end.to_upstream() {
            let frame = ts::protocol::CloseFrame {
                code: CloseCode::from(code),
                reason: truncate(&reason).into(),
            };
            if timeout(CLOSE_GRACE, u_tx.send(Up::Close(Some(frame))))
                .await
                .is_ok()
            {
                // Read until the upstream's answering close (or the end of the stream).
                let _ = timeout(CLOSE_GRACE, async {
                    while let Some(Ok(frame)) = u_rx.next().await {
                        if frame.is_close() {
                            break;
                        }
                    }
                })
                .await;
            }
        }
        let _ = timeout(CLOSE_GRACE, u_tx.close()).await;
    };
    tokio::join!(client, upstream);
}

/// Close reasons are limited to 123 bytes; cut on a character boundary.
fn truncate(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_end_tells_the_sides_still_there_why() {
        assert_eq!(End::UpstreamLost.to_client().map(|c| c.0), Some(1011));
        assert_eq!(End::UpstreamLost.to_upstream(), None);
        assert_eq!(End::ClientLost.to_client(), None);
        assert_eq!(End::ClientLost.to_upstream().map(|c| c.0), Some(1001));
        assert_eq!(End::ClientTooBig.to_client().map(|c| c.0), Some(1009));
        assert_eq!(
            End::UpstreamClosed(1005, String::new()).to_client().map(|c| c.0),
            Some(1000),
            "1005 is never sent"
        );
        assert_eq!(
            End::UpstreamClosed(4000, "beta".into()).to_client(),
            Some((4000, "beta".into()))
        );
        assert_eq!(
            End::ClientClosed(1000, "bye".into()).to_upstream(),
            Some((1000, "bye".into()))
        );
    }

    #[test]
    fn close_reasons_fit_the_frame() {
        let long = "é".repeat(100);
        let cut = truncate(&long);
        assert!(cut.len() <= 123 && long.starts_with(&cut));
    }
}
