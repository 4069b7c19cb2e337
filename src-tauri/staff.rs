//! `donna staff`: the staff desktop. It follows a gateway's visitor events, shows each as a
//! native notification and in its window, and tells the gateway when the staff member is on
//! their way. The work is in the `donna-staff` crate; this wires it to the window.

use donna_app::Overrides;
use donna_staff::client::{MessageRow, VisitRow};
use donna_staff::{DeskEvent, Link, StaffClient};
use serde::Serialize;
use tauri::{Emitter, Manager, RunEvent};
use tauri_plugin_notification::NotificationExt;
use tokio_util::sync::CancellationToken;

use crate::error::{CommandError, ShellError};

/// The event the staff page listens to.
pub const STAFF_EVENT: &str = "donna://staff-event";
/// The window event carrying the state of the link to the gateway.
pub const STAFF_LINK: &str = "donna://staff-link";

#[derive(Debug)]
struct StaffState {
    client: StaffClient,
    link: tokio::sync::watch::Receiver<Link>,
}

pub fn run(overrides: &Overrides) -> Result<(), ShellError> {
    crate::gui::require_display()?;
    let donna_app::staff::StaffDesk {
        client, log_guard, ..
    } = donna_app::staff::prepare(overrides)?;
    let shutdown = CancellationToken::new();
    let follow_shutdown = shutdown.clone();
    let (link, mut link_rx) = tokio::sync::watch::channel(Link::Connecting);
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .manage(StaffState {
            client: client.clone(),
            link: link_rx.clone(),
        })
        .manage(crate::settings::SettingsState {
            overrides: overrides.clone(),
        })
        .invoke_handler(tauri::generate_handler![
            staff_snapshot,
            staff_link,
            acknowledge,
            check_out,
            crate::settings::settings_status,
            crate::settings::save_api_key,
            crate::settings::remove_api_key,
            crate::settings::run_checks
        ])
        .setup(move |app| {
            crate::window::open(
                app.handle(),
                "staff.html",
                "Donna — staff",
                donna_app::WindowMode::Window,
            )?;
            let handle = app.handle().clone();
            let (tx, mut rx) = tokio::sync::mpsc::channel::<DeskEvent>(64);
            tauri::async_runtime::spawn(async move {
                if let Err(e) = client.follow(tx, link, follow_shutdown).await {
                    tracing::error!(error = %e, "staff events stopped");
                }
            });
            // The header says what is true: connected, reconnecting (and why), or refused.
            let link_handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    let state = link_rx.borrow_and_update().clone();
                    if let Err(e) = link_handle.emit(STAFF_LINK, &state) {
                        tracing::warn!(error = %e, "cannot show the link state");
                    }
                    if link_rx.changed().await.is_err() {
                        return;
                    }
                }
            });
            tauri::async_runtime::spawn(async move {
                while let Some(event) = rx.recv().await {
                    show(&handle, &event);
                }
            });
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(move |_, event| {
        if let RunEvent::Exit = event {
            shutdown.cancel();
            log_guard.flush();
        }
    });
    Ok(())
}

/// One event: in the window, and as a native notification for the ones that need a person.
fn show(app: &tauri::AppHandle, event: &DeskEvent) {
    if let Err(e) = app.emit(STAFF_EVENT, event) {
        tracing::warn!(error = %e, "cannot show an event in the window");
    }
    let title = match event.kind.as_str() {
        "visitor.checked_in" => "Visitor at reception",
        "message.left" => "New message",
        "staff.notified" => "Help needed at reception",
        _ => return,
    };
    // A desktop without a notification service still has the window; say so once per event.
    if let Err(e) = app
        .notification()
        .builder()
        .title(title)
        .body(&event.summary)
        .show()
    {
        tracing::warn!(error = %e, "native notification failed; the event is in the window");
    }
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.request_user_attention(Some(tauri::UserAttentionType::Informational));
    }
}

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub visits: Vec<VisitRow>,
    pub messages: Vec<MessageRow>,
    /// The front desk's zone, which the page shows times in.
    pub time_zone: String,
}

/// Today's visits and messages, for the page's first render.
#[tauri::command]
async fn staff_snapshot(state: tauri::State<'_, StaffState>) -> Result<Snapshot, CommandError> {
    let (visits, messages, time_zone) = tokio::try_join!(
        state.client.visits_today(),
        state.client.messages_today(),
        state.client.time_zone()
    )
    .map_err(CommandError::from_staff)?;
    Ok(Snapshot {
        visits,
        messages,
        time_zone,
    })
}

/// The link to the gateway as it is now (the page then follows its changes).
#[tauri::command]
fn staff_link(state: tauri::State<'_, StaffState>) -> Link {
    state.link.borrow().clone()
}

/// "On my way" for visit `visit_id`.
#[tauri::command]
async fn acknowledge(state: tauri::State<'_, StaffState>, visit_id: i64) -> Result<(), CommandError> {
    state
        .client
        .acknowledge(visit_id)
        .await
        .map_err(CommandError::from_staff)
}

/// "Checked out" for visit `visit_id`: the visitor has left. The visit as stored.
#[tauri::command]
async fn check_out(state: tauri::State<'_, StaffState>, visit_id: i64) -> Result<VisitRow, CommandError> {
    state
        .client
        .check_out(visit_id)
        .await
        .map_err(CommandError::from_staff)
}
