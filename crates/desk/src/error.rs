//! The one error type of this crate.

use std::path::PathBuf;

/// What can go wrong in the receptionist's own domain.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The profile file could not be read.
    #[error("profile {path}: {source}")]
    ProfileRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A visitor's message that cannot be answered as given (empty, too long).
    #[error("message {0}")]
    InvalidMessage(String),

    /// The profile was read but is not valid; `place` says where (`staff[2]`, `hours.monday`).
    #[error("profile {origin}: {place}: {message}")]
    ProfileInvalid {
        origin: String,
        place: String,
        message: String,
    },
}
