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

/// A rate: at most `max` requests per `per_s` seconds, spent as a burst of `max` that refills
/// evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub max: u32,
    pub per_s: u32,
}

/// The rate-limited route classes and their defaults: (name, per IP, per identity).
///
/// `api` covers every route; the others add their own limits on top. The variables are
/// `RATE_LIMIT_<CLASS>_IP` and `RATE_LIMIT_<CLASS>_IDENTITY` (e.g. `RATE_LIMIT_TOKEN_IDENTITY=6/min`),
/// or `off`.
pub const RATE_LIMIT_CLASSES: &[(&str, &str, &str)] = &[
    ("api", "600/min", "off"),
    ("token", "30/min", "10/min"),
    ("voice", "30/min", "20/min"),
    ("marketing", "120/min", "60/min"),
    ("ws", "60/min", "20/min"),
];

/// Limits of the realtime WebSocket proxy, each from its own `WS_PROXY_*` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsProxyLimits {
    /// Sessions open at once through this gateway (`WS_PROXY_MAX_SESSIONS`, default 500).
    pub max_sessions: u64,
    /// Sessions open at once per token subject (`WS_PROXY_MAX_SESSIONS_PER_IDENTITY`, default 4).
    pub max_sessions_per_identity: u64,
    /// A session with no frame either way for this long is closed (`WS_PROXY_IDLE_TIMEOUT_S`).
    pub idle_timeout_s: u64,
    /// The longest a session may last (`WS_PROXY_MAX_SESSION_S`, default an hour, as the service).
    pub max_session_s: u64,
    /// The largest frame or message relayed either way (`WS_PROXY_MAX_FRAME_BYTES`, 16 MiB).
    pub max_frame_bytes: u64,
}

impl Default for WsProxyLimits {
    fn default() -> Self {
        Self {
            max_sessions: 500,
            max_sessions_per_identity: 4,
            idle_timeout_s: 120,
            max_session_s: 3600,
            max_frame_bytes: 16 << 20,
        }
    }
}

/// The configured rate limits of one route class; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_ip: Option<Rate>,
    pub per_identity: Option<Rate>,
}

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
    pub fixed_time: Option<String>,
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
        let fixed_time = env.get("DONNA_FIXED_TIME").map(str::to_owned);
        if let Some(t) = &fixed_time {
            let looks_rfc3339 = t.len() >= 20 && t.as_bytes().get(4) == Some(&b'-') && t.contains('T');
            if !looks_rfc3339 {
                return Err(ConfigError::invalid(
                    "DONNA_FIXED_TIME",
                    format!("expected an RFC 3339 instant such as 2026-11-26T10:00:00Z, got \"{t}\""),
                ));
            }
        }

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

fn speed(name: &str, value: &str) -> Result<f32, ConfigError> {
    match value.trim().parse::<f32>() {
        Ok(v) if (0.5..=2.0).contains(&v) => Ok(v),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected a number from 0.5 to 2.0, got \"{value}\""),
        )),
    }
}

fn offline_voice(name: &str, value: &str) -> Result<String, ConfigError> {
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

fn threads(name: &str, value: &str) -> Result<usize, ConfigError> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=8).contains(&n) => Ok(n),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected a whole number of threads from 1 to 8, got \"{value}\""),
        )),
    }
}

