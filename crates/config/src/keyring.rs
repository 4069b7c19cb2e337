//! Secrets kept in the OS keyring (the Secret Service on Linux, the Keychain on macOS, the
//! Credential Manager on Windows), under the service `donna` with the variable's name as the
//! account. The environment still wins: a secret set in both is taken from the environment.
//!
//! Only the names in [`SECRET_NAMES`] are kept here; values are never logged, and a keyring that
//! cannot be reached (no session bus, no Secret Service) reads as empty, so a kiosk without one
//! starts as it would with no secret stored.

use crate::{ConfigError, EnvSnapshot};

/// The keyring's service name for Donna's entries.
pub const SERVICE: &str = "donna";

/// The secrets Donna reads from the keyring when the environment does not set them.
pub const SECRET_NAMES: &[&str] = &[
    "OPENAI_API_KEY",
    "JWT_SECRET",
    "DONNA_ENGINE_KEY",
    "DONNA_STAFF_TOKEN",
    "DONNA_WEBHOOK_SECRET",
    "ELEVENLABS_API_KEY",
    "DONNA_DATABASE_URL",
    "DONNA_REDIS_URL",
];

/// Where secrets are stored besides the environment: the OS keyring, or a map in tests.
pub trait SecretStore {
    /// The stored value of `name`; `None` when nothing is stored.
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError>;
    fn set(&self, name: &str, value: &str) -> Result<(), ConfigError>;
    /// Remove `name`; false when nothing was stored.
    fn delete(&self, name: &str) -> Result<bool, ConfigError>;
}

/// The OS keyring.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(name: &str) -> Result<keyring::Entry, ConfigError> {
        check_name(name)?;
        // Without a session bus, libdbus would try to launch one for the X display: a kiosk
        // started outside a desktop session has no keyring, and says so, rather than that.
        if cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err(ConfigError::Keyring(
                "no desktop session bus (DBUS_SESSION_BUS_ADDRESS is not set)".to_owned(),
            ));
        }
        keyring::Entry::new(SERVICE, name).map_err(unavailable)
    }
}

impl SecretStore for OsKeyring {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        match Self::entry(name)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), ConfigError> {
        if value.trim().is_empty() {
            return Err(ConfigError::invalid(
                name,
                "the value is empty; nothing was stored",
            ));
        }
        Self::entry(name)?.set_password(value.trim()).map_err(unavailable)
    }

    fn delete(&self, name: &str) -> Result<bool, ConfigError> {
        match Self::entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// Only Donna's own secret names: a typo must not store a secret nothing ever reads.
fn check_name(name: &str) -> Result<(), ConfigError> {
    if SECRET_NAMES.contains(&name) {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            name,
            format!("not a secret Donna reads; one of {}", SECRET_NAMES.join(", ")),
        ))
    }
}

// The keyring's own errors name the platform's failure (no bus, locked collection, ...), never
// a value.
fn unavailable(e: keyring::Error) -> ConfigError {
    ConfigError::Keyring(e.to_string())
}

/// What the keyring added to the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyringReport {
    /// The names whose value came from the keyring.
    pub used: Vec<&'static str>,
    /// Why the keyring could not be read, when it could not.
    pub unavailable: Option<String>,
}

impl EnvSnapshot {
    /// This snapshot with each secret it does not set filled in from `store`, and what was
    /// taken. A store that cannot be read is reported once and adds nothing.
    pub fn with_secrets_from(mut self, store: &dyn SecretStore) -> (Self, KeyringReport) {
        let mut report = KeyringReport::default();
        for name in SECRET_NAMES {
            if self.get(name).is_some() {
                continue;
            }
            match store.get(name) {
                Ok(Some(value)) => {
                    self.insert(name, value);
                    report.used.push(name);
                }
                Ok(None) => {}
                Err(e) => {
                    report.unavailable = Some(e.to_string());
                    break;
                }
            }
        }
        (self, report)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    struct Memory(Mutex<HashMap<String, String>>);

    impl SecretStore for Memory {
        fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
            Ok(self.0.lock().unwrap().get(name).cloned())
        }
        fn set(&self, name: &str, value: &str) -> Result<(), ConfigError> {
            self.0.lock().unwrap().insert(name.into(), value.into());
            Ok(())
        }
        fn delete(&self, name: &str) -> Result<bool, ConfigError> {
            Ok(self.0.lock().unwrap().remove(name).is_some())
        }
    }

    struct Broken;

    impl SecretStore for Broken {
        fn get(&self, _: &str) -> Result<Option<String>, ConfigError> {
            Err(ConfigError::Keyring("no session bus".into()))
        }
        fn set(&self, _: &str, _: &str) -> Result<(), ConfigError> {
            unreachable!()
        }
        fn delete(&self, _: &str) -> Result<bool, ConfigError> {
            unreachable!()
        }
    }

    #[test]
    fn the_environment_wins_and_the_keyring_fills_the_rest() {
        let store = Memory(Mutex::new(HashMap::new()));
        store.set("OPENAI_API_KEY", "sk-from-keyring").unwrap();
        store.set("JWT_SECRET", "from-keyring").unwrap();
        let env = EnvSnapshot::from_pairs([("JWT_SECRET", "from-env")]);
        let (env, report) = env.with_secrets_from(&store);
        assert_eq!(env.get("OPENAI_API_KEY"), Some("sk-from-keyring"));
        assert_eq!(env.get("JWT_SECRET"), Some("from-env"));
        assert_eq!(report.used, ["OPENAI_API_KEY"]);
        assert_eq!(report.unavailable, None);
    }

    #[test]
    fn an_unreachable_keyring_adds_nothing_and_says_why() {
        let (env, report) = EnvSnapshot::default().with_secrets_from(&Broken);
        assert_eq!(env.get("OPENAI_API_KEY"), None);
        assert!(report.used.is_empty());
        assert_eq!(report.unavailable.as_deref(), Some("OS keyring: no session bus"));
    }

    #[test]
    fn only_donnas_secret_names_are_kept() {
        let err = OsKeyring.set("OPENAI_KEY", "sk-x").unwrap_err().to_string();
        assert!(
            err.starts_with("OPENAI_KEY: not a secret Donna reads; one of OPENAI_API_KEY"),
            "{err}"
        );
    }
}
