//! The microphone. A dedicated thread opens the cpal input stream and keeps it (the stream
//! never leaves that thread); the device callback only downmixes to mono f32 and pushes into a
//! lock-free ring, then wakes the thread. The thread resamples to 48 kHz, runs echo
//! cancellation and noise suppression in 10 ms frames against the far-end reference from
//! playback, resamples to 24 kHz, and cuts PCM16 frames (20 ms by default) onto a bounded queue.
//! A full queue drops the frame and counts it: a slow consumer never stalls the device.
//!
//! When the device fails (unplugged, sound server gone) the thread publishes
//! [`DeviceState::Lost`], drops the stream, waits and opens the device again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{FromSample, SizedSample};
use rtrb::{Consumer, Producer, RingBuffer};
use tokio::sync::{mpsc, watch};

use crate::devices::{self, Direction};
use crate::dsp::{self, EnergyVad, Resampler, VadEvent};
use crate::echo::{EchoCanceller, EchoSettings, FarEndLink};
use crate::health::{self, GlitchCounter, Ready, Reopen, StreamErrors, Watchdog};
use crate::{AudioError, DeviceState, PROCESS_FRAME, PROCESS_RATE, WIRE_RATE};

/// How the microphone is opened and framed.
#[derive(Debug, Clone)]
pub struct CaptureConfig {
    /// Device name (see [`devices::find`]); `None` for the default input.
    pub device: Option<String>,
    /// Frame length on the queue, in milliseconds (multiple of 10).
    pub frame_ms: u32,
    /// Queue capacity in frames; beyond it frames are dropped and counted.
    pub queue_frames: usize,
    /// Echo cancellation and noise suppression; `None` sends the raw microphone.
    pub echo: Option<EchoSettings>,
    /// The local voice activity gate run on every frame.
    pub vad: EnergyVad,
    /// Pause between attempts to (re)open the device.
    pub retry: Duration,
    /// Keep retrying when the first open fails (the app) instead of returning the error
    /// (the doctor, tests).
    pub persistent: bool,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        Self {
            device: None,
            frame_ms: 20,
            queue_frames: 50,
            echo: Some(EchoSettings::default()),
            vad: EnergyVad::default(),
            retry: Duration::from_secs(1),
            persistent: false,
        }
    }
}

/// One frame of microphone audio in the wire format.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Frame number since capture started (gaps mean dropped frames).
    pub seq: u64,
    /// PCM16 mono 24 kHz samples.
    pub pcm: Vec<i16>,
    /// RMS of the frame, as a fraction of full scale.
    pub rms: f32,
    /// Whether the local VAD considers the visitor to be speaking after this frame.
    pub speech: bool,
    /// A VAD transition on this frame.
    pub vad: VadEvent,
    /// When the frame was completed (for latency measurements).
    pub at: Instant,
}

impl Frame {
    /// The frame as the wire carries it: PCM16 little-endian bytes.
    pub fn bytes(&self) -> Vec<u8> {
        dsp::i16_to_bytes(&self.pcm)
    }

    /// The level meter reading, 0..1.
    pub fn level(&self) -> f32 {
        dsp::meter(self.rms)
    }
}

/// Counters the capture thread and callback keep; read them any time.
#[derive(Debug, Default)]
pub struct CaptureStats {
    /// Device callbacks so far.
    pub callbacks: AtomicU64,
    /// Frames put on the queue.
    pub frames: AtomicU64,
    /// Frames dropped because the queue was full.
    pub dropped_frames: AtomicU64,
    /// Callbacks that found the raw ring full (the capture thread fell behind).
    pub overruns: AtomicU64,
    /// Nanoseconds the capture thread spent processing (resample, echo, framing).
    pub process_ns: AtomicU64,
    /// The device's last reported delay between capture and callback, in microseconds.
    pub device_delay_us: AtomicU64,
    /// How many times the device was (re)opened.
    pub opens: AtomicU64,
    /// Device overruns reported by the host.
    pub xruns: AtomicU64,
    /// Other host errors the stream captured through.
    pub glitches: AtomicU64,
}

impl GlitchCounter for CaptureStats {
    fn xrun(&self) {
        self.xruns.fetch_add(1, Ordering::Relaxed);
    }

    fn glitch(&self) {
        self.glitches.fetch_add(1, Ordering::Relaxed);
    }
}

/// A running microphone. Dropping it (or [`Capture::stop`]) stops the thread.
#[derive(Debug)]
pub struct Capture {
    frames: mpsc::Receiver<Frame>,
    state: watch::Receiver<DeviceState>,
    stats: Arc<CaptureStats>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    algorithmic_delay: Duration,
}

