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

/// What a device thread does after its stream failed or would not open.
pub(crate) struct Reopen<'a> {
    /// "microphone" or "speaker", for the log.
    pub what: &'static str,
    /// The pause between failed attempts.
    pub retry: Duration,
    /// Keep trying when the very first open fails.
    pub persistent: bool,
    pub state: &'a watch::Sender<DeviceState>,
    pub stop: &'a AtomicBool,
}

/// Answers the thread that started the stream, once.
pub(crate) type Ready = Option<std::sync::mpsc::SyncSender<Result<(), AudioError>>>;

impl Reopen<'_> {
    /// Report `error`, publish the lost state and wait before the next attempt: not at all when
    /// the stream had been running for a while (`ran`), so a visitor loses as little audio as
    /// can be; `retry` otherwise, so a device that fails at once is not hammered. `false` means
    /// give up: the first open failed and the caller wants the error rather than retries.
    pub(crate) fn after(&self, error: AudioError, ran: Duration, ready: &mut Ready) -> bool {
        if let Some(r) = ready.take() {
            if !self.persistent {
                let _ = r.send(Err(error));
                return false;
            }
            let _ = r.send(Ok(()));
        }
        let pause = if ran >= STALL { Duration::ZERO } else { self.retry };
        tracing::warn!(error = %error, device = self.what, "audio device lost; retrying");
        self.state.send_replace(DeviceState::Lost {
            error: error.to_string(),
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
