//! How a device stream decides it is dead. cpal reports every host error through one callback,
//! but most of them are glitches the stream survives: ALSA's PulseAudio plugin, for one, answers
//! `snd_pcm_avail_delay` with a spurious EIO while a fresh stream has no timing information yet,
//! and cpal keeps streaming after it. Re-opening the device on such an error costs the visitor
//! audio, so only errors that mean the stream is gone end it; everything else is counted, and a
//! stream that stops calling back at all is caught by a stall watchdog instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::slot::Slot;
use crate::{AudioError, DeviceState};

/// How long a running stream may go without a callback before it is re-opened.
pub(crate) const STALL: Duration = Duration::from_secs(1);

/// Whether an error ends the stream (the device or the host went away, or the configuration no
/// longer holds), as opposed to a glitch the stream plays through.
pub(crate) fn is_fatal(kind: cpal::ErrorKind) -> bool {
    use cpal::ErrorKind as K;
    matches!(
        kind,
        K::DeviceNotAvailable | K::HostUnavailable | K::StreamInvalidated | K::PermissionDenied
    )
}

/// Where a stream's owner counts the errors its stream played through.
pub(crate) trait GlitchCounter: Send + Sync + 'static {
    /// The device ran dry or overflowed.
    fn xrun(&self);
    /// Any other error the stream survived.
    fn glitch(&self);
}

/// The error callback's side of a stream: what it tells the owning thread.
#[derive(Clone)]
pub(crate) struct StreamErrors {
    failed: Arc<AtomicBool>,
    message: Slot<String>,
    waker: Thread,
    counter: Arc<dyn GlitchCounter>,
}

impl StreamErrors {
    /// For the stream owned by the current thread.
    pub(crate) fn new(counter: Arc<dyn GlitchCounter>) -> Self {
        Self {
            failed: Arc::new(AtomicBool::new(false)),
            message: Slot::new(None),
            waker: std::thread::current(),
            counter,
        }
    }

    /// The error callback. Not the data path: it may allocate.
    pub(crate) fn report(&self, e: &cpal::Error) {
        match e.kind() {
            cpal::ErrorKind::Xrun => self.counter.xrun(),
            cpal::ErrorKind::RealtimeDenied => {}
            kind if is_fatal(kind) => {
                self.message.put(e.to_string());
                self.failed.store(true, Ordering::SeqCst);
                self.waker.unpark();
            }
            _ => {
                self.counter.glitch();
                tracing::debug!(error = %e, "audio stream glitch; playing through");
            }
        }
    }

    /// Why the stream ended, if it did.
    pub(crate) fn failure(&self) -> Option<String> {
        self.failed
            .load(Ordering::SeqCst)
            .then(|| self.message.take().unwrap_or_else(|| "stream error".into()))
    }
}

/// Watches a counter the device callback advances; a running stream that stops advancing it
/// has stalled even if no error said so.
pub(crate) struct Watchdog {
    last: u64,
    since: Instant,
}

impl Watchdog {
    pub(crate) fn new(counter: u64) -> Self {
        Self {
            last: counter,
            since: Instant::now(),
        }
    }

    /// `Some(why)` once the counter has not moved for [`STALL`].
    pub(crate) fn check(&mut self, counter: u64) -> Option<String> {
        if counter != self.last {
            self.last = counter;
            self.since = Instant::now();
            return None;
        }
        let idle = self.since.elapsed();
        (idle >= STALL).then(|| format!("no audio callback for {} ms", idle.as_millis()))
    }
}

/// The longest pause between attempts to open a device that is not there. A kiosk without a
/// microphone notices one plugged in within this, and tries a few thousand times a day.
pub(crate) const RETRY_CEILING: Duration = Duration::from_secs(10);

