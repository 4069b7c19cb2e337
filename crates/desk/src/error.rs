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

    /// The profile was read but is not valid; `place` says where (`staff[2]`, `hours.monday`).
    #[error("profile {origin}: {place}: {message}")]
    ProfileInvalid { origin: String, place: String, message: String },
}
