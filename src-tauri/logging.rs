//! Logs: human-readable lines on stderr, JSON lines in a daily file under `<data dir>/logs`.

use std::io::IsTerminal;
use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::error::StartError;

/// Install the global subscriber. Keep the returned guard alive: dropping it flushes the file.
pub fn init(data_dir: &Path, level: &str) -> Result<WorkerGuard, StartError> {
    let dir = data_dir.join("logs");
    std::fs::create_dir_all(&dir).map_err(|source| StartError::DataDir {
        path: dir.clone(),
        source,
    })?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("donna")
        .filename_suffix("log")
        .build(&dir)
        .map_err(|e| StartError::Logging(e.to_string()))?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);

    // Our crates at the configured level; dependencies only when they warn.
    let filter = format!(
        "warn,donna={level},donna_app={level},donna_gateway={level},donna_desk={level},donna_config={level},tower_http={level}"
    );
    tracing_subscriber::registry()
        .with(EnvFilter::new(filter))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(false)
                .compact(),
        )
        .with(tracing_subscriber::fmt::layer().json().with_writer(file_writer))
        .try_init()
        .map_err(|e| StartError::Logging(e.to_string()))?;
    Ok(guard)
}
