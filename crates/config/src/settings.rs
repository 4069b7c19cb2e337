//! The resolved settings and the rules that produce them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::env::parse_bool;
use crate::{ConfigError, EnvSnapshot, FileConfig, Secret};

/// Loopback only by default: a kiosk's gateway must not be reachable from the network unless an
/// operator says so.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8765);
/// The cloud model used when `OPENAI_REALTIME_MODEL` is not set.
pub const DEFAULT_REALTIME_MODEL: &str = "gpt-realtime";
/// The official SDKs' default; tests point it at the local engine.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// What the operator asked for with `DONNA_BACKEND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    /// OpenAI when a key is configured, otherwise the local engine.
    Auto,
    Local,
    OpenAi,
}

/// The backend actually in use after resolving [`BackendChoice::Auto`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Local,
    OpenAi,
}

impl Backend {
    /// The name used in `/api/health` and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Local => "local",
            Backend::OpenAi => "openai",
        }
    }
}

/// Values given on the command line; they win over every other layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub addr: Option<String>,
    pub config: Option<PathBuf>,
}

/// Everything Donna needs to start, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub backend_choice: BackendChoice,
    pub backend: Backend,
    /// `None` means the example profile built into the binary.
    pub profile: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub allowed_origins: Vec<String>,
    pub production_domain: Option<String>,
    pub use_ws_proxy: bool,
    pub enable_vad: bool,
    pub enable_server_vad: bool,
    pub enable_ws_proxy: bool,
    pub jwt_secret: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    /// The local engine's API key (`DONNA_ENGINE_KEY`); generated per data dir when unset.
    pub engine_key: Option<Secret>,
    pub openai_realtime_model: String,
    pub openai_base_url: String,
    pub log_level: String,
    /// The microphone by name (`DONNA_INPUT_DEVICE`); `None` for the system default.
    pub input_device: Option<String>,
    /// The speaker by name (`DONNA_OUTPUT_DEVICE`); `None` for the system default.
    pub output_device: Option<String>,
    /// The config file that was read, if any (for the start-up log line).
    pub config_file: Option<PathBuf>,
}

