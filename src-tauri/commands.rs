//! Tauri commands: each a line over the kiosk (crates/app). The webview only renders and
//! forwards.

use std::sync::Arc;

use donna_app::{ClockReading, Kiosk, KioskScreen, VoiceEvent, VoiceInfo};
use serde::Serialize;

use crate::error::CommandError;

type KioskState<'a> = tauri::State<'a, Arc<Kiosk>>;

#[derive(Debug, Serialize)]
pub struct ChatReply {
    pub reply: String,
}

/// One typed message from the visitor; Donna's reply.
#[tauri::command]
pub async fn chat(kiosk: KioskState<'_>, message: String) -> Result<ChatReply, CommandError> {
    Ok(ChatReply {
        reply: kiosk.chat(&message).await?,
    })
}

/// The business's clock, for the kiosk's clock: its zone, not the device's.
#[tauri::command]
pub fn clock(kiosk: KioskState<'_>) -> ClockReading {
    kiosk.clock()
}

/// Turn voice on and stream level, state, captions and device changes to the panel.
#[tauri::command]
pub async fn voice_start(
    kiosk: KioskState<'_>,
    events: tauri::ipc::Channel<VoiceEvent>,
) -> Result<VoiceInfo, CommandError> {
    Ok(kiosk.start_voice(move |e| events.send(e).is_ok()).await?)
}

/// The mic button went down.
#[tauri::command]
pub async fn voice_press(kiosk: KioskState<'_>) -> Result<(), CommandError> {
    Ok(kiosk.press().await?)
}

/// The mic button came up: Donna answers.
#[tauri::command]
pub async fn voice_release(kiosk: KioskState<'_>) -> Result<(), CommandError> {
    Ok(kiosk.release().await?)
}

/// The first screen: the business's name and greeting, questions to tap, the window's mode
/// and when a quiet visit ends.
#[tauri::command]
pub fn welcome(kiosk: KioskState<'_>) -> KioskScreen {
    kiosk.screen()
}

/// The visitor has gone: Donna stops and forgets the conversation for the next visitor.
#[tauri::command]
pub async fn end_visit(kiosk: KioskState<'_>) -> Result<(), CommandError> {
    kiosk.end_visit().await;
    Ok(())
}

/// How Donna is connected now (changes follow as `donna://link` events).
#[tauri::command]
pub fn link(kiosk: KioskState<'_>) -> donna_app::link::SessionLink {
    kiosk.link().borrow().clone()
}

/// The page is alive: it calls this every second for the watchdog.
#[tauri::command]
pub fn heartbeat(kiosk: KioskState<'_>) {
    kiosk.watchdog().beat();
}