impl Capture {
    /// Start the capture thread and wait for the first open. With `config.persistent` a failed
    /// open is reported through [`Capture::state`] and retried; without it, it is returned.
    pub fn start(config: CaptureConfig, far_end: Option<FarEndLink>) -> Result<Self, AudioError> {
        let (tx, frames) = mpsc::channel(config.queue_frames.max(1));
        let (state_tx, state) = watch::channel(DeviceState::Opening);
        let stats = Arc::new(CaptureStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let frame_len = (config.frame_ms.max(10) / 10 * 10) as usize * (WIRE_RATE as usize / 1000);
        let algorithmic_delay = Duration::from_millis(u64::from(config.frame_ms));
        let worker = Worker {
            config,
            far_end,
            tx,
            state: state_tx,
            stats: stats.clone(),
            stop: stop.clone(),
            frame_len,
        };
        let thread = thread::Builder::new()
            .name("donna-capture".into())
            .spawn(move || worker.run(ready_tx))
            .map_err(|e| AudioError::Thread(e.to_string()))?;
        let first = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| AudioError::Thread("capture thread did not report".into()))?;
        let capture = Self {
            frames,
            state,
            stats,
            stop,
            thread: Some(thread),
            algorithmic_delay,
        };
        first.map(|()| capture)
    }

    /// The next frame; `None` once capture stopped.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        self.frames.recv().await
    }

    /// A frame if one is waiting.
    pub fn try_frame(&mut self) -> Option<Frame> {
        self.frames.try_recv().ok()
    }

    /// Throw away queued frames (e.g. when push-to-talk starts, so stale audio is not sent).
    pub fn clear(&mut self) {
        while self.frames.try_recv().is_ok() {}
    }

    /// The device state, as it changes.
    pub fn state(&self) -> watch::Receiver<DeviceState> {
        self.state.clone()
    }

    /// Live counters.
    pub fn stats(&self) -> Arc<CaptureStats> {
        self.stats.clone()
    }

    /// Delay the framing adds (a frame is sent when it is full).
    pub fn framing_delay(&self) -> Duration {
        self.algorithmic_delay
    }

    /// Stop the thread and wait for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            health::join_within(t, "microphone");
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Everything the capture thread owns.
struct Worker {
    config: CaptureConfig,
    far_end: Option<FarEndLink>,
    tx: mpsc::Sender<Frame>,
    state: watch::Sender<DeviceState>,
    stats: Arc<CaptureStats>,
    stop: Arc<AtomicBool>,
    frame_len: usize,
}

/// One open input stream and its ring.
struct Open {
    _stream: cpal::Stream,
    raw: Consumer<f32>,
    errors: StreamErrors,
    name: String,
    rate: u32,
    channels: u16,
}