impl Settings {
    /// Resolve settings from the process environment, the config file it names, and `overrides`.
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::resolve(&EnvSnapshot::from_process(), overrides)
    }

    /// Resolve settings from an environment snapshot; reads the config file when one is named
    /// (`--config`, then `DONNA_CONFIG`) or exists at the default place.
    pub fn resolve(env: &EnvSnapshot, overrides: &Overrides) -> Result<Self, ConfigError> {
        let (file, config_file) = match overrides
            .config
            .clone()
            .or_else(|| env.get("DONNA_CONFIG").map(PathBuf::from))
        {
            Some(path) => (FileConfig::load(&path)?, Some(path)),
            None => match default_config_path(env).filter(|p| p.is_file()) {
                Some(path) => (FileConfig::load(&path)?, Some(path)),
                None => (FileConfig::default(), None),
            },
        };
        let mut settings = Self::from_layers(env, &file, overrides)?;
        settings.config_file = config_file;
        Ok(settings)
    }

    /// Combine the layers: overrides > environment > file > defaults, then validate.
    pub fn from_layers(
        env: &EnvSnapshot,
        file: &FileConfig,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let addr = match (&overrides.addr, env.get("DONNA_ADDR"), &file.addr) {
            (Some(v), _, _) => parse_addr("--addr", v)?,
            (None, Some(v), _) => parse_addr("DONNA_ADDR", v)?,
            (None, None, Some(v)) => parse_addr("addr (config file)", v)?,
            (None, None, None) => DEFAULT_ADDR,
        };

        let backend_choice = match (env.get("DONNA_BACKEND"), &file.backend) {
            (Some(v), _) => parse_backend("DONNA_BACKEND", v)?,
            (None, Some(v)) => parse_backend("backend (config file)", v)?,
            (None, None) => BackendChoice::Auto,
        };

        let openai_api_key = env.get("OPENAI_API_KEY").map(Secret::new);
        let backend = match (backend_choice, &openai_api_key) {
            (BackendChoice::Local, _) | (BackendChoice::Auto, None) => Backend::Local,
            (BackendChoice::OpenAi, Some(_)) | (BackendChoice::Auto, Some(_)) => Backend::OpenAi,
            (BackendChoice::OpenAi, None) => {
                return Err(ConfigError::missing(
                    "OPENAI_API_KEY",
                    "required when DONNA_BACKEND is openai (set it, or use DONNA_BACKEND=local)",
                ));
            }
        };

        let profile = env
            .get("DONNA_PROFILE")
            .map(PathBuf::from)
            .or_else(|| file.profile.clone());
        if let Some(path) = &profile {
            let name = if env.get("DONNA_PROFILE").is_some() {
                "DONNA_PROFILE"
            } else {
                "profile (config file)"
            };
            if !path.is_file() {
                return Err(ConfigError::invalid(
                    name,
                    format!("no profile file at {}", path.display()),
                ));
            }
        }

        let data_dir = match env
            .get("DONNA_DATA_DIR")
            .map(PathBuf::from)
            .or_else(|| file.data_dir.clone())
        {
            Some(dir) => dir,
            None => default_data_dir(env)?,
        };
        if data_dir.exists() && !data_dir.is_dir() {
            return Err(ConfigError::invalid(
                "DONNA_DATA_DIR",
                format!("{} exists and is not a directory", data_dir.display()),
            ));
        }

        let allowed_origins = match env.get("ALLOWED_ORIGINS") {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file.allowed_origins.clone().unwrap_or_default(),
        };
        for origin in &allowed_origins {
            validate_origin("ALLOWED_ORIGINS", origin)?;
        }
        let production_domain = env
            .get("PRODUCTION_DOMAIN")
            .map(str::to_owned)
            .or_else(|| file.production_domain.clone());
        if let Some(domain) = &production_domain
            && (domain.contains('/') || domain.contains(char::is_whitespace))
        {
            return Err(ConfigError::invalid(
                "PRODUCTION_DOMAIN",
                format!("expected a bare host name such as desk.example.com, got \"{domain}\""),
            ));
        }

        let use_ws_proxy = flag(
            env,
            &["USE_WS_PROXY", "NEXT_PUBLIC_USE_WS_PROXY"],
            file.use_ws_proxy,
        )?;
        let enable_vad = flag(env, &["ENABLE_VAD", "NEXT_PUBLIC_ENABLE_VAD"], file.enable_vad)?;
        let enable_server_vad = flag(env, &["ENABLE_SERVER_VAD"], file.enable_server_vad)?;
        let enable_ws_proxy = flag(env, &["ENABLE_WS_PROXY"], file.enable_ws_proxy)?;

        let jwt_secret = env.get("JWT_SECRET").map(Secret::new);
        match &jwt_secret {
            None if enable_ws_proxy => {
                return Err(ConfigError::missing(
                    "JWT_SECRET",
                    "required when ENABLE_WS_PROXY is true",
                ));
            }
            Some(secret) if secret.expose().len() < 32 => {
                return Err(ConfigError::invalid(
                    "JWT_SECRET",
                    "must be at least 32 characters",
                ));
            }
            _ => {}
        }

        let openai_realtime_model = env
            .get("OPENAI_REALTIME_MODEL")
            .map(str::to_owned)
            .or_else(|| file.openai_realtime_model.clone())
            .unwrap_or_else(|| DEFAULT_REALTIME_MODEL.to_owned());
        if !openai_realtime_model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(ConfigError::invalid(
                "OPENAI_REALTIME_MODEL",
                format!("not a model name: \"{openai_realtime_model}\""),
            ));
        }

        let openai_base_url = env
            .get("OPENAI_BASE_URL")
            .map(str::to_owned)
            .or_else(|| file.openai_base_url.clone())
            .unwrap_or_else(|| DEFAULT_OPENAI_BASE_URL.to_owned());
        if !(openai_base_url.starts_with("https://") || openai_base_url.starts_with("http://")) {
            return Err(ConfigError::invalid(
                "OPENAI_BASE_URL",
                format!("expected an http(s) URL, got \"{openai_base_url}\""),
            ));
        }
        let openai_base_url = openai_base_url.trim_end_matches('/').to_owned();

        let log_level = env
            .get("DONNA_LOG")
            .map(str::to_owned)
            .or_else(|| file.log_level.clone())
            .unwrap_or_else(|| "info".to_owned());
        if !["error", "warn", "info", "debug", "trace"].contains(&log_level.as_str()) {
            return Err(ConfigError::invalid(
                "DONNA_LOG",
                format!("expected one of error, warn, info, debug, trace, got \"{log_level}\""),
            ));
        }

        let input_device = device_name(env, "DONNA_INPUT_DEVICE", file.input_device.as_deref())?;
        let output_device = device_name(env, "DONNA_OUTPUT_DEVICE", file.output_device.as_deref())?;

        Ok(Settings {
            addr,
            backend_choice,
            backend,
            profile,
            data_dir,
            allowed_origins,
            production_domain,
            use_ws_proxy,
            enable_vad,
            enable_server_vad,
            enable_ws_proxy,
            jwt_secret,
            openai_api_key,
            engine_key: env.get("DONNA_ENGINE_KEY").map(Secret::new),
            openai_realtime_model,
            openai_base_url,
            log_level,
            input_device,
            output_device,
            config_file: None,
        })
    }
}

