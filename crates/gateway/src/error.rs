//! Errors: [`ApiError`] is what a client sees; [`GatewayError`] is what the process sees;
//! [`UpstreamError`] is what went wrong with a service the gateway calls.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use donna_desk::DeskError;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// The error shape every gateway failure has.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `unauthorized`, `rate_limited`, `invalid_request`, ...
    pub code: String,
    /// For people; never internal details.
    pub message: String,
    /// The request's `X-Request-Id`, to quote when reporting a problem.
    pub request_id: String,
}

/// A failed request, answered as `{"error": {"code", "message", "request_id"}}` with a matching
/// status (`request_id` is added by the error layer, see [`crate::layers`]).
///
/// `code` is stable and machine-readable; `message` is for people and never carries internal
/// details (paths, SQL, upstream bodies, keys): those go to the log only.
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
    /// A field has a value that is not allowed.
    #[error("{0}")]
    Invalid(String),
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    /// A body of a type the route does not take (e.g. audio in an unsupported format).
    #[error("{0}")]
    UnsupportedFormat(String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// No valid device or staff token. The reason goes to the security log, not to the client.
    #[error("authentication required")]
    Unauthorized,
    /// A valid token whose role may not do this.
    #[error("not allowed for this role")]
    Forbidden,
    /// A browser origin that is not on the allowlist.
    #[error("origin not allowed")]
    OriginNotAllowed,
    /// A `Host` that is not one of the gateway's own names (a DNS-rebinding page, or a
    /// misrouted request).
    #[error("this gateway does not answer for that host name")]
    HostNotAllowed,
    /// A request head with more headers, or more header bytes, than the gateway reads.
    #[error("request headers too large: at most {max_headers} headers and {max_bytes} bytes")]
    HeadersTooLarge { max_headers: usize, max_bytes: usize },
    /// A body declared (`Content-Length`) or sent larger than the route takes.
    #[error("request body too large: at most {max} bytes")]
    BodyTooLarge { max: usize },
    /// A plain HTTP request to a WebSocket-only route.
    #[error("this route only accepts a WebSocket upgrade")]
    UpgradeRequired,
    /// The caller already holds as many concurrent sessions as it may.
    #[error("at most {max} realtime sessions may be open at once for one token; close one first")]
    TooManySessions { max: u64 },
    #[error("too many requests; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("the request took too long")]
    Timeout,
    /// A feature that is not available in this deployment; `code` says which.
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    /// A service the gateway depends on failed; the detail is logged, not sent.
    #[error("{0}")]
    Upstream(#[from] UpstreamError),
    /// The browser conversation expired or never existed; start a new one.
    #[error("no such conversation (it may have expired); send the message without conversation_id")]
    ConversationNotFound,
    /// The request is well-formed but its content is refused by the desk.
    #[error("{0}")]
    Desk(#[from] DeskError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The error body before the request id is known: the error layer completes it.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    /// A refused field value: `"<field>: <problem>"`.
    pub fn invalid(field: &str, problem: impl std::fmt::Display) -> Self {
        ApiError::Invalid(format!("{field}: {problem}"))
    }

    /// A part of Donna that is not running in this deployment.
    pub fn unavailable(message: &str) -> Self {
        ApiError::Unavailable {
            code: "unavailable",
            message: message.to_owned(),
        }
    }

    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::BadJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            ApiError::BadShape(_) | ApiError::Invalid(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
            }
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            ApiError::UnsupportedFormat(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_format"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::OriginNotAllowed => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            ApiError::HostNotAllowed => (StatusCode::MISDIRECTED_REQUEST, "host_not_allowed"),
            ApiError::HeadersTooLarge { .. } => {
                (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large")
            }
            ApiError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::UpgradeRequired => (StatusCode::UPGRADE_REQUIRED, "upgrade_required"),
            ApiError::TooManySessions { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_sessions"),
            ApiError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            ApiError::Unavailable { code, .. } => (StatusCode::SERVICE_UNAVAILABLE, code),
            ApiError::Upstream(UpstreamError::Timeout { .. }) => {
                (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout")
            }
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream_error"),
            ApiError::ConversationNotFound => (StatusCode::NOT_FOUND, "conversation_not_found"),
            ApiError::Desk(DeskError::InvalidMessage(_) | DeskError::InvalidInput { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
            }
            ApiError::Desk(DeskError::NotFound { .. }) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Desk(DeskError::KeyReused { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            ApiError::Desk(_) | ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// What the client is told. Server-side failures say only whose fault it was.
    fn public_message(&self) -> String {
        match self {
            ApiError::Upstream(e) => e.public_message().to_owned(),
            e if e.status_and_code().0 == StatusCode::INTERNAL_SERVER_ERROR => "internal error".to_owned(),
            e => e.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            // The detail stays in the log (scrubbed); the client learns only that it was not
            // its fault.
            tracing::error!(error = %self, code, "request failed");
        }
        let body = ErrorBody {
            code,
            message: self.public_message(),
        };
        let mut response = (
            status,
            Json(json!({ "error": { "code": body.code, "message": body.message } })),
        )
            .into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::UpgradeRequired => {
                headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
            }
            ApiError::RateLimited { retry_after_s } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_s));
            }
            _ => {}
        }
        response.extensions_mut().insert(body);
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

/// A call to another service (OpenAI, ElevenLabs, the marketing backend) that failed.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{service}: no answer within {after_s} s")]
    Timeout { service: &'static str, after_s: u64 },
    #[error("{service}: unreachable: {detail}")]
    Unreachable { service: &'static str, detail: String },
    /// The service answered with an error; `code` is its own error code when it sent one.
    #[error("{service}: HTTP {status}, code {code:?}: {message}")]
    Rejected {
        service: &'static str,
        status: u16,
        code: Option<String>,
        message: String,
    },
    #[error("{service}: unexpected response: {detail}")]
    BadResponse { service: &'static str, detail: String },
}

impl UpstreamError {
    fn public_message(&self) -> &'static str {
        match self {
            UpstreamError::Timeout { .. } => "an upstream service did not answer in time",
            UpstreamError::Unreachable { .. } => "an upstream service is unreachable",
            UpstreamError::Rejected { .. } => "an upstream service refused the request",
            UpstreamError::BadResponse { .. } => "an upstream service sent an unexpected response",
        }
    }

    /// A short stable reason for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            UpstreamError::Timeout { .. } => "upstream_timeout",
            UpstreamError::Unreachable { .. } => "upstream_unreachable",
            UpstreamError::Rejected { .. } => "upstream_rejected",
            UpstreamError::BadResponse { .. } => "upstream_bad_response",
        }
    }

    /// Classify a reqwest failure.
    pub fn from_reqwest(service: &'static str, after_s: u64, e: reqwest::Error) -> Self {
        if e.is_timeout() {
            UpstreamError::Timeout { service, after_s }
        } else if e.is_connect() || e.is_request() {
            UpstreamError::Unreachable {
                service,
                // Without the URL: it may carry a key in its query (some APIs do that).
                detail: error_chain(&e.without_url()),
            }
        } else {
            UpstreamError::BadResponse {
                service,
                detail: error_chain(&e.without_url()),
            }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
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
    #[error("logging: {0}")]
    Logging(String),
    #[error("HTTP client: {0}")]
    HttpClient(String),
}
