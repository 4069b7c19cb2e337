//! `POST /api/chat`: the browser's way to type to Donna.

use axum::Json;
use axum::extract::{FromRequest, Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiError, GatewayState};

/// The largest `/api/chat` body: a message of the longest length the desk takes, every
/// character escaped, with room for the conversation id.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A turn's idempotency key: the same turn sent again (the client never heard the answer, say
/// because the gateway died after storing the check-in) stores nothing twice.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The key from the request, checked: 16 to 255 letters, digits, `-`, `_`, `.` or `:`, fresh
/// for each turn (a UUID is the usual choice). A short key would be easy to reuse by accident,
/// and a key reused for another request is refused by the store anyway.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(&IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| {
            (16..=255).contains(&k.len())
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        })
        .ok_or_else(|| {
            ApiError::invalid(
                "Idempotency-Key",
                "16 to 255 letters, digits, '-', '_', '.' or ':' (a UUID per turn)",
            )
        })?;
    Ok(Some(key))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    pub message: String,
    /// The conversation to continue; omit to start one.
    #[serde(default)]
    pub conversation_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatResponse {
    pub reply: String,
    /// Send it back with the next message to continue the conversation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
}

/// `axum::Json`, with its rejections turned into [`ApiError`] so bad JSON gets the JSON error shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// One typed message to Donna. Send an `Idempotency-Key` with each turn, and the same key when
/// the turn is sent again (a timeout, a gateway that restarted): a check-in or message the
/// first attempt stored is not stored again, even in a new conversation.
#[utoipa::path(post, path = "/api/chat", tag = "chat",
    request_body = ChatRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "16 to 255 of [A-Za-z0-9-_.:], fresh per turn, the same on a retry")),
    responses(
        (status = 200, body = ChatResponse),
        (status = 400, description = "not JSON", body = crate::error::ErrorResponse),
        (status = 413, body = crate::error::ErrorResponse),
        (status = 415, body = crate::error::ErrorResponse),
        (status = 422, description = "wrong shape, empty message, a malformed Idempotency-Key, or one sent before with other words", body = crate::error::ErrorResponse),
    ))]
pub async fn chat(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Json<ChatResponse>, ApiError> {
    let key = idempotency_key(&headers)?;
    let message = state.desk().check_message(&req.message)?;
    let Some(conversations) = state.conversations() else {
        // No store in this deployment: stateless answers from the profile.
        let reply = state.desk().reply(message, &state.desk().clock().now())?;
        return Ok(Json(ChatResponse {
            reply,
            conversation_id: None,
        }));
    };
    if let Some(id) = &req.conversation_id
        && (id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(ApiError::invalid(
            "conversation_id",
            "not a conversation id".to_owned(),
        ));
    }
    let id = match conversations
        .resolve(req.conversation_id.as_deref())
        .await
        .map_err(chat_error)?
    {
        crate::conversations::Lookup::Ready(id) => id,
        crate::conversations::Lookup::Unknown => return Err(ApiError::ConversationNotFound),
    };
    let reply = conversations.ask(&id, message, key).await.map_err(chat_error)?;
    Ok(Json(ChatResponse {
        reply,
        conversation_id: Some(id),
    }))
}

/// What a client is told when a conversation cannot answer: its own mistakes plainly, the
/// rest as a service unavailable for now (the cause goes to the log only).
fn chat_error(e: crate::conversations::ChatError) -> ApiError {
    use crate::conversations::ChatError;
    match e {
        ChatError::Ended => ApiError::ConversationNotFound,
        ChatError::Desk(e @ donna_desk::DeskError::KeyReused { .. }) => e.into(),
        e => {
            tracing::warn!(error = %e, "conversation failed");
            ApiError::unavailable(
                "Donna could not answer just now; please try again or ask at the front desk",
            )
        }
    }
}

/// The visit is over: end the conversation now, with what the backend holds of it, rather than
/// when it would expire. Whoever holds the id may end it, as they may continue it.
#[utoipa::path(delete, path = "/api/chat/{conversation_id}", tag = "chat",
    params(("conversation_id" = String, Path, description = "from `POST /api/chat`")),
    responses(
        (status = 204, description = "ended"),
        (status = 404, description = "no such open conversation", body = crate::error::ErrorResponse),
    ))]
pub async fn end(
    State(state): State<GatewayState>,
    Path(conversation_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let conversations = state.conversations().ok_or(ApiError::ConversationNotFound)?;
    if conversations.end(&conversation_id).await {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::ConversationNotFound)
    }
}
