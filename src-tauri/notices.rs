//! What the kiosk says without being asked, shown in the window: when a member of staff
//! acknowledges a visitor who checked in at this kiosk, "Maria is on their way"; and how
//! Donna is connected, so the window can say plainly when she answers offline.

use donna_app::Notices;
use donna_app::link::SessionLink;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

/// The event the UI listens to.
pub const NOTICE_EVENT: &str = "donna://notice";

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub text: String,
}

/// The event carrying each change of the session's connection ([`donna_app::link::SessionLink`]).
pub const LINK_EVENT: &str = "donna://link";

/// Show each change of the kiosk session's connection in the window until the app exits.
pub fn forward_link<R: Runtime>(app: AppHandle<R>, mut link: tokio::sync::watch::Receiver<SessionLink>) {
    tauri::async_runtime::spawn(async move {
        while link.changed().await.is_ok() {
            let now = link.borrow_and_update().clone();
            if let Err(e) = app.emit(LINK_EVENT, now) {
                tracing::warn!(error = %e, "cannot show the connection in the window");
            }
        }
    });
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
