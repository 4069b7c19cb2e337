//! The kiosk window, with the gateway running in-process on loopback beside it.

use donna_config::Overrides;
use tauri::{Manager, RunEvent, Runtime};
use tokio_util::sync::CancellationToken;

use crate::boot::{Booted, boot, local_url};
use crate::commands::{self, AppState};
use crate::error::StartError;
use crate::realtime::Realtime;
use crate::voice::VoiceControl;

pub fn run(overrides: &Overrides) -> Result<(), StartError> {
    require_display()?;
    let booted = boot(overrides)?;
    run_app(tauri::Builder::default(), booted)
}

/// Checked first: without a display GTK would abort with a panic, not an explanation.
pub fn require_display() -> Result<(), StartError> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err(StartError::NoDisplay);
    }
    Ok(())
}

/// How long exiting waits for realtime proxy sessions to close.
const SESSIONS_CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Build and run the app on any Tauri runtime, so the wiring itself can be tested.
pub fn run_app<R: Runtime>(builder: tauri::Builder<R>, booted: Booted) -> Result<(), StartError> {
    let router = booted.router();
    let gateway = booted.gateway.clone();
    let shutdown = CancellationToken::new();
    tauri::async_runtime::block_on(async { booted.start_background(shutdown.child_token()) });
    let Booted {
        desk,
        reception,
        listener,
        settings,
        targets,
        _log_guard,
        ..
    } = booted;
    let url = local_url(&listener)?;
    let gateway_shutdown = gateway.shutdown_token();
    let options = donna_gateway::ServeOptions::of(&gateway);

    let app = builder
        .invoke_handler(tauri::generate_handler![
            commands::chat,
            commands::clock,
            commands::voice_start,
            commands::voice_press,
            commands::voice_release
        ])
        .setup(move |app| {
            tracing::info!(%url, backend = settings.backend.as_str(), "kiosk window starting; gateway on loopback");
            // Entered on the async runtime so the session's tasks live there.
            let realtime =
                tauri::async_runtime::block_on(async { Realtime::start(reception.clone(), &settings, targets) });
            let voice = VoiceControl::new(realtime.clone(), &settings);
            app.manage(AppState { desk, realtime, voice });
            crate::notices::forward(app.handle().clone(), reception.clone());
            tauri::async_runtime::spawn(async move {
                let listener = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "gateway listener unusable");
                        return;
                    }
                };
                if let Err(e) = donna_gateway::serve_with(listener, router, gateway_shutdown, options).await {
                    tracing::error!(error = %e, "gateway stopped");
                }
            });
            crate::window::open(app.handle(), "index.html", "Donna")?;
            Ok(())
        })
        .build(tauri::generate_context!())
        .map_err(|e| StartError::Window(e.to_string()))?;

    app.run(move |_handle, event| {
        if let RunEvent::Exit = event {
            shutdown.cancel();
            gateway.shutdown_token().cancel();
            // Realtime proxy sessions send their close frames (1012) before the process ends.
            tauri::async_runtime::block_on(gateway.sessions_closed(SESSIONS_CLOSE_WAIT));
            // The event loop may end the process without running destructors; log files are
            // buffered, so write them out here.
            _log_guard.flush();
        }
    });
    Ok(())
}
