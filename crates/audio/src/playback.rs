//! The speaker. Assistant audio arrives as PCM16 24 kHz deltas and goes into a jitter buffer (a
//! lock-free ring); a rodio source on the device callback takes it out in 10 ms chunks,
//! resamples it to the device rate with rubato and hands it to the device. The same chunk, at
//! 48 kHz, goes to the echo canceller as the far-end reference.
//!
//! The source counts every 24 kHz sample it hands to the device. The [`Player`] handle knows
//! where each assistant item starts and ends in that stream, so it can say sample-exactly how
//! much of an item has been played. [`Player::stop`] asks the source to discard what is still
//! buffered at its next chunk (at most 10 ms away, plus the device buffer) and answers with
//! what was really played: the number a truncation must carry.
//!
//! A dedicated thread owns the rodio device sink and re-opens it when the device fails; the
//! jitter ring and the far-end producer survive that because the source gives them back when
//! it is dropped.

use std::collections::VecDeque;
use std::num::NonZero;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rodio::Source;
use rtrb::{Consumer, Producer, RingBuffer};
use tokio::sync::watch;

use crate::devices::{self, Direction};
use crate::dsp::Resampler;
use crate::echo::FarEnd;
use crate::health::{self, GlitchCounter, Ready, Reopen, StreamErrors, Watchdog};
use crate::slot::Slot;
use crate::{AudioError, DeviceState, PROCESS_RATE, WIRE_RATE, WIRE_SAMPLES_PER_MS};

/// Wire samples in one source chunk (10 ms).
const CHUNK: usize = (WIRE_RATE / 100) as usize;

/// How the speaker is opened and buffered.
#[derive(Debug, Clone)]
pub struct PlayerConfig {
    /// Device name (see [`devices::find`]); `None` for the default output.
    pub device: Option<String>,
    /// Device buffer in milliseconds: the bound on how late a stop is heard.
    pub buffer_ms: u32,
    /// Audio gathered before playback starts (absorbs network jitter), in milliseconds.
    pub prebuffer_ms: u32,
    /// Longest wait for the prebuffer once some audio is there, in milliseconds.
    pub max_wait_ms: u32,
    /// Jitter buffer capacity in milliseconds of wire audio.
    pub capacity_ms: u32,
    /// Pause between attempts to (re)open the device.
    pub retry: Duration,
    /// Keep retrying when the first open fails instead of returning the error.
    pub persistent: bool,
}

impl Default for PlayerConfig {
    fn default() -> Self {
        Self {
            device: None,
            buffer_ms: 20,
            prebuffer_ms: 40,
            max_wait_ms: 40,
            capacity_ms: 120_000,
            retry: Duration::from_secs(1),
            persistent: false,
        }
    }
}

/// Counters kept by the source; read them any time.
#[derive(Debug, Default)]
pub struct PlayerStats {
    /// Wire samples handed to the device (silence padding not counted).
    pub played: AtomicU64,
    /// Position in the written stream: played plus discarded samples.
    pub position: AtomicU64,
    /// 10 ms chunks produced.
    pub chunks: AtomicU64,
    /// Times the buffer ran dry while playing.
    pub underruns: AtomicU64,
    /// Nanoseconds spent producing chunks (resampling, reference), on the device thread.
    pub process_ns: AtomicU64,
    /// Reference samples the echo canceller missed because its ring was full.
    pub far_end_dropped: AtomicU64,
    /// Samples dropped because the jitter buffer was full.
    pub overflow: AtomicU64,
    /// How many times the device was (re)opened.
    pub opens: AtomicU64,
    /// Device underruns reported by the host (audio handed to the device may be lost in them).
    pub xruns: AtomicU64,
    /// Other host errors the stream played through.
    pub glitches: AtomicU64,
}

/// State shared by the handle and the source: atomics only.
#[derive(Debug, Default)]
struct Shared {
    stats: PlayerStats,
    flush_req: AtomicU64,
    flush_ack: AtomicU64,
    flushed_at: AtomicU64,
    shutdown: AtomicBool,
}

