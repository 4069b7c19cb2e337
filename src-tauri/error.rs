//! Errors of the app shell: start-up failures for the operator, command failures for the UI.

use std::path::PathBuf;

use serde::Serialize;

/// Why Donna could not start. Each message is the one line the operator sees.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] donna_config::ConfigError),
    /// The profile or the desk's store.
    #[error(transparent)]
    Profile(donna_desk::DeskError),
    #[error("data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Engine(donna_engine::EngineError),
    #[error(transparent)]
    Models(#[from] donna_models::ModelsError),
    #[error("logging: {0}")]
    Logging(String),
    #[error(transparent)]
    Gateway(#[from] donna_gateway::GatewayError),
    #[error("{0}")]
    Auth(#[from] donna_gateway::auth::AuthError),
    #[error(
        "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set): run `donna serve` and open the UI in a browser"
    )]
    NoDisplay,
    #[error("window: {0}")]
    Window(String),
}

/// A command failure as the UI receives it: `{ "kind": "...", "message": "..." }`.
#[derive(Debug, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CommandError {
    pub kind: &'static str,
    pub message: String,
}

impl From<donna_desk::DeskError> for CommandError {
    fn from(e: donna_desk::DeskError) -> Self {
        match e {
            donna_desk::DeskError::InvalidMessage(_) => Self {
                kind: "invalid_message",
                message: e.to_string(),
            },
            other => {
                tracing::error!(error = %other, "chat failed");
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
