//! Donna's audio path: the microphone and the speaker of the kiosk, owned natively.
//!
//! | module | owns |
//! |---|---|
//! | [`devices`] | listing input and output devices, choosing one by name |
//! | [`capture`] | the microphone: a cpal stream on its own thread, resampling to PCM16 mono 24 kHz, echo cancellation, 20 ms frames on a bounded queue |
//! | [`playback`] | the speaker: a rodio source fed from a jitter buffer of PCM16 24 kHz deltas that counts, sample-exactly, what each item has played |
//! | [`echo`] | WebRTC's audio processing (echo cancellation, noise suppression) in 10 ms frames, and the far-end reference link from playback to capture |
//! | `health` | which stream errors end a stream, and the stall watchdog |
//! | [`dsp`] | sample conversion, the resampler wrapper, level meter, energy VAD, signal measures (RMS, correlation, ERLE) |
//! | [`wav`] | WAV files in and out, for tests, benchmarks and the doctor |
//! | [`virtual_devices`], [`signal`] | for tests and benchmarks: the virtual devices, what they played, a speech-like signal |
//! | [`doctor`] | the audio part of `donna doctor`: devices, a tone played and recorded back, levels |
//!
//! It knows nothing of the realtime protocol: it takes and gives PCM16 bytes and reports
//! played sample counts. Joining it to a session is the caller's business.
//!
//! Threads: each device stream lives on a thread of its own and never leaves it. The device
//! callbacks do no locking, logging or allocation in steady state; samples cross to other
//! threads through lock-free single-producer single-consumer rings (`rtrb`).

pub mod capture;
pub mod devices;
pub mod doctor;
pub mod dsp;
pub mod echo;
pub mod playback;
pub mod signal;
pub mod virtual_devices;
pub mod wav;

mod error;
mod health;
mod slot;

pub use capture::{Capture, CaptureConfig, CaptureStats, Frame};
pub use devices::{DeviceInfo, Direction};
pub use echo::{EchoCanceller, EchoSettings, FarEnd, FarEndLink, far_end_link};
pub use error::AudioError;
pub use playback::{Played, Player, PlayerConfig, PlayerStats};

/// The wire format's sample rate: PCM16 mono at 24 kHz, as the realtime protocol carries it.
pub const WIRE_RATE: u32 = 24_000;
/// Bytes per millisecond of wire audio (PCM16 mono 24 kHz).
pub const WIRE_BYTES_PER_MS: u64 = 48;
/// Wire samples per millisecond.
pub const WIRE_SAMPLES_PER_MS: u64 = 24;
/// The rate echo cancellation runs at (the WebRTC processor's fixed rate).
pub const PROCESS_RATE: u32 = 48_000;
/// Samples in one 10 ms frame at [`PROCESS_RATE`].
pub const PROCESS_FRAME: usize = 480;

/// Where a device stream stands; published on a watch channel for the UI and the doctor.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeviceState {
    /// Opening the device.
    Opening,
    /// Streaming.
    Running {
        device: String,
        sample_rate: u32,
        channels: u16,
    },
    /// The device failed or went away; the thread retries after a pause.
    Lost { error: String, retry_in_ms: u64 },
    /// Stopped on request.
    Stopped,
}
