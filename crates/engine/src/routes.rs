//! The HTTP side of the engine, with the service's paths, auth and error shapes.

use axum::Json;
use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{FromRequest, Path, Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Engine;
use crate::ids::new_id;
use crate::keys::{Credential, unix_now};
use crate::session_config::default_session;

/// The subprotocol prefix browsers use to pass a key, since they cannot set headers.
const KEY_PROTOCOL: &str = "openai-insecure-api-key.";
/// A browser's offer is a few kilobytes; this leaves room for many candidates and codecs.
const MAX_OFFER_BYTES: usize = 64 * 1024;

pub fn router(engine: Engine) -> Router {
    Router::new()
        .route("/v1/realtime", get(realtime))
        .route(
            "/v1/realtime/calls",
            post(call).layer(axum::extract::DefaultBodyLimit::max(MAX_OFFER_BYTES)),
        )
        .route("/v1/realtime/calls/{call_id}/hangup", post(hang_up))
        .route("/v1/realtime/client_secrets", post(mint_secret))
        .route("/v1/realtime/client_secrets/{value}", delete(revoke_secret))
        .with_state(engine)
}

/// An error in the service's REST shape: `{"error": {"message", "type", "param", "code"}}`.
pub(crate) fn rest_error(status: StatusCode, code: &str, message: &str, param: Option<&str>) -> Response {
    let kind = if status.is_server_error() {
        "server_error"
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        "rate_limit_error"
    } else {
        "invalid_request_error"
    };
    let body = json!({ "error": { "message": message, "type": kind, "param": param, "code": code } });
    (status, Json(body)).into_response()
}

fn unauthorized() -> Response {
    rest_error(
        StatusCode::UNAUTHORIZED,
        "invalid_api_key",
        "Incorrect API key provided. Use the engine key or a client secret from /v1/realtime/client_secrets.",
        None,
    )
}

/// The bearer token from `Authorization`, or from the browser subprotocol form.
fn credential(headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(token) = auth.strip_prefix("Bearer ")
    {
        return Some(token.trim().to_owned());
    }
    let protocols = headers.get(header::SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    protocols
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix(KEY_PROTOCOL))
        .map(str::to_owned)
}

#[derive(Debug, Deserialize)]
struct RealtimeQuery {
    model: Option<String>,
    intent: Option<String>,
    call_id: Option<String>,
}

async fn realtime(
    State(engine): State<Engine>,
    Query(query): Query<RealtimeQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(token) = credential(&headers) else {
        return unauthorized();
    };
    let Some(cred) = engine.keys().authenticate(&token) else {
        return unauthorized();
    };
    if query.call_id.is_some() {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "unsupported_parameter",
            "call_id sessions (WebRTC/SIP) are not supported by the local engine.",
            Some("call_id"),
        );
    }
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(rejection) => {
            return rest_error(
                StatusCode::BAD_REQUEST,
                "websocket_upgrade_required",
                &rejection.body_text(),
                None,
            );
        }
    };
    let beta = headers.contains_key("openai-beta")
        || headers
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.contains("openai-beta.realtime-v1"));

    let session = session_for(&engine, cred, query.model, query.intent.as_deref());
    let config = engine.config();
    upgrade
        .protocols(["realtime"])
        .max_message_size(config.max_frame_bytes)
        .max_frame_size(config.max_frame_bytes)
        .on_upgrade(move |socket| crate::connection::run(engine, socket, session, beta))
}

/// The session a credential opens: a client secret's own, else the defaults for `model`.
fn session_for(
    engine: &Engine,
    cred: Credential,
    model: Option<String>,
    intent: Option<&str>,
) -> donna_realtime::protocol::SessionConfig {
    let config = engine.config();
    let (model, requested) = match cred {
        Credential::ClientSecret(secret) => (secret.session.model.clone(), Some(secret.session.clone())),
        Credential::EngineKey => (model, None),
    };
    let model = model.unwrap_or_else(|| config.default_model.clone());
    let expires_at = unix_now() + config.session_duration.as_secs() as i64;
    let mut session = default_session(new_id("sess"), &model, engine.desk().instructions(), expires_at);
    if intent == Some("transcription") {
        session.kind = Some("transcription".to_owned());
    }
    if let Some(requested) = requested {
        session = crate::session_config::merge(&session, &requested);
    }
    session
}

