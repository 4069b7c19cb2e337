//! Tauri commands: each a few lines over a core handle. The webview only renders and forwards.

use std::sync::Arc;

use donna_desk::Desk;
use serde::Serialize;

use crate::error::CommandError;
use crate::realtime::Realtime;
use crate::voice::{VoiceControl, VoiceInfo};

/// State the commands reach through `tauri::State`.
#[derive(Debug)]
pub struct AppState {
    pub desk: Arc<Desk>,
    pub realtime: Realtime,
    pub voice: VoiceControl,
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

/// The business's clock, for the kiosk's clock: its zone, not the device's.
#[tauri::command]
pub fn clock(state: tauri::State<'_, AppState>) -> donna_desk::clock::Reading {
    state.desk.clock_reading()
}

/// Turn voice on and stream level, state, captions and device changes to the panel.
#[tauri::command]
pub async fn voice_start(
    state: tauri::State<'_, AppState>,
    events: tauri::ipc::Channel<donna_voice::VoiceEvent>,
) -> Result<VoiceInfo, CommandError> {
    state.voice.start(move |e| events.send(e).is_ok()).await
}

/// The mic button went down.
#[tauri::command]
pub async fn voice_press(state: tauri::State<'_, AppState>) -> Result<(), CommandError> {
    Ok(state.voice.get().await?.press().await?)
}

/// The mic button came up: Donna answers.
#[tauri::command]
pub async fn voice_release(state: tauri::State<'_, AppState>) -> Result<(), CommandError> {
    Ok(state.voice.get().await?.release().await?)
}
