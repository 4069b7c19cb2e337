//! Donna's voice: the native audio path ([`donna_audio`]) joined to a realtime session
//! ([`donna_realtime`]). It owns the turn-taking rules on the client side and nothing else:
//!
//! - push-to-talk (the default): while the mic button is held, microphone frames go out as
//!   `input_audio_buffer.append`; on release the buffer is committed and a response requested;
//! - server VAD: frames stream continuously and the service decides the turns;
//! - local VAD: the echo-cancelled energy gate decides, and only speech (with a short lead-in)
//!   is sent;
//! - barge-in: when the visitor speaks over Donna (the service's `speech_started`, the local
//!   gate, or the mic button), playback stops, the response is cancelled and the item is
//!   truncated at exactly what the speaker played;
//! - what the UI shows: level, listening/thinking/speaking, captions, device state, as
//!   [`VoiceEvent`]s on a broadcast channel (the app forwards them to the webview).
//!
//! It does not know about Tauri; the app shell only forwards commands and events.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use donna_audio::dsp::{self, VadEvent};
use donna_audio::{Capture, CaptureConfig, DeviceState, Frame, Player, PlayerConfig};
use donna_realtime::protocol::session::{
    AudioConfig, AudioFormat, AudioInput, AudioOutput, Transcription, TurnDetection,
};
use donna_realtime::{AgentState, RealtimeClient, TurnError, UiUpdate};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// Who decides when the visitor's turn ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnMode {
    /// Hold the mic button to talk (VAD off; the default).
    PushToTalk,
    /// The service's VAD (ENABLE_SERVER_VAD).
    ServerVad,
    /// Donna's own voice gate on the echo-cancelled microphone (ENABLE_VAD).
    LocalVad,
}

/// How the voice path is set up.
#[derive(Debug, Clone)]
pub struct VoiceConfig {
    pub mode: TurnMode,
    pub capture: CaptureConfig,
    pub player: PlayerConfig,
    /// How often level and state go to the UI (50 ms: 20 Hz).
    pub ui_interval: Duration,
    /// Audio sent before the local gate opened, so first syllables are not clipped.
    pub lead_in: Duration,
}

impl Default for VoiceConfig {
    fn default() -> Self {
        Self {
            mode: TurnMode::PushToTalk,
            capture: CaptureConfig {
                persistent: true,
                ..CaptureConfig::default()
            },
            player: PlayerConfig {
                persistent: true,
                ..PlayerConfig::default()
            },
            ui_interval: Duration::from_millis(50),
            lead_in: Duration::from_millis(300),
        }
    }
}

/// How long a visitor's silence ends their turn under server VAD. The service's sessions echo
/// 200 ms, which cuts a visitor off at the pause after "Hi," in "Hi, I'm here to see Dr. Chen";
/// 500 ms (the documented default) lets people at a front desk, who often pause to think, finish
/// their sentence, for 300 ms more before Donna answers.
pub const KIOSK_SILENCE_MS: u32 = 500;

/// The session's audio settings for a turn mode: PCM16 24 kHz both ways, transcripts of the
/// visitor's speech, and server VAD only when the service decides turns.
pub fn session_audio(mode: TurnMode) -> AudioConfig {
    AudioConfig {
        input: Some(AudioInput {
            format: Some(AudioFormat::pcm24k()),
            turn_detection: Some(match mode {
                TurnMode::ServerVad => Some(TurnDetection {
                    silence_duration_ms: Some(KIOSK_SILENCE_MS),
                    ..TurnDetection::server_vad()
                }),
                TurnMode::PushToTalk | TurnMode::LocalVad => None,
            }),
            // The visitor's words as captions; the local engine transcribes offline.
            transcription: Some(Some(Transcription {
                model: Some("gpt-4o-mini-transcribe".to_owned()),
                language: Some("en".to_owned()),
                ..Transcription::default()
            })),
            ..AudioInput::default()
        }),
        output: Some(AudioOutput {
            format: Some(AudioFormat::pcm24k()),
            ..AudioOutput::default()
        }),
    }
}

/// What the voice panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VoiceState {
    Idle,
    Listening,
    Thinking,
    Speaking,
}

/// Who said a caption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    Visitor,
    Donna,
}

/// What stopped Donna.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BargeInTrigger {
    /// The service heard the visitor (`input_audio_buffer.speech_started`).
    Server,
    /// The local voice gate heard the visitor.
    Local,
    /// The visitor pressed the mic button.
    Button,
}

