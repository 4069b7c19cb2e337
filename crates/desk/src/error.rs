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

    /// Input that cannot be stored or acted on as given (tool arguments, names, messages).
    #[error("{field}: {problem}")]
    InvalidInput { field: &'static str, problem: String },

    /// A record that does not exist.
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },

    /// An idempotency key sent again with a different request: a client's bug, never a retry.
    #[error("idempotency key {key:?} was already used for a different {what}")]
    KeyReused { what: &'static str, key: String },

    /// The sentence model failed on a text (see [`crate::meaning`]).
    #[error("sentence model: {0}")]
    Meaning(String),

    /// The database failed; details stay in logs, never in replies.
    #[error("storage: {0}")]
    Storage(#[from] rusqlite::Error),

    /// Another store engine failed (PostgreSQL): what it said, never its credentials.
    #[error("storage: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),

    /// The database file could not be created.
    #[error("storage {path}: {source}")]
    StorageFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The profile was read but is not valid; `place` says where (`staff[2]`, `hours.monday`).
    #[error("profile {origin}: {place}: {message}")]
    ProfileInvalid {
        origin: String,
        place: String,
        message: String,
    },
}
