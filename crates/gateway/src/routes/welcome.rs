//! `GET /api/welcome`: what the kiosk page shows before anyone speaks, and how a visit ends.
//! Public: it is what the screen shows to anyone walking past.

use axum::Json;
use axum::extract::State;
use donna_config::KioskSettings;
use donna_desk::Desk;
use donna_desk::welcome::Welcome;
use serde::Serialize;

use crate::GatewayState;

/// The kiosk's first screen and the life of a visit on it; the app window gets the same.
#[derive(Debug, Clone, Serialize)]
pub struct KioskScreen {
    #[serde(flatten)]
    pub welcome: Welcome,
    /// `window` or `kiosk` (full screen with an attract screen between visitors).
    pub mode: &'static str,
    pub visit: VisitTimings,
    /// How the page talks in a browser; the app window's voice is its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<crate::config::PageVoice>,
}

/// When the page asks whether the visitor is still there, and when it says goodbye and wipes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct VisitTimings {
    pub idle_s: u64,
    pub goodbye_s: u64,
    pub max_s: u64,
}

impl KioskScreen {
    pub fn of(desk: &Desk, kiosk: &KioskSettings) -> Self {
        Self {
            welcome: Welcome::of(desk.profile()),
            mode: kiosk.mode.as_str(),
            visit: VisitTimings {
                idle_s: kiosk.visit_idle_s,
                goodbye_s: kiosk.visit_goodbye_s,
                max_s: kiosk.visit_max_s,
            },
            voice: None,
        }
    }
}

#[utoipa::path(get, path = "/api/welcome", tag = "chat",
    responses((status = 200, description = "`{name, greeting, suggestions, mode, visit: {idle_s, goodbye_s, max_s}, voice: {vad, ws_proxy}}`")))]
pub async fn welcome(State(state): State<GatewayState>) -> Json<KioskScreen> {
    let mut screen = KioskScreen::of(state.desk(), &state.config().kiosk);
    screen.voice = Some(state.config().page_voice);
    Json(screen)
}
