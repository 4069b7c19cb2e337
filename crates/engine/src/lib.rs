//! Donna's local realtime engine: a faithful stand-in for the OpenAI Realtime service.
//!
//! | module | owns |
//! |---|---|
//! | [`routes`] | `GET /v1/realtime` (WebSocket), `POST /v1/realtime/calls` (WebRTC) and its `/hangup`, and `POST /v1/realtime/client_secrets`, with the service's auth and error shapes |
//! | [`call`] | `POST /v1/realtime/calls`: a WebRTC call's answer, and its session on the `oai-events` data channel |
//! | [`connection`] | one session on a WebSocket or a call: events in, events out, limits, expiry |
//! | [`session`] | [`session::ServerSession`], the session state machine without I/O: input buffer and VAD, transcription, items, responses and tool calls, output |
//! | [`session_config`] | session defaults, `session.update` validation and merging |
//! | [`vad`] | the deterministic energy VAD behind `server_vad` |
//! | [`keys`] | the engine key and client secrets |
//!
//! Replies come from the desk crate; the engine never calls the cloud. A client built for the
//! OpenAI Realtime API works against it by pointing its base URL at `http://HOST:PORT/v1`.

pub mod call;
pub mod connection;
pub mod keys;
pub mod routes;
pub mod session;
pub mod session_config;
pub mod transcribe;
pub mod vad;

mod error;
mod ids;

pub use error::{EngineError, ProtocolError};
pub use keys::Keys;
pub use session::Limits;
pub use transcribe::{OfflineTranscriber, WhisperModel};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use donna_desk::{Desk, Reception};
use donna_speech::stt::Transcriber;

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The model named in sessions when the client does not pick one.
    pub default_model: String,
    /// Sessions end with `session_expired` and close 1001 after this long (60 minutes, as the service).
    pub session_duration: Duration,
    /// Largest WebSocket message accepted; above it the connection closes with 1009.
    pub max_frame_bytes: usize,
    pub limits: Limits,
    /// Speech synthesis for audio responses; `None` answers them with `speech_synthesis_unavailable`.
    pub tts: Option<Arc<dyn donna_speech::Synthesizer>>,
    /// Speech recognition for committed audio; `None` answers spoken turns with
    /// `transcription_unavailable`.
    pub stt: Option<Arc<dyn Transcriber>>,
    /// Cancelled when the server shuts down: open sessions then close with 1001 (going away)
    /// instead of vanishing with the process, which the HTTP server's graceful shutdown does
    /// not wait for.
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            default_model: "gpt-realtime".to_owned(),
            session_duration: Duration::from_secs(60 * 60),
            // The service caps one append at 15 MiB of audio; base64 and JSON add a third.
            max_frame_bytes: 21 * 1024 * 1024,
            limits: Limits::default(),
            tts: None,
            stt: None,
            shutdown: tokio_util::sync::CancellationToken::new(),
        }
    }
}

/// The engine: cheap to clone, shared by every connection.
#[derive(Debug, Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    reception: Arc<Reception>,
    keys: Keys,
    config: EngineConfig,
    open_sessions: AtomicUsize,
    calls: call::Calls,
}