/// `POST /v1/realtime/calls`: a WebRTC offer in, the answer out with `201 Created` and the
/// call's `Location`, as the service does. Two forms, as the service takes them: the offer as
/// the body (`application/sdp`, the session the credential's), or a form
/// (`multipart/form-data`) with the offer in `sdp` and the session to open in `session`.
async fn call(State(engine): State<Engine>, request: axum::extract::Request) -> Response {
    let headers = request.headers().clone();
    let Some(cred) = credential(&headers).and_then(|token| engine.keys().authenticate(&token)) else {
        return unauthorized();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim_start()
        .to_ascii_lowercase();
    let base = session_for(&engine, cred, None, None);
    let offer = if content_type.starts_with("application/sdp") {
        match axum::body::to_bytes(request.into_body(), MAX_OFFER_BYTES).await {
            Ok(body) => String::from_utf8(body.to_vec())
                .map(|sdp| (sdp, base))
                .map_err(|_| not_utf8()),
            Err(_) => Err(too_big()),
        }
    } else if content_type.starts_with("multipart/form-data") {
        match axum::extract::Multipart::from_request(request, &()).await {
            Ok(form) => offer_form(&engine, form, base).await,
            Err(e) => Err(invalid_offer(&format!(
                "The form cannot be read: {}",
                e.body_text()
            ))),
        }
    } else {
        Err(rest_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_content_type",
            "Send the SDP offer as the body with Content-Type: application/sdp, or as the 'sdp' part of a multipart/form-data form.",
            None,
        ))
    };
    let (offer, session) = match offer {
        Ok(offer) => offer,
        Err(refused) => return refused,
    };
    match crate::call::answer(engine, offer, session).await {
        Ok(answered) => (
            StatusCode::CREATED,
            [
                (header::CONTENT_TYPE, "application/sdp".to_owned()),
                (
                    header::LOCATION,
                    format!("/v1/realtime/calls/{}", answered.call_id),
                ),
            ],
            answered.sdp,
        )
            .into_response(),
        Err(crate::EngineError::Offer(why)) => {
            invalid_offer(&format!("The SDP offer cannot be answered: {why}"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "answering a call failed");
            rest_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "call_failed",
                "The engine could not answer the call.",
                None,
            )
        }
    }
}

/// `POST /v1/realtime/calls/{call_id}/hangup`: end a call from outside it, as the service
/// does, with the engine key (a client secret is the caller's, which hangs up by closing its
/// connection).
async fn hang_up(State(engine): State<Engine>, Path(call_id): Path<String>, headers: HeaderMap) -> Response {
    match credential(&headers).and_then(|token| engine.keys().authenticate(&token)) {
        Some(Credential::EngineKey) => {}
        Some(Credential::ClientSecret(_)) => {
            return rest_error(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "Hanging up a call takes the engine key, not a client secret.",
                None,
            );
        }
        None => return unauthorized(),
    }
    if engine.calls().hang_up(&call_id).await {
        (StatusCode::OK, Json(json!({}))).into_response()
    } else {
        rest_error(
            StatusCode::NOT_FOUND,
            "call_not_found",
            &format!("No call in progress with id '{call_id}'."),
            Some("call_id"),
        )
    }
}

