//! What the kiosk window drives: a visitor's typed message, the business's clock, the voice
//! path and what Donna says unasked. The window's commands are one line over each.

use std::sync::Arc;

use donna_config::Settings;
use donna_desk::{Desk, DeskEvent, Reception};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::error::AppError;
use crate::realtime::{KIOSK_CONVERSATION, Realtime};
use crate::voice::{VoiceControl, VoiceEvent, VoiceInfo};

/// The business's clock as the kiosk shows it: its zone, and whether it is stopped.
pub use donna_desk::clock::Reading as ClockReading;

/// The kiosk: returned by [`crate::Running::kiosk`].
#[derive(Debug)]
pub struct Kiosk {
    desk: Arc<Desk>,
    reception: Arc<Reception>,
    realtime: Realtime,
    voice: VoiceControl,
}

impl Kiosk {
    pub(crate) fn new(
        desk: Arc<Desk>,
        reception: Arc<Reception>,
        realtime: Realtime,
        settings: &Settings,
    ) -> Self {
        let voice = VoiceControl::new(realtime.clone(), &settings.voice);
        Self {
            desk,
            reception,
            realtime,
            voice,
        }
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

    /// What this kiosk should say unasked, from now on.
    pub fn notices(&self) -> Notices {
        Notices {
            events: self.reception.subscribe(),
        }
    }
}

/// The acknowledgements of visitors who checked in at this kiosk ("Maria is on their way"), in
/// the words the visitor should see.
#[derive(Debug)]
pub struct Notices {
    events: broadcast::Receiver<DeskEvent>,
}

impl Notices {
    /// The next notice, or `None` when the desk has shut down.
    pub async fn next(&mut self) -> Option<String> {
        loop {
            match self.events.recv().await {
                Ok(event) if event.kind == "visitor.acknowledged" => {
                    if event.data["conversation_id"].as_str() == Some(KIOSK_CONVERSATION) {
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
