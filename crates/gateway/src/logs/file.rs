//! A daily log file behind a buffer: events are appended under a short lock and written out by
//! a flusher thread every [`FLUSH_INTERVAL`] (and whenever the buffer fills, and on drop).
//!
//! This replaces a channel to a writer thread, which woke that thread once per event: under a
//! flood of requests that wake-up cost more than the request itself. The price is that up to
//! [`FLUSH_INTERVAL`] of lines can be lost if the process is killed hard; a clean shutdown
//! flushes everything.

use std::io::{BufWriter, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing_appender::rolling::RollingFileAppender;
use tracing_subscriber::fmt::MakeWriter;

/// How often buffered lines reach the file.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(500);
const BUFFER_BYTES: usize = 64 * 1024;

/// A rolling file with a shared buffer; clones write to the same file.
#[derive(Clone)]
pub struct BufferedFile {
    inner: Arc<Mutex<BufWriter<RollingFileAppender>>>,
}

impl std::fmt::Debug for BufferedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BufferedFile")
    }
}

/// Flushes the file on drop and stops its flusher thread.
#[derive(Debug)]
pub struct FlushGuard {
    file: BufferedFile,
    _stop: Sender<()>,
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.file.flush();
    }
}

impl BufferedFile {
    /// Buffer `appender` and start its flusher thread.
    pub fn new(appender: RollingFileAppender) -> (Self, FlushGuard) {
        let file = Self {
            inner: Arc::new(Mutex::new(BufWriter::with_capacity(BUFFER_BYTES, appender))),
        };
        let (stop, stopped) = std::sync::mpsc::channel();
        let flusher = file.clone();
        let run = move || flush_until(flusher, stopped);
        if let Err(e) = std::thread::Builder::new().name("log-flush".into()).spawn(run) {
            // Lines still reach the file whenever the buffer fills, and at shutdown.
            eprintln!("cannot start the log flusher thread: {e}");
        }
        (file.clone(), FlushGuard { file, _stop: stop })
    }

    fn flush(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let _ = inner.flush();
    }
}

fn flush_until(file: BufferedFile, stop: Receiver<()>) {
    loop {
        match stop.recv_timeout(FLUSH_INTERVAL) {
            Err(RecvTimeoutError::Timeout) => file.flush(),
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// One event's bytes, appended to the buffer in one piece.
#[derive(Debug)]
pub struct BufferedWriter(BufferedFile);

impl Write for BufferedWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut inner = self.0.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.write_all(data)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Flushing per event is what the buffer avoids; the flusher thread does it.
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferedFile {
    type Writer = BufferedWriter;

    fn make_writer(&'a self) -> BufferedWriter {
        BufferedWriter(self.clone())
    }
}
