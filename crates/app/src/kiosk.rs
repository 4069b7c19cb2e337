//! What the kiosk window drives: a visitor's typed message, the business's clock, the voice
//! path and what Donna says unasked. The window's commands are one line over each.

use std::sync::Arc;

use donna_config::Settings;
use donna_desk::{Desk, DeskEvent, Reception};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::error::AppError;
use crate::realtime::{Realtime, VisitId};
use crate::voice::{VoiceControl, VoiceEvent, VoiceInfo};
use crate::watchdog::{Watchdog, WatchdogPolicy};

/// The business's clock as the kiosk shows it: its zone, and whether it is stopped.
pub use donna_desk::clock::Reading as ClockReading;
pub use donna_gateway::KioskScreen;

/// The kiosk: returned by [`crate::Running::kiosk`].
#[derive(Debug)]
pub struct Kiosk {
    desk: Arc<Desk>,
    reception: Arc<Reception>,
    realtime: Realtime,
    voice: Arc<VoiceControl>,
    settings: donna_config::KioskSettings,
    watchdog: Watchdog,
}

impl Kiosk {
    pub(crate) fn new(
        desk: Arc<Desk>,
        reception: Arc<Reception>,
        realtime: Realtime,
        settings: &Settings,
    ) -> Self {
        let voice = Arc::new(VoiceControl::new(realtime.clone(), &settings.voice));
        Self {
            desk,
            reception,
            realtime,
            voice,
            settings: settings.kiosk,
            watchdog: Watchdog::new(WatchdogPolicy::default()),
        }
    }

    /// The page's heartbeat and what watches it; see [`crate::watchdog`].
    pub fn watchdog(&self) -> &Watchdog {
        &self.watchdog
    }

    /// This kiosk as `/api/health` reports it.
    pub(crate) fn probe(&self) -> KioskHealth {
        KioskHealth {
            link: self.realtime.link(),
            watchdog: self.watchdog.clone(),
            voice: self.voice.clone(),
        }
    }

    /// The first screen: the business's name and greeting, questions to tap, the window's mode
    /// and when a quiet visit ends.
    pub fn screen(&self) -> KioskScreen {
        KioskScreen::of(&self.desk, &self.settings)
    }

    /// The visitor has gone (said goodbye, walked away, or the screen's "new visitor"): Donna
    /// stops talking and forgets the conversation, and the next visitor starts afresh.
    pub async fn end_visit(&self) {
        if let Ok(voice) = self.voice.get().await
            && let Err(e) = voice.interrupt().await
        {
            tracing::warn!(error = %e, "could not stop Donna's speech at the end of a visit");
        }
        self.realtime.end_visit().await;
    }

    /// Donna's answer to one typed message; a message the desk will not take is refused with
    /// the reason.
    pub async fn chat(&self, message: &str) -> Result<String, AppError> {
        let message = self.desk.check_message(message)?;
        Ok(self.realtime.ask(message).await)
    }

    /// The business's clock now.
    pub fn clock(&self) -> ClockReading {
        self.desk.clock_reading()
    }

    /// Turn voice on (once) and stream its level, state, captions and device changes to `sink`
    /// until the sink says it is gone.
    pub async fn start_voice(
        &self,
        sink: impl Fn(VoiceEvent) -> bool + Send + 'static,
    ) -> Result<VoiceInfo, AppError> {
        self.voice.start(sink).await
    }

    /// The mic button went down.
    pub async fn press(&self) -> Result<(), AppError> {
        Ok(self.voice.get().await?.press().await?)
    }

    /// The mic button came up: Donna answers.
    pub async fn release(&self) -> Result<(), AppError> {
        Ok(self.voice.get().await?.release().await?)
    }

    /// How the kiosk's realtime session is connected, from now on: the window says so when
    /// Donna answers from a fallback backend.
    pub fn link(&self) -> tokio::sync::watch::Receiver<crate::link::SessionLink> {
        self.realtime.link()
    }

    /// What this kiosk should say unasked, from now on.
    pub fn notices(&self) -> Notices {
        Notices {
            events: self.reception.subscribe(),
            visit: self.realtime.visit().clone(),
        }
    }
}

/// The kiosk's session, page and devices for `/api/health`.
#[derive(Debug)]
pub(crate) struct KioskHealth {
    link: tokio::sync::watch::Receiver<crate::link::SessionLink>,
    watchdog: Watchdog,
    voice: Arc<VoiceControl>,
}

/// A page silent this long is reported as not answering (it beats every second).
const PAGE_SILENCE_OK: std::time::Duration = std::time::Duration::from_secs(3);

impl donna_gateway::KioskProbe for KioskHealth {
    fn report(&self) -> donna_gateway::KioskReport {
        let link = self.link.borrow().clone();
        let silent = self.watchdog.silent_for();
        let devices = self.voice.device_states();
        let audio_ok = devices.as_ref().is_none_or(|d| {
            d.iter()
                .all(|s| matches!(s, donna_audio::DeviceState::Running { .. }))
        });
        let audio = match devices {
            Some([input, output]) => serde_json::json!({ "input": input, "output": output }),
            None => serde_json::json!(null),
        };
        donna_gateway::KioskReport {
            ok: link.state == crate::link::LinkState::Live
                && silent.is_some_and(|s| s < PAGE_SILENCE_OK)
                && audio_ok,
            session: serde_json::to_value(&link).unwrap_or_default(),
            page_silent_ms: silent.map(|s| s.as_millis() as u64),
            page_reloads: self.watchdog.reloads(),
            audio,
        }
    }
}

/// The acknowledgements of visitors who checked in at this kiosk ("Maria is on their way"), in
/// the words the visitor should see.
#[derive(Debug)]
pub struct Notices {
    events: broadcast::Receiver<DeskEvent>,
    /// Only the visitor now at the screen hears about their own visit.
    visit: VisitId,
}

impl Notices {
    /// The next notice, or `None` when the desk has shut down.
    pub async fn next(&mut self) -> Option<String> {
        loop {
            match self.events.recv().await {
                Ok(event) if event.kind == "visitor.acknowledged" => {
                    if event.data["conversation_id"].as_str() == Some(self.visit.current().as_str()) {
                        return Some(event.summary);
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "kiosk notices fell behind"),
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
