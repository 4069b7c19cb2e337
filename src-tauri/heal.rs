//! The kiosk window heals itself: a web process that dies is replaced at once (its page
//! reloaded), and the watchdog ([`donna_app::watchdog`]) reloads a page that stops beating and
//! ends the app for its supervisor to restart when that does not help.

use donna_app::watchdog::{Action, RESTART_EXIT_CODE, Watchdog};
use tauri::{AppHandle, Manager, Runtime};

/// Watch the main window's page with `watchdog`.
pub fn watch<R: Runtime>(app: &AppHandle<R>, watchdog: Watchdog) -> tauri::Result<()> {
    reload_when_the_web_process_ends(app, watchdog.clone())?;
    let app = app.clone();
    watchdog
        .spawn(move |action| match action {
            Action::Reload => reload(&app),
            Action::Restart if donna_app::supervise::is_supervised() => {
                // The event loop may be the thing that is stuck: exit from here, not through it.
                std::process::exit(RESTART_EXIT_CODE);
            }
            Action::Restart => {
                tracing::error!(
                    "the kiosk page is not answering and no supervisor can restart the app (DONNA_WATCHDOG)"
                );
            }
        })
        .map_err(tauri::Error::Io)
}

fn reload<R: Runtime>(app: &AppHandle<R>) {
    match app.get_webview_window("main") {
        Some(window) => {
            if let Err(e) = window.reload() {
                tracing::error!(error = %e, "cannot reload the kiosk page");
            }
        }
        None => tracing::error!("the kiosk window is gone; nothing to reload"),
    }
}

/// WebKit runs each page in a web process of its own; when that process crashes or is killed
/// the window goes blank until the page is loaded again, which starts a new one.
#[cfg(target_os = "linux")]
fn reload_when_the_web_process_ends<R: Runtime>(app: &AppHandle<R>, watchdog: Watchdog) -> tauri::Result<()> {
    let Some(window) = app.get_webview_window("main") else {
        return Ok(());
    };
    window.with_webview(move |webview| {
        use webkit2gtk::WebViewExt;
        webview
            .inner()
            .connect_web_process_terminated(move |view, reason| {
                tracing::warn!(reason = ?reason, "the kiosk page's web process ended: reloading the page");
                watchdog.reloaded(std::time::Instant::now());
                view.reload();
            });
    })
}

#[cfg(not(target_os = "linux"))]
fn reload_when_the_web_process_ends<R: Runtime>(_: &AppHandle<R>, _: Watchdog) -> tauri::Result<()> {
    Ok(())
}