/// One update for the UI. Serialises as `{"type": "level", ...}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VoiceEvent {
    /// Microphone level, 0..1 (peak over the last interval).
    Level {
        input: f32,
    },
    State {
        state: VoiceState,
    },
    /// The visitor's turn ended: their caption goes here, before Donna's answer, even though
    /// its transcript may arrive later.
    VisitorTurn,
    /// A piece of a caption (`done: false`, append) or its final text (`done: true`, replace).
    Caption {
        speaker: Speaker,
        item_id: String,
        text: String,
        done: bool,
    },
    /// Donna was interrupted; `audio_end_ms` is what the visitor heard and what the item was
    /// truncated to.
    BargeIn {
        trigger: BargeInTrigger,
        item_id: String,
        audio_end_ms: u64,
        received_ms: u64,
        stop_ms: f64,
    },
    /// A device changed state (unplugged, back, retrying).
    Device {
        direction: &'static str,
        state: DeviceState,
    },
    /// Something the visitor should know went wrong (the turn will not be answered).
    Error {
        message: String,
    },
}

/// The voice crate's errors.
#[derive(Debug, thiserror::Error)]
pub enum VoiceError {
    #[error(transparent)]
    Audio(#[from] donna_audio::AudioError),
    #[error("the voice task has stopped")]
    Stopped,
}

enum Command {
    Press,
    Release,
    Interrupt,
    Stop,
}

/// A running voice path. Dropping it stops the task (devices close with it).
#[derive(Debug)]
pub struct Voice {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<VoiceEvent>,
    /// The microphone's and the speaker's state.
    devices: [tokio::sync::watch::Receiver<DeviceState>; 2],
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Press => "Press",
            Self::Release => "Release",
            Self::Interrupt => "Interrupt",
            Self::Stop => "Stop",
        })
    }
}

impl Voice {
    /// Open the devices and start the voice task on the current tokio runtime. Opening waits
    /// for the audio threads to report, so call it from a blocking-friendly context.
    pub fn start(client: Arc<RealtimeClient>, config: VoiceConfig) -> Result<Self, VoiceError> {
        let (far_end, link) = donna_audio::far_end_link();
        let capture = Capture::start(config.capture.clone(), Some(link))?;
        let player = Player::start(config.player.clone(), Some(far_end))?;
        let (events, _) = broadcast::channel(256);
        let (commands, rx) = mpsc::channel(16);
        let driver = Driver {
            updates: client.subscribe(),
            client,
            input_state: capture.state(),
            output_state: player.state(),
            capture,
            player,
            events: events.clone(),
            lead_in: VecDeque::new(),
            lead_in_frames: (config.lead_in.as_millis() as u64 / u64::from(config.capture.frame_ms.max(1)))
                as usize,
            config,
            pressed: false,
            sending: false,
            session: AgentState::Idle,
            shown: None,
            peak: 0.0,
        };
        let devices = [driver.input_state.clone(), driver.output_state.clone()];
        let task = tokio::spawn(driver.run(rx));
        Ok(Self {
            commands,
            events,
            devices,
            task: Some(task),
        })
    }

    /// The microphone's and the speaker's state now, as the events that report them: a UI
    /// that subscribes after a device was lost still learns it.
    pub fn device_states(&self) -> [VoiceEvent; 2] {
        let [input, output] = &self.devices;
        [
            VoiceEvent::Device {
                direction: "input",
                state: input.borrow().clone(),
            },
            VoiceEvent::Device {
                direction: "output",
                state: output.borrow().clone(),
            },
        ]
    }

    /// UI updates from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<VoiceEvent> {
        self.events.subscribe()
    }

    /// The mic button went down: stream the microphone (and interrupt Donna if she talks).
    pub async fn press(&self) -> Result<(), VoiceError> {
        self.command(Command::Press).await
    }

    /// The mic button came up: commit the visitor's turn and ask for an answer.
    pub async fn release(&self) -> Result<(), VoiceError> {
        self.command(Command::Release).await
    }

    /// Stop Donna now (a stop button).
    pub async fn interrupt(&self) -> Result<(), VoiceError> {
        self.command(Command::Interrupt).await
    }

    /// Stop the task and close the devices.
    pub async fn stop(mut self) {
        let _ = self.commands.send(Command::Stop).await;
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    async fn command(&self, c: Command) -> Result<(), VoiceError> {
        self.commands.send(c).await.map_err(|_| VoiceError::Stopped)
    }
}

