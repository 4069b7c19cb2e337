//! The app's one window. It is created in code, not from tauri.conf.json, because the kiosk
//! and the staff desktop show different pages in it.

use tauri::{AppHandle, Runtime, WebviewUrl, WebviewWindowBuilder};

/// Open the main window on `page` (a file of `ui/`).
pub fn open<R: Runtime>(app: &AppHandle<R>, page: &str, title: &str) -> tauri::Result<()> {
    WebviewWindowBuilder::new(app, "main", WebviewUrl::App(page.into()))
        .title(title)
        .inner_size(1280.0, 800.0)
        .min_inner_size(720.0, 520.0)
        .build()
        .map(|_| ())
}
