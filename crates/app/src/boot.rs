//! Start-up shared by every mode, in the order that keeps failures clean: nothing is started
//! (no window, no thread, no socket) until every setting, the profile and the port check out.

use std::net::TcpListener;
use std::sync::Arc;

use donna_config::{Backend, Overrides, Settings};
use donna_desk::store::Store;
use donna_desk::{Desk, Reception};
use donna_engine::{Engine, EngineConfig, Keys};
use donna_gateway::local_voice::LocalVoice;
use donna_gateway::logs::LogGuard;
use donna_gateway::realtime::RealtimeBackend;
use donna_gateway::voice::VoiceBackend;
use donna_gateway::ws_proxy::{ProxyUpstream, WsProxy};
use donna_gateway::{GatewayConfig, GatewayError, GatewayState, HealthInfo};

use crate::assets::EmbeddedUi;
use crate::error::AppError;
use crate::realtime::loopback;

/// Everything a serving mode needs, fully validated and wired, with nothing running yet: the
/// listener is bound (so "port in use" is reported before anything starts) but not served.
#[derive(Debug)]
pub struct Donna {
    pub settings: Settings,
    pub desk: Arc<Desk>,
    /// The receptionist with its durable store, shared by the engine, the gateway and the app.
    pub reception: Arc<Reception>,
    pub gateway: GatewayState,
    /// The local realtime engine, served on the same listener under `/v1/realtime`.
    pub engine: Engine,
    /// Bound already, so "port in use" is reported before anything else starts.
    pub listener: TcpListener,
    /// Where the app's own realtime sessions connect, in order of preference.
    pub targets: Vec<crate::realtime::Target>,
    /// The gateway's address for people (the real port when 0 was asked for).
    pub url: String,
    /// Keeps the log files open; dropping it flushes them.
    pub log_guard: LogGuard,
}

impl Donna {
    /// Load the settings (environment, config file, `overrides`), then as [`Donna::new`].
    pub fn boot(overrides: &Overrides) -> Result<Self, AppError> {
        Self::new(Settings::load(overrides)?)
    }

    /// Load the profile, bind the listener, open the store and the logs, and wire the engine
    /// and the gateway for `settings`.
    pub fn new(settings: Settings) -> Result<Self, AppError> {
        boot(settings)
    }
}

