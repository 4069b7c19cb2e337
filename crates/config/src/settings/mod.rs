//! The resolved settings and the rules that produce them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::env::parse_bool;
use crate::{ConfigError, EnvSnapshot, FileConfig, Secret};

mod limits;
mod values;

pub use limits::{RATE_LIMIT_CLASSES, Rate, RateLimits, WsProxyLimits};

use values::{
    claim_value, default_config_path, default_data_dir, device_name, flag, http_url, int_setting, lexicon,
    list, model_name, offline_voice, parse_addr, parse_backend, parse_rate, read_pem, speed, threads,
    validate_origin,
};

/// Loopback only by default: a kiosk's gateway must not be reachable from the network unless an
/// operator says so.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8765);
/// The cloud model used when `OPENAI_REALTIME_MODEL` is not set.
pub const DEFAULT_REALTIME_MODEL: &str = "gpt-realtime";
/// The official SDKs' default; tests point it at the local engine.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Batch voice defaults.
pub const DEFAULT_TRANSCRIBE_MODEL: &str = "gpt-4o-mini-transcribe";
pub const DEFAULT_CHAT_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_ELEVENLABS_BASE_URL: &str = "https://api.elevenlabs.io";
/// The offline voices (flite's, as Debian ships them): a woman's (`slt`), a man's (`rms`), a
/// Scottish man's (`awb`) and a robotic but cheap man's (`kal`).
pub const OFFLINE_VOICES: [&str; 4] = ["slt", "rms", "awb", "kal"];

pub const DEFAULT_ELEVENLABS_VOICE_ID: &str = "21m00Tcm4TlvDq8ikWAM";
/// The `iss` the gateway puts in the tokens it mints and requires in the tokens it accepts.
pub const DEFAULT_JWT_ISSUER: &str = "donna";
/// The `aud` of device and staff tokens: the gateway.
pub const DEFAULT_JWT_AUDIENCE: &str = "donna-gateway";