/// The offer and the session from a call's form: `sdp` is required; `session`, a session
/// configuration as `session.update` takes it, is applied over `base`.
async fn offer_form(
    engine: &Engine,
    mut form: axum::extract::Multipart,
    base: donna_realtime::protocol::SessionConfig,
) -> Result<(String, donna_realtime::protocol::SessionConfig), Response> {
    let (mut sdp, mut session) = (None, None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(invalid_offer(&format!(
                    "The form cannot be read: {}",
                    e.body_text()
                )));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.map_err(|_| not_utf8())?;
        match name.as_str() {
            "sdp" => sdp = Some(text),
            "session" => session = Some(text),
            other => {
                return Err(rest_error(
                    StatusCode::BAD_REQUEST,
                    "unknown_parameter",
                    &format!("Unknown parameter: '{other}'."),
                    Some(other),
                ));
            }
        }
    }
    let Some(sdp) = sdp else {
        return Err(rest_error(
            StatusCode::BAD_REQUEST,
            "missing_required_parameter",
            "Missing required parameter: 'sdp'.",
            Some("sdp"),
        ));
    };
    let session = match session {
        None => base,
        Some(raw) => {
            let raw: Value = serde_json::from_str(&raw).map_err(|_| {
                rest_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    "The 'session' part must be a JSON object.",
                    Some("session"),
                )
            })?;
            engine
                .requested_session(&base, &raw)
                .map_err(|e| rest_error(StatusCode::BAD_REQUEST, e.code, &e.message, e.param.as_deref()))?
        }
    };
    Ok((sdp, session))
}

fn invalid_offer(message: &str) -> Response {
    rest_error(StatusCode::BAD_REQUEST, "invalid_offer", message, None)
}

fn not_utf8() -> Response {
    invalid_offer("The SDP offer is not UTF-8 text.")
}

fn too_big() -> Response {
    rest_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "offer_too_large",
        &format!("The offer is larger than {MAX_OFFER_BYTES} bytes."),
        None,
    )
}

async fn mint_secret(State(engine): State<Engine>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    match credential(&headers).and_then(|t| engine.keys().authenticate(&t)) {
        Some(Credential::EngineKey) => {}
        _ => return unauthorized(),
    }
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return rest_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    "The request body must be a JSON object.",
                    None,
                );
            }
        }
    };
    if let Some(key) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "expires_after" && *k != "session"))
    {
        return rest_error(
            StatusCode::BAD_REQUEST,
            "unknown_parameter",
            &format!("Unknown parameter: '{key}'."),
            Some(key),
        );
    }
    let seconds = match &body["expires_after"] {
        Value::Null => 600,
        ea => {
            if ea["anchor"].as_str().is_some_and(|a| a != "created_at") {
                return rest_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_value",
                    "Invalid value for 'expires_after.anchor': only 'created_at' is supported.",
                    Some("expires_after.anchor"),
                );
            }
            match ea["seconds"].as_i64() {
                Some(s) if (10..=7200).contains(&s) => s,
                None if ea["seconds"].is_null() => 600,
                _ => {
                    return rest_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_value",
                        "Invalid value for 'expires_after.seconds': expected an integer from 10 to 7200.",
                        Some("expires_after.seconds"),
                    );
                }
            }
        }
    };
    let raw_session = match &body["session"] {
        Value::Null => json!({ "type": "realtime" }),
        s => s.clone(),
    };
    let secret = match engine.mint_client_secret(seconds, &raw_session) {
        Ok(secret) => secret,
        Err(e) => {
            let status = if e.kind == "rate_limit_error" {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::BAD_REQUEST
            };
            return rest_error(status, e.code, &e.message, e.param.as_deref());
        }
    };
    let session = engine.secret_session(&secret, 0);
    Json(json!({ "value": secret.value, "expires_at": secret.expires_at, "session": session }))
        .into_response()
}

async fn revoke_secret(
    State(engine): State<Engine>,
    headers: HeaderMap,
    Path(value): Path<String>,
) -> Response {
    match credential(&headers).and_then(|t| engine.keys().authenticate(&t)) {
        Some(Credential::EngineKey) => {}
        _ => return unauthorized(),
    }
    if engine.keys().revoke(&value) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        rest_error(StatusCode::NOT_FOUND, "not_found", "No such client secret.", None)
    }
}
