//! Staff routes: today's visits, messages, the front-desk overview, and acknowledging a visitor.

use axum::Json;
use axum::extract::{Path, Query, State};
use donna_desk::Reception;
use donna_desk::store::{Message, Overview, Visit};
use serde::{Deserialize, Serialize};

use crate::auth::{Authed, StaffOnly};
use crate::{ApiError, GatewayState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Since {
    /// Milliseconds since the epoch; default: the start of today in the business's zone.
    pub since: Option<i64>,
}

fn reception(state: &GatewayState) -> Result<&std::sync::Arc<Reception>, ApiError> {
    state.reception().ok_or(ApiError::unavailable(
        "the visitor store is not running in this deployment",
    ))
}

/// Midnight today in the business's time zone, in ms.
fn start_of_day(reception: &Reception) -> i64 {
    let now = reception.desk().now();
    now.date()
        .to_zoned(now.time_zone().clone())
        .map_or(0, |z| z.timestamp().as_millisecond())
}

#[utoipa::path(get, path = "/api/visits", tag = "staff", security(("bearer" = [])),
    params(("since" = Option<i64>, Query, description = "ms since the epoch; default: today")),
    responses((status = 200, description = "visits, newest first"), (status = 403, body = crate::openapi::ErrorResponse)))]
pub async fn visits(
    _: Authed<StaffOnly>,
    State(state): State<GatewayState>,
    Query(q): Query<Since>,
) -> Result<Json<Vec<Visit>>, ApiError> {
    let r = reception(&state)?;
    Ok(Json(
        r.store()
            .visits_since(q.since.unwrap_or_else(|| start_of_day(r)))?,
    ))
}

#[utoipa::path(get, path = "/api/messages", tag = "staff", security(("bearer" = [])),
    params(("since" = Option<i64>, Query, description = "ms since the epoch; default: today")),
    responses((status = 200, description = "messages, newest first"), (status = 403, body = crate::openapi::ErrorResponse)))]
pub async fn messages(
    _: Authed<StaffOnly>,
    State(state): State<GatewayState>,
    Query(q): Query<Since>,
) -> Result<Json<Vec<Message>>, ApiError> {
    let r = reception(&state)?;
    Ok(Json(
        r.store()
            .messages_since(q.since.unwrap_or_else(|| start_of_day(r)))?,
    ))
}

#[utoipa::path(get, path = "/api/overview", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "visits today, waiting visitors, average wait, messages today"),
              (status = 403, body = crate::openapi::ErrorResponse)))]
pub async fn overview(
    _: Authed<StaffOnly>,
    State(state): State<GatewayState>,
) -> Result<Json<Overview>, ApiError> {
    let r = reception(&state)?;
    Ok(Json(r.store().overview(start_of_day(r))?))
}

#[derive(Debug, Serialize)]
pub struct Acknowledged {
    pub visit: Visit,
}

/// The staff member behind the token (`sub` is their id or their desktop's id) is on the way.
#[utoipa::path(post, path = "/api/visits/{id}/ack", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the visit")),
    responses((status = 200, description = "the acknowledged visit"),
              (status = 403, body = crate::openapi::ErrorResponse),
              (status = 404, body = crate::openapi::ErrorResponse)))]
pub async fn acknowledge(
    Authed(claims, ..): Authed<StaffOnly>,
    State(state): State<GatewayState>,
    Path(id): Path<i64>,
) -> Result<Json<Acknowledged>, ApiError> {
    let r = reception(&state)?;
    let staff = r
        .desk()
        .profile()
        .staff
        .iter()
        .find(|s| s.id == claims.sub || s.notify.desktop.as_deref() == Some(claims.sub.as_str()))
        .ok_or(ApiError::Forbidden)?;
    let visit = r.acknowledge(id, &staff.id)?;
    Ok(Json(Acknowledged { visit }))
}