/// `Word=say as` pairs, comma-separated.
fn lexicon(name: &str, value: &str) -> Result<Vec<(String, String)>, ConfigError> {
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

/// A comma-separated list from the environment variable `name`, else the config file's list,
/// else nothing; blank entries are dropped.
fn list(env: &EnvSnapshot, name: &str, file: Option<&[String]>) -> Vec<String> {
    match env.get(name) {
        Some(v) => v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => file.map(<[String]>::to_vec).unwrap_or_default(),
    }
}

fn flag(env: &EnvSnapshot, names: &[&str], file: Option<bool>) -> Result<bool, ConfigError> {
    match env.get_aliased(names)? {
        Some((name, value)) => parse_bool(name, value),
        None => Ok(file.unwrap_or(false)),
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

/// `10/min`, `5/s`, `100/h`, `1000/d`, or `off`.
fn parse_rate(name: &str, value: &str) -> Result<Option<Rate>, ConfigError> {
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

/// A whole number from the environment variable `name`, else the config file (whose key is the
/// lower-case name), else `default`; out of `range` is an error naming where it came from.
fn int_setting(
    env: &EnvSnapshot,
    name: &str,
    file: Option<u64>,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, ConfigError> {
    let (min, max) = (*range.start(), *range.end());
    match (env.get(name), file) {
        (Some(v), _) => bounded_int(name, v, min, max),
        (None, Some(v)) => bounded_int(
            &format!("{} (config file)", name.to_ascii_lowercase()),
            &v.to_string(),
            min,
            max,
        ),
        (None, None) => Ok(default),
    }
}

fn bounded_int(name: &str, value: &str, min: u64, max: u64) -> Result<u64, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::invalid(
            name,
            format!("expected a whole number from {min} to {max}, got \"{value}\""),
        )),
    }
}

fn model_name(name: &str, value: &str) -> Result<String, ConfigError> {
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

fn http_url(name: &str, value: &str) -> Result<String, ConfigError> {
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
fn read_pem(value: &str) -> Result<String, ConfigError> {
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
fn claim_value(env: &EnvSnapshot, name: &str, default: &str) -> Result<String, ConfigError> {
    match env.get(name) {
        None => Ok(default.to_owned()),
        Some(v) if v.len() <= 200 && v.chars().all(|c| c.is_ascii_graphic()) => Ok(v.to_owned()),
        Some(v) => Err(ConfigError::invalid(
            name,
            format!("expected printable ASCII without spaces, got \"{v}\""),
        )),
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
            ("JWT_ALGORITHM", "none", "JWT_ALGORITHM: expected one of HS256"),
            ("JWT_ALGORITHM", "RS256", "JWT_PUBLIC_KEY: required when"),
            (
                "JWT_PUBLIC_KEY",
                "/no/such.pem",
                "JWT_PUBLIC_KEY: cannot read /no/such.pem",
            ),
            (
                "JWT_AUDIENCE",
                "two words",
                "JWT_AUDIENCE: expected printable ASCII",
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
    fn ws_proxy_limits_have_defaults_and_bounds() {
        let s = resolve(&[]).unwrap();
        assert_eq!(s.ws_proxy, WsProxyLimits::default());
        let s = resolve(&[("WS_PROXY_MAX_SESSIONS", "3"), ("WS_PROXY_IDLE_TIMEOUT_S", "30")]).unwrap();
        assert_eq!((s.ws_proxy.max_sessions, s.ws_proxy.idle_timeout_s), (3, 30));
        for (name, value) in [
            ("WS_PROXY_MAX_SESSIONS", "0"),
            ("WS_PROXY_MAX_SESSIONS_PER_IDENTITY", "many"),
            ("WS_PROXY_IDLE_TIMEOUT_S", "1"),
            ("WS_PROXY_MAX_FRAME_BYTES", "1"),
        ] {
            let err = resolve(&[(name, value)]).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("{name}: expected a whole number")),
                "{err}"
            );
        }
        let file = FileConfig::parse("ws_proxy_max_session_s = 5").unwrap();
        let err = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ws_proxy_max_session_s (config file)"),
            "{err}"
        );
    }

    #[test]
    fn the_voice_speed_and_lexicon_are_checked() {
        let s = resolve(&[
            ("DONNA_VOICE_SPEED", "1.2"),
            ("DONNA_VOICE_LEXICON", "Okafor=Oh kah for, Nguyen=Win"),
        ])
        .unwrap();
        assert_eq!(s.voice_speed, 1.2);
        assert_eq!(s.voice, "slt");
        assert_eq!(resolve(&[("DONNA_VOICE", " RMS ")]).unwrap().voice, "rms");
        assert_eq!(s.voice_lexicon[1], ("Nguyen".to_owned(), "Win".to_owned()));
        for (name, value) in [
            ("DONNA_VOICE_SPEED", "9"),
            ("DONNA_VOICE_LEXICON", "Okafor"),
            ("DONNA_WHISPER_THREADS", "0"),
            ("DONNA_VOICE", "alloy"),
            ("DONNA_WHISPER_THREADS", "two"),
        ] {
            let err = resolve(&[(name, value)]).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{name}: expected")), "{err}");
        }
    }

    #[test]
    fn whisper_threads_default_to_at_most_two_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(resolve(&[]).unwrap().whisper_threads, cores.min(2));
        assert_eq!(
            resolve(&[("DONNA_WHISPER_THREADS", "1")])
                .unwrap()
                .whisper_threads,
            1
        );
        let file = FileConfig::parse("whisper_threads = 3").unwrap();
        let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
        assert_eq!(s.whisper_threads, 3);
    }

    #[test]
    fn jwt_defaults_and_public_keys() {
        let s = resolve(&[]).unwrap();
        assert_eq!(s.jwt_algorithm, JwtAlgorithm::Hs256);
        assert_eq!(
            (s.jwt_issuer.as_str(), s.jwt_audience.as_str()),
            ("donna", "donna-gateway")
        );
        let pem = "-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEA\\n-----END PUBLIC KEY-----";
        let s = resolve(&[("JWT_ALGORITHM", "EdDSA"), ("JWT_PUBLIC_KEY", pem)]).unwrap();
        assert_eq!(s.jwt_algorithm, JwtAlgorithm::EdDsa);
        assert_eq!(s.jwt_public_key.unwrap().lines().count(), 3);
        let err = resolve(&[("JWT_PUBLIC_KEY", pem)]).unwrap_err().to_string();
        assert!(err.starts_with("JWT_PUBLIC_KEY: only used with"), "{err}");
    }

    #[test]
    fn rate_limits_have_defaults_and_can_be_set_or_turned_off() {
        let s = resolve(&[]).unwrap();
        assert_eq!(
            s.rate_limits_of("token").per_identity,
            Some(Rate { max: 10, per_s: 60 })
        );
        assert_eq!(s.rate_limits_of("api").per_identity, None);
        let s = resolve(&[("RATE_LIMIT_TOKEN_IDENTITY", "3/h"), ("RATE_LIMIT_API_IP", "off")]).unwrap();
        assert_eq!(
            s.rate_limits_of("token").per_identity,
            Some(Rate { max: 3, per_s: 3600 })
        );
        assert_eq!(s.rate_limits_of("api").per_ip, None);
        let file = FileConfig {
            rate_limits: Some([("voice_ip".to_owned(), "7/s".to_owned())].into()),
            ..FileConfig::default()
        };
        let s = Settings::from_layers(&env(&[]), &file, &Overrides::default()).unwrap();
        assert_eq!(s.rate_limits_of("voice").per_ip, Some(Rate { max: 7, per_s: 1 }));
        let file = FileConfig {
            rate_limits: Some([("tokn_ip".to_owned(), "7/s".to_owned())].into()),
            ..FileConfig::default()
        };
        let err = Settings::from_layers(&env(&[]), &file, &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("rate_limits (config file): unknown key \"tokn_ip\""),
            "{err}"
        );
    }

    #[test]
    fn elevenlabs_key_is_a_secret() {
        let s = resolve(&[("ELEVENLABS_API_KEY", "xi-canary")]).unwrap();
        assert!(!format!("{s:?}").contains("xi-canary"));
        assert_eq!(s.log_retention_days, 14);
        assert_eq!(s.marketing_allowed_paths, ["marketing", "simple"]);
    }

    #[test]
    fn legacy_aliases_work() {
        let s = resolve(&[
            ("NEXT_PUBLIC_ENABLE_VAD", "true"),
            ("NEXT_PUBLIC_USE_WS_PROXY", "1"),
            ("ENABLE_WS_PROXY", "true"),
            ("JWT_SECRET", "a-secret-of-at-least-thirty-two-chars"),
        ])
        .unwrap();
        assert!(s.enable_vad && s.use_ws_proxy);
        let err = resolve(&[("USE_WS_PROXY", "true")]).unwrap_err().to_string();
        assert!(
            err.starts_with("USE_WS_PROXY: requires ENABLE_WS_PROXY=true"),
            "{err}"
        );
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
