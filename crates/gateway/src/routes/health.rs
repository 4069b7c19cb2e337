//! `GET /api/health`: is the gateway up, and is everything it depends on usable?

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::GatewayState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// "ok" when every check passes, "degraded" otherwise; the gateway still answers either way.
    pub status: &'static str,
    pub version: &'static str,
    pub uptime_s: u64,
    pub backend: &'static str,
    pub checks: Checks,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Checks {
    pub profile: Check,
    pub data_dir: Check,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub ok: bool,
    pub detail: String,
}

/// Liveness and the state of each dependency.
#[utoipa::path(get, path = "/api/health", tag = "operations", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<GatewayState>) -> Json<Health> {
    let info = state.health_info();
    let profile = Check {
        ok: true,
        detail: format!(
            "{} ({} staff)",
            state.desk().profile().organisation.name,
            state.desk().profile().staff.len()
        ),
    };
    // Deliberately cheap: a metadata call, not a write, so health can be polled often.
    let data_dir = match std::fs::metadata(&info.data_dir) {
        Ok(meta) if meta.is_dir() && !meta.permissions().readonly() => Check {
            ok: true,
            detail: "writable".to_owned(),
        },
        Ok(_) => Check {
            ok: false,
            detail: "not a writable directory".to_owned(),
        },
        Err(e) => Check {
            ok: false,
            detail: e.kind().to_string(),
        },
    };
    let ok = profile.ok && data_dir.ok;
    Json(Health {
        status: if ok { "ok" } else { "degraded" },
        version: info.version,
        uptime_s: state.uptime_s(),
        backend: info.backend,
        checks: Checks { profile, data_dir },
    })
}

/// The business's clock for screens: the instant and the zone to show it in, so a kiosk shows
/// the front desk's time (and a stopped demonstration clock), not the device's.
#[utoipa::path(get, path = "/api/clock", tag = "operations",
    responses((status = 200, description = "`{now_ms, time_zone, stopped}`")))]
pub async fn clock(State(state): State<GatewayState>) -> Json<donna_desk::clock::Reading> {
    Json(state.desk().clock_reading())
}
