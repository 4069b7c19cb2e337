//! The staff app's settings screen: thin commands over `donna_app::setup` and the doctor.

use donna_app::Overrides;
use donna_app::doctor::Report;
use donna_app::setup::SetupStatus;

use crate::error::CommandError;

/// The command line the staff app was started with, so the settings read as a kiosk here would.
#[derive(Debug)]
pub struct SettingsState {
    pub overrides: Overrides,
}

type State<'a> = tauri::State<'a, SettingsState>;

/// The backend this machine's kiosk uses and where its key comes from.
#[tauri::command]
pub fn settings_status(state: State<'_>) -> Result<SetupStatus, CommandError> {
    Ok(donna_app::setup::status(&state.overrides)?)
}

/// Save the OpenAI key to the OS keyring; it is never sent back.
#[tauri::command]
pub fn save_api_key(state: State<'_>, key: String) -> Result<SetupStatus, CommandError> {
    donna_app::setup::save_api_key(&key)?;
    Ok(donna_app::setup::status(&state.overrides)?)
}

/// Remove the OpenAI key from the OS keyring.
#[tauri::command]
pub fn remove_api_key(state: State<'_>) -> Result<SetupStatus, CommandError> {
    donna_app::setup::remove_api_key()?;
    Ok(donna_app::setup::status(&state.overrides)?)
}

/// The doctor's checks: the profile, the audio devices (a tone played and heard back), the
/// backend. Off the window's thread: the tone takes half a second.
#[tauri::command]
pub async fn run_checks(state: State<'_>) -> Result<Report, CommandError> {
    let overrides = state.overrides.clone();
    tauri::async_runtime::spawn_blocking(move || donna_app::doctor::diagnose(&overrides))
        .await
        .map_err(|e| CommandError {
            kind: "internal",
            message: format!("the checks stopped: {e}"),
        })
}
