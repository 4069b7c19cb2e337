//! Either transport behind one type, so one [`super::failover::Failover`] can hold a
//! backend's WebRTC route and its WebSocket route, the call preferred and the socket behind it.

use super::webrtc::{WebRtcConnector, WebRtcTransport};
use super::websocket::{WebSocketConnector, WebSocketTransport};
use super::{Connector, Incoming, Transport};
use crate::RealtimeError;
use crate::protocol::ClientEvent;

/// Opens a connection over one of the transports.
#[derive(Debug, Clone)]
pub enum Dial {
    WebRtc(WebRtcConnector),
    WebSocket(WebSocketConnector),
}

impl Dial {
    /// The transport's name as the app reports it: `webrtc` or `websocket`.
    pub fn transport(&self) -> &'static str {
        match self {
            Self::WebRtc(_) => "webrtc",
            Self::WebSocket(_) => "websocket",
        }
    }
}

/// One open connection over either transport.
#[derive(Debug)]
pub enum Line {
    WebRtc(WebRtcTransport),
    WebSocket(WebSocketTransport),
}

impl Connector for Dial {
    type Transport = Line;

    async fn connect(&self) -> Result<Line, RealtimeError> {
        match self {
            Self::WebRtc(c) => c.connect().await.map(Line::WebRtc),
            Self::WebSocket(c) => c.connect().await.map(Line::WebSocket),
        }
    }
}

impl Transport for Line {
    async fn send(&mut self, event: ClientEvent) -> Result<(), RealtimeError> {
        match self {
            Self::WebRtc(t) => t.send(event).await,
            Self::WebSocket(t) => t.send(event).await,
        }
    }

    async fn recv(&mut self) -> Incoming {
        match self {
            Self::WebRtc(t) => t.recv().await,
            Self::WebSocket(t) => t.recv().await,
        }
    }

    async fn close(self) {
        match self {
            Self::WebRtc(t) => t.close().await,
            Self::WebSocket(t) => t.close().await,
        }
    }
}