/// What a device thread does after its stream failed or would not open. One value lives for
/// the thread's whole life: it counts the failures in a row, so the pause doubles up to
/// [`RETRY_CEILING`], and it remembers the last error it logged, so a device that stays away
/// is logged once, not at every attempt.
pub(crate) struct Reopen<'a> {
    /// "microphone" or "speaker", for the log.
    pub what: &'static str,
    /// The pause after the first failed attempt.
    pub retry: Duration,
    /// Keep trying when the very first open fails.
    pub persistent: bool,
    pub state: &'a watch::Sender<DeviceState>,
    pub stop: &'a AtomicBool,
    /// Failed attempts since the device last ran.
    failures: u32,
    /// The error last written to the log, while the device stays away.
    logged: Option<String>,
}

/// Answers the thread that started the stream, once.
pub(crate) type Ready = Option<std::sync::mpsc::SyncSender<Result<(), AudioError>>>;

impl<'a> Reopen<'a> {
    pub(crate) fn new(
        what: &'static str,
        retry: Duration,
        persistent: bool,
        state: &'a watch::Sender<DeviceState>,
        stop: &'a AtomicBool,
    ) -> Self {
        Self {
            what,
            retry,
            persistent,
            state,
            stop,
            failures: 0,
            logged: None,
        }
    }

    /// The pause before the next attempt: none when the stream had been running for a while
    /// (`ran`), so a visitor loses as little audio as can be; otherwise `retry`, doubled at
    /// each failure in a row up to [`RETRY_CEILING`], so a missing device is neither hammered
    /// nor forgotten.
    fn pause(&mut self, ran: Duration) -> Duration {
        if ran >= STALL {
            self.failures = 0;
            return Duration::ZERO;
        }
        let pause = self
            .retry
            .saturating_mul(1 << self.failures.min(16))
            .min(RETRY_CEILING.max(self.retry));
        self.failures = self.failures.saturating_add(1);
        pause
    }

    /// Report `error`, publish the lost state and wait before the next attempt (see
    /// [`Self::pause`]). `false` means give up: the first open failed and the caller wants the
    /// error rather than retries.
    pub(crate) fn after(&mut self, error: AudioError, ran: Duration, ready: &mut Ready) -> bool {
        if let Some(r) = ready.take() {
            if !self.persistent {
                let _ = r.send(Err(error));
                return false;
            }
            let _ = r.send(Ok(()));
        }
        if ran >= STALL {
            self.logged = None; // it ran: a new failure is news again
        }
        let pause = self.pause(ran);
        let message = error.to_string();
        if self.logged.as_deref() != Some(message.as_str()) {
            tracing::warn!(error = %message, device = self.what, retry_in_ms = pause.as_millis() as u64, "audio device lost; retrying until it is back");
            self.logged = Some(message.clone());
        } else {
            tracing::debug!(error = %message, device = self.what, retry_in_ms = pause.as_millis() as u64, "audio device still missing");
        }
        self.state.send_replace(DeviceState::Lost {
            error: message,
            retry_in_ms: pause.as_millis() as u64,
        });
        let until = Instant::now() + pause;
        while Instant::now() < until && !self.stop.load(Ordering::SeqCst) {
            std::thread::park_timeout(Duration::from_millis(50));
        }
        true
    }
}

/// How long stopping waits for a device thread before leaving it behind.
pub(crate) const STOP_WAIT: Duration = Duration::from_secs(2);

/// Close a stream on a thread of its own. Closing a stream whose sound server went away can
/// block for ever inside libpulse (its mainloop thread waits on the dead connection while
/// cpal's stream thread holds the lock it needs), and the device thread must go on to open a
/// new stream, or to stop, whatever happens to the old one.
pub(crate) fn close_aside<S: Send + 'static>(stream: S, what: &'static str) {
    let closer = std::thread::Builder::new()
        .name(format!("{what}-close"))
        .spawn(move || drop(stream));
    if let Err(e) = closer {
        // No thread to spare: the stream is dropped with the closure, here.
        tracing::warn!(error = %e, what, "closing the stream on this thread");
    }
}

