//! Start-up shared by every mode, in the order that keeps failures clean: nothing is started
//! (no window, no thread, no socket) until every setting, the profile and the port check out.

use std::net::TcpListener;
use std::sync::Arc;

use donna_config::{Backend, Overrides, Settings};
use donna_desk::Desk;
use donna_engine::{Engine, EngineConfig, Keys};
use donna_gateway::logs::LogGuard;
use donna_gateway::realtime::RealtimeBackend;
use donna_gateway::voice::VoiceBackend;
use donna_gateway::{GatewayConfig, GatewayError, GatewayState, HealthInfo};

use crate::assets::EmbeddedUi;
use crate::error::StartError;

/// Everything a mode needs, fully validated.
#[derive(Debug)]
pub struct Booted {
    pub settings: Settings,
    pub desk: Arc<Desk>,
    pub gateway: GatewayState,
    /// The local realtime engine, served on the same listener under `/v1/realtime`.
    pub engine: Engine,
    /// Bound already, so "port in use" is reported before anything else starts.
    pub listener: TcpListener,
    pub _log_guard: LogGuard,
}

pub fn boot(overrides: &Overrides) -> Result<Booted, StartError> {
    let settings = Settings::load(overrides)?;
    let desk = Arc::new(Desk::load(settings.profile.as_deref()).map_err(StartError::Profile)?);
    let listener = TcpListener::bind(settings.addr).map_err(|source| GatewayError::Bind {
        addr: settings.addr,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| GatewayError::Bind {
            addr: settings.addr,
            source,
        })?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartError::DataDir {
        path: settings.data_dir.clone(),
        source,
    })?;
    let keys = Keys::load_or_create(
        settings.engine_key.as_ref().map(|k| k.expose()),
        &settings.data_dir,
    )
    .map_err(StartError::Engine)?;
    let log_guard = crate::logging::init(&settings, keys.engine_key())?;
    let engine = Engine::new(
        desk.clone(),
        keys,
        EngineConfig {
            default_model: settings.openai_realtime_model.clone(),
            ..EngineConfig::default()
        },
    );

    tracing::info!(
        backend = settings.backend.as_str(),
        profile = %desk.profile().organisation.name,
        data_dir = %settings.data_dir.display(),
        config_file = ?settings.config_file,
        "starting"
    );
    let health = HealthInfo {
        version: env!("CARGO_PKG_VERSION"),
        backend: settings.backend.as_str(),
        data_dir: settings.data_dir.clone(),
    };
    let jwt = donna_gateway::auth::Jwt::from_settings(&settings)?;
    let realtime = match (&settings.backend, &settings.openai_api_key) {
        (Backend::OpenAi, Some(key)) => RealtimeBackend::Cloud {
            base_url: settings.openai_base_url.clone(),
            api_key: key.clone(),
        },
        _ => RealtimeBackend::Local(engine.clone()),
    };
    let gateway = GatewayState::new(desk.clone(), health, Arc::new(EmbeddedUi))
        .with_auth(donna_gateway::auth::Authenticator::new(jwt))
        .with_config(GatewayConfig::from_settings(&settings))?
        .with_realtime(realtime)
        .with_voice(VoiceBackend::from_settings(&settings));
    Ok(Booted {
        settings,
        desk,
        gateway,
        engine,
        listener,
        _log_guard: log_guard,
    })
}

impl Booted {
    /// Everything served on the gateway's listener: the gateway's routes and the engine's.
    pub fn router(&self) -> axum::Router {
        donna_gateway::app_with(self.gateway.clone(), self.engine.router())
    }
}

/// The gateway's address as printed for people: the real port when 0 was asked for.
pub fn local_url(listener: &TcpListener) -> Result<String, StartError> {
    let addr = listener.local_addr().map_err(|source| GatewayError::Bind {
        addr: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    Ok(format!("http://{addr}"))
}
