//! Reading one setting's value: each parser checks its value and names the variable (or config-
//! file key) in its one-line error, so a bad setting says exactly what to fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::defaults::OFFLINE_VOICES;
use super::kinds::BackendChoice;
use super::limits::Rate;
use crate::{ConfigError, EnvSnapshot};

/// An audio device name: empty means the system default; control characters are a mistake (a
/// pasted line break), not a device.
pub(super) fn device_name(name: &str, value: &str) -> Result<Option<String>, ConfigError> {
    let v = value.trim();
    if v.chars().any(char::is_control) {
        return Err(ConfigError::invalid(name, format!("not a device name: {v:?}")));
    }
    Ok((!v.is_empty()).then(|| v.to_owned()))
}

pub(super) fn speed(name: &str, value: &str) -> Result<f32, ConfigError> {
    match value.trim().parse::<f32>() {
        Ok(v) if (0.5..=2.0).contains(&v) => Ok(v),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected a number from 0.5 to 2.0, got \"{value}\""),
        )),
    }
}

pub(super) fn offline_voice(name: &str, value: &str) -> Result<String, ConfigError> {
    let voice = value.trim().to_ascii_lowercase();
    if OFFLINE_VOICES.contains(&voice.as_str()) {
        Ok(voice)
    } else {
        Err(ConfigError::invalid(
            name,
            format!("expected one of {}, got \"{value}\"", OFFLINE_VOICES.join(", ")),
        ))
    }
}

pub(super) fn threads(name: &str, value: &str) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=8).contains(&n) => Ok(n),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected a whole number of threads from 1 to 8, got \"{value}\""),
        )),
    }
}

/// `Word=say as` pairs, comma-separated.
pub(super) fn lexicon(name: &str, value: &str) -> Result<Vec<(String, String)>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| match entry.split_once('=') {
            Some((word, say)) if !word.trim().is_empty() && !say.trim().is_empty() => {
                Ok((word.trim().to_owned(), say.trim().to_owned()))
            }
            _ => Err(ConfigError::invalid(
                name,
                format!("expected Word=how to say it, got \"{entry}\""),
            )),
        })
        .collect()
}

/// `10/min`, `5/s`, `100/h`, `1000/d`, or `off`.
pub(super) fn parse_rate(name: &str, value: &str) -> Result<Option<Rate>, ConfigError> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let bad = || {
        ConfigError::invalid(
            name,
            format!("expected a rate such as 10/min, 5/s, 100/h, or off, got \"{value}\""),
        )
    };
    let (max, unit) = value.split_once('/').ok_or_else(bad)?;
    let max: u32 = max.trim().parse().map_err(|_| bad())?;
    let per_s = match unit.trim() {
        "s" | "sec" => 1,
        "m" | "min" => 60,
        "h" | "hour" => 3600,
        "d" | "day" => 86_400,
        _ => return Err(bad()),
    };
    if max == 0 {
        return Err(bad());
    }
    Ok(Some(Rate { max, per_s }))
}

pub(super) fn model_name(name: &str, value: &str) -> Result<String, ConfigError> {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::invalid(
            name,
            format!("not a valid name: \"{value}\""),
        ))
    }
}

pub(super) fn http_url(name: &str, value: &str) -> Result<String, ConfigError> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(ConfigError::invalid(
            name,
            format!("expected an http(s) URL, got \"{value}\""),
        )),
    }
}

/// `JWT_PUBLIC_KEY` holds the PEM itself (handy in container env files) or a path to it.
pub(super) fn read_pem(value: &str) -> Result<String, ConfigError> {
    if value.starts_with("-----BEGIN") {
        // Env files often carry the PEM on one line with literal "\n" separators.
        return Ok(value.replace("\\n", "\n"));
    }
    let text = std::fs::read_to_string(value)
        .map_err(|e| ConfigError::invalid("JWT_PUBLIC_KEY", format!("cannot read {value}: {e}")))?;
    if !text.trim_start().starts_with("-----BEGIN") {
        return Err(ConfigError::invalid(
            "JWT_PUBLIC_KEY",
            format!("{value} is not a PEM file"),
        ));
    }
    Ok(text)
}

/// An `iss`/`aud` value: printable, no spaces, so it compares exactly.
pub(super) fn claim_value(name: &str, value: &str) -> Result<String, ConfigError> {
    if value.len() <= 200 && value.chars().all(|c| c.is_ascii_graphic()) {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::invalid(
            name,
            format!("expected printable ASCII without spaces, got \"{value}\""),
        ))
    }
}

pub(super) fn parse_addr(name: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    // `localhost` is the one host name accepted: resolving others would make start-up depend on DNS.
    let value = value.trim();
    let literal = match value.strip_prefix("localhost:") {
        Some(port) => format!("127.0.0.1:{port}"),
        None => value.to_owned(),
    };
    literal.parse().map_err(|_| {
        ConfigError::invalid(
            name,
            format!("expected HOST:PORT such as 127.0.0.1:8765, got \"{value}\""),
        )
    })
}

pub(super) fn parse_backend(name: &str, value: &str) -> Result<BackendChoice, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "auto" => Ok(BackendChoice::Auto),
        "local" => Ok(BackendChoice::Local),
        "openai" => Ok(BackendChoice::OpenAi),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected one of auto, local, openai, got \"{value}\""),
        )),
    }
}

pub(super) fn validate_origin(name: &str, origin: &str) -> Result<(), ConfigError> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .or_else(|| origin.strip_prefix("tauri://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains('/') => Ok(()),
        _ => Err(ConfigError::invalid(
            name,
            format!("\"{origin}\" is not an origin (scheme://host[:port], no path)"),
        )),
    }
}

pub(super) fn default_config_path(env: &EnvSnapshot) -> Option<PathBuf> {
    let base = env
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(h).join(".config")))?;
    Some(base.join("donna").join("donna.toml"))
}

pub(super) fn default_data_dir(env: &EnvSnapshot) -> Result<PathBuf, ConfigError> {
    env.get("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(h).join(".local").join("share")))
        .map(|base| base.join("donna"))
        .ok_or_else(|| {
            ConfigError::missing(
                "DONNA_DATA_DIR",
                "not set, and neither HOME nor XDG_DATA_HOME is set to derive it",
            )
        })
}
