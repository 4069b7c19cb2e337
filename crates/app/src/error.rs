//! Why Donna could not start, or could not do what a window asked. Each message is the one line
//! the operator (or, through the shell, the visitor's page) sees.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] donna_config::ConfigError),
    /// The profile, the desk's store, or the desk refusing a request.
    #[error(transparent)]
    Desk(donna_desk::DeskError),
    #[error(transparent)]
    Postgres(#[from] donna_postgres::PostgresError),
    #[error(transparent)]
    Redis(#[from] donna_redis::RedisError),
    /// A typed message the desk will not take (empty, too long): the visitor is told why.
    #[error("{0}")]
    InvalidMessage(String),
    /// A value for a setting the staff app refuses, with what to do.
    #[error("{0}")]
    InvalidSetting(String),
    #[error("data dir {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The certificate authority for PostgreSQL and Redis (`DONNA_TLS_CA_FILE`).
    #[error("certificate authority file {path}: {source}")]
    CaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The login autostart entry could not be read or written.
    #[error("autostart: {0}")]
    Autostart(String),
    /// Another `donna` window holds this data dir.
    #[error("Donna is already running for {} (process {pid}); close it first", data_dir.display())]
    AlreadyRunning { data_dir: PathBuf, pid: String },
    /// The file holding a secret Donna made for itself (the token-signing key).
    #[error("key file {path}: {source}")]
    KeyFile {
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
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Gateway(#[from] donna_gateway::GatewayError),
    #[error("{0}")]
    Auth(#[from] donna_gateway::auth::AuthError),
    #[error(transparent)]
    Staff(#[from] donna_staff::StaffError),
    /// The kiosk's voice could not start or act; the detail is for the log, not the visitor.
    #[error("voice is not available: {0}")]
    VoiceUnavailable(String),
}

impl From<donna_desk::DeskError> for AppError {
    fn from(e: donna_desk::DeskError) -> Self {
        match e {
            donna_desk::DeskError::InvalidMessage(_) => Self::InvalidMessage(e.to_string()),
            other => Self::Desk(other),
        }
    }
}

impl From<donna_voice::VoiceError> for AppError {
    fn from(e: donna_voice::VoiceError) -> Self {
        Self::VoiceUnavailable(e.to_string())
    }
}
