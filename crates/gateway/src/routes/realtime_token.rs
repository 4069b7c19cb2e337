//! `POST /api/realtime/token`: a short-lived realtime client secret for a kiosk or staff
//! desktop, from the configured backend.
//!
//! In order: the per-IP limit and the origin check (layers), the token and its role, the
//! per-identity limit (extractor), then the body: model and voice from allowlists, instructions
//! only from staff, `expires_after` within 10..7200 s, bounded sizes. Every secret issued and
//! every refusal is written to the security log with its reason.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AnyRole, Authed, Claims, Role};
use crate::realtime::MintRequest;
use crate::security::{self, Caller};
use crate::{ApiError, GatewayState};

/// Longest accepted body; a real request is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest instruction override, in characters.
pub const MAX_INSTRUCTIONS_CHARS: usize = 4000;
pub const MIN_EXPIRES_S: i64 = 10;
pub const MAX_EXPIRES_S: i64 = 7200;
pub const DEFAULT_EXPIRES_S: i64 = 600;
/// The voices the realtime service offers by name.
pub use donna_realtime::protocol::session::VOICES;

/// The request body; every field is optional, and an empty body means all defaults.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// A model from the gateway's allowlist; default: the configured realtime model.
    pub model: Option<String>,
    /// A voice name such as `alloy` or `marin`; default `alloy`.
    pub voice: Option<String>,
    /// Replaces Donna's instructions for this session. Staff and admin only.
    pub instructions: Option<String>,
    pub expires_after: Option<ExpiresAfter>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiresAfter {
    /// Only `created_at`.
    pub anchor: Option<String>,
    /// 10 to 7200.
    pub seconds: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub client_secret: ClientSecret,
    pub model: String,
    /// `local` or `openai`.
    pub backend: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientSecret {
    /// The ephemeral key (`ek_...`) the client opens its realtime session with.
    pub value: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Issue a realtime client secret.
#[utoipa::path(post, path = "/api/realtime/token", tag = "realtime",
    request_body(content = Option<TokenRequest>, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "no valid token", body = crate::error::ErrorResponse),
        (status = 403, description = "wrong role, disallowed origin, or instructions from a kiosk", body = crate::error::ErrorResponse),
        (status = 413, body = crate::error::ErrorResponse),
        (status = 422, description = "a field is not allowed", body = crate::error::ErrorResponse),
        (status = 429, description = "rate limited; see Retry-After", body = crate::error::ErrorResponse),
        (status = 502, description = "the realtime service failed", body = crate::error::ErrorResponse),
        (status = 504, description = "the realtime service did not answer in time", body = crate::error::ErrorResponse),
    ))]
pub async fn issue(
    State(state): State<GatewayState>,
    caller: Caller,
    Authed(claims, ..): Authed<AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let backend = state.realtime().name();
    let request = match validate(&state, &claims, &headers, &body) {
        Ok(request) => request,
        Err(e) => {
            let reason = match &e {
                ApiError::Forbidden => "instructions_not_allowed",
                _ => "invalid_request",
            };
            security::denied_caller(&caller, Some(&claims), reason, &e.to_string());
            state.metrics().token(backend, "refused");
            return e.into_response();
        }
    };
    match state
        .realtime()
        .mint(state.upstream(), &request, state.desk().instructions())
        .await
    {
        Ok(minted) => {
            security::issued(
                &caller,
                &claims,
                "realtime_client_secret",
                backend,
                &minted.model,
                minted.expires_at,
            );
            state.metrics().token(backend, "issued");
            let mut response = Json(TokenResponse {
                client_secret: ClientSecret {
                    value: minted.value,
                    expires_at: minted.expires_at,
                },
                model: minted.model,
                backend,
            })
            .into_response();
            // A secret must not sit in any cache on the way.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            let reason = match &e {
                ApiError::Upstream(u) => u.reason(),
                _ => "backend_error",
            };
            tracing::warn!(error = %e, backend, "realtime client secret failed");
            security::denied_caller(&caller, Some(&claims), reason, "backend failed to mint");
            state.metrics().token(backend, "failed");
            e.into_response()
        }
    }
}

fn validate(
    state: &GatewayState,
    claims: &Claims,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<MintRequest, ApiError> {
    let req: TokenRequest = super::optional_json(headers, body)?;
    let allowed_models = state.config().realtime_models.as_slice();
    let model = match req.model {
        None => state.config().default_realtime_model.clone(),
        Some(m) if allowed_models.contains(&m) => m,
        Some(m) => {
            return Err(ApiError::Invalid(format!(
                "model: \"{}\" is not allowed; allowed: {}",
                truncate(&m, 64),
                allowed_models.join(", ")
            )));
        }
    };
    let voice = match req.voice {
        None => "alloy".to_owned(),
        Some(v) if VOICES.contains(&v.as_str()) => v,
        Some(v) => {
            return Err(ApiError::Invalid(format!(
                "voice: \"{}\" is not allowed; allowed: {}",
                truncate(&v, 32),
                VOICES.join(", ")
            )));
        }
    };
    let instructions = match req.instructions {
        None => None,
        Some(_) if claims.role == Role::Kiosk => return Err(ApiError::Forbidden),
        Some(text) => {
            let chars = text.chars().count();
            if text.trim().is_empty() || chars > MAX_INSTRUCTIONS_CHARS {
                return Err(ApiError::Invalid(format!(
                    "instructions: must be 1 to {MAX_INSTRUCTIONS_CHARS} characters, got {chars}"
                )));
            }
            Some(text)
        }
    };
    let expires_after_s = match req.expires_after {
        None => DEFAULT_EXPIRES_S,
        Some(ExpiresAfter { anchor: Some(a), .. }) if a != "created_at" => {
            return Err(ApiError::Invalid(
                "expires_after.anchor: only \"created_at\" is supported".to_owned(),
            ));
        }
        Some(ExpiresAfter { seconds, .. }) if (MIN_EXPIRES_S..=MAX_EXPIRES_S).contains(&seconds) => seconds,
        Some(ExpiresAfter { seconds, .. }) => {
            return Err(ApiError::Invalid(format!(
                "expires_after.seconds: must be {MIN_EXPIRES_S} to {MAX_EXPIRES_S}, got {seconds}"
            )));
        }
    };
    Ok(MintRequest {
        model,
        voice,
        instructions,
        expires_after_s,
    })
}

/// Echo at most `max` characters of client input in an error.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
