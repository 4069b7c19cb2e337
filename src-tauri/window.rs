//! The app's one window. It is created in code, not from tauri.conf.json, because the kiosk
//! and the staff desktop show different pages in it, and the kiosk locks it down.

use donna_app::WindowMode;
use tauri::{AppHandle, Runtime, WebviewUrl, WebviewWindowBuilder};

/// Open the main window on `page` (a file of `ui/`). As a kiosk it is full screen, undecorated,
/// above other windows and without devtools; in either mode it never leaves Donna's own pages.
pub fn open<R: Runtime>(app: &AppHandle<R>, page: &str, title: &str, mode: WindowMode) -> tauri::Result<()> {
    let builder = WebviewWindowBuilder::new(app, "main", WebviewUrl::App(page.into()))
        .title(title)
        .on_navigation(is_own_page);
    let builder = match mode {
        WindowMode::Window => builder.inner_size(1280.0, 800.0).min_inner_size(720.0, 520.0),
        WindowMode::Kiosk => {
            // Full screen is a request to the window manager, and kiosk sessions often run
            // without one: the window is also placed over the whole monitor itself.
            let builder = match app.primary_monitor()? {
                Some(monitor) => {
                    let size = monitor.size().to_logical::<f64>(monitor.scale_factor());
                    let at = monitor.position().to_logical::<f64>(monitor.scale_factor());
                    builder.inner_size(size.width, size.height).position(at.x, at.y)
                }
                None => builder,
            };
            builder
                .fullscreen(true)
                .decorations(false)
                .resizable(false)
                .always_on_top(true)
                .devtools(false)
        }
    };
    let window = builder.build()?;
    software_rendering(&window)
}

/// A receptionist's page needs no GPU compositing, and on a kiosk without a GPU WebKit would
/// composite through a software GL: rendering without it keeps the web process about a third
/// smaller (BENCHMARKS.md, "The kiosk at rest").
#[cfg(target_os = "linux")]
fn software_rendering<R: Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    })
}

#[cfg(not(target_os = "linux"))]
fn software_rendering<R: Runtime>(_: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    Ok(())
}

/// Donna's own pages, as the webview loads them on each platform (`tauri://localhost` on
/// Linux and macOS, `http(s)://tauri.localhost` on Windows). Anything else (a link, a script's
/// `location`, a dragged-in file) is refused: a kiosk must not become a browser.
fn is_own_page(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_donnas_own_pages_may_load() {
        let own = [
            "tauri://localhost/index.html",
            "http://tauri.localhost/staff.html",
        ];
        let other = [
            "https://example.com/",
            "file:///etc/passwd",
            "http://127.0.0.1:8765/",
            "tauri://evil.example/",
            "javascript:alert(1)",
        ];
        for url in own {
            assert!(is_own_page(&url.parse().expect("url")), "{url}");
        }
        for url in other {
            assert!(!is_own_page(&url.parse().expect("url")), "{url}");
        }
    }
}
