//! Staff events: the live stream (`GET /api/voice/events`, server-sent events) and the internal
//! publishing route (`POST /api/voice/fanout`).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use donna_desk::DeskEvent;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{AdminOnly, Authed, Role};
use crate::routes::chat::ApiJson;
use crate::{ApiError, GatewayState};

/// The largest `/api/voice/fanout` body: the event's 16 KiB of data, its summary and kind.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Only events for this member of staff (events for no one in particular are included).
    pub staff_id: Option<String>,
    /// Only events of this visitor conversation; required of kiosk tokens.
    pub conversation_id: Option<String>,
}

/// Which events a subscriber may see, by the role of its token. Staff events name visitors,
/// their contact details and their messages: they go to staff and admin tokens. A kiosk is the
/// least trusted device in the lobby: it hears only that a member of staff is on their way to
/// one of its own visitors, without the visitor's name.
#[derive(Debug, Clone)]
enum Audience {
    Staff { staff_id: Option<String> },
    Kiosk { conversation_id: String },
}

impl Audience {
    /// The event as this audience may see it, or `None`.
    fn view(&self, event: &DeskEvent) -> Option<DeskEvent> {
        match self {
            Audience::Staff { staff_id } => {
                let other = staff_id.is_some() && event.staff_id.is_some() && event.staff_id != *staff_id;
                (!other).then(|| event.clone())
            }
            Audience::Kiosk { conversation_id } => {
                let ours = event.kind == "visitor.acknowledged"
                    && event.data["conversation_id"].as_str() == Some(conversation_id);
                ours.then(|| DeskEvent {
                    data: json!({
                        "visit_id": event.data["visit_id"],
                        "conversation_id": conversation_id,
                        "staff_name": event.data["staff_name"],
                    }),
                    ..event.clone()
                })
            }
        }
    }
}

/// Live events as SSE: `event:` is the kind, `id:` the event id, `data:` the JSON event.
/// Staff and admin tokens see every staff event (`staff_id` narrows it); kiosk tokens see only
/// the acknowledgements of the conversation they name.
#[utoipa::path(get, path = "/api/voice/events", tag = "staff",
    params(("staff_id" = Option<String>, Query, description = "staff and admin: only this staff member's events"),
           ("conversation_id" = Option<String>, Query, description = "kiosk (required): the visitor conversation whose acknowledgements it hears")),
    security(("bearer" = [])),
    responses((status = 200, description = "server-sent events: `event:` kind, `id:` event id, `data:` the JSON event", content_type = "text/event-stream"),
              (status = 401, body = crate::error::ErrorResponse),
              (status = 422, description = "a kiosk token without conversation_id", body = crate::error::ErrorResponse)))]
pub async fn stream(
    authed: Authed,
    State(state): State<GatewayState>,
    Query(filter): Query<Filter>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let reception = state.reception().ok_or(ApiError::unavailable(
        "staff events are not running in this deployment",
    ))?;
    let audience = match authed.claims().role {
        Role::Kiosk => Audience::Kiosk {
            conversation_id: filter.conversation_id.ok_or_else(|| {
                ApiError::invalid(
                    "conversation_id",
                    "kiosk tokens hear only their own conversation's events: name it".to_owned(),
                )
            })?,
        },
        Role::Staff | Role::Admin => Audience::Staff {
            staff_id: filter.staff_id,
        },
    };
    // A subscriber that reconnects names the last event it received: what was published since
    // comes first, from the store, so nothing is lost across a gateway restart or a dropped link.
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_owned);
    Ok(sse(reception, audience, resume, state.shutdown_token()))
}

/// The acknowledgements of one browser conversation (`POST /api/chat`), for the page that holds
/// it: "Maria is on their way." The conversation id is the credential: it is random, and only
/// the page that started the conversation was given it.
#[utoipa::path(get, path = "/api/chat/{conversation_id}/events", tag = "chat",
    params(("conversation_id" = String, Path, description = "the id `POST /api/chat` returned")),
    responses((status = 200, description = "server-sent events: `visitor.acknowledged` for this conversation's visit", content_type = "text/event-stream"),
              (status = 404, description = "no such conversation (or it expired)", body = crate::error::ErrorResponse)))]
pub async fn conversation_stream(
    State(state): State<GatewayState>,
    Path(conversation_id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (Some(reception), Some(conversations)) = (state.reception(), state.conversations()) else {
        return Err(ApiError::unavailable(
            "conversations are not running in this deployment",
        ));
    };
    if !conversations.is_open(&conversation_id).await {
        return Err(ApiError::ConversationNotFound);
    }
    Ok(sse(
        reception,
        Audience::Kiosk { conversation_id },
        None,
        state.shutdown_token(),
    ))
}

/// How many stored events a reconnecting subscriber is sent at most.
const REPLAY_LIMIT: usize = 1000;

/// The events `audience` may see, as server-sent events with keep-alives: first those stored
/// after `resume` (an event id), then live ones, each once. The stream ends when the gateway
/// shuts down, so its subscribers reconnect (to the next process, resuming where they were)
/// instead of holding the shutdown up.
fn sse(
    reception: &std::sync::Arc<donna_desk::Reception>,
    audience: Audience,
    resume: Option<String>,
    shutdown: tokio_util::sync::CancellationToken,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    // Subscribe before reading the store, so an event published in between is in one or both;
    // the ids already replayed are skipped when they come live.
    let rx = reception.subscribe();
    let replay: std::collections::VecDeque<DeskEvent> = resume
        .map(|id| match reception.store().events_after(&id, REPLAY_LIMIT) {
            Ok(payloads) => payloads
                .iter()
                .filter_map(|p| serde_json::from_str(p).ok())
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot replay staff events");
                Default::default()
            }
        })
        .unwrap_or_default();
    let replayed: std::collections::HashSet<String> = replay.iter().map(|e| e.id.clone()).collect();
    let start = (rx, audience, replay, replayed);
    let stream = futures_util::stream::unfold(start, |(mut rx, audience, mut replay, replayed)| async move {
        loop {
            let (next, live) = match replay.pop_front() {
                Some(event) => (Ok(event), false),
                None => (rx.recv().await, true),
            };
            match next {
                Ok(event) => {
                    if live && replayed.contains(&event.id) {
                        continue; // sent from the store already
                    }
                    let Some(event) = audience.view(&event) else {
                        continue;
                    };
                    let data = serde_json::to_string(&event).unwrap_or_default();
                    let sse = Event::default()
                        .event(event.kind.clone())
                        .id(event.id.clone())
                        .data(data);
                    return Some((Ok(sse), (rx, audience, replay, replayed)));
                }
                // A subscriber too slow to keep up is told how much it missed; the events are
                // in the store and `GET /api/visits` / `/api/messages` have them.
                Err(RecvError::Lagged(missed)) => {
                    let sse = Event::default()
                        .event("events.lagged")
                        .data(json!({ "missed": missed }).to_string());
                    return Some((Ok(sse), (rx, audience, replay, replayed)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let stream = futures_util::StreamExt::take_until(stream, shutdown.cancelled_owned());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
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
              (status = 403, body = crate::error::ErrorResponse),
              (status = 422, body = crate::error::ErrorResponse)))]
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
