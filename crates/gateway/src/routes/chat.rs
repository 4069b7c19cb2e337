//! `POST /api/chat`: the browser's way to type to Donna.

use axum::Json;
use axum::extract::{FromRequest, State};
use serde::{Deserialize, Serialize};

use crate::{ApiError, GatewayState};

/// The longest message accepted, in characters: far above anything typed at a kiosk, far below
/// anything that could slow the desk down.
pub const MAX_MESSAGE_CHARS: usize = 2000;

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

pub async fn chat(State(state): State<GatewayState>, ApiJson(req): ApiJson<ChatRequest>) -> Result<Json<ChatResponse>, ApiError> {
    let message = req.message.trim();
    if message.is_empty() {
        return Err(ApiError::Invalid {
            field: "message",
            problem: "must not be empty".to_owned(),
        });
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::Invalid {
            field: "message",
            problem: format!("must be at most {MAX_MESSAGE_CHARS} characters"),
        });
    }
    let reply = state.desk().reply(message, &jiff::Timestamp::now());
    Ok(Json(ChatResponse { reply }))
}
