//! Logs: wiring only. The sinks (stderr, the JSON daily file, the security file), the PII
//! scrubber and the retention policy live in `donna_gateway::logs`.

use donna_config::Settings;
use donna_gateway::logs::{LogConfig, LogGuard, Scrubber};

use crate::error::AppError;

/// Install the global subscriber. Keep the returned guard alive: dropping it flushes the files.
pub fn init(settings: &Settings, engine_key: &str) -> Result<LogGuard, AppError> {
    // Every configured secret is redacted by value, whatever its shape.
    let secrets = settings
        .secrets()
        .map(|s| s.expose().to_owned())
        .chain([engine_key.to_owned()])
        .filter(|s| !s.is_empty());
    let crates = [
        "donna",
        "donna_app",
        "donna_shell",
        "donna_gateway",
        "donna_desk",
        "donna_config",
        "donna_engine",
        "donna_realtime",
        "donna_staff",
        "donna_speech",
        "tower_http",
    ];
    let guard = donna_gateway::logs::init(LogConfig {
        dir: settings.storage.data_dir.join("logs"),
        level: settings.logs.level.clone(),
        retention_days: settings.logs.retention_days,
        crates: crates.iter().map(|c| (*c).to_owned()).collect(),
        scrubber: Scrubber::new().with_secrets(secrets),
    })?;
    Ok(guard)
}