fn boot(mut settings: Settings) -> Result<Donna, AppError> {
    let mut desk = Desk::load(settings.storage.profile.as_deref()).map_err(AppError::Desk)?;
    if let Some(at) = settings.fixed_time {
        desk = desk.with_fixed_time(at);
    }
    let desk = Arc::new(desk);
    let listener = TcpListener::bind(settings.server.addr).map_err(|source| GatewayError::Bind {
        addr: settings.server.addr,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| GatewayError::Bind {
            addr: settings.server.addr,
            source,
        })?;
    donna_config::private::create_dir(&settings.storage.data_dir).map_err(|source| AppError::DataDir {
        path: settings.storage.data_dir.clone(),
        source,
    })?;
    let store = open_store(&settings.storage)?;
    let reception = Arc::new(Reception::new(
        (*desk).clone(),
        store,
        settings.webhooks.urls.clone(),
    ));
    let keys = Keys::load_or_create(
        settings.backend.engine_key.as_ref().map(|k| k.expose()),
        &settings.storage.data_dir,
    )
    .map_err(AppError::Engine)?;
    let redis = redis_address(&settings.storage)?;
    let keys = match &redis {
        Some(redis) => keys.with_shared(Arc::new(SharedSecrets(donna_redis::SharedValues::new(
            redis.clone(),
            "secret",
        )?))),
        None => keys,
    };
    // Before the logs open, so that a signing secret made now is among those they scrub.
    let jwt = crate::token::verifier(&mut settings)?;
    let log_guard = crate::logging::init(&settings, keys.engine_key())?;
    tracing::info!(
        backend = settings.backend.active.as_str(),
        profile = %desk.profile().organisation.name,
        data_dir = %settings.storage.data_dir.display(),
        config_file = ?settings.config_file,
        stopped_clock = ?desk.clock().is_stopped().then(|| desk.clock().now()),
        "starting"
    );
    read_meaning(&settings, desk.profile());
    let tts: Arc<dyn donna_speech::Synthesizer> = Arc::new(offline_voice(&settings));
    let stt = speech_recognition(&settings, desk.profile());
    // One shutdown for the gateway and the engine it serves: both close their WebSockets.
    let shutdown = tokio_util::sync::CancellationToken::new();
    let engine = Engine::new(
        reception.clone(),
        keys,
        EngineConfig {
            default_model: settings.backend.openai_realtime_model.clone(),
            tts: Some(tts.clone()),
            stt: stt.clone(),
            shutdown: shutdown.clone(),
            ..EngineConfig::default()
        },
    );

    let health = HealthInfo {
        version: env!("CARGO_PKG_VERSION"),
        backend: settings.backend.active.as_str(),
        data_dir: settings.storage.data_dir.clone(),
    };
    let realtime = match (&settings.backend.active, &settings.backend.openai_api_key) {
        (Backend::OpenAi, Some(key)) => RealtimeBackend::Cloud {
            base_url: settings.backend.openai_base_url.clone(),
            api_key: key.clone(),
        },
        _ => RealtimeBackend::Local(Arc::new(engine.clone())),
    };
    let url = local_url(&listener)?;
    let ws_proxy = settings.proxy.enable_ws_proxy.then(|| {
        let upstream = match &realtime {
            RealtimeBackend::Cloud { base_url, api_key } => ProxyUpstream {
                base_url: base_url.clone(),
                key: api_key.clone(),
            },
            _ => ProxyUpstream {
                base_url: format!("{}/v1", loopback(&url)),
                key: donna_config::Secret::new(engine.keys().engine_key()),
            },
        };
        tracing::info!(upstream = %upstream.base_url, "realtime WebSocket proxy on /realtime");
        WsProxy::new(
            upstream,
            settings.proxy.limits,
            desk.instructions().to_owned(),
            donna_desk::tools::definitions(),
        )
    });
    // The app's own sessions go through the proxy with a kiosk token it mints for itself.
    let proxy_token = match (&jwt, settings.proxy.use_ws_proxy) {
        (Some(jwt), true) => Some(jwt.mint("kiosk-app", donna_gateway::auth::Role::Kiosk, 30 * 86_400)?),
        _ => None,
    };
    let targets = crate::realtime::targets(
        &settings.backend,
        &url,
        engine.keys().engine_key(),
        proxy_token.as_deref(),
    );
    let chat = crate::realtime::RealtimeChat::new(targets.clone(), reception.clone());
    let gateway = GatewayState::new(desk.clone(), health, Arc::new(EmbeddedUi))
        .with_auth(donna_gateway::auth::Authenticator::new(jwt.clone()))
        .with_config(GatewayConfig {
            kiosk: settings.kiosk,
            page_voice: donna_gateway::config::PageVoice {
                vad: settings.voice.enable_vad,
                ws_proxy: settings.proxy.use_ws_proxy,
            },
            ..GatewayConfig::from_settings(&settings.server, &settings.backend.openai_realtime_model)
        })?
        .with_realtime(realtime)
        .with_voice(match (VoiceBackend::from_settings(&settings.backend), stt) {
            // Batch voice offline uses the engine's recogniser and voice.
            (VoiceBackend::Local, Some(stt)) => VoiceBackend::Offline(Box::new(LocalVoice {
                stt,
                tts,
                reception: reception.clone(),
            })),
            (backend, _) => backend,
        })
        .with_reception(reception.clone(), Some(Arc::new(chat)))
        .with_shutdown(shutdown);
    let gateway = match (ws_proxy, &redis) {
        (Some(proxy), Some(redis)) => gateway.with_ws_proxy(proxy.with_shared_caps(Arc::new(SharedCaps(
            donna_redis::SharedSessions::new(redis.clone(), "ws")?,
        )))),
        (Some(proxy), None) => gateway.with_ws_proxy(proxy),
        (None, _) => gateway,
    };
    let gateway = match &redis {
        Some(redis) => gateway.with_shared_rate(Arc::new(SharedRate(donna_redis::SharedLimits::new(
            redis.clone(),
        )?))),
        None => gateway,
    };
    Ok(Donna {
        settings,
        desk,
        reception,
        gateway,
        engine,
        listener,
        targets,
        url,
        log_guard,
    })
}

impl Donna {
    /// Background work beside the gateway (webhook delivery, the relay of staff events to the
    /// other gateways through Redis); call inside the async runtime.
    pub(crate) fn start_background(
        &self,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<(), AppError> {
        if let Some(redis) = redis_address(&self.settings.storage)? {
            let bus = donna_redis::EventBus::spawn(redis, self.reception.clone(), shutdown.clone())?;
            self.gateway.set_shared_probe(Arc::new(SharedBus(bus)));
        }
        donna_gateway::webhooks::spawn(
            self.reception.clone(),
            self.settings.webhooks.secret.clone(),
            donna_gateway::webhooks::DeliveryPolicy::default(),
            shutdown,
        );
        Ok(())
    }

    /// Everything served on the gateway's listener: the gateway's routes and the engine's.
    pub(crate) fn router(&self) -> axum::Router {
        donna_gateway::app_with(self.gateway.clone(), self.engine.router())
    }
}

/// The engine's client secrets, in Redis for every gateway: JSON under the secret's hash.
struct SharedSecrets(donna_redis::SharedValues);

impl donna_engine::keys::SharedSecrets for SharedSecrets {
    fn put(&self, secret: &donna_engine::keys::ClientSecret, max_live: usize) -> Result<bool, String> {
        let json = serde_json::to_string(secret).map_err(|e| e.to_string())?;
        let ttl = (secret.expires_at - donna_engine::keys::unix_now()).max(1);
        self.0.put(
            &secret.value,
            &json,
            std::time::Duration::from_secs(ttl.unsigned_abs()),
            max_live,
        )
    }

    fn get(&self, value: &str) -> Result<Option<donna_engine::keys::ClientSecret>, String> {
        match self.0.get(value)? {
            Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| e.to_string()),
            None => Ok(None),
        }
    }

    fn remove(&self, value: &str) -> Result<bool, String> {
        self.0.remove(value)
    }
}

/// The rate limits every gateway keeps together in Redis.
struct SharedRate(donna_redis::SharedLimits);

impl donna_gateway::SharedRate for SharedRate {
    fn check<'a>(
        &'a self,
        key: &'a str,
        rate: donna_config::Rate,
    ) -> donna_gateway::conversations::BoxFuture<'a, Result<Option<std::time::Duration>, String>> {
        Box::pin(self.0.check(key, rate.max, rate.per_s))
    }
}

