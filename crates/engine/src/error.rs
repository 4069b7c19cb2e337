//! The engine's error type, and the protocol's `error` event built from it.

use donna_realtime::protocol::ServerEvent;
use donna_realtime::protocol::server::{ErrorDetail, ErrorEvent};

use crate::ids::new_id;

/// Failures outside a session (start-up, key storage).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("engine key file {path}: {source}")]
    KeyFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A WebRTC offer the engine cannot answer: not SDP, or without the events channel.
    #[error("the offer cannot be answered: {0}")]
    Offer(String),
    /// The WebRTC stack failed while answering a call.
    #[error("WebRTC: {0}")]
    Rtc(#[from] webrtc::Error),
}

/// A protocol error: what the `error` event says. The session carries on unless the caller
/// decides otherwise, as the service does.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError {
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    pub param: Option<String>,
}

impl ProtocolError {
    /// A client mistake (`invalid_request_error`).
    pub fn invalid(code: &'static str, message: impl Into<String>, param: Option<&str>) -> Self {
        Self {
            kind: "invalid_request_error",
            code,
            message: message.into(),
            param: param.map(str::to_owned),
        }
    }

    /// The engine is at a limit and the request may succeed later (`rate_limit_error`).
    pub fn busy(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: "rate_limit_error",
            code,
            message: message.into(),
            param: None,
        }
    }

    /// Something the engine cannot do (`server_error`), e.g. a missing offline model.
    pub fn server(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind: "server_error",
            code,
            message: message.into(),
            param: None,
        }
    }

    /// The `error` event, echoing the offending client event's id.
    pub fn into_event(self, client_event_id: Option<&str>) -> ServerEvent {
        ServerEvent::Error(ErrorEvent {
            event_id: new_id("event"),
            error: ErrorDetail {
                kind: self.kind.to_owned(),
                code: Some(self.code.to_owned()),
                message: self.message,
                param: self.param,
                event_id: client_event_id.map(str::to_owned),
            },
        })
    }
}
