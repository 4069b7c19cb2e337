//! Why a command failed: the one line the operator sees.

use donna_app::AppError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    App(#[from] AppError),
    /// A window could not open; the message is the windowed build's own.
    #[error("{0}")]
    Window(Box<dyn std::error::Error>),
    #[error(
        "this donna is the server build, without windows: run `donna-server serve` and open the UI in a browser"
    )]
    NoWindows,
    #[error("cannot read stdin: {0}")]
    Input(String),
}
