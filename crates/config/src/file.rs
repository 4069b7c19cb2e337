//! The optional TOML config file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ConfigError;

/// The config file's schema. Every field is optional; unknown keys are an error so a typo
/// (`enable_vda = true`) is caught instead of silently ignored.
///
/// Secrets (`OPENAI_API_KEY`, `JWT_SECRET`) are deliberately not accepted here: a config file
/// gets copied, committed and attached to tickets, so secrets come from the environment or the
/// OS keyring only.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<String>,
    pub backend: Option<String>,
    pub profile: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub allowed_origins: Option<Vec<String>>,
    pub production_domain: Option<String>,
    pub public_hosts: Option<Vec<String>>,
    pub trusted_proxies: Option<Vec<String>>,
    pub use_ws_proxy: Option<bool>,
    pub enable_vad: Option<bool>,
    pub enable_server_vad: Option<bool>,
    pub enable_ws_proxy: Option<bool>,
    pub openai_realtime_model: Option<String>,
    pub openai_base_url: Option<String>,
    pub log_level: Option<String>,
    pub webhooks: Option<Vec<String>>,
    pub log_retention_days: Option<u64>,
    pub marketing_backend_url: Option<String>,
    pub marketing_allowed_paths: Option<Vec<String>>,
    pub request_timeout_s: Option<u64>,
    pub upstream_timeout_s: Option<u64>,
    pub ws_proxy_max_sessions: Option<u64>,
    pub ws_proxy_max_sessions_per_identity: Option<u64>,
    pub ws_proxy_idle_timeout_s: Option<u64>,
    pub ws_proxy_max_session_s: Option<u64>,
    pub ws_proxy_max_frame_bytes: Option<u64>,
    pub openai_transcribe_model: Option<String>,
    pub openai_chat_model: Option<String>,
    pub elevenlabs_base_url: Option<String>,
    pub elevenlabs_voice_id: Option<String>,
    /// Per-route limits, e.g. `token_identity = "6/min"`; keys as the `RATE_LIMIT_*` names.
    pub rate_limits: Option<std::collections::BTreeMap<String, String>>,
    pub input_device: Option<String>,
    pub output_device: Option<String>,
    pub voice_speed: Option<f32>,
    pub voice: Option<String>,
    pub whisper_threads: Option<u32>,
    /// Word → how the offline voice should say it.
    pub voice_lexicon: Option<std::collections::BTreeMap<String, String>>,
    /// `window` or `kiosk` (`DONNA_MODE`).
    pub mode: Option<String>,
    pub visit_idle_s: Option<u64>,
    pub visit_goodbye_s: Option<u64>,
    pub visit_max_s: Option<u64>,
    pub visit_max_cost_usd: Option<f64>,
    pub watchdog: Option<bool>,
}

impl FileConfig {
    /// Read and parse a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::FileRead {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::FileParse {
            path: path.to_owned(),
            message,
        })
    }

    /// Parse TOML text; the error is a one-line description.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| {
            // toml's errors are multi-line with a source excerpt; the operator gets one line.
            let msg = e.message().to_owned();
            match e.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: {msg}")
                }
                None => msg,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_their_line() {
        let err = FileConfig::parse("addr = \"127.0.0.1:1\"\nenable_vda = true\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(err.contains("enable_vda"), "{err}");
    }

    #[test]
    fn secrets_are_not_accepted_in_the_file() {
        let err = FileConfig::parse("openai_api_key = \"sk-canary\"\n").unwrap_err();
        assert!(err.contains("openai_api_key"), "{err}");
        assert!(!err.contains("sk-canary"), "the value must not be echoed: {err}");
    }

    #[test]
    fn wrong_types_are_rejected() {
        let err = FileConfig::parse("enable_vad = \"sometimes\"\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }
}