/// The realtime proxy's session caps, counted by every gateway together in Redis.
struct SharedCaps(donna_redis::SharedSessions);

impl donna_gateway::ws_proxy::caps::SharedCaps for SharedCaps {
    fn acquire<'a>(
        &'a self,
        session: &'a str,
        identity: &'a str,
        max_total: u64,
        max_per_identity: u64,
    ) -> donna_gateway::conversations::BoxFuture<
        'a,
        Result<Option<donna_gateway::ws_proxy::caps::CapExceeded>, String>,
    > {
        use donna_gateway::ws_proxy::caps::CapExceeded;
        Box::pin(async move {
            let refused = self
                .0
                .acquire(session, identity, max_total, max_per_identity)
                .await?;
            Ok(refused.map(|cap| match cap {
                donna_redis::SessionCap::Total => CapExceeded::Global { max: max_total },
                donna_redis::SessionCap::Identity => CapExceeded::Identity {
                    max: max_per_identity,
                },
            }))
        })
    }

    fn release(&self, session: &str, identity: &str) {
        self.0.release(session, identity);
    }
}

/// The Redis relay as `/api/health` reports it.
struct SharedBus(donna_redis::EventBus);

impl donna_gateway::SharedProbe for SharedBus {
    fn check(&self) -> (bool, String) {
        let at = self.0.location();
        match self.0.state() {
            donna_redis::BusState::Live => (true, format!("redis {at}: live")),
            donna_redis::BusState::Connecting => (false, format!("redis {at}: connecting")),
            donna_redis::BusState::Down { reason } => (
                false,
                format!(
                    "redis {at}: down ({reason}); staff events reach only this gateway's desks until it is back"
                ),
            ),
        }
    }
}

/// The local engine's voice, as configured.
pub fn offline_voice(settings: &Settings) -> donna_speech::Tts {
    donna_speech::Tts {
        // The settings accept only the voices the speech crate has.
        voice: donna_speech::tts::Voice::from_name(&settings.voice.offline_voice).unwrap_or_default(),
        speed: settings.voice.speed,
        lexicon: settings.voice.lexicon.clone(),
    }
}