impl Engine {
    pub fn new(reception: Arc<Reception>, keys: Keys, config: EngineConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                reception,
                keys,
                config,
                open_sessions: AtomicUsize::new(0),
                calls: call::Calls::default(),
            }),
        }
    }

    /// The engine's routes, to be merged into the gateway's router.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    pub fn keys(&self) -> &Keys {
        &self.inner.keys
    }

    pub fn desk(&self) -> &Desk {
        self.inner.reception.desk()
    }

    /// The receptionist the engine's sessions run tools through.
    pub fn reception(&self) -> &Arc<Reception> {
        &self.inner.reception
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Mint a client secret valid for `seconds` that starts the session `raw_session` asks for
    /// (the `session` of a `POST /v1/realtime/client_secrets` body), validated as the service does.
    /// The secret keeps only what was asked for; [`Engine::secret_session`] is the whole session.
    pub fn mint_client_secret(
        &self,
        seconds: i64,
        raw_session: &serde_json::Value,
    ) -> Result<std::sync::Arc<keys::ClientSecret>, ProtocolError> {
        // A model that is no string is refused with the rest of the session below.
        let model = raw_session
            .get("model")
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| self.config().default_model.clone(), str::to_owned);
        let mut requested = self.parse_session(raw_session)?;
        // A new session's model is whatever the request names: nothing else in it depends on
        // the defaults it will be merged into.
        let base = donna_realtime::protocol::SessionConfig {
            model: Some(model.clone()),
            ..Default::default()
        };
        session_config::validate(&base, raw_session, &requested, false)?;
        requested.model = Some(model);
        self.keys().mint(seconds, requested).ok_or_else(|| {
            ProtocolError::busy(
                "too_many_client_secrets",
                "Too many client secrets are alive; wait for some to expire or revoke them.",
            )
        })
    }

    /// `base` with a client's requested session (as `session.update` takes it) applied,
    /// validated as the service validates it.
    pub fn requested_session(
        &self,
        base: &donna_realtime::protocol::SessionConfig,
        raw_session: &serde_json::Value,
    ) -> Result<donna_realtime::protocol::SessionConfig, ProtocolError> {
        let requested = self.parse_session(raw_session)?;
        session_config::validate(base, raw_session, &requested, false)?;
        Ok(session_config::merge(base, &requested))
    }

    /// The whole session `secret` starts: the defaults with the desk's instructions, and what
    /// the secret's request set over them (as `POST /v1/realtime/client_secrets` echoes it).
    pub fn secret_session(
        &self,
        secret: &keys::ClientSecret,
        expires_at: i64,
    ) -> donna_realtime::protocol::SessionConfig {
        let model = secret
            .session
            .model
            .as_deref()
            .unwrap_or(&self.config().default_model);
        let base = session_config::default_session(
            ids::new_id("sess"),
            model,
            self.desk().instructions(),
            expires_at,
        );
        session_config::merge(&base, &secret.session)
    }

    fn parse_session(
        &self,
        raw_session: &serde_json::Value,
    ) -> Result<donna_realtime::protocol::SessionConfig, ProtocolError> {
        <donna_realtime::protocol::SessionConfig as serde::Deserialize>::deserialize(raw_session).map_err(
            |e| {
                ProtocolError::invalid(
                    "invalid_value",
                    format!("Invalid 'session': {e}"),
                    Some("session"),
                )
            },
        )
    }

    /// Sessions connected right now.
    pub fn open_sessions(&self) -> usize {
        self.inner.open_sessions.load(Ordering::Relaxed)
    }

    /// The WebRTC calls in progress.
    pub fn calls(&self) -> &call::Calls {
        &self.inner.calls
    }

    pub(crate) fn session_opened(&self) -> SessionGuard {
        self.inner.open_sessions.fetch_add(1, Ordering::Relaxed);
        SessionGuard(self.clone())
    }
}

/// Counts a session as open until dropped, however its connection ends.
pub(crate) struct SessionGuard(Engine);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.0.inner.open_sessions.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The gateway mints the engine's client secrets in process, through the protocol crate's
/// trait, without depending on the engine.
impl donna_realtime::InProcessServer for Engine {
    fn mint_client_secret(
        &self,
        seconds: i64,
        session: &serde_json::Value,
    ) -> Result<donna_realtime::MintedSecret, donna_realtime::MintRefused> {
        match Engine::mint_client_secret(self, seconds, session) {
            Ok(secret) => Ok(donna_realtime::MintedSecret {
                value: secret.value.clone(),
                expires_at: secret.expires_at,
            }),
            Err(e) if e.kind == "rate_limit_error" => Err(donna_realtime::MintRefused::Busy),
            Err(e) => Err(donna_realtime::MintRefused::Invalid(e.message)),
        }
    }

    fn open_sessions(&self) -> usize {
        Engine::open_sessions(self)
    }
}
