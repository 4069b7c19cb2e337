//! The one lookup every setting goes through: the environment variable, else the config file's
//! key, each value handed to its parser with the name of the place it came from, so an error
//! says exactly what to fix ("DONNA_VOICE: ..." or "voice (config file): ...").

use crate::env::parse_bool;
use crate::{ConfigError, EnvSnapshot, FileConfig};

/// The environment and the config file, read together.
pub(super) struct Layers<'a> {
    pub env: &'a EnvSnapshot,
    pub file: &'a FileConfig,
}

/// A setting's value as found in the first layer that has it, and the name of that place.
pub(super) struct Found {
    pub value: String,
    pub name: String,
}

impl<'a> Layers<'a> {
    pub fn new(env: &'a EnvSnapshot, file: &'a FileConfig) -> Self {
        Self { env, file }
    }

    /// `var` from the environment, else the file's `key` (its value `file`), else nothing.
    pub fn find(&self, var: &str, key: &str, file: Option<impl ToString>) -> Option<Found> {
        match (self.env.get(var), file) {
            (Some(v), _) => Some(Found {
                value: v.to_owned(),
                name: var.to_owned(),
            }),
            (None, Some(v)) => Some(Found {
                value: v.to_string(),
                name: format!("{key} (config file)"),
            }),
            (None, None) => None,
        }
    }

    /// The first layer's value of the setting, checked by `parse` (which gets the place's name
    /// and the value); `None` when no layer sets it.
    pub fn parsed<T>(
        &self,
        var: &str,
        key: &str,
        file: Option<impl ToString>,
        parse: impl FnOnce(&str, &str) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, ConfigError> {
        self.find(var, key, file)
            .map(|found| parse(&found.name, &found.value))
            .transpose()
    }

    /// A setting with a default, checked by `parse` whichever layer set it.
    pub fn or_default<T>(
        &self,
        var: &str,
        key: &str,
        file: Option<impl ToString>,
        default: T,
        parse: impl FnOnce(&str, &str) -> Result<T, ConfigError>,
    ) -> Result<T, ConfigError> {
        Ok(self.parsed(var, key, file, parse)?.unwrap_or(default))
    }

    /// A list: comma-separated in the environment, a TOML array in the file; blank entries are
    /// dropped. Every entry is checked by `check` with the place's name.
    pub fn list(
        &self,
        var: &str,
        key: &str,
        file: Option<&[String]>,
        check: impl Fn(&str, &str) -> Result<(), ConfigError>,
    ) -> Result<Option<Vec<String>>, ConfigError> {
        let (name, entries): (String, Vec<String>) = match (self.env.get(var), file) {
            (Some(v), _) => (
                var.to_owned(),
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            (None, Some(list)) => (format!("{key} (config file)"), list.to_vec()),
            (None, None) => return Ok(None),
        };
        for entry in &entries {
            check(&name, entry)?;
        }
        Ok(Some(entries))
    }

    /// A true/false switch under any of `vars` (old names kept as aliases, which must agree),
    /// else the file's value, else off.
    pub fn flag(&self, vars: &[&str], file: Option<bool>) -> Result<bool, ConfigError> {
        match self.env.get_aliased(vars)? {
            Some((name, value)) => parse_bool(name, value),
            None => Ok(file.unwrap_or(false)),
        }
    }

    /// A whole number within `range`, else `default`.
    pub fn int(
        &self,
        var: &str,
        file: Option<u64>,
        range: std::ops::RangeInclusive<u64>,
        default: u64,
    ) -> Result<u64, ConfigError> {
        let (min, max) = (*range.start(), *range.end());
        let key = var.to_ascii_lowercase();
        self.or_default(var, &key, file, default, |name, value| {
            match value.trim().parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError::invalid(
                    name,
                    format!("expected a whole number from {min} to {max}, got \"{value}\""),
                )),
            }
        })
    }

    /// A secret: from the environment only (never the config file, which gets copied around).
    pub fn secret(&self, var: &str) -> Option<crate::Secret> {
        self.env.get(var).map(crate::Secret::new)
    }
}
