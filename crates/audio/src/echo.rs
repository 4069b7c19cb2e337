//! Echo cancellation and noise suppression on the capture path: WebRTC's audio processing
//! module (the system library, through the `webrtc-audio-processing` crate) in 10 ms frames at
//! 48 kHz mono, and the link that carries the far-end reference (exactly what playback hands to
//! the device) from the playback source to the capture thread.
//!
//! The processor is owned by the capture thread alone; playback only pushes reference samples
//! into a lock-free ring, so neither device callback ever touches the C++ processor.

use rtrb::{Consumer, Producer, RingBuffer};
use webrtc_audio_processing as apm;

use crate::slot::Slot;
use crate::{AudioError, PROCESS_FRAME};

/// Reference ring capacity: 2 s at 48 kHz, far more than any device buffer.
const FAR_END_CAPACITY: usize = 96_000;

/// What runs on the capture path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct EchoSettings {
    /// Cancel the speaker's echo (needs the far-end reference from playback).
    pub echo_cancellation: bool,
    /// Suppress stationary noise (fans, air conditioning).
    pub noise_suppression: bool,
}

impl Default for EchoSettings {
    fn default() -> Self {
        Self {
            echo_cancellation: true,
            noise_suppression: true,
        }
    }
}

/// The playback end of the far-end link: the playback source takes the producer when its
/// device opens and gives it back when the device closes.
#[derive(Debug, Clone)]
pub struct FarEnd(pub(crate) Slot<Producer<f32>>);

/// The capture end of the far-end link: 48 kHz mono reference samples, in playback order.
#[derive(Debug)]
pub struct FarEndLink(pub(crate) Consumer<f32>);

impl FarEndLink {
    /// A link reading from an existing ring (benchmarks and offline processing).
    pub fn from_consumer(consumer: Consumer<f32>) -> Self {
        Self(consumer)
    }
}

/// A far-end reference link: give [`FarEnd`] to the player and [`FarEndLink`] to capture.
pub fn far_end_link() -> (FarEnd, FarEndLink) {
    let (tx, rx) = RingBuffer::new(FAR_END_CAPACITY);
    (FarEnd(Slot::new(Some(tx))), FarEndLink(rx))
}

/// WebRTC's audio processing for one mono stream at 48 kHz, in frames of
/// [`PROCESS_FRAME`] samples.
pub struct EchoCanceller {
    processor: apm::Processor,
    settings: EchoSettings,
}

impl std::fmt::Debug for EchoCanceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EchoCanceller")
            .field("settings", &self.settings)
            .finish()
    }
}

impl EchoCanceller {
    /// A processor with the given stages switched on.
    pub fn new(settings: EchoSettings) -> Result<Self, AudioError> {
        let mut processor = apm::Processor::new(&apm::InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..apm::InitializationConfig::default()
        })
        .map_err(|e| AudioError::Echo(format!("{e:?}")))?;
        processor.set_config(apm::Config {
            echo_cancellation: settings.echo_cancellation.then_some(apm::EchoCancellation {
                suppression_level: apm::EchoCancellationSuppressionLevel::High,
                // The device path's delay is unknown and changes with the device: let the
                // processor estimate it.
                stream_delay_ms: None,
                enable_delay_agnostic: true,
                enable_extended_filter: true,
            }),
            noise_suppression: settings.noise_suppression.then_some(apm::NoiseSuppression {
                suppression_level: apm::NoiseSuppressionLevel::High,
            }),
            enable_high_pass_filter: true,
            ..apm::Config::default()
        });
        Ok(Self { processor, settings })
    }

    /// The stages in use.
    pub fn settings(&self) -> EchoSettings {
        self.settings
    }

    /// Feed one 10 ms frame of what the speaker played.
    pub fn render(&mut self, frame: &mut [f32]) -> Result<(), AudioError> {
        debug_assert_eq!(frame.len(), PROCESS_FRAME);
        self.processor
            .process_render_frame(frame)
            .map_err(|e| AudioError::Echo(format!("{e:?}")))
    }

    /// Clean one 10 ms frame of the microphone in place.
    pub fn capture(&mut self, frame: &mut [f32]) -> Result<(), AudioError> {
        debug_assert_eq!(frame.len(), PROCESS_FRAME);
        self.processor
            .process_capture_frame(frame)
            .map_err(|e| AudioError::Echo(format!("{e:?}")))
    }

    /// The processor's own ERLE estimate in dB, when it has one.
    pub fn erle_estimate(&self) -> Option<f64> {
        self.processor.get_stats().echo_return_loss_enhancement
    }

    /// Process a whole recording offline: `mic` (echo, possibly with near-end speech) against
    /// `far` (what was played), both 48 kHz mono. Returns the cleaned microphone signal.
    /// Used by the ERLE measurement and the benchmarks.
    pub fn process_clip(&mut self, far: &[f32], mic: &[f32]) -> Result<Vec<f32>, AudioError> {
        let frames = mic.len() / PROCESS_FRAME;
        let mut out = Vec::with_capacity(frames * PROCESS_FRAME);
        let mut f = [0.0f32; PROCESS_FRAME];
        let mut m = [0.0f32; PROCESS_FRAME];
        for i in 0..frames {
            let range = i * PROCESS_FRAME..(i + 1) * PROCESS_FRAME;
            f.fill(0.0);
            if range.end <= far.len() {
                f.copy_from_slice(&far[range.clone()]);
            }
            self.render(&mut f)?;
            m.copy_from_slice(&mic[range]);
            self.capture(&mut m)?;
            out.extend_from_slice(&m);
        }
        Ok(out)
    }
}
