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
    /// The kiosk window served beside this gateway, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kiosk: Option<KioskReport>,
}

/// A kiosk's own state: its realtime session, its page and its audio devices. A monitor (or
/// `scripts/chaos.sh`) reads recovery from here.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KioskReport {
    /// True when the session is live, the page answers and both audio devices work.
    pub ok: bool,
    /// `{state, backend, fallback, reasons}`: "live" on a backend, or connecting,
    /// reconnecting, down, and why.
    #[schema(value_type = Object)]
    pub session: serde_json::Value,
    /// Milliseconds since the page last proved it answers; absent before its first sign.
    pub page_silent_ms: Option<u64>,
    /// How often the page was reloaded to bring it back.
    pub page_reloads: u32,
    /// The microphone's and the speaker's state, once voice has started.
    #[schema(value_type = Object)]
    pub audio: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Checks {
    pub profile: Check,
    /// Whether the offline desk reads meaning with its sentence model ("ready (N examples)",
    /// "loading") or answers by its rules alone ("rules only"): each is a working desk.
    pub meaning: Check,
    pub data_dir: Check,
    /// Where visits and messages are kept ("sqlite", or "postgres host:port/db"), and whether
    /// it answers; absent in a deployment without a store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<Check>,
    /// What is shared live with the other gateways (Redis): when it is down, staff events
    /// reach only this gateway's desks (the store still has them all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<Check>,
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
    let store = match state.reception().cloned() {
        // A database over the network may take its time: not on the async workers.
        Some(reception) => Some(
            tokio::task::spawn_blocking(move || {
                let store = reception.store();
                match store.ping() {
                    Ok(()) => Check {
                        ok: true,
                        detail: store.describe(),
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "the store does not answer");
                        Check {
                            ok: false,
                            detail: format!("{}: not answering", store.describe()),
                        }
                    }
                }
            })
            .await
            .unwrap_or_else(|_| Check {
                ok: false,
                detail: "the store check failed".to_owned(),
            }),
        ),
        None => None,
    };
    let shared = state.shared_probe().map(|p| {
        let (ok, detail) = p.check();
        Check { ok, detail }
    });
    let kiosk = state.kiosk_probe().map(|k| k.report());
    let ok = profile.ok
        && data_dir.ok
        && store.as_ref().is_none_or(|s| s.ok)
        && shared.as_ref().is_none_or(|s| s.ok)
        && kiosk.as_ref().is_none_or(|k| k.ok);
    Json(Health {
        status: if ok { "ok" } else { "degraded" },
        version: info.version,
        uptime_s: state.uptime_s(),
        backend: info.backend,
        checks: Checks {
            profile,
            meaning: Check {
                ok: true,
                detail: state.desk().profile().understanding.state(),
            },
            data_dir,
            store,
            shared,
        },
        kiosk,
    })
}

/// The business's clock for screens: the instant and the zone to show it in, so a kiosk shows
/// the front desk's time (and a stopped demonstration clock), not the device's.
#[utoipa::path(get, path = "/api/clock", tag = "operations",
    responses((status = 200, description = "`{now_ms, time_zone, stopped}`")))]
pub async fn clock(State(state): State<GatewayState>) -> Json<donna_desk::clock::Reading> {
    Json(state.desk().clock_reading())
}
