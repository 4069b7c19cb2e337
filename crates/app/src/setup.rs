//! The staff app's settings: which backend this machine's kiosk uses and why, the OpenAI key
//! saved to the OS keyring (never to a file, never shown again), and the doctor's checks (the
//! business profile, the audio devices with a tone played and heard back, the backend). The
//! window's commands are one line over each.

use donna_config::keyring::{OsKeyring, SecretStore};
use donna_config::{EnvSnapshot, Overrides, Settings};
use serde::Serialize;

use crate::error::AppError;

/// The name the key is kept under, in the environment and the keyring alike.
pub const API_KEY: &str = "OPENAI_API_KEY";

/// Where the OpenAI key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The environment (which wins over the keyring).
    Environment,
    Keyring,
    None,
}

/// What the settings screen shows.
#[derive(Debug, Clone, Serialize)]
pub struct SetupStatus {
    /// "openai" or "local".
    pub backend: &'static str,
    pub api_key: KeySource,
    /// False where the platform has no keyring (no desktop session bus); the key cannot be
    /// saved here then.
    pub keyring_available: bool,
    /// Why the keyring could not be read, when it could not.
    pub keyring_problem: Option<String>,
}

/// The settings as a kiosk started now would see them.
pub fn status(overrides: &Overrides) -> Result<SetupStatus, AppError> {
    let settings = Settings::load(overrides)?;
    let env = EnvSnapshot::from_process();
    let (in_keyring, problem) = match OsKeyring.get(API_KEY) {
        Ok(found) => (found.is_some(), None),
        Err(e) => (false, Some(e.to_string())),
    };
    let api_key = if env.get(API_KEY).is_some() {
        KeySource::Environment
    } else if in_keyring {
        KeySource::Keyring
    } else {
        KeySource::None
    };
    Ok(SetupStatus {
        backend: settings.backend.active.as_str(),
        api_key,
        keyring_available: problem.is_none(),
        keyring_problem: problem,
    })
}

/// Save `key` as the OpenAI key in the OS keyring, after checking it looks like one: the
/// kiosk uses the cloud from its next start. The key is not logged, kept or returned.
pub fn save_api_key(key: &str) -> Result<(), AppError> {
    let key = key.trim();
    let problem = if key.is_empty() {
        Some("Paste the key first.")
    } else if !key.starts_with("sk-") {
        Some("That is not an OpenAI API key: they begin with \"sk-\".")
    } else if key.len() < 20 || key.len() > 512 {
        Some("That key is too short or too long to be an OpenAI API key.")
    } else if !key.chars().all(|c| c.is_ascii_graphic()) {
        Some("An OpenAI API key has no spaces or other characters; check what was pasted.")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(AppError::InvalidSetting(problem.to_owned()));
    }
    OsKeyring.set(API_KEY, key)?;
    tracing::info!("the OpenAI key was saved to the OS keyring");
    Ok(())
}

/// Remove the OpenAI key from the keyring; false when it was not there.
pub fn remove_api_key() -> Result<bool, AppError> {
    let removed = OsKeyring.delete(API_KEY)?;
    if removed {
        tracing::info!("the OpenAI key was removed from the OS keyring");
    }
    Ok(removed)
}
