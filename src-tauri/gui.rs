//! The kiosk window, with the gateway running in-process on loopback beside it.

use std::sync::Arc;

use donna_app::{Donna, Overrides};
use tauri::{Manager, RunEvent, Runtime};

use crate::commands;
use crate::error::ShellError;

pub fn run(overrides: &Overrides) -> Result<(), ShellError> {
    require_display()?;
    let settings = donna_app::Settings::load(overrides).map_err(donna_app::AppError::from)?;
    if donna_app::supervise::is_supervised() {
        donna_app::supervise::bind_to_supervisor();
    } else if settings.kiosk.mode == donna_app::WindowMode::Kiosk && settings.kiosk.watchdog {
        // This process only supervises; the kiosk runs in the child it starts.
        return match donna_app::supervise::run()? {
            donna_app::supervise::Stopped::Clean => Ok(()),
            // The kiosk said why on stderr; the operator needs that line, not a second one.
            donna_app::supervise::Stopped::StartFailed(code) => std::process::exit(code),
        };
    }
    // Before anything opens a device, the store or the port.
    let _instance = donna_app::instance::lock(&settings.storage.data_dir)?;
    let donna = Donna::new(settings)?;
    run_app(tauri::Builder::default(), donna)
}

/// Checked first: without a display GTK would abort with a panic, not an explanation.
pub fn require_display() -> Result<(), ShellError> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err(ShellError::NoDisplay);
    }
    Ok(())
}

/// How long exiting waits for realtime sessions to close.
const SESSIONS_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Build and run the app on any Tauri runtime, so the wiring itself can be tested.
pub fn run_app<R: Runtime>(builder: tauri::Builder<R>, donna: Donna) -> Result<(), ShellError> {
    // Listened for from the start, so a SIGTERM at any moment from here on closes cleanly.
    let terminate = tauri::async_runtime::block_on(async { terminate_signal() });
    // Served on Tauri's async runtime, where the kiosk's session and voice tasks live too.
    let (running, kiosk) = tauri::async_runtime::block_on(async {
        let running = donna.start()?;
        let kiosk = Arc::new(running.kiosk());
        Ok::<_, ShellError>((running, kiosk))
    })?;
    tracing::info!(
        url = running.url(),
        backend = running.settings().backend.active.as_str(),
        "kiosk window starting; gateway on loopback"
    );
    let mode = running.settings().kiosk.mode;
    let kiosk_watchdog = kiosk.watchdog().clone();
    let mut running = Some(running);

    let app = builder
        .invoke_handler(tauri::generate_handler![
            commands::chat,
            commands::clock,
            commands::voice_start,
            commands::voice_press,
            commands::voice_release,
            commands::welcome,
            commands::end_visit,
            commands::link,
            commands::heartbeat
        ])
        .setup(move |app| {
            crate::notices::forward(app.handle().clone(), kiosk.notices());
            crate::notices::forward_link(app.handle().clone(), kiosk.link());
            app.manage(kiosk);
            crate::window::open(app.handle(), "index.html", "Donna", mode)?;
            crate::heal::watch(app.handle(), kiosk_watchdog)?;
            Ok(())
        })
        .build(tauri::generate_context!())?;
    if let Some(terminate) = terminate {
        exit_on_terminate(app.handle().clone(), terminate);
    }

    app.run(move |_handle, event| {
        if let RunEvent::Exit = event
            && let Some(running) = running.take()
            && let Err(e) = tauri::async_runtime::block_on(running.stop(SESSIONS_CLOSE_WAIT))
        {
            tracing::error!(error = %e, "the gateway did not stop cleanly");
        }
    });
    Ok(())
}

/// SIGTERM (a service manager stopping the kiosk, a shutdown) closes the app as its window's
/// close would: the realtime sessions and the gateway stop cleanly instead of being cut off.
#[cfg(unix)]
type Terminate = tokio::signal::unix::Signal;
#[cfg(not(unix))]
type Terminate = ();

#[cfg(unix)]
fn terminate_signal() -> Option<Terminate> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::terminate())
        .map_err(|e| tracing::warn!(error = %e, "cannot listen for SIGTERM; it will end the app at once"))
        .ok()
}

#[cfg(not(unix))]
fn terminate_signal() -> Option<Terminate> {
    None
}

#[cfg(unix)]
fn exit_on_terminate<R: Runtime>(app: tauri::AppHandle<R>, mut terminate: Terminate) {
    tauri::async_runtime::spawn(async move {
        if terminate.recv().await.is_some() {
            tracing::info!("SIGTERM: closing the window");
            app.exit(0);
        }
    });
}

#[cfg(not(unix))]
fn exit_on_terminate<R: Runtime>(_: tauri::AppHandle<R>, _: Terminate) {}
