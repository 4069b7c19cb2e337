//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every route the gateway serves,
//! including the local engine's (documented here, since they share the listener).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use crate::error::{ErrorDetail, ErrorResponse};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("a device or staff token from `donna token mint`"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Donna gateway", description = "Donna's HTTP gateway: health, chat, staff events and routes, realtime client secrets, batch voice, the marketing proxy, and the local realtime engine."),
    modifiers(&BearerAuth),
    paths(
        crate::routes::health::health,
        crate::routes::chat::chat,
        crate::routes::auth::me,
        crate::routes::realtime_token::issue,
        crate::routes::voice::chat,
        crate::routes::marketing::proxy,
        crate::routes::health::clock,
        crate::routes::events::stream,
        crate::routes::events::conversation_stream,
        crate::routes::events::fanout,
        crate::routes::staff::visits,
        crate::routes::staff::messages,
        crate::routes::staff::overview,
        crate::routes::staff::acknowledge,
        crate::routes::staff::check_out,
        crate::routes::welcome::welcome,
        crate::routes::chat::end,
        openapi_json,
        crate::metrics::metrics,
        crate::ws_proxy::connect,
        engine::realtime,
        engine::calls,
        engine::hangup,
        engine::client_secrets,
        engine::revoke,
        crate::routes::ui::asset,
    ),
    components(schemas(ErrorResponse, ErrorDetail)),
)]
#[derive(Debug)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "the OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The local engine's routes, described here because they are served on the gateway's
/// listener; the handlers live in `donna-engine`. Never called.
mod engine {
    #![allow(dead_code)]

    /// The realtime WebSocket (OpenAI Realtime protocol).
    #[utoipa::path(get, path = "/v1/realtime", tag = "engine",
        params(("model" = Option<String>, Query, description = "the realtime model")),
        responses((status = 101, description = "WebSocket upgrade; authenticate with the engine key or a client secret"),
                   (status = 401, description = "OpenAI-style error")))]
    pub async fn realtime() {}

    /// A WebRTC call (OpenAI Realtime protocol): the SDP offer as `application/sdp`, or a
    /// `multipart/form-data` form with `sdp` and `session`; the answer SDP back.
    #[utoipa::path(post, path = "/v1/realtime/calls", tag = "engine",
        responses((status = 201, description = "the answer SDP, with the call in `Location`", content_type = "application/sdp"),
                  (status = 400, description = "OpenAI-style error"),
                  (status = 401, description = "OpenAI-style error"),
                  (status = 413, description = "OpenAI-style error"),
                  (status = 415, description = "OpenAI-style error")))]
    pub async fn calls() {}

    /// End a WebRTC call from outside it, with the engine key.
    #[utoipa::path(post, path = "/v1/realtime/calls/{call_id}/hangup", tag = "engine",
        params(("call_id" = String, Path, description = "the call's id, the last segment of its `Location`")),
        responses((status = 200, description = "`{}`: the call has ended"),
                  (status = 401, description = "OpenAI-style error"),
                  (status = 404, description = "OpenAI-style error")))]
    pub async fn hangup() {}

    /// Mint a client secret with the engine key (OpenAI-compatible).
    #[utoipa::path(post, path = "/v1/realtime/client_secrets", tag = "engine",
        responses((status = 200, description = "`{value, expires_at, session}`"),
                  (status = 400, description = "OpenAI-style error"),
                  (status = 401, description = "OpenAI-style error")))]
    pub async fn client_secrets() {}

    /// Revoke a client secret.
    #[utoipa::path(delete, path = "/v1/realtime/client_secrets/{value}", tag = "engine",
        params(("value" = String, Path)),
        responses((status = 204), (status = 404, description = "OpenAI-style error")))]
    pub async fn revoke() {}
}