impl Worker {
    fn run(mut self, ready: std::sync::mpsc::SyncSender<Result<(), AudioError>>) {
        let mut ready: Ready = Some(ready);
        let mut echo = self.config.echo.and_then(|s| match EchoCanceller::new(s) {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::warn!(error = %e, "echo cancellation unavailable; capturing without it");
                None
            }
        });
        let mut seq = 0u64;
        let (state, stop) = (self.state.clone(), self.stop.clone());
        let mut reopen = Reopen::new(
            "microphone",
            self.config.retry,
            self.config.persistent,
            &state,
            &stop,
        );
        while !self.stop.load(Ordering::SeqCst) {
            self.state.send_replace(DeviceState::Opening);
            let (error, ran) = match self.open() {
                Ok(mut open) => {
                    self.stats.opens.fetch_add(1, Ordering::Relaxed);
                    self.state.send_replace(DeviceState::Running {
                        device: open.name.clone(),
                        sample_rate: open.rate,
                        channels: open.channels,
                    });
                    tracing::info!(device = %open.name, rate = open.rate, channels = open.channels, "microphone open");
                    if let Some(r) = ready.take() {
                        let _ = r.send(Ok(()));
                    }
                    let opened = Instant::now();
                    let result = self.pump(&mut open, echo.as_mut(), &mut seq);
                    health::close_aside(open, "microphone");
                    match result {
                        Ok(()) => break,
                        Err(e) => (e, opened.elapsed()),
                    }
                }
                Err(e) => (e, Duration::ZERO),
            };
            if !reopen.after(error, ran, &mut ready) {
                break;
            }
        }
        self.state.send_replace(DeviceState::Stopped);
    }

    fn open(&self) -> Result<Open, AudioError> {
        let device = devices::find(Direction::Input, self.config.device.as_deref())?;
        let name = devices::device_name(&device);
        let dev_err = |message: String| AudioError::Device {
            direction: "input",
            device: name.clone(),
            message,
        };
        let supported = device
            .default_input_config()
            .map_err(|e| dev_err(e.to_string()))?;
        let config = supported.config();
        // A second of raw audio: the thread wakes every callback, so this only fills if it stalls.
        let (producer, raw) =
            RingBuffer::new(config.sample_rate as usize * usize::from(config.channels.max(1)));
        let errors = StreamErrors::new(self.stats.clone());
        let ctx = CallbackCtx {
            producer,
            channels: usize::from(config.channels.max(1)),
            waker: thread::current(),
            stats: self.stats.clone(),
        };
        let on_error = {
            let errors = errors.clone();
            move |e: cpal::Error| errors.report(&e)
        };
        use cpal::SampleFormat as F;
        let stream = match supported.sample_format() {
            F::F32 => build::<f32>(&device, &config, ctx, on_error),
            F::I16 => build::<i16>(&device, &config, ctx, on_error),
            F::U16 => build::<u16>(&device, &config, ctx, on_error),
            F::I32 => build::<i32>(&device, &config, ctx, on_error),
            F::U8 => build::<u8>(&device, &config, ctx, on_error),
            F::F64 => build::<f64>(&device, &config, ctx, on_error),
            other => return Err(dev_err(format!("unsupported sample format {other}"))),
        }
        .map_err(|e| dev_err(e.to_string()))?;
        stream.play().map_err(|e| dev_err(e.to_string()))?;
        Ok(Open {
            _stream: stream,
            raw,
            errors,
            name,
            rate: config.sample_rate,
            channels: config.channels,
        })
    }

    /// Process until the stream fails (`Err`) or capture is stopped (`Ok`).
    fn pump(
        &mut self,
        open: &mut Open,
        mut echo: Option<&mut EchoCanceller>,
        seq: &mut u64,
    ) -> Result<(), AudioError> {
        let mut pipe = Pipeline::new(open.rate, self.frame_len, self.config.vad.clone())?;
        let mut raw = vec![0.0f32; 8192];
        let callbacks = || self.stats.callbacks.load(Ordering::Relaxed);
        let mut watchdog = Watchdog::new(callbacks());
        loop {
            thread::park_timeout(Duration::from_millis(20));
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            if let Some(message) = open.errors.failure().or_else(|| watchdog.check(callbacks())) {
                return Err(AudioError::Stream {
                    direction: "input",
                    message,
                });
            }
            let started = Instant::now();
            loop {
                let n = open.raw.slots().min(raw.len());
                if n == 0 {
                    break;
                }
                if let Ok(chunk) = open.raw.read_chunk(n) {
                    let (a, b) = chunk.as_slices();
                    raw[..a.len()].copy_from_slice(a);
                    raw[a.len()..a.len() + b.len()].copy_from_slice(b);
                    chunk.commit_all();
                }
                pipe.feed(
                    &raw[..n],
                    echo.as_deref_mut(),
                    self.far_end.as_mut(),
                    |pcm, rms, vad, speech| {
                        let frame = Frame {
                            seq: *seq,
                            pcm,
                            rms,
                            speech,
                            vad,
                            at: Instant::now(),
                        };
                        *seq += 1;
                        match self.tx.try_send(frame) {
                            Ok(()) => self.stats.frames.fetch_add(1, Ordering::Relaxed),
                            Err(_) => self.stats.dropped_frames.fetch_add(1, Ordering::Relaxed),
                        };
                    },
                );
            }
            self.stats
                .process_ns
                .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        }
    }
}

/// Device rate → 48 kHz → echo cancellation (10 ms) → 24 kHz → frames. Public for benchmarks.
#[derive(Debug)]
pub struct Pipeline {
    to_process: Resampler,
    acc: Vec<f32>,
    to_wire: Resampler,
    frame: Vec<i16>,
    frame_len: usize,
    far: [f32; PROCESS_FRAME],
    vad: EnergyVad,
    /// 10 ms frames of audible far-end audio the echo canceller has seen so far.
    far_heard: u32,
    /// 10 ms frames since far-end audio was last audible.
    far_quiet: u32,
}

/// Audible far-end audio the canceller needs before its echo path estimate can be trusted
/// (measured: the echo leaks for about 150 ms after the first words, then drops by 40 dB).
const AEC_WARMUP_FRAMES: u32 = 50;
/// How long after the far end falls silent its echo may still arrive (room and device delay).
const ECHO_TAIL_FRAMES: u32 = 30;
/// Far-end level that counts as audible.
const FAR_AUDIBLE_RMS: f32 = 0.003;

impl Pipeline {
    /// A pipeline for a mono input at `rate` Hz cutting frames of `frame_len` wire samples.
    pub fn new(rate: u32, frame_len: usize, vad: EnergyVad) -> Result<Self, AudioError> {
        Ok(Self {
            to_process: Resampler::new(rate, PROCESS_RATE, (rate / 100) as usize)?,
            acc: Vec::with_capacity(PROCESS_FRAME * 4),
            to_wire: Resampler::new(PROCESS_RATE, WIRE_RATE, PROCESS_FRAME)?,
            frame: Vec::with_capacity(frame_len),
            frame_len,
            far: [0.0; PROCESS_FRAME],
            vad,
            far_heard: 0,
            far_quiet: u32::MAX,
        })
    }