impl Drop for Voice {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The voice task: the only owner of the capture queue, the player and the turn state.
struct Driver {
    client: Arc<RealtimeClient>,
    updates: broadcast::Receiver<UiUpdate>,
    capture: Capture,
    player: Player,
    input_state: tokio::sync::watch::Receiver<DeviceState>,
    output_state: tokio::sync::watch::Receiver<DeviceState>,
    events: broadcast::Sender<VoiceEvent>,
    config: VoiceConfig,
    lead_in: VecDeque<Frame>,
    lead_in_frames: usize,
    pressed: bool,
    /// Local VAD: the gate is open and frames are going out.
    sending: bool,
    session: AgentState,
    shown: Option<VoiceState>,
    peak: f32,
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(self.config.ui_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                c = commands.recv() => match c {
                    Some(Command::Press) => self.press().await,
                    Some(Command::Release) => self.release().await,
                    Some(Command::Interrupt) => self.barge_in(BargeInTrigger::Button).await,
                    Some(Command::Stop) | None => break,
                },
                frame = self.capture.next_frame() => match frame {
                    Some(f) => self.on_frame(f).await,
                    None => break,
                },
                update = self.updates.recv() => match update {
                    Ok(u) => self.on_update(u).await,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "voice task fell behind the session");
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = tick.tick() => {
                    self.on_tick();
                    if self.player.is_playing() && !self.speaker_works() {
                        self.on_speaker_lost().await;
                    }
                }
            }
        }
        // Devices close when the driver (capture, player) is dropped.
    }

    fn emit(&self, e: VoiceEvent) {
        let _ = self.events.send(e);
    }

    /// The visitor takes the floor: Donna stops mid-sentence, and an answer still being made is
    /// cancelled before she says it.
    async fn press(&mut self) {
        if self.player.is_playing() {
            self.barge_in(BargeInTrigger::Button).await;
        } else if matches!(self.session, AgentState::Thinking | AgentState::Speaking)
            && let Err(e) = self.client.cancel().await
        {
            tracing::warn!(error = %e, "cancel not sent");
        }
        self.capture.clear();
        self.pressed = true;
        self.on_tick();
    }

    async fn release(&mut self) {
        if !self.pressed {
            return;
        }
        self.pressed = false;
        self.emit(VoiceEvent::VisitorTurn);
        if let Err(e) = self.client.commit_audio().await {
            self.emit(VoiceEvent::Error {
                message: e.to_string(),
            });
        }
    }

    async fn send(&mut self, frame: &Frame) {
        send(&self.client, frame).await;
    }

    async fn on_frame(&mut self, frame: Frame) {
        self.peak = self.peak.max(frame.level());
        match self.config.mode {
            TurnMode::PushToTalk => {
                if self.pressed {
                    self.send(&frame).await;
                }
            }
            TurnMode::ServerVad => {
                if frame.vad == VadEvent::Started && self.player.is_playing() {
                    self.barge_in(BargeInTrigger::Local).await;
                }
                self.send(&frame).await;
            }
            TurnMode::LocalVad => {
                if frame.vad == VadEvent::Started {
                    if self.player.is_playing() {
                        self.barge_in(BargeInTrigger::Local).await;
                    }
                    self.sending = true;
                    for f in std::mem::take(&mut self.lead_in) {
                        self.send(&f).await;
                    }
                }
                if self.sending {
                    self.send(&frame).await;
                    if frame.vad == VadEvent::Stopped {
                        self.sending = false;
                        self.emit(VoiceEvent::VisitorTurn);
                        if let Err(e) = self.client.commit_audio().await {
                            self.emit(VoiceEvent::Error {
                                message: e.to_string(),
                            });
                        }
                    }
                } else {
                    self.lead_in.push_back(frame);
                    while self.lead_in.len() > self.lead_in_frames {
                        self.lead_in.pop_front();
                    }
                }
            }
        }
    }

    /// Stop playback, then tell the service what was heard. The stop comes first: the visitor
    /// must not hear another word while the network round trip happens.
    async fn barge_in(&mut self, trigger: BargeInTrigger) {
        let asked = Instant::now();
        let Some(played) = self.player.stop() else {
            return;
        };
        let stop_ms = asked.elapsed().as_secs_f64() * 1000.0;
        let audio_end_ms = played.ms();
        tracing::info!(item = %played.item_id, audio_end_ms, ?trigger, "barge-in");
        if let Err(e) = self.client.truncate(audio_end_ms).await {
            tracing::warn!(error = %e, "truncate not sent");
        }
        // The service cancels by itself when its own VAD fired; otherwise ask it to.
        if trigger != BargeInTrigger::Server
            && let Err(e) = self.client.cancel().await
        {
            tracing::warn!(error = %e, "cancel not sent");
        }
        self.emit(VoiceEvent::BargeIn {
            trigger,
            item_id: played.item_id.clone(),
            audio_end_ms,
            received_ms: played.received / donna_audio::WIRE_SAMPLES_PER_MS,
            stop_ms,
        });
        self.on_tick();
    }

    async fn on_update(&mut self, update: UiUpdate) {
        match update {
            // Without a speaker the answer is shown, not queued: a speaker plugged in minutes
            // later must not play stale words.
            // While the button is held the visitor has the floor: audio of the answer the press
            // cancelled, still on its way, is not played over them.
            UiUpdate::AssistantAudio { item_id, audio } if self.speaker_works() && !self.pressed => {
                self.player.push(&item_id, &audio);
            }
            UiUpdate::StopPlayback { .. } => self.barge_in(BargeInTrigger::Server).await,
            UiUpdate::State { state } => {
                if state == AgentState::Thinking && self.session == AgentState::Listening && !self.pressed {
                    // Server VAD ended the visitor's turn.
                    if self.config.mode == TurnMode::ServerVad {
                        self.emit(VoiceEvent::VisitorTurn);
                    }
                }
                self.session = state;
                self.on_tick();
            }
            UiUpdate::AssistantDelta { item_id, delta } => {
                self.emit(VoiceEvent::Caption {
                    speaker: Speaker::Donna,
                    item_id,
                    text: delta,
                    done: false,
                });
            }
            UiUpdate::AssistantText { item_id, text } => {
                self.emit(VoiceEvent::Caption {
                    speaker: Speaker::Donna,
                    item_id,
                    text,
                    done: true,
                });
            }
            UiUpdate::UserTranscriptDelta { item_id, delta } => {
                self.emit(VoiceEvent::Caption {
                    speaker: Speaker::Visitor,
                    item_id,
                    text: delta,
                    done: false,
                });
            }
            UiUpdate::UserTranscript { item_id, transcript } => {
                self.emit(VoiceEvent::Caption {
                    speaker: Speaker::Visitor,
                    item_id,
                    text: transcript,
                    done: true,
                });
            }
            // Only this side cancels (a press, a stop, a new visitor): that is no failure to show.
            UiUpdate::TurnFailed {
                error: TurnError::Cancelled,
                ..
            } => {}
            UiUpdate::TurnFailed { error, .. } => {
                self.emit(VoiceEvent::Error {
                    message: error.to_string(),
                });
            }
            UiUpdate::Error {
                code,
                message,
                benign: false,
            } => {
                let message = match code {
                    Some(code) => format!("{code}: {message}"),
                    None => message,
                };
                self.emit(VoiceEvent::Error { message });
            }
            _ => {}
        }
    }

    /// Whether the speaker is open or opening; lost or stopped, nothing it is given is heard.
    fn speaker_works(&self) -> bool {
        matches!(
            *self.output_state.borrow(),
            DeviceState::Running { .. } | DeviceState::Opening
        )
    }

    /// The speaker went away mid-answer: drop what it has not played and tell the service
    /// what the visitor heard, as a barge-in does, so the conversation holds only that.
    async fn on_speaker_lost(&mut self) {
        let Some(played) = self.player.stop() else {
            return;
        };
        tracing::info!(item = %played.item_id, audio_end_ms = played.ms(), "speaker lost mid-answer");
        if let Err(e) = self.client.truncate(played.ms()).await {
            tracing::warn!(error = %e, "truncate not sent");
        }
        self.on_tick();
    }

    /// Level and state at the UI rate; device changes as they happen. Donna is "speaking"
    /// only while a working speaker is playing her.
    fn on_tick(&mut self) {
        let state = if self.player.is_playing() && self.speaker_works() {
            VoiceState::Speaking
        } else if self.pressed || self.sending {
            VoiceState::Listening
        } else {
            match self.session {
                AgentState::Idle => VoiceState::Idle,
                AgentState::Listening => VoiceState::Listening,
                AgentState::Thinking => VoiceState::Thinking,
                AgentState::Speaking => VoiceState::Speaking,
            }
        };
        if self.shown != Some(state) {
            self.shown = Some(state);
            self.emit(VoiceEvent::State { state });
        }
        self.emit(VoiceEvent::Level { input: self.peak });
        self.peak = 0.0;
        if self.input_state.has_changed().unwrap_or(false) {
            let state = self.input_state.borrow_and_update().clone();
            self.emit(VoiceEvent::Device {
                direction: "input",
                state,
            });
        }
        if self.output_state.has_changed().unwrap_or(false) {
            let state = self.output_state.borrow_and_update().clone();
            self.emit(VoiceEvent::Device {
                direction: "output",
                state,
            });
        }
    }
}

async fn send(client: &RealtimeClient, frame: &Frame) {
    if let Err(e) = client.append_audio(frame.bytes()).await {
        tracing::warn!(error = %e, "microphone audio not sent");
    }
}

/// A microphone frame's level, for callers that meter audio themselves.
pub fn level(frame: &Frame) -> f32 {
    dsp::meter(frame.rms)
}
