//! Errors: [`ApiError`] is what a client sees; [`GatewayError`] is what the process sees.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use donna_desk::DeskError;
use serde_json::json;

/// A failed request, answered as `{"error": {"code", "message"}}` with a matching status.
///
/// `code` is stable and machine-readable; `message` is for people and never carries internal
/// details (paths, SQL, upstream bodies): those go to the log only.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no route for {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is not JSON at all.
    #[error("{0}")]
    BadJson(String),
    /// The body is JSON but not the expected shape (missing field, wrong type, unknown field).
    #[error("{0}")]
    BadShape(String),
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("request body too large")]
    PayloadTooLarge,
    /// No valid device or staff token. The reason goes to the security log, not to the client.
    #[error("authentication required")]
    Unauthorized,
    /// A valid token whose role may not do this.
    #[error("not allowed for this role")]
    Forbidden,
    /// A field with a value the route refuses.
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    /// The browser conversation expired or never existed; start a new one.
    #[error("no such conversation (it may have expired); send the message without conversation_id")]
    ConversationNotFound,
    /// A part the route needs is not running in this deployment.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The request is well-formed but its content is refused by the desk.
    #[error("{0}")]
    Desk(#[from] DeskError),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::BadJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            ApiError::BadShape(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            ApiError::ConversationNotFound => (StatusCode::NOT_FOUND, "conversation_not_found"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Desk(DeskError::InvalidMessage(_) | DeskError::InvalidInput { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
            }
            ApiError::Desk(DeskError::NotFound { .. }) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Desk(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            // The detail stays in the log; the client learns only that it was not its fault.
            tracing::error!(error = %self, "request failed");
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let body = json!({ "error": { "code": code, "message": message } });
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            JsonRejection::BytesRejection(_) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::PayloadTooLarge
            }
            // serde's message says which field and what was wrong, and never echoes large input.
            JsonRejection::JsonDataError(e) => ApiError::BadShape(e.body_text()),
            other => ApiError::BadJson(other.body_text()),
        }
    }
}

/// Why the gateway could not run.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server stopped: {0}")]
    Serve(#[source] std::io::Error),
}
