//! A daily log file written in the logging thread itself: each event is one `write` to the file
//! under a short lock.
//!
//! This replaces a channel to a writer thread, which woke that thread once per event: under a
//! flood of requests that wake-up cost more than the request itself. A direct write costs one
//! system call and leaves the line in the kernel at once, so nothing is lost when the process is
//! killed (a buffer flushed by a timer lost the last lines of a GUI session that way).

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_appender::rolling::RollingFileAppender;
use tracing_subscriber::fmt::MakeWriter;

/// A rolling file shared by every thread that logs; clones write to the same file.
#[derive(Clone)]
pub struct SharedFile {
    inner: Arc<Mutex<RollingFileAppender>>,
}

impl std::fmt::Debug for SharedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedFile")
    }
}

impl SharedFile {
    pub fn new(appender: RollingFileAppender) -> Self {
        Self {
            inner: Arc::new(Mutex::new(appender)),
        }
    }

    /// Ask the file to flush (the appender does not buffer; this is for completeness at exit).
    pub fn flush(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let _ = inner.flush();
    }
}

/// One event's bytes, written in one piece.
#[derive(Debug)]
pub struct SharedFileWriter(SharedFile);

impl Write for SharedFileWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut inner = self.0.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.write_all(data)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for SharedFile {
    type Writer = SharedFileWriter;

    fn make_writer(&'a self) -> SharedFileWriter {
        SharedFileWriter(self.clone())
    }
}
