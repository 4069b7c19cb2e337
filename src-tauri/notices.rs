//! What the kiosk says without being asked, shown in the window: when a member of staff
//! acknowledges a visitor who checked in at this kiosk, "Maria is on their way".

use donna_app::Notices;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

/// The event the UI listens to.
pub const NOTICE_EVENT: &str = "donna://notice";

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub text: String,
}

/// Show this kiosk's notices in the window until the app exits.
pub fn forward<R: Runtime>(app: AppHandle<R>, mut notices: Notices) {
    tauri::async_runtime::spawn(async move {
        while let Some(text) = notices.next().await {
            if let Err(e) = app.emit(NOTICE_EVENT, Notice { text }) {
                tracing::warn!(error = %e, "cannot show a notice in the window");
            }
        }
    });
}
