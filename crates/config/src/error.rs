//! The one error type of this crate.

use std::path::PathBuf;

/// A configuration problem, phrased for the operator who has to fix it.
///
/// Each variant's message starts with the name of the variable or file at fault, because the
/// binary prints it as the single line the operator sees before the process exits.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that is present but cannot be used.
    #[error("{name}: {problem}")]
    Invalid { name: String, problem: String },

    /// A value the current combination of settings needs but nobody gave.
    #[error("{name}: {problem}")]
    Missing { name: String, problem: String },

    /// The config file could not be read.
    #[error("config file {path}: {source}")]
    FileRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The OS keyring could not be read or written (no session bus, a locked collection, ...).
    #[error("OS keyring: {0}")]
    Keyring(String),

    /// The config file is not valid TOML for the schema (unknown key, wrong type, ...).
    #[error("config file {path}: {message}")]
    FileParse { path: PathBuf, message: String },
}

impl ConfigError {
    pub(crate) fn invalid(name: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }

    pub(crate) fn missing(name: &str, problem: impl Into<String>) -> Self {
        Self::Missing {
            name: name.to_owned(),
            problem: problem.into(),
        }
    }
}