/// An audio device name: unset or empty means the system default; control characters are
/// a mistake (a pasted line break), not a device.
fn device_name(env: &EnvSnapshot, name: &str, file: Option<&str>) -> Result<Option<String>, ConfigError> {
    let value = env.get(name).or(file).map(str::trim).filter(|v| !v.is_empty());
    match value {
        Some(v) if v.chars().any(char::is_control) => {
            Err(ConfigError::invalid(name, format!("not a device name: {v:?}")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

fn flag(env: &EnvSnapshot, names: &[&str], file: Option<bool>) -> Result<bool, ConfigError> {
    match env.get_aliased(names)? {
        Some((name, value)) => parse_bool(name, value),
        None => Ok(file.unwrap_or(false)),
    }
}

fn parse_addr(name: &str, value: &str) -> Result<SocketAddr, ConfigError> {
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

fn parse_backend(name: &str, value: &str) -> Result<BackendChoice, ConfigError> {
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

fn validate_origin(name: &str, origin: &str) -> Result<(), ConfigError> {
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

fn default_config_path(env: &EnvSnapshot) -> Option<PathBuf> {
    let base = env
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env.get("HOME").map(|h| Path::new(h).join(".config")))?;
    Some(base.join("donna").join("donna.toml"))
}

fn default_data_dir(env: &EnvSnapshot) -> Result<PathBuf, ConfigError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSnapshot {
        let mut all = vec![("HOME", "/home/kiosk")];
        all.extend_from_slice(pairs);
        EnvSnapshot::from_pairs(all.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    fn resolve(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_layers(&env(pairs), &FileConfig::default(), &Overrides::default())
    }

    #[test]
    fn defaults_are_local_and_loopback() {
        let s = resolve(&[]).unwrap();
        assert_eq!(s.addr, DEFAULT_ADDR);
        assert!(s.addr.ip().is_loopback());
        assert_eq!(s.backend, Backend::Local);
        assert_eq!(s.data_dir, PathBuf::from("/home/kiosk/.local/share/donna"));
        assert_eq!(s.openai_base_url, DEFAULT_OPENAI_BASE_URL);
        assert!(!s.enable_vad && !s.use_ws_proxy && !s.enable_ws_proxy && !s.enable_server_vad);
    }

    #[test]
    fn audio_devices_by_name_env_over_file() {
        let s = resolve(&[]).unwrap();
        assert_eq!((s.input_device, s.output_device), (None, None));
        let file = FileConfig {
            input_device: Some("USB Mic".into()),
            output_device: Some("Speaker".into()),
            ..FileConfig::default()
        };
        let s = Settings::from_layers(
            &env(&[("DONNA_INPUT_DEVICE", "pulse")]),
            &file,
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(s.input_device.as_deref(), Some("pulse"));
        assert_eq!(s.output_device.as_deref(), Some("Speaker"));
        let s = resolve(&[("DONNA_OUTPUT_DEVICE", "  ")]).unwrap();
        assert_eq!(s.output_device, None, "empty means the default device");
        let err = resolve(&[("DONNA_INPUT_DEVICE", "mic\nphone")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("DONNA_INPUT_DEVICE: not a device name"),
            "{err}"
        );
    }

    #[test]
    fn auto_picks_openai_when_a_key_is_set() {
        let s = resolve(&[("OPENAI_API_KEY", "sk-test")]).unwrap();
        assert_eq!(s.backend, Backend::OpenAi);
        let s = resolve(&[("OPENAI_API_KEY", "sk-test"), ("DONNA_BACKEND", "local")]).unwrap();
        assert_eq!(s.backend, Backend::Local);
    }

    #[test]
    fn openai_without_a_key_names_the_variable() {
        let err = resolve(&[("DONNA_BACKEND", "openai")]).unwrap_err().to_string();
        assert!(err.starts_with("OPENAI_API_KEY: required"), "{err}");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases = [
            (
                "DONNA_BACKEND",
                "cloud",
                "DONNA_BACKEND: expected one of auto, local, openai",
            ),
            ("DONNA_ADDR", "nowhere", "DONNA_ADDR: expected HOST:PORT"),
            ("DONNA_ADDR", "127.0.0.1:99999", "DONNA_ADDR: expected HOST:PORT"),
            ("ENABLE_VAD", "maybe", "ENABLE_VAD: expected true or false"),
            (
                "NEXT_PUBLIC_USE_WS_PROXY",
                "2",
                "NEXT_PUBLIC_USE_WS_PROXY: expected true or false",
            ),
            (
                "ALLOWED_ORIGINS",
                "https://ok.example, desk.example",
                "ALLOWED_ORIGINS: \"desk.example\" is not an origin",
            ),
            (
                "OPENAI_BASE_URL",
                "api.openai.com",
                "OPENAI_BASE_URL: expected an http(s) URL",
            ),
            ("DONNA_LOG", "loud", "DONNA_LOG: expected one of"),
            (
                "DONNA_PROFILE",
                "/does/not/exist.toml",
                "DONNA_PROFILE: no profile file at /does/not/exist.toml",
            ),
            (
                "JWT_SECRET",
                "short",
                "JWT_SECRET: must be at least 32 characters",
            ),
        ];
        for (name, value, expected) in cases {
            let err = resolve(&[(name, value)]).unwrap_err().to_string();
            assert!(err.starts_with(expected), "{name}={value}: got {err}");
            assert_eq!(err.lines().count(), 1, "one line: {err}");
        }
    }

    #[test]
    fn jwt_secret_never_appears_in_errors_or_debug() {
        let err = resolve(&[("JWT_SECRET", "canary")]).unwrap_err().to_string();
        assert!(!err.contains("canary"));
        let s = resolve(&[
            ("JWT_SECRET", "canary-canary-canary-canary-canary"),
            ("OPENAI_API_KEY", "sk-canary"),
        ])
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("canary"), "{debug}");
    }

    #[test]
    fn ws_proxy_requires_a_jwt_secret() {
        let err = resolve(&[("ENABLE_WS_PROXY", "true")]).unwrap_err().to_string();
        assert_eq!(err, "JWT_SECRET: required when ENABLE_WS_PROXY is true");
    }

    #[test]
    fn legacy_aliases_work() {
        let s = resolve(&[
            ("NEXT_PUBLIC_ENABLE_VAD", "true"),
            ("NEXT_PUBLIC_USE_WS_PROXY", "1"),
        ])
        .unwrap();
        assert!(s.enable_vad && s.use_ws_proxy);
    }

    #[test]
    fn precedence_is_override_then_env_then_file_then_default() {
        let file = FileConfig {
            addr: Some("127.0.0.1:1111".into()),
            enable_vad: Some(true),
            backend: Some("local".into()),
            ..FileConfig::default()
        };
        let e = env(&[("DONNA_ADDR", "127.0.0.1:2222"), ("ENABLE_VAD", "false")]);
        let s = Settings::from_layers(&e, &file, &Overrides::default()).unwrap();
        assert_eq!(s.addr.port(), 2222);
        assert!(!s.enable_vad);
        let o = Overrides {
            addr: Some("localhost:3333".into()),
            config: None,
        };
        let s = Settings::from_layers(&e, &file, &o).unwrap();
        assert_eq!(s.addr, "127.0.0.1:3333".parse::<SocketAddr>().unwrap());
        let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
        assert_eq!(s.addr.port(), 1111);
        assert!(s.enable_vad);
    }

    #[test]
    fn config_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("donna.toml");
        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        let e = env(&[("DONNA_CONFIG", path.to_str().unwrap())]);
        let err = Settings::resolve(&e, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("config file {}: line 1", path.display())),
            "{err}"
        );
        let e = env(&[("DONNA_CONFIG", "/no/such/donna.toml")]);
        let err = Settings::resolve(&e, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config file /no/such/donna.toml:"), "{err}");
    }

    #[test]
    fn base_url_loses_its_trailing_slash() {
        let s = resolve(&[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")]).unwrap();
        assert_eq!(s.openai_base_url, "http://127.0.0.1:9/v1");
    }
}
