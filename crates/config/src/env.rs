//! A snapshot of the environment variables Donna reads, with the typed parsers for them.

use std::collections::HashMap;

use crate::ConfigError;

/// Environment variables captured once at start-up.
///
/// Empty values count as unset, as they do in most `.env` tooling: `OPENAI_API_KEY=` in a file
/// means "no key", not "an empty key".
#[derive(Debug, Clone, Default)]
pub struct EnvSnapshot {
    vars: HashMap<String, String>,
}

impl EnvSnapshot {
    /// Capture the process environment. Variables that are not valid Unicode are kept out; the
    /// names Donna reads are all ASCII, so nothing it uses can be lost this way.
    pub fn from_process() -> Self {
        Self::from_pairs(
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        }
    }

    pub(crate) fn insert(&mut self, name: &str, value: String) {
        self.vars.insert(name.to_owned(), value);
    }

    /// The trimmed value of `name`, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The value of the first of `names` that is set, with the name it came from. When several
    /// are set with different values that is an operator mistake, reported rather than guessed.
    pub(crate) fn get_aliased<'a>(
        &'a self,
        names: &[&'a str],
    ) -> Result<Option<(&'a str, &'a str)>, ConfigError> {
        let mut found: Option<(&str, &str)> = None;
        for name in names {
            if let Some(value) = self.get(name) {
                match found {
                    None => found = Some((name, value)),
                    Some((first, first_value)) if first_value != value => {
                        return Err(ConfigError::invalid(
                            first,
                            format!("conflicts with {name} (\"{first_value}\" vs \"{value}\"); set only one"),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(found)
    }
}

/// Parse a boolean the way `.env` files write them.
pub(crate) fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected true or false, got \"{value}\""),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_count_as_unset() {
        let env = EnvSnapshot::from_pairs([("A", "  "), ("B", " x ")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), Some("x"));
    }

    #[test]
    fn aliases_agreeing_are_fine_and_disagreeing_is_an_error() {
        let env = EnvSnapshot::from_pairs([("NEW", "true"), ("OLD", "true")]);
        assert_eq!(env.get_aliased(&["NEW", "OLD"]).unwrap(), Some(("NEW", "true")));
        let env = EnvSnapshot::from_pairs([("OLD", "1")]);
        assert_eq!(env.get_aliased(&["NEW", "OLD"]).unwrap(), Some(("OLD", "1")));
        let env = EnvSnapshot::from_pairs([("NEW", "true"), ("OLD", "false")]);
        let err = env.get_aliased(&["NEW", "OLD"]).unwrap_err().to_string();
        assert!(err.starts_with("NEW: conflicts with OLD"), "{err}");
    }

    #[test]
    fn booleans() {
        for yes in ["1", "true", "TRUE", "yes", "on"] {
            assert!(parse_bool("X", yes).unwrap());
        }
        for no in ["0", "false", "No", "off"] {
            assert!(!parse_bool("X", no).unwrap());
        }
        let err = parse_bool("ENABLE_VAD", "maybe").unwrap_err().to_string();
        assert_eq!(err, "ENABLE_VAD: expected true or false, got \"maybe\"");
    }
}
