//! Staff events: the live stream (`GET /api/voice/events`, server-sent events) and the internal
//! publishing route (`POST /api/voice/fanout`).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use donna_desk::DeskEvent;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{AdminOnly, Authed};
use crate::routes::chat::ApiJson;
use crate::{ApiError, GatewayState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Only events for this member of staff (events for no one in particular are included).
    pub staff_id: Option<String>,
}

/// Live events as SSE: `event:` is the kind, `id:` the event id, `data:` the JSON event.
#[utoipa::path(get, path = "/api/voice/events", tag = "staff",
    params(("staff_id" = Option<String>, Query, description = "only this staff member's events")),
    security(("bearer" = [])),
    responses((status = 200, description = "server-sent events: `event:` kind, `id:` event id, `data:` the JSON event", content_type = "text/event-stream"),
              (status = 401, body = crate::openapi::ErrorResponse)))]
pub async fn stream(
    _: Authed,
    State(state): State<GatewayState>,
    Query(filter): Query<Filter>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let reception = state.reception().ok_or(ApiError::unavailable(
        "staff events are not running in this deployment",
    ))?;
    let rx = reception.subscribe();
    let stream = futures_util::stream::unfold((rx, filter.staff_id), |(mut rx, staff)| async move {
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if staff.is_some() && event.staff_id.is_some() && event.staff_id != staff {
                        continue;
                    }
                    let data = serde_json::to_string(&event).unwrap_or_default();
                    let sse = Event::default()
                        .event(event.kind.clone())
                        .id(event.id.clone())
                        .data(data);
                    return Some((Ok(sse), (rx, staff)));
                }
                // A subscriber too slow to keep up is told how much it missed; the events are
                // in the store and `GET /api/visits` / `/api/messages` have them.
                Err(RecvError::Lagged(missed)) => {
                    let sse = Event::default()
                        .event("events.lagged")
                        .data(json!({ "missed": missed }).to_string());
                    return Some((Ok(sse), (rx, staff)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    pub kind: String,
    pub summary: String,
    #[serde(default)]
    pub staff_id: Option<String>,
    #[serde(default)]
    pub data: Value,
}

/// Publish an event from an internal caller (admin role): stored, streamed, sent to webhooks.
#[utoipa::path(post, path = "/api/voice/fanout", tag = "staff", security(("bearer" = [])),
    request_body(content = serde_json::Value, description = "`{kind, summary, staff_id?, data?}`"),
    responses((status = 202, description = "the stored, published event"),
              (status = 403, body = crate::openapi::ErrorResponse),
              (status = 422, body = crate::openapi::ErrorResponse)))]
pub async fn fanout(
    _: Authed<AdminOnly>,
    State(state): State<GatewayState>,
    ApiJson(req): ApiJson<Publish>,
) -> Result<(StatusCode, Json<DeskEvent>), ApiError> {
    let reception = state.reception().ok_or(ApiError::unavailable(
        "staff events are not running in this deployment",
    ))?;
    let kind_ok = !req.kind.is_empty()
        && req.kind.len() <= 64
        && req
            .kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
    if !kind_ok {
        return Err(ApiError::invalid(
            "kind",
            "1-64 characters of a-z, 0-9, '.' or '_'".to_owned(),
        ));
    }
    if req.summary.trim().is_empty() || req.summary.chars().count() > 500 {
        return Err(ApiError::invalid("summary", "1-500 characters".to_owned()));
    }
    if let Some(id) = &req.staff_id
        && !reception.desk().profile().staff.iter().any(|s| &s.id == id)
    {
        return Err(ApiError::invalid(
            "staff_id",
            format!("no member of staff with id \"{id}\""),
        ));
    }
    if req.data.to_string().len() > 16 * 1024 {
        return Err(ApiError::invalid("data", "at most 16 KiB of JSON".to_owned()));
    }
    let at = reception.desk().clock().now_ms();
    let event = reception.publish(DeskEvent::new(
        req.kind,
        req.staff_id,
        req.summary.trim(),
        req.data,
        at,
    ))?;
    Ok((StatusCode::ACCEPTED, Json(event)))
}
