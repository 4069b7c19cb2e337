//! Errors of the shell: start-up failures for the operator, command failures for the UI.

use donna_app::AppError;
use serde::Serialize;

/// Why a window could not open. Each message is the one line the operator sees.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error(
        "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set): run `donna serve` and open the UI in a browser"
    )]
    NoDisplay,
    #[error("window: {0}")]
    Window(#[from] tauri::Error),
}

/// A command failure as the UI receives it: `{ "kind": "...", "message": "..." }`.
#[derive(Debug, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl From<AppError> for CommandError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::InvalidMessage(message) => Self {
                kind: "invalid_message",
                message,
            },
            AppError::InvalidSetting(message) => Self {
                kind: "invalid_setting",
                message,
            },
            // Staff see why the keyring refused (no session bus, locked): no secret is in it.
            AppError::Config(donna_app::ConfigError::Keyring(detail)) => Self {
                kind: "keyring",
                message: format!("The OS keyring is not available: {detail}"),
            },
            AppError::VoiceUnavailable(detail) => {
                tracing::error!(error = %detail, "voice failed");
                Self {
                    kind: "voice_unavailable",
                    message: "Voice is not available right now. Please type your question.".to_owned(),
                }
            }
            other => {
                tracing::error!(error = %other, "command failed");
                Self {
                    kind: "internal",
                    message: "Something went wrong; please ask at the front desk.".to_owned(),
                }
            }
        }
    }
}

impl CommandError {
    /// A staff-desktop failure as the page shows it.
    pub fn from_staff(e: donna_staff::StaffError) -> Self {
        let kind = match e {
            donna_staff::StaffError::Refused(_) => "unauthorized",
            donna_staff::StaffError::Unreachable(_) => "unreachable",
            _ => "gateway",
        };
        Self {
            kind,
            message: e.to_string(),
        }
    }
}
