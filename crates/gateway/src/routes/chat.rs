//! `POST /api/chat`: the browser's way to type to Donna.

use axum::Json;
use axum::extract::{FromRequest, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiError, GatewayState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatResponse {
    pub reply: String,
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
        (status = 400, description = "not JSON", body = crate::openapi::ErrorResponse),
        (status = 413, body = crate::openapi::ErrorResponse),
        (status = 415, body = crate::openapi::ErrorResponse),
        (status = 422, description = "wrong shape or empty message", body = crate::openapi::ErrorResponse),
    ))]
pub async fn chat(
    State(state): State<GatewayState>,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Json<ChatResponse>, ApiError> {
    let reply = state.desk().reply(&req.message, &jiff::Timestamp::now())?;
    Ok(Json(ChatResponse { reply }))
}