    /// Samples of delay the two resamplers add, in wire samples.
    pub fn resampler_delay(&self) -> usize {
        self.to_process.delay() / 2 + self.to_wire.delay()
    }

    /// Feed mono samples at the input rate; `emit(pcm, rms, vad, speech)` gets each frame.
    pub fn feed(
        &mut self,
        input: &[f32],
        mut echo: Option<&mut EchoCanceller>,
        mut far_end: Option<&mut FarEndLink>,
        mut emit: impl FnMut(Vec<i16>, f32, VadEvent, bool),
    ) {
        let acc = &mut self.acc;
        self.to_process.push(input, |c| acc.extend_from_slice(c));
        let mut start = 0;
        while self.acc.len() - start >= PROCESS_FRAME {
            let frame = &mut self.acc[start..start + PROCESS_FRAME];
            start += PROCESS_FRAME;
            if let Some(aec) = echo.as_deref_mut() {
                if let Some(link) = far_end.as_deref_mut() {
                    // Keep the reference close to real time: if it piled up (capture stalled),
                    // skip the oldest so the canceller's delay estimate stays in range.
                    let backlog = link.0.slots();
                    if backlog > PROCESS_FRAME * 50 {
                        let skip = backlog - PROCESS_FRAME * 10;
                        if let Ok(c) = link.0.read_chunk(skip) {
                            c.commit_all();
                        }
                    }
                    while link.0.slots() >= PROCESS_FRAME {
                        if let Ok(c) = link.0.read_chunk(PROCESS_FRAME) {
                            let (a, b) = c.as_slices();
                            self.far[..a.len()].copy_from_slice(a);
                            self.far[a.len()..].copy_from_slice(b);
                            c.commit_all();
                            if dsp::rms(&self.far) > FAR_AUDIBLE_RMS {
                                self.far_heard = self.far_heard.saturating_add(1);
                                self.far_quiet = 0;
                            } else {
                                self.far_quiet = self.far_quiet.saturating_add(1);
                            }
                            let _ = aec.render(&mut self.far);
                        }
                    }
                }
                let _ = aec.capture(frame);
            }
            // While the canceller is still learning the echo path, Donna's own voice leaks
            // through: the gate must not take it for the visitor. Once it has learnt it, the
            // gate is only guarded while she speaks, against the bursts of a re-convergence.
            let speaking = echo.is_some() && self.far_quiet < ECHO_TAIL_FRAMES;
            let hold = speaking && self.far_heard < AEC_WARMUP_FRAMES;
            let (buf, len, vad, emit) = (&mut self.frame, self.frame_len, &mut self.vad, &mut emit);
            self.to_wire.push(frame, |c| {
                for &s in c {
                    buf.push(dsp::f32_to_i16(s));
                    if buf.len() == len {
                        let rms = dsp::rms_i16(buf);
                        let event = vad.update_guarded(if hold { 0.0 } else { rms }, speaking);
                        let pcm = std::mem::replace(buf, Vec::with_capacity(len));
                        emit(pcm, rms, event, vad.speaking());
                    }
                }
            });
        }
        self.acc.drain(..start);
    }
}

/// What the device callback owns. Nothing in it locks or allocates.
struct CallbackCtx {
    producer: Producer<f32>,
    channels: usize,
    waker: Thread,
    stats: Arc<CaptureStats>,
}

fn build<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut ctx: CallbackCtx,
    on_error: impl FnMut(cpal::Error) + Send + 'static,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], info: &cpal::InputCallbackInfo| {
            let ts = info.timestamp();
            let d = ts.callback.duration_since(ts.capture);
            ctx.stats
                .device_delay_us
                .store(d.as_micros() as u64, Ordering::Relaxed);
            ctx.stats.callbacks.fetch_add(1, Ordering::Relaxed);
            let ch = ctx.channels;
            let frames = data.len() / ch;
            let room = ctx.producer.slots().min(frames);
            if room < frames {
                ctx.stats.overruns.fetch_add(1, Ordering::Relaxed);
            }
            if let Ok(chunk) = ctx.producer.write_chunk_uninit(room) {
                let scale = 1.0 / ch as f32;
                chunk.fill_from_iter(data.chunks_exact(ch).map(|f| {
                    f.iter()
                        .map(|&s| <f32 as FromSample<T>>::from_sample_(s))
                        .sum::<f32>()
                        * scale
                }));
            }
            ctx.waker.unpark();
        },
        on_error,
        None,
    )
}
