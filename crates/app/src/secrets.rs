//! `donna secrets`: Donna's secrets in the OS keyring, so an API key need not live in an
//! environment file. Values go in on stdin and never come back out: `list` says only which
//! names are stored and where each one in use comes from.

use donna_config::EnvSnapshot;
use donna_config::keyring::{OsKeyring, SECRET_NAMES, SecretStore};

use crate::error::AppError;

/// Where one secret stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretStatus {
    pub name: &'static str,
    pub in_keyring: bool,
    /// Set in the environment, which wins over the keyring.
    pub in_environment: bool,
}

/// Store `value` for `name` in the OS keyring (replacing what was there).
pub fn set(name: &str, value: &str) -> Result<(), AppError> {
    Ok(OsKeyring.set(name, value)?)
}

/// Remove `name` from the OS keyring; false when it was not there.
pub fn delete(name: &str) -> Result<bool, AppError> {
    Ok(OsKeyring.delete(name)?)
}

/// Every secret Donna reads, and where it is set.
pub fn list() -> Result<Vec<SecretStatus>, AppError> {
    let env = EnvSnapshot::from_process();
    SECRET_NAMES
        .iter()
        .map(|name| {
            Ok(SecretStatus {
                name,
                in_keyring: OsKeyring.get(name)?.is_some(),
                in_environment: env.get(name).is_some(),
            })
        })
        .collect()
}