impl GlitchCounter for Shared {
    fn xrun(&self) {
        self.stats.xruns.fetch_add(1, Ordering::Relaxed);
    }

    fn glitch(&self) {
        self.stats.glitches.fetch_add(1, Ordering::Relaxed);
    }
}

/// How much of one assistant item was played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Played {
    pub item_id: String,
    /// Wire samples handed to the device.
    pub samples: u64,
    /// Wire samples received for the item.
    pub received: u64,
}

impl Played {
    /// Whole milliseconds played (24 samples each): `audio_end_ms` for a truncation.
    pub fn ms(&self) -> u64 {
        self.samples / WIRE_SAMPLES_PER_MS
    }
}

/// Where one item lies in the written stream.
#[derive(Debug, Clone)]
struct Span {
    item_id: String,
    start: u64,
    end: u64,
    /// Played samples, fixed when playback was stopped.
    cut: Option<u64>,
}

/// The speaker handle. Methods take `&mut self`: one task feeds and stops it.
#[derive(Debug)]
pub struct Player {
    producer: Producer<i16>,
    shared: Arc<Shared>,
    written: u64,
    spans: VecDeque<Span>,
    silenced: Option<String>,
    state: watch::Receiver<DeviceState>,
    thread: Option<JoinHandle<()>>,
}