/// Join a device thread, waiting at most [`STOP_WAIT`]: stopping audio must not hang the app
/// (or a test) when a stream is stuck in its sound server. A thread still running then is
/// left behind, named in a warning.
pub(crate) fn join_within(thread: std::thread::JoinHandle<()>, what: &'static str) {
    thread.thread().unpark();
    let deadline = Instant::now() + STOP_WAIT;
    while !thread.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    if thread.is_finished() {
        let _ = thread.join();
    } else {
        tracing::warn!(what, "the device thread did not stop in time; left behind");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;

    #[test]
    fn only_a_lost_device_or_host_ends_a_stream() {
        assert!(is_fatal(cpal::ErrorKind::DeviceNotAvailable));
        assert!(is_fatal(cpal::ErrorKind::StreamInvalidated));
        assert!(!is_fatal(cpal::ErrorKind::BackendError));
        assert!(!is_fatal(cpal::ErrorKind::Xrun));
    }

    #[test]
    fn glitches_are_counted_and_fatal_errors_end_the_stream() {
        #[derive(Default)]
        struct Counts(AtomicU64, AtomicU64);
        impl GlitchCounter for Counts {
            fn xrun(&self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
            fn glitch(&self) {
                self.1.fetch_add(1, Ordering::SeqCst);
            }
        }
        let counts = Arc::new(Counts::default());
        let errors = StreamErrors::new(counts.clone());
        errors.report(&cpal::Error::with_message(
            cpal::ErrorKind::BackendError,
            "snd_pcm_avail_delay: I/O error (5)",
        ));
        errors.report(&cpal::Error::from(cpal::ErrorKind::Xrun));
        assert_eq!(errors.failure(), None);
        assert_eq!(counts.0.load(Ordering::SeqCst), 1, "one xrun");
        assert_eq!(counts.1.load(Ordering::SeqCst), 1, "one glitch");
        errors.report(&cpal::Error::with_message(
            cpal::ErrorKind::DeviceNotAvailable,
            "unplugged",
        ));
        assert!(errors.failure().is_some_and(|m| m.contains("unplugged")));
    }

    #[test]
    fn the_watchdog_fires_only_when_the_counter_stops() {
        let mut dog = Watchdog::new(0);
        assert_eq!(dog.check(1), None);
        dog.since -= STALL;
        assert_eq!(dog.check(2), None, "moving again");
        dog.since -= STALL;
        assert!(dog.check(2).is_some());
    }

    #[test]
    fn a_missing_device_is_retried_ever_more_slowly_and_a_running_one_at_once() {
        let (state, _rx) = watch::channel(DeviceState::Opening);
        let stop = AtomicBool::new(false);
        let mut reopen = Reopen::new("test", Duration::from_millis(250), true, &state, &stop);
        let pauses: Vec<u128> = (0..8).map(|_| reopen.pause(Duration::ZERO).as_millis()).collect();
        assert_eq!(pauses, [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
        // A stream that ran is re-opened at once, and the next failure starts the doubling again.
        assert_eq!(reopen.pause(STALL), Duration::ZERO);
        assert_eq!(reopen.pause(Duration::ZERO), Duration::from_millis(250));
    }

    /// Stands for a stream whose close never returns.
    struct StuckStream(std::sync::mpsc::Receiver<()>);

    impl Drop for StuckStream {
        fn drop(&mut self) {
            let _ = self.0.recv();
        }
    }

    #[test]
    fn a_stuck_stream_neither_blocks_its_thread_nor_the_stop() {
        let (release, wait) = std::sync::mpsc::channel();
        // close_aside returns while the close is still blocked.
        close_aside(StuckStream(wait), "test");
        // A device thread stuck the same way is left behind after STOP_WAIT.
        let (release2, wait2) = std::sync::mpsc::channel::<()>();
        let stuck = std::thread::spawn(move || drop(StuckStream(wait2)));
        let started = Instant::now();
        join_within(stuck, "test");
        let waited = started.elapsed();
        assert!(waited >= STOP_WAIT && waited < STOP_WAIT * 5, "{waited:?}");
        // A thread that stops is joined at once.
        let quick = std::thread::spawn(|| ());
        let started = Instant::now();
        join_within(quick, "test");
        assert!(started.elapsed() < STOP_WAIT);
        let _ = (release.send(()), release2.send(()));
    }
}