/// Load the sentence model and embed the profile's examples on a thread of their own (about a
/// second of one core): the desk answers by its rules from the first moment and understands
/// meaning once this is done (`/api/health` says which). The local engine answers with it, and
/// so does a kiosk that falls back to the local engine when the cloud is down. Without the
/// model (`donna models install`), the log says the desk answers by its rules alone.
fn read_meaning(settings: &Settings, profile: &donna_desk::Profile) {
    let models_dir = settings.storage.models_dir.clone();
    let profile = profile.clone();
    let understanding = profile.understanding.clone();
    understanding.loading(true);
    let spawned = std::thread::Builder::new()
        .name("donna-meaning".to_owned())
        .spawn(move || {
            let started = std::time::Instant::now();
            let built = donna_models::check_sentence_model(&models_dir)
                .map_err(|e| e.to_string())
                .and_then(|dir| donna_meaning::Embedder::load(&dir).map_err(|e| e.to_string()))
                .and_then(|model| {
                    donna_desk::meaning::Meanings::build(&profile, Arc::new(model)).map_err(|e| e.to_string())
                });
            match built {
                Ok(meanings) => {
                    tracing::info!(
                        examples = meanings.len(),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "the offline desk reads meaning with its sentence model"
                    );
                    profile.understanding.set(meanings);
                }
                Err(problem) => {
                    profile.understanding.loading(false);
                    tracing::warn!(%problem, "the offline desk answers by its rules alone");
                }
            }
        });
    if let Err(e) = spawned {
        understanding.loading(false);
        tracing::warn!(error = %e, "the offline desk answers by its rules alone");
    }
}

/// The offline recogniser for the local engine, or `None` (logged) when pocketsphinx's model is
/// not installed. Without the whisper model (`donna models install`) only the fast path runs.
fn speech_recognition(
    settings: &Settings,
    profile: &donna_desk::profile::Profile,
) -> Option<Arc<dyn donna_speech::stt::Transcriber>> {
    let whisper = match donna_models::check(&settings.storage.models_dir).into_result() {
        Ok(path) => Some(path),
        Err(e) => {
            tracing::warn!(problem = %e, "offline speech recognition without whisper: only the profile's own sentences are understood");
            None
        }
    };
    let work_dir = settings.storage.data_dir.join("speech");
    let whisper = whisper.as_deref().map(|path| donna_engine::WhisperModel {
        threads: settings.voice.whisper_threads,
        ..donna_engine::WhisperModel::at(path)
    });
    match donna_engine::OfflineTranscriber::new(profile, &work_dir, whisper) {
        Ok(stt) => {
            tracing::info!(accurate = stt.accurate, "offline speech recognition ready");
            Some(Arc::new(stt))
        }
        Err(e) => {
            tracing::warn!(problem = %e, "offline speech recognition unavailable: spoken turns are refused");
            None
        }
    }
}

/// The gateway's address as printed for people: the real port when 0 was asked for.
fn local_url(listener: &TcpListener) -> Result<String, AppError> {
    let addr = listener.local_addr().map_err(|source| GatewayError::Bind {
        addr: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    Ok(format!("http://{addr}"))
}

/// The store: PostgreSQL when `DONNA_DATABASE_URL` names one (several gateways, one front
/// desk), else SQLite in the data dir.
fn open_store(storage: &donna_config::StorageSettings) -> Result<Store, AppError> {
    match &storage.database_url {
        Some(url) => Ok(Store::new(donna_postgres::PostgresStore::connect_with(
            url.expose(),
            tls_ca(storage)?.as_deref(),
        )?)),
        None => Store::open(&storage.data_dir.join("donna.sqlite3")).map_err(AppError::Desk),
    }
}

/// The private certificate authority PostgreSQL's and Redis's certificates are verified
/// against (`DONNA_TLS_CA_FILE`), when there is one.
fn tls_ca(storage: &donna_config::StorageSettings) -> Result<Option<Vec<u8>>, AppError> {
    storage
        .tls_ca_file
        .as_ref()
        .map(|path| {
            std::fs::read(path).map_err(|source| AppError::CaFile {
                path: path.clone(),
                source,
            })
        })
        .transpose()
}

/// Where Redis is (`DONNA_REDIS_URL`), with the certificate authority to verify it by.
fn redis_address(storage: &donna_config::StorageSettings) -> Result<Option<donna_redis::Address>, AppError> {
    let Some(url) = &storage.redis_url else {
        return Ok(None);
    };
    let address = donna_redis::Address::new(url.expose());
    Ok(Some(match tls_ca(storage)? {
        Some(pem) => address.with_ca(pem),
        None => address,
    }))
}