impl Player {
    /// Start the playback thread and wait for the first open. `far_end`, when given, receives
    /// the reference the echo canceller needs.
    pub fn start(config: PlayerConfig, far_end: Option<FarEnd>) -> Result<Self, AudioError> {
        let capacity = (config.capacity_ms as usize).max(1000) * WIRE_SAMPLES_PER_MS as usize;
        let (producer, consumer) = RingBuffer::new(capacity);
        let shared = Arc::new(Shared::default());
        let (state_tx, state) = watch::channel(DeviceState::Opening);
        let (ready_tx, ready_rx) = std::sync::mpsc::sync_channel(1);
        let worker = SinkWorker {
            config,
            jitter: Slot::new(Some(consumer)),
            far_end,
            shared: shared.clone(),
            state: state_tx,
        };
        let thread = thread::Builder::new()
            .name("donna-playback".into())
            .spawn(move || worker.run(ready_tx))
            .map_err(|e| AudioError::Thread(e.to_string()))?;
        let first = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| AudioError::Thread("playback thread did not report".into()))?;
        let player = Self {
            producer,
            shared,
            written: 0,
            spans: VecDeque::new(),
            silenced: None,
            state,
            thread: Some(thread),
        };
        first.map(|()| player)
    }

    /// Queue a delta of PCM16 24 kHz audio for `item_id`. Deltas of an item that was stopped
    /// are ignored (the service may still be sending them). Returns the samples queued.
    pub fn push(&mut self, item_id: &str, pcm: &[u8]) -> usize {
        if self.silenced.as_deref() == Some(item_id) {
            return 0;
        }
        if self.spans.back().is_none_or(|s| s.item_id != item_id) {
            self.spans.push_back(Span {
                item_id: item_id.to_owned(),
                start: self.written,
                end: self.written,
                cut: None,
            });
            // Keep the last few items only; older ones can no longer be truncated.
            while self.spans.len() > 16 {
                self.spans.pop_front();
            }
        }
        let samples = pcm.len() / 2;
        let room = self.producer.slots().min(samples);
        if room < samples {
            self.shared
                .stats
                .overflow
                .fetch_add((samples - room) as u64, Ordering::Relaxed);
        }
        if let Ok(chunk) = self.producer.write_chunk_uninit(room) {
            chunk.fill_from_iter(pcm.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])));
        }
        self.written += room as u64;
        if let Some(span) = self.spans.back_mut() {
            span.end = self.written;
        }
        room
    }

    /// Stop playback now: whatever is buffered is discarded at the source's next chunk. Returns
    /// how much of the item being played (the last one queued) was really played, or `None`
    /// when nothing was queued.
    pub fn stop(&mut self) -> Option<Played> {
        let req = self.shared.flush_req.fetch_add(1, Ordering::SeqCst) + 1;
        let deadline = Instant::now() + Duration::from_millis(250);
        let position = loop {
            if self.shared.flush_ack.load(Ordering::SeqCst) >= req {
                break self.shared.flushed_at.load(Ordering::SeqCst);
            }
            if Instant::now() >= deadline {
                // No device is pulling audio: nothing more will be played; the next source
                // discards the buffer when it opens.
                break self.shared.stats.position.load(Ordering::SeqCst);
            }
            thread::sleep(Duration::from_micros(500));
        };
        for span in &mut self.spans {
            if span.cut.is_none() {
                span.cut = Some(position.clamp(span.start, span.end) - span.start);
            }
        }
        let last = self.spans.back()?;
        self.silenced = Some(last.item_id.clone());
        Some(Played {
            item_id: last.item_id.clone(),
            samples: last.cut.unwrap_or(0),
            received: last.end - last.start,
        })
    }

    /// How much of `item_id` has been played so far (or when it was stopped).
    pub fn played(&self, item_id: &str) -> Option<Played> {
        let position = self.shared.stats.position.load(Ordering::SeqCst);
        self.spans
            .iter()
            .rev()
            .find(|s| s.item_id == item_id)
            .map(|s| Played {
                item_id: s.item_id.clone(),
                samples: s.cut.unwrap_or_else(|| position.clamp(s.start, s.end) - s.start),
                received: s.end - s.start,
            })
    }

    /// Whether queued audio is still waiting to be played.
    pub fn is_playing(&self) -> bool {
        self.shared.stats.position.load(Ordering::SeqCst) < self.written
    }

    /// Wire samples queued but not yet played.
    pub fn queued(&self) -> u64 {
        self.written
            .saturating_sub(self.shared.stats.position.load(Ordering::SeqCst))
    }

    /// Live counters.
    pub fn stats(&self) -> &PlayerStats {
        &self.shared.stats
    }

    /// The device state, as it changes.
    pub fn state(&self) -> watch::Receiver<DeviceState> {
        self.state.clone()
    }

    fn shutdown(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            health::join_within(t, "speaker");
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The thread that owns the rodio device sink.
struct SinkWorker {
    config: PlayerConfig,
    jitter: Slot<Consumer<i16>>,
    far_end: Option<FarEnd>,
    shared: Arc<Shared>,
    state: watch::Sender<DeviceState>,
}

impl SinkWorker {
    fn run(self, ready: std::sync::mpsc::SyncSender<Result<(), AudioError>>) {
        let mut ready: Ready = Some(ready);
        let mut reopen = Reopen::new(
            "speaker",
            self.config.retry,
            self.config.persistent,
            &self.state,
            &self.shared.shutdown,
        );
        while !self.shared.shutdown.load(Ordering::SeqCst) {
            self.state.send_replace(DeviceState::Opening);
            let errors = StreamErrors::new(self.shared.clone());
            let (error, ran) = match self.open(&errors) {
                Ok((sink, running)) => {
                    tracing::info!(?running, "speaker open");
                    self.shared.stats.opens.fetch_add(1, Ordering::Relaxed);
                    self.state.send_replace(running);
                    if let Some(r) = ready.take() {
                        let _ = r.send(Ok(()));
                    }
                    let opened = Instant::now();
                    let message = self.watch(&errors);
                    health::close_aside(sink, "speaker");
                    let Some(message) = message else { break };
                    let error = AudioError::Stream {
                        direction: "output",
                        message,
                    };
                    (error, opened.elapsed())
                }
                Err(e) => (e, Duration::ZERO),
            };
            if !reopen.after(error, ran, &mut ready) {
                break;
            }
        }
        self.state.send_replace(DeviceState::Stopped);
    }

    /// Wait while the stream runs: `None` on shutdown, `Some(why)` when it failed or stalled
    /// (the source is called back even when there is nothing to play, so it never idles).
    fn watch(&self, errors: &StreamErrors) -> Option<String> {
        let chunks = || self.shared.stats.chunks.load(Ordering::Relaxed);
        let mut watchdog = Watchdog::new(chunks());
        loop {
            thread::park_timeout(Duration::from_millis(100));
            if self.shared.shutdown.load(Ordering::SeqCst) {
                return None;
            }
            if let Some(why) = errors.failure().or_else(|| watchdog.check(chunks())) {
                return Some(why);
            }
        }
    }

    fn open(&self, errors: &StreamErrors) -> Result<(rodio::MixerDeviceSink, DeviceState), AudioError> {
        let device = devices::find(Direction::Output, self.config.device.as_deref())?;
        let name = devices::device_name(&device);
        let dev_err = |message: String| AudioError::Device {
            direction: "output",
            device: name.clone(),
            message,
        };
        use cpal::traits::DeviceTrait as _;
        let rate = device
            .default_output_config()
            .map(|c| c.sample_rate())
            .unwrap_or(PROCESS_RATE);
        let builder = rodio::DeviceSinkBuilder::from_device(device).map_err(|e| dev_err(e.to_string()))?;
        let frames = (rate * self.config.buffer_ms / 1000).max(64);
        let on_error = {
            let errors = errors.clone();
            move |e: cpal::Error| errors.report(&e)
        };
        let mut sink = builder
            .with_buffer_size(cpal::BufferSize::Fixed(frames))
            .with_error_callback(on_error)
            .open_sink_or_fallback()
            .map_err(|e| dev_err(e.to_string()))?;
        sink.log_on_drop(false);
        let rate = sink.config().sample_rate().get();
        let channels = sink.config().channel_count().get();
        // The previous source hands the jitter ring back when the old stream is dropped.
        let deadline = Instant::now() + Duration::from_secs(1);
        let consumer = loop {
            if let Some(c) = self.jitter.take() {
                break c;
            }
            if Instant::now() > deadline {
                return Err(AudioError::Thread(
                    "jitter buffer still held by the old stream".into(),
                ));
            }
            thread::sleep(Duration::from_millis(5));
        };
        let source = StreamSource::new(
            consumer,
            self.jitter.clone(),
            self.far_end.clone(),
            self.shared.clone(),
            &self.config,
            rate,
            channels,
        )?;
        sink.mixer().add(source);
        Ok((
            sink,
            DeviceState::Running {
                device: name,
                sample_rate: rate,
                channels,
            },
        ))
    }
}

/// The rodio source: runs on the device callback. It never locks or allocates after
/// construction; it only reads atomics and the rings.
struct StreamSource {
    consumer: Option<Consumer<i16>>,
    jitter_slot: Slot<Consumer<i16>>,
    far: Option<Producer<f32>>,
    far_slot: Option<FarEnd>,
    shared: Arc<Shared>,
    to_device: Resampler,
    to_reference: Option<Resampler>,
    input: [f32; CHUNK],
    out: Vec<f32>,
    out_len: usize,
    out_pos: usize,
    channel: u16,
    current: f32,
    channels: u16,
    rate: u32,
    buffering: bool,
    waited: u32,
    prebuffer: usize,
    max_wait_chunks: u32,
    seen_flush: u64,
}

impl StreamSource {
    fn new(
        consumer: Consumer<i16>,
        jitter_slot: Slot<Consumer<i16>>,
        far_slot: Option<FarEnd>,
        shared: Arc<Shared>,
        config: &PlayerConfig,
        rate: u32,
        channels: u16,
    ) -> Result<Self, AudioError> {
        let to_device = Resampler::new(WIRE_RATE, rate, CHUNK)?;
        let to_reference = if rate == PROCESS_RATE {
            None
        } else {
            Some(Resampler::new(WIRE_RATE, PROCESS_RATE, CHUNK)?)
        };
        let out_max = (rate as usize / 100) * 2 + 64;
        let far = far_slot.as_ref().and_then(|f| f.0.take());
        // A stop requested while no device was open is honoured on the first chunk.
        let seen_flush = shared.flush_ack.load(Ordering::SeqCst);
        Ok(Self {
            consumer: Some(consumer),
            jitter_slot,
            far,
            far_slot,
            shared,
            to_device,
            to_reference,
            input: [0.0; CHUNK],
            out: vec![0.0; out_max],
            out_len: 0,
            out_pos: 0,
            channel: 0,
            current: 0.0,
            channels: channels.max(1),
            rate,
            buffering: true,
            waited: 0,
            prebuffer: config.prebuffer_ms as usize * WIRE_SAMPLES_PER_MS as usize,
            max_wait_chunks: config.max_wait_ms.div_ceil(10),
            seen_flush,
        })
    }

    /// Produce the next 10 ms chunk at the device rate.
    fn refill(&mut self) {
        let started = Instant::now();
        let stats = &self.shared.stats;
        let Some(consumer) = self.consumer.as_mut() else {
            self.out_len = 0;
            return;
        };
        let req = self.shared.flush_req.load(Ordering::SeqCst);
        if req != self.seen_flush {
            let position = stats.position.load(Ordering::SeqCst);
            self.shared.flushed_at.store(position, Ordering::SeqCst);
            let n = consumer.slots();
            if let Ok(c) = consumer.read_chunk(n) {
                c.commit_all();
            }
            stats.position.store(position + n as u64, Ordering::SeqCst);
            self.seen_flush = req;
            self.shared.flush_ack.store(req, Ordering::SeqCst);
            self.buffering = true;
            self.waited = 0;
        }
        let available = consumer.slots();
        if self.buffering {
            if available >= self.prebuffer || (available > 0 && self.waited >= self.max_wait_chunks) {
                self.buffering = false;
            } else if available > 0 {
                self.waited += 1;
            }
        }
        let take = if self.buffering { 0 } else { available.min(CHUNK) };
        if !self.buffering && take == 0 {
            self.buffering = true;
            self.waited = 0;
            stats.underruns.fetch_add(1, Ordering::Relaxed);
        }
        self.input.fill(0.0);
        if take > 0
            && let Ok(c) = consumer.read_chunk(take)
        {
            let (a, b) = c.as_slices();
            for (dst, &s) in self.input.iter_mut().zip(a.iter().chain(b)) {
                *dst = f32::from(s) / 32768.0;
            }
            c.commit_all();
            stats.position.fetch_add(take as u64, Ordering::SeqCst);
            stats.played.fetch_add(take as u64, Ordering::SeqCst);
        }
        let out = self.to_device.process_chunk(&self.input);
        let n = out.len().min(self.out.len());
        self.out[..n].copy_from_slice(&out[..n]);
        self.out_len = n;
        self.out_pos = 0;
        if let Some(far) = self.far.as_mut() {
            let reference: &[f32] = match self.to_reference.as_mut() {
                None => &self.out[..n],
                Some(r) => r.process_chunk(&self.input),
            };
            let room = far.slots().min(reference.len());
            if room < reference.len() {
                stats
                    .far_end_dropped
                    .fetch_add((reference.len() - room) as u64, Ordering::Relaxed);
            }
            if let Ok(c) = far.write_chunk_uninit(room) {
                c.fill_from_iter(reference.iter().copied());
            }
        }
        stats.chunks.fetch_add(1, Ordering::Relaxed);
        stats
            .process_ns
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
}

impl Iterator for StreamSource {
    type Item = rodio::Sample;

    fn next(&mut self) -> Option<Self::Item> {
        if self.channel == 0 {
            if self.out_pos >= self.out_len {
                if self.shared.shutdown.load(Ordering::Relaxed) {
                    return None;
                }
                self.refill();
                if self.out_len == 0 {
                    return Some(0.0);
                }
            }
            self.current = self.out[self.out_pos];
            self.out_pos += 1;
        }
        self.channel = (self.channel + 1) % self.channels;
        Some(self.current)
    }
}

impl Source for StreamSource {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        NonZero::new(self.channels).unwrap_or(NonZero::<u16>::MIN)
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        NonZero::new(self.rate).unwrap_or(NonZero::<u32>::MIN)
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}

impl Drop for StreamSource {
    fn drop(&mut self) {
        // Give the rings back for the next device stream.
        if let Some(c) = self.consumer.take() {
            self.jitter_slot.put(c);
        }
        if let (Some(p), Some(slot)) = (self.far.take(), self.far_slot.as_ref()) {
            slot.0.put(p);
        }
    }
}
