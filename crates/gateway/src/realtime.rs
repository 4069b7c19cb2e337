//! Where realtime client secrets come from: the local engine (in-process) or the cloud
//! (`POST {OPENAI_BASE_URL}/realtime/client_secrets` with the server's key).
//!
//! This module owns talking to the backend; the route (`POST /api/realtime/token`) owns
//! who may ask and what they may ask for.

use std::sync::Arc;

use donna_config::Secret;
use donna_realtime::{InProcessServer, MintRefused};
use serde_json::{Value, json};

use crate::upstream::Upstream;
use crate::{ApiError, UpstreamError};

/// A validated request for a client secret.
#[derive(Debug, Clone)]
pub struct MintRequest {
    pub model: String,
    pub voice: String,
    /// Instructions that replace Donna's own for this session (staff only); `None` for Donna's
    /// own, the desk's, which the local engine has already and the cloud is sent.
    pub instructions: Option<String>,
    pub expires_after_s: i64,
}

/// A minted client secret.
#[derive(Debug, Clone)]
pub struct Minted {
    pub value: String,
    pub expires_at: i64,
    pub model: String,
}

/// The backend in use.
#[derive(Clone)]
pub enum RealtimeBackend {
    /// A realtime server in this process (Donna's local engine, wired by the app).
    Local(Arc<dyn InProcessServer>),
    /// OpenAI Realtime; the key never leaves the server.
    Cloud { base_url: String, api_key: Secret },
    /// Nothing configured (a gateway built without a backend): every request gets `503`.
    Unavailable,
}

impl std::fmt::Debug for RealtimeBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RealtimeBackend::Local(_) => f.write_str("RealtimeBackend::Local"),
            RealtimeBackend::Unavailable => f.write_str("RealtimeBackend::Unavailable"),
            RealtimeBackend::Cloud { base_url, .. } => f
                .debug_struct("RealtimeBackend::Cloud")
                .field("base_url", base_url)
                .finish_non_exhaustive(),
        }
    }
}

impl RealtimeBackend {
    /// "local" or "openai", as in `/api/health` and the response's `backend`.
    pub fn name(&self) -> &'static str {
        match self {
            RealtimeBackend::Local(_) => "local",
            RealtimeBackend::Cloud { .. } => "openai",
            RealtimeBackend::Unavailable => "none",
        }
    }

    /// Realtime sessions open right now, when this process can know.
    pub fn open_sessions(&self) -> Option<usize> {
        match self {
            RealtimeBackend::Local(engine) => Some(engine.open_sessions()),
            RealtimeBackend::Cloud { .. } | RealtimeBackend::Unavailable => None,
        }
    }

    /// The session to ask for; instructions only when they are not the backend's own already.
    fn session(req: &MintRequest, instructions: Option<&str>) -> Value {
        let mut session = json!({
            "type": "realtime",
            "model": req.model,
            "audio": { "output": { "voice": req.voice } },
        });
        if let Some(instructions) = req.instructions.as_deref().or(instructions) {
            session["instructions"] = Value::from(instructions);
        }
        session
    }

    /// A client secret for `req`; `own_instructions` are the desk's, for a backend that does
    /// not hold them.
    pub async fn mint(
        &self,
        upstream: Result<&Upstream, ApiError>,
        req: &MintRequest,
        own_instructions: &str,
    ) -> Result<Minted, ApiError> {
        match self {
            RealtimeBackend::Unavailable => Err(ApiError::Unavailable {
                code: "realtime_unavailable",
                message: "no realtime backend is configured".to_owned(),
            }),
            RealtimeBackend::Local(engine) => {
                let secret = engine
                    .mint_client_secret(req.expires_after_s, &Self::session(req, None))
                    // The gateway validated the request already: the engine refuses only when
                    // it holds as many live secrets as it may, which passes as they expire.
                    .map_err(|e| match e {
                        MintRefused::Busy => ApiError::Unavailable {
                            code: "too_many_client_secrets",
                            message: "too many realtime credentials are alive; try again shortly".to_owned(),
                        },
                        MintRefused::Invalid(message) => {
                            ApiError::Internal(format!("local engine refused a session: {message}"))
                        }
                    })?;
                Ok(Minted {
                    value: secret.value,
                    expires_at: secret.expires_at,
                    model: req.model.clone(),
                })
            }
            RealtimeBackend::Cloud { base_url, api_key } => {
                let body = json!({
                    "expires_after": { "anchor": "created_at", "seconds": req.expires_after_s },
                    "session": Self::session(req, Some(own_instructions)),
                });
                let upstream = upstream?;
                let request = upstream
                    .client()
                    .post(format!("{base_url}/realtime/client_secrets"))
                    .bearer_auth(api_key.expose())
                    .json(&body);
                let answer = upstream.json("openai realtime", request).await?;
                let bad = |detail: &str| UpstreamError::BadResponse {
                    service: "openai realtime",
                    detail: detail.to_owned(),
                };
                // GA shape: {"value", "expires_at", "session"}; the beta nested it under
                // "client_secret". Accept both.
                let secret = if answer["value"].is_string() {
                    &answer
                } else {
                    &answer["client_secret"]
                };
                let value = secret["value"]
                    .as_str()
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| bad("no client secret value"))?;
                let expires_at = secret["expires_at"]
                    .as_i64()
                    .ok_or_else(|| bad("no expires_at"))?;
                let model = answer["session"]["model"]
                    .as_str()
                    .unwrap_or(&req.model)
                    .to_owned();
                Ok(Minted {
                    value: value.to_owned(),
                    expires_at,
                    model,
                })
            }
        }
    }
}
