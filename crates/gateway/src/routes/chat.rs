//! `POST /api/chat`: the browser's way to type to Donna.

use axum::Json;
use axum::extract::{FromRequest, State};
use serde::{Deserialize, Serialize};

use crate::{ApiError, GatewayState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct ChatResponse {
    pub reply: String,
}

/// `axum::Json`, with its rejections turned into [`ApiError`] so bad JSON gets the JSON error shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

pub async fn chat(
    State(state): State<GatewayState>,
    ApiJson(req): ApiJson<ChatRequest>,
) -> Result<Json<ChatResponse>, ApiError> {
    let reply = state.desk().reply(&req.message, &jiff::Timestamp::now())?;
    Ok(Json(ChatResponse { reply }))
}