/// How device and staff tokens are signed. One algorithm is pinned per deployment, so a token
/// can never pick its own (no `none`, no RS256 public key used as an HMAC secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with `JWT_SECRET`; the gateway can both mint and verify.
    Hs256,
    /// RSA signatures checked with `JWT_PUBLIC_KEY`; tokens are minted elsewhere.
    Rs256,
    /// Ed25519 signatures checked with `JWT_PUBLIC_KEY`; tokens are minted elsewhere.
    EdDsa,
}

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
    /// Offline speech models (`DONNA_MODELS_DIR`, default `<data_dir>/models`), shared by
    /// several data dirs when set.
    pub models_dir: PathBuf,
    pub allowed_origins: Vec<String>,
    pub production_domain: Option<String>,
    /// Further host names the gateway answers for (`PUBLIC_HOSTS`), besides loopback, IP
    /// addresses and `PRODUCTION_DOMAIN`: a LAN name such as `frontdesk.local`.
    pub public_hosts: Vec<String>,
    pub use_ws_proxy: bool,
    pub enable_vad: bool,
    pub enable_server_vad: bool,
    pub enable_ws_proxy: bool,
    pub jwt_secret: Option<Secret>,
    /// The one algorithm device and staff tokens may use (`JWT_ALGORITHM`, default HS256).
    pub jwt_algorithm: JwtAlgorithm,
    /// PEM public key for RS256/EdDSA (`JWT_PUBLIC_KEY`: the PEM text or a path to it).
    pub jwt_public_key: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub openai_api_key: Option<Secret>,
    /// The gateway a staff desktop follows (`DONNA_GATEWAY_URL`); default: this machine's.
    pub gateway_url: Option<String>,
    /// The staff desktop's token (`DONNA_STAFF_TOKEN`, minted with `donna token mint --role staff`).
    pub staff_token: Option<Secret>,
    /// A stopped clock for demonstrations and tests (`DONNA_FIXED_TIME`, RFC 3339); `None` is
    /// the system clock.
    pub fixed_time: Option<jiff::Timestamp>,
    /// Webhooks that receive every staff event (`DONNA_WEBHOOKS`, comma-separated URLs).
    pub webhooks: Vec<String>,
    /// Signs webhook bodies (HMAC-SHA256); without it webhooks are sent unsigned.
    pub webhook_secret: Option<Secret>,
    /// The local engine's API key (`DONNA_ENGINE_KEY`); generated per data dir when unset.
    pub engine_key: Option<Secret>,
    pub openai_realtime_model: String,
    pub openai_base_url: String,
    /// Batch voice: the cloud speech-to-text and chat models.
    pub openai_transcribe_model: String,
    pub openai_chat_model: String,
    /// Batch voice: the text-to-speech service (ElevenLabs API).
    pub elevenlabs_api_key: Option<Secret>,
    pub elevenlabs_base_url: String,
    pub elevenlabs_voice_id: String,
    pub log_level: String,
    /// Log files older than this many days are deleted.
    pub log_retention_days: u32,
    /// The legacy marketing backend `/api/marketing/*` proxies to.
    pub marketing_backend_url: Option<String>,
    /// First path segments the marketing proxy lets through.
    pub marketing_allowed_paths: Vec<String>,
    /// Longest a gateway request may take, in seconds.
    pub request_timeout_s: u64,
    /// Longest a call to an upstream service (OpenAI, ElevenLabs, marketing) may take.
    pub upstream_timeout_s: u64,
    /// Limits of the realtime WebSocket proxy (`/realtime`).
    pub ws_proxy: WsProxyLimits,
    /// Per route class (see [`RATE_LIMIT_CLASSES`]).
    pub rate_limits: std::collections::BTreeMap<String, RateLimits>,
    /// The microphone by name (`DONNA_INPUT_DEVICE`); `None` for the system default.
    pub input_device: Option<String>,
    /// The speaker by name (`DONNA_OUTPUT_DEVICE`); `None` for the system default.
    pub output_device: Option<String>,
    /// The offline voice (`DONNA_VOICE`): one of [`OFFLINE_VOICES`], `slt` by default.
    pub voice: String,
    /// The offline voice's rate (`DONNA_VOICE_SPEED`, 0.5 to 2.0; 1.0 is the voice's own).
    pub voice_speed: f32,
    /// CPU threads for whisper, the accurate recogniser (`DONNA_WHISPER_THREADS`, 1 to 8): by
    /// default two where the machine has two cores, which halves the wait after a sentence the
    /// fast path does not know, one on a single core.
    pub whisper_threads: usize,
    /// How the offline voice says words it gets wrong (`DONNA_VOICE_LEXICON`, e.g.
    /// `Okafor=Oh kah for,Nguyen=Win`; the config file's `[voice_lexicon]` table).
    pub voice_lexicon: Vec<(String, String)>,
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

        let models_dir = env
            .get("DONNA_MODELS_DIR")
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from);
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

        let allowed_origins = list(env, "ALLOWED_ORIGINS", file.allowed_origins.as_deref());
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
        let public_hosts: Vec<String> = list(env, "PUBLIC_HOSTS", file.public_hosts.as_deref());
        if let Some(host) = public_hosts
            .iter()
            .find(|h| h.contains(['/', ':', '@', '*']) || h.contains(char::is_whitespace))
        {
            return Err(ConfigError::invalid(
                "PUBLIC_HOSTS",
                format!("expected bare host names such as frontdesk.local, got \"{host}\""),
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

        if use_ws_proxy && !enable_ws_proxy {
            return Err(ConfigError::invalid(
                "USE_WS_PROXY",
                "requires ENABLE_WS_PROXY=true: the app's realtime session goes through its own gateway's proxy",
            ));
        }
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
        let jwt_algorithm = match env.get("JWT_ALGORITHM") {
            None => JwtAlgorithm::Hs256,
            Some(v) => match v.to_ascii_uppercase().as_str() {
                "HS256" => JwtAlgorithm::Hs256,
                "RS256" => JwtAlgorithm::Rs256,
                "EDDSA" => JwtAlgorithm::EdDsa,
                _ => {
                    return Err(ConfigError::invalid(
                        "JWT_ALGORITHM",
                        format!("expected one of HS256, RS256, EdDSA, got \"{v}\""),
                    ));
                }
            },
        };
        let jwt_public_key = env.get("JWT_PUBLIC_KEY").map(read_pem).transpose()?;
        match (jwt_algorithm, &jwt_public_key) {
            (JwtAlgorithm::Hs256, Some(_)) => {
                return Err(ConfigError::invalid(
                    "JWT_PUBLIC_KEY",
                    "only used with JWT_ALGORITHM=RS256 or EdDSA",
                ));
            }
            (JwtAlgorithm::Rs256 | JwtAlgorithm::EdDsa, None) => {
                return Err(ConfigError::missing(
                    "JWT_PUBLIC_KEY",
                    "required when JWT_ALGORITHM is RS256 or EdDSA",
                ));
            }
            _ => {}
        }
        let jwt_issuer = claim_value(env, "JWT_ISSUER", DEFAULT_JWT_ISSUER)?;
        let jwt_audience = claim_value(env, "JWT_AUDIENCE", DEFAULT_JWT_AUDIENCE)?;

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

        let webhooks: Vec<String> = list(env, "DONNA_WEBHOOKS", file.webhooks.as_deref());
        if let Some(bad) = webhooks
            .iter()
            .find(|u| !(u.starts_with("https://") || u.starts_with("http://")))
        {
            return Err(ConfigError::invalid(
                "DONNA_WEBHOOKS",
                format!("\"{bad}\" is not an http(s) URL"),
            ));
        }

        let gateway_url = env
            .get("DONNA_GATEWAY_URL")
            .map(|u| u.trim_end_matches('/').to_owned());
        if let Some(u) = &gateway_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return Err(ConfigError::invalid(
                "DONNA_GATEWAY_URL",
                format!("expected an http(s) URL, got \"{u}\""),
            ));
        }
        let fixed_time = env
            .get("DONNA_FIXED_TIME")
            .map(|t| {
                t.parse::<jiff::Timestamp>().map_err(|_| {
                    ConfigError::invalid(
                        "DONNA_FIXED_TIME",
                        format!("expected an RFC 3339 instant such as 2026-11-26T10:00:00Z, got \"{t}\""),
                    )
                })
            })
            .transpose()?;

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

        let openai_transcribe_model = model_name(
            "OPENAI_TRANSCRIBE_MODEL",
            env.get("OPENAI_TRANSCRIBE_MODEL")
                .or(file.openai_transcribe_model.as_deref())
                .unwrap_or(DEFAULT_TRANSCRIBE_MODEL),
        )?;
        let openai_chat_model = model_name(
            "OPENAI_CHAT_MODEL",
            env.get("OPENAI_CHAT_MODEL")
                .or(file.openai_chat_model.as_deref())
                .unwrap_or(DEFAULT_CHAT_MODEL),
        )?;
        let elevenlabs_base_url = http_url(
            "ELEVENLABS_BASE_URL",
            env.get("ELEVENLABS_BASE_URL")
                .or(file.elevenlabs_base_url.as_deref())
                .unwrap_or(DEFAULT_ELEVENLABS_BASE_URL),
        )?;
        let elevenlabs_voice_id = model_name(
            "ELEVENLABS_VOICE_ID",
            env.get("ELEVENLABS_VOICE_ID")
                .or(file.elevenlabs_voice_id.as_deref())
                .unwrap_or(DEFAULT_ELEVENLABS_VOICE_ID),
        )?;

        let log_retention_days =
            int_setting(env, "LOG_RETENTION_DAYS", file.log_retention_days, 1..=3650, 14)? as u32;
        let request_timeout_s = int_setting(env, "REQUEST_TIMEOUT_S", file.request_timeout_s, 1..=600, 30)?;
        let upstream_timeout_s =
            int_setting(env, "UPSTREAM_TIMEOUT_S", file.upstream_timeout_s, 1..=600, 20)?;
        let ws_proxy = WsProxyLimits {
            max_sessions: int_setting(
                env,
                "WS_PROXY_MAX_SESSIONS",
                file.ws_proxy_max_sessions,
                1..=100_000,
                500,
            )?,
            max_sessions_per_identity: int_setting(
                env,
                "WS_PROXY_MAX_SESSIONS_PER_IDENTITY",
                file.ws_proxy_max_sessions_per_identity,
                1..=10_000,
                4,
            )?,
            idle_timeout_s: int_setting(
                env,
                "WS_PROXY_IDLE_TIMEOUT_S",
                file.ws_proxy_idle_timeout_s,
                5..=86_400,
                120,
            )?,
            max_session_s: int_setting(
                env,
                "WS_PROXY_MAX_SESSION_S",
                file.ws_proxy_max_session_s,
                10..=86_400,
                3600,
            )?,
            max_frame_bytes: int_setting(
                env,
                "WS_PROXY_MAX_FRAME_BYTES",
                file.ws_proxy_max_frame_bytes,
                4096..=64 << 20,
                16 << 20,
            )?,
        };

        let marketing_backend_url = env
            .get("MARKETING_BACKEND_URL")
            .map(str::to_owned)
            .or_else(|| file.marketing_backend_url.clone())
            .map(|url| http_url("MARKETING_BACKEND_URL", &url))
            .transpose()?;
        let marketing_allowed_paths: Vec<String> = match env.get("MARKETING_ALLOWED_PATHS") {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file
                .marketing_allowed_paths
                .clone()
                .unwrap_or_else(|| vec!["marketing".to_owned(), "simple".to_owned()]),
        };
        for segment in &marketing_allowed_paths {
            if segment.is_empty()
                || !segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
            {
                return Err(ConfigError::invalid(
                    "MARKETING_ALLOWED_PATHS",
                    format!("\"{segment}\" is not a path segment (letters, digits, '-', '_')"),
                ));
            }
        }

        let file_limits = file.rate_limits.clone().unwrap_or_default();
        if let Some(key) = file_limits.keys().find(|k| {
            !RATE_LIMIT_CLASSES
                .iter()
                .any(|(class, _, _)| **k == format!("{class}_ip") || **k == format!("{class}_identity"))
        }) {
            return Err(ConfigError::invalid(
                "rate_limits (config file)",
                format!("unknown key \"{key}\" (expected e.g. token_ip, token_identity)"),
            ));
        }
        let mut rate_limits = std::collections::BTreeMap::new();
        for (class, ip_default, identity_default) in RATE_LIMIT_CLASSES {
            let get = |suffix: &str, default: &str| {
                let var = format!(
                    "RATE_LIMIT_{}_{}",
                    class.to_ascii_uppercase(),
                    suffix.to_ascii_uppercase()
                );
                let key = format!("{class}_{suffix}");
                let value = env
                    .get(&var)
                    .map(str::to_owned)
                    .or_else(|| file_limits.get(&key).cloned())
                    .unwrap_or_else(|| default.to_owned());
                parse_rate(&var, &value)
            };
            let limits = RateLimits {
                per_ip: get("ip", ip_default)?,
                per_identity: get("identity", identity_default)?,
            };
            rate_limits.insert((*class).to_owned(), limits);
        }
        let input_device = device_name(env, "DONNA_INPUT_DEVICE", file.input_device.as_deref())?;
        let output_device = device_name(env, "DONNA_OUTPUT_DEVICE", file.output_device.as_deref())?;
        let voice_speed = match (env.get("DONNA_VOICE_SPEED"), file.voice_speed) {
            (Some(v), _) => speed("DONNA_VOICE_SPEED", v)?,
            (None, Some(v)) => speed("voice_speed (config file)", &v.to_string())?,
            (None, None) => 1.0,
        };
        let voice = match (env.get("DONNA_VOICE"), file.voice.as_deref()) {
            (Some(v), _) => offline_voice("DONNA_VOICE", v)?,
            (None, Some(v)) => offline_voice("voice (config file)", v)?,
            (None, None) => OFFLINE_VOICES[0].to_owned(),
        };
        let whisper_threads = match (env.get("DONNA_WHISPER_THREADS"), file.whisper_threads) {
            (Some(v), _) => threads("DONNA_WHISPER_THREADS", v)?,
            (None, Some(v)) => threads("whisper_threads (config file)", &v.to_string())?,
            (None, None) => std::thread::available_parallelism().map_or(1, |n| n.get().min(2)),
        };
        let voice_lexicon = match env.get("DONNA_VOICE_LEXICON") {
            Some(v) => lexicon("DONNA_VOICE_LEXICON", v)?,
            None => file
                .voice_lexicon
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
        };

        Ok(Settings {
            addr,
            backend_choice,
            backend,
            profile,
            models_dir: models_dir.unwrap_or_else(|| data_dir.join("models")),
            data_dir,
            allowed_origins,
            production_domain,
            public_hosts,
            use_ws_proxy,
            enable_vad,
            enable_server_vad,
            enable_ws_proxy,
            jwt_secret,
            jwt_algorithm,
            jwt_public_key,
            jwt_issuer,
            jwt_audience,
            openai_api_key,
            engine_key: env.get("DONNA_ENGINE_KEY").map(Secret::new),
            webhooks,
            fixed_time,
            gateway_url,
            staff_token: env.get("DONNA_STAFF_TOKEN").map(Secret::new),
            webhook_secret: env.get("DONNA_WEBHOOK_SECRET").map(Secret::new),
            openai_realtime_model,
            openai_base_url,
            openai_transcribe_model,
            openai_chat_model,
            elevenlabs_api_key: env.get("ELEVENLABS_API_KEY").map(Secret::new),
            elevenlabs_base_url,
            elevenlabs_voice_id,
            log_level,
            log_retention_days,
            marketing_backend_url,
            marketing_allowed_paths,
            request_timeout_s,
            upstream_timeout_s,
            ws_proxy,
            rate_limits,
            input_device,
            voice,
            voice_speed,
            whisper_threads,
            voice_lexicon,
            output_device,
            config_file: None,
        })
    }
}

impl Settings {
    /// The limits of a route class; every class in [`RATE_LIMIT_CLASSES`] is present.
    pub fn rate_limits_of(&self, class: &str) -> RateLimits {
        self.rate_limits.get(class).copied().unwrap_or(RateLimits {
            per_ip: None,
            per_identity: None,
        })
    }
}

#[cfg(test)]
mod tests;
