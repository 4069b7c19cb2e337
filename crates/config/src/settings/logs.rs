//! The section for Donna's own log files.

use super::layers::Layers;
use crate::ConfigError;

/// The levels `DONNA_LOG` accepts, quietest first.
const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

#[derive(Debug, Clone)]
pub struct LogSettings {
    /// One of `error`, `warn`, `info` (the default), `debug`, `trace` (`DONNA_LOG`).
    pub level: String,
    /// Log files older than this many days are deleted (`LOG_RETENTION_DAYS`, default 14).
    pub retention_days: u32,
}

impl LogSettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        let file = layers.file;
        let level = layers.or_default(
            "DONNA_LOG",
            "log_level",
            file.log_level.as_deref(),
            "info".to_owned(),
            |name, level| {
                if !LEVELS.contains(&level) {
                    return Err(ConfigError::invalid(
                        name,
                        format!("expected one of {}, got \"{level}\"", LEVELS.join(", ")),
                    ));
                }
                Ok(level.to_owned())
            },
        )?;
        let retention_days = layers.int("LOG_RETENTION_DAYS", file.log_retention_days, 1..=3650, 14)?;
        Ok(Self {
            level,
            retention_days: u32::try_from(retention_days).unwrap_or(u32::MAX),
        })
    }
}
