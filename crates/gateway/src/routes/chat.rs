//! `POST /api/chat`: the browser's way to type to Donna.

use axum::Json;
use axum::extract::{FromRequest, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiError, GatewayState};

/// The largest `/api/chat` body: a message of the longest length the desk takes, every
/// character escaped, with room for the conversation id.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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

/// One typed message to Donna.
#[utoipa::path(post, path = "/api/chat", tag = "chat",
    request_body = ChatRequest,
    responses(
        (status = 200, body = ChatResponse),
        (status = 400, description = "not JSON", body = crate::error::ErrorResponse),
        (status = 413, body = crate::error::ErrorResponse),
        (status = 415, body = crate::error::ErrorResponse),
        (status = 422, description = "wrong shape or empty message", body = crate::error::ErrorResponse),
    ))]
pub async fn chat(
    State(state): State<GatewayState>,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Json<ChatResponse>, ApiError> {
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
    let id = match conversations.resolve(req.conversation_id.as_deref()).await {
        crate::conversations::Lookup::Ready(id) => id,
        crate::conversations::Lookup::Unknown => return Err(ApiError::ConversationNotFound),
    };
    let reply = conversations.ask(&id, message).await.map_err(|e| {
        tracing::warn!(error = %e, "conversation failed");
        ApiError::unavailable("Donna could not answer just now; please try again or ask at the front desk")
    })?;
    Ok(Json(ChatResponse {
        reply,
        conversation_id: Some(id),
    }))
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
