//! Moving events between this client and a Realtime server.
//!
//! A [`Transport`] carries one connection: client events out, server events in, and the way it
//! ended. A [`Connector`] opens a new one each time the client (re)connects. The WebSocket
//! implementation is in [`websocket`]; `webrtc` (feature `webrtc`) carries the same JSON events
//! on a call's `oai-events` data channel and its audio on Opus tracks. [`mock`] is an in-memory transport
//! for tests.
//!
//! This module owns framing and connection life; it knows nothing of turns or responses (that
//! is [`crate::session`]).

#[cfg(feature = "webrtc")]
pub mod dial;
pub mod failover;
pub mod mock;
#[cfg(feature = "webrtc")]
pub mod webrtc;
pub mod websocket;

use std::future::Future;

use crate::RealtimeError;
use crate::error::RETRYABLE_CLOSE_CODES;
use crate::protocol::{ClientEvent, ServerEvent};

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The WebSocket close code; 1006 when the connection broke without one (I/O error,
    /// reset, end of stream), 1005 when the close frame had no code.
    pub code: u16,
    pub reason: String,
}

impl CloseInfo {
    /// The connection broke without a close frame.
    pub fn abnormal(reason: impl Into<String>) -> Self {
        Self {
            code: 1006,
            reason: reason.into(),
        }
    }

    /// True for the close codes after which the protocol expects a client to reconnect.
    pub fn is_retryable(&self) -> bool {
        RETRYABLE_CLOSE_CODES.contains(&self.code)
    }
}

/// What [`Transport::recv`] yields.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // almost every value is an event; boxing would buy nothing
pub enum Incoming {
    Event(ServerEvent),
    /// The connection is over; every later `recv` returns the same.
    Closed(CloseInfo),
}

/// One open connection.
pub trait Transport: Send + 'static {
    /// Queue one event for sending. An error means the connection is gone.
    fn send(&mut self, event: ClientEvent) -> impl Future<Output = Result<(), RealtimeError>> + Send;

    /// The next server event, or how the connection ended. Must be cancel-safe: the client
    /// calls it inside `select!`, and dropping the future must not lose an event.
    fn recv(&mut self) -> impl Future<Output = Incoming> + Send;

    /// Close with a normal close (1000) and wait for the connection's tasks to end.
    fn close(self) -> impl Future<Output = ()> + Send;
}

/// Opens connections to one server with one credential.
pub trait Connector: Send + Sync + 'static {
    type Transport: Transport;

    /// Open a connection. Handshake failures are typed ([`RealtimeError::Unauthorized`],
    /// [`RealtimeError::Http`], [`RealtimeError::Connect`], …).
    fn connect(&self) -> impl Future<Output = Result<Self::Transport, RealtimeError>> + Send;
}
