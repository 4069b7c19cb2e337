//! Tauri commands: each a few lines over a core handle. The webview only renders and forwards.

use std::sync::Arc;

use donna_desk::Desk;
use serde::Serialize;

use crate::error::CommandError;
use crate::realtime::Realtime;

/// State the commands reach through `tauri::State`.
#[derive(Debug)]
pub struct AppState {
    pub desk: Arc<Desk>,
    pub realtime: Realtime,
}

#[derive(Debug, Serialize)]
pub struct ChatReply {
    pub reply: String,
}

/// One typed message from the visitor; Donna's reply.
#[tauri::command]
pub async fn chat(state: tauri::State<'_, AppState>, message: String) -> Result<ChatReply, CommandError> {
    let message = state.desk.check_message(&message)?;
    Ok(ChatReply {
        reply: state.realtime.ask(message).await,
    })
}
