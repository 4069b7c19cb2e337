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

/// Today in the business's time zone by the desk's clock, as `[midnight, next midnight)` in ms
/// (a day of 23 or 25 hours where the clocks change).
fn today(reception: &Reception) -> (i64, i64) {
    let now = reception.desk().now();
    let midnight = |date: jiff::civil::Date| {
        date.to_zoned(now.time_zone().clone())
            .map(|z| z.timestamp().as_millisecond())
    };
    let start = midnight(now.date()).unwrap_or(0);
    let end = now
        .date()
        .tomorrow()
        .ok()
        .and_then(|d| midnight(d).ok())
        .unwrap_or(i64::MAX);
    (start, end)
}

#[utoipa::path(get, path = "/api/visits", tag = "staff", security(("bearer" = [])),
    params(("since" = Option<i64>, Query, description = "ms since the epoch; default: today")),
    responses((status = 200, description = "visits, newest first"), (status = 403, body = crate::error::ErrorResponse)))]
pub async fn visits(
    _: Authed<StaffOnly>,
    State(state): State<GatewayState>,
    Query(q): Query<Since>,
) -> Result<Json<Vec<Visit>>, ApiError> {
    let r = reception(&state)?;
    Ok(Json(match q.since {
        Some(since) => r.store().visits_since(since)?,
        None => {
            let (start, end) = today(r);
            r.store().visits_between(start, end)?
        }
    }))
}

#[utoipa::path(get, path = "/api/messages", tag = "staff", security(("bearer" = [])),
    params(("since" = Option<i64>, Query, description = "ms since the epoch; default: today")),
    responses((status = 200, description = "messages, newest first"), (status = 403, body = crate::error::ErrorResponse)))]
pub async fn messages(
    _: Authed<StaffOnly>,
    State(state): State<GatewayState>,
    Query(q): Query<Since>,
) -> Result<Json<Vec<Message>>, ApiError> {
    let r = reception(&state)?;
    Ok(Json(match q.since {
        Some(since) => r.store().messages_since(since)?,
        None => {
            let (start, end) = today(r);
            r.store().messages_between(start, end)?
        }
    }))
}

#[utoipa::path(get, path = "/api/overview", tag = "staff", security(("bearer" = [])),
    responses((status = 200, description = "visits today, waiting visitors, average wait, messages today"),
              (status = 403, body = crate::error::ErrorResponse)))]
pub async fn overview(
    _: Authed<StaffOnly>,
    State(state): State<GatewayState>,
) -> Result<Json<Overview>, ApiError> {
    let r = reception(&state)?;
    let (start, end) = today(r);
    Ok(Json(r.store().overview(start, end)?))
}

#[derive(Debug, Serialize)]
pub struct Acknowledged {
    pub visit: Visit,
}

/// The staff member behind the token (`sub` is their id or their desktop's id) is on the way.
#[utoipa::path(post, path = "/api/visits/{id}/ack", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the visit")),
    responses((status = 200, description = "the acknowledged visit"),
              (status = 403, body = crate::error::ErrorResponse),
              (status = 404, body = crate::error::ErrorResponse)))]
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

#[derive(Debug, Serialize)]
pub struct CheckedOut {
    pub visit: Visit,
}

/// The visitor has left, as a member of staff saw: any staff token may say so (the front desk
/// sees visitors out for their hosts). Saying it twice keeps the first time.
#[utoipa::path(post, path = "/api/visits/{id}/checkout", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the visit")),
    responses((status = 200, description = "the visit, checked out"),
              (status = 403, body = crate::error::ErrorResponse),
              (status = 404, body = crate::error::ErrorResponse)))]
pub async fn check_out(
    _: Authed<StaffOnly>,
    State(state): State<GatewayState>,
    Path(id): Path<i64>,
) -> Result<Json<CheckedOut>, ApiError> {
    let visit = reception(&state)?.check_out(id)?;
    Ok(Json(CheckedOut { visit }))
}
