//! What the kiosk says without being asked: when a member of staff acknowledges a visitor who
//! checked in at this kiosk, the window shows "Maria is on their way".

use std::sync::Arc;

use donna_desk::Reception;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::realtime::KIOSK_CONVERSATION;

/// The event the UI listens to.
pub const NOTICE_EVENT: &str = "donna://notice";

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub text: String,
}

/// Forward this kiosk's acknowledgements to the window until the app exits.
pub fn forward<R: Runtime>(app: AppHandle<R>, reception: Arc<Reception>) {
    let mut events = reception.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) if event.kind == "visitor.acknowledged" => {
                    if event.data["conversation_id"].as_str() != Some(KIOSK_CONVERSATION) {
                        continue;
                    }
                    if let Err(e) = app.emit(
                        NOTICE_EVENT,
                        Notice {
                            text: event.summary.clone(),
                        },
                    ) {
                        tracing::warn!(error = %e, "cannot show a notice in the window");
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "kiosk notices fell behind"),
                Err(RecvError::Closed) => return,
            }
        }
    });
}
