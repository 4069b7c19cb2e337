//! The kiosk's voice: starts the native audio path (crates/voice) on the app's realtime session
//! and forwards its events to whoever shows them (the kiosk window). The turn rules, barge-in and devices live in the
//! crates; this module only holds the running handle.

use std::sync::Arc;
use std::time::Duration;

use donna_audio::{CaptureConfig, PlayerConfig};
use donna_config::VoiceSettings;
use donna_voice::{TurnMode, Voice, VoiceConfig};
use serde::Serialize;
use tokio::sync::Mutex;

pub use donna_voice::VoiceEvent;

use crate::error::AppError;
use crate::realtime::{Realtime, turn_mode};

/// How long the voice panel waits for the realtime session before saying voice is unavailable.
const SESSION_WAIT: Duration = Duration::from_secs(10);

/// What the voice panel needs to know once voice is on.
#[derive(Debug, Clone, Serialize)]
pub struct VoiceInfo {
    pub mode: TurnMode,
}

/// The running voice path, started on first use.
#[derive(Debug)]
pub(crate) struct VoiceControl {
    realtime: Realtime,
    config: VoiceConfig,
    running: Mutex<Option<Arc<Voice>>>,
}

impl VoiceControl {
    pub fn new(realtime: Realtime, voice: &VoiceSettings) -> Self {
        let config = VoiceConfig {
            mode: turn_mode(voice),
            capture: CaptureConfig {
                device: voice.input_device.clone(),
                persistent: true,
                ..CaptureConfig::default()
            },
            player: PlayerConfig {
                device: voice.output_device.clone(),
                persistent: true,
                ..PlayerConfig::default()
            },
            ..VoiceConfig::default()
        };
        Self {
            realtime,
            config,
            running: Mutex::new(None),
        }
    }

    /// Start voice (once) and stream its events to `sink` until the sink is gone.
    pub async fn start(
        &self,
        sink: impl Fn(VoiceEvent) -> bool + Send + 'static,
    ) -> Result<VoiceInfo, AppError> {
        let mut running = self.running.lock().await;
        let voice = match running.as_ref() {
            Some(v) => v.clone(),
            None => {
                let client = self
                    .realtime
                    .client(SESSION_WAIT)
                    .await
                    .ok_or_else(|| AppError::VoiceUnavailable("no realtime session".to_owned()))?;
                let config = self.config.clone();
                let voice = tokio::task::spawn_blocking(move || Voice::start(client, config))
                    .await
                    .map_err(|e| voice_error(&e.to_string()))?
                    .map_err(|e| voice_error(&e.to_string()))?;
                let voice = Arc::new(voice);
                *running = Some(voice.clone());
                voice
            }
        };
        let mut events = voice.subscribe();
        // A device lost before this page subscribed is reported now, not at its next change.
        for state in voice.device_states() {
            sink(state);
        }
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(e) => {
                        if !sink(e) {
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        Ok(VoiceInfo {
            mode: self.config.mode,
        })
    }

    /// The microphone's and the speaker's state, once voice runs (`None` before, or while it
    /// is starting).
    pub fn device_states(&self) -> Option<[donna_audio::DeviceState; 2]> {
        let voice = self.running.try_lock().ok()?.clone()?;
        let [input, output] = voice.device_states();
        let state = |event| match event {
            VoiceEvent::Device { state, .. } => Some(state),
            _ => None,
        };
        Some([state(input)?, state(output)?])
    }

    /// The running voice path, or an error for the UI.
    pub async fn get(&self) -> Result<Arc<Voice>, AppError> {
        self.running
            .lock()
            .await
            .clone()
            .ok_or_else(|| voice_error("voice is not started"))
    }
}

fn voice_error(detail: &str) -> AppError {
    AppError::VoiceUnavailable(detail.to_owned())
}
