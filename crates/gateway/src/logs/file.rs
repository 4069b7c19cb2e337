//! A daily log file written in the logging thread itself: each event is one `write` to the file.
//!
//! This replaces a channel to a writer thread, which woke that thread once per event: under a
//! flood of requests that wake-up cost more than the request itself. A direct write costs one
//! system call and leaves the line in the kernel at once, so nothing is lost when the process is
//! killed (a buffer flushed by a timer lost the last lines of a GUI session that way).
//!
//! Threads write side by side, with no lock of Donna's around the system call: the file is
//! opened for appending, and the kernel appends each `write` whole. A lock held across the call
//! made every other thread that logged wait, and sleep, for it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tracing_appender::rolling::{RollingFileAppender, RollingWriter};
use tracing_subscriber::fmt::MakeWriter;

/// A rolling file shared by every thread that logs; clones write to the same file.
#[derive(Clone)]
pub struct SharedFile {
    inner: Arc<Daily>,
}

/// The appender and what it takes to keep its files private: the appender creates each day's
/// file with the process's umask, so Donna creates it first (0600) and the appender appends.
struct Daily {
    appender: RollingFileAppender,
    dir: PathBuf,
    prefix: String,
    /// The UTC day (days since the epoch, the appender's calendar) whose files exist.
    prepared_day: AtomicI64,
}

impl Daily {
    /// Make the files of a new day private before the appender opens them. Of threads that see
    /// the new day at once, one creates the files; creating them twice would be harmless too.
    fn prepare(&self) {
        let day = jiff::Timestamp::now().as_second().div_euclid(86_400);
        let seen = self.prepared_day.load(Ordering::Relaxed);
        if day != seen
            && self
                .prepared_day
                .compare_exchange(seen, day, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            prepare(&self.dir, &self.prefix);
        }
    }
}

/// Create today's and tomorrow's files (UTC days, the appender's calendar) for `prefix` in
/// `dir` as private files, so that the appender, which creates with the umask, finds them.
/// Called before the appender is built (it opens today's file at once) and as days pass.
pub fn prepare(dir: &Path, prefix: &str) {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    for date in [Some(today), today.tomorrow().ok()].into_iter().flatten() {
        let path = dir.join(format!("{prefix}.{date}.log"));
        // On failure the appender reports the folder's problem itself when it opens the file;
        // logging here, inside the log writer, would recurse.
        let _ = donna_config::private::create_file(&path);
    }
}

impl std::fmt::Debug for SharedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedFile")
    }
}

impl SharedFile {
    /// `appender` writes `<prefix>.<date>.log` files in `dir`.
    pub fn new(appender: RollingFileAppender, dir: &Path, prefix: &str) -> Self {
        let daily = Daily {
            appender,
            dir: dir.to_owned(),
            prefix: prefix.to_owned(),
            prepared_day: AtomicI64::new(i64::MIN),
        };
        daily.prepare();
        Self {
            inner: Arc::new(daily),
        }
    }

    /// Ask the file to flush (the appender does not buffer; this is for completeness at exit).
    pub fn flush(&self) {
        let _ = self.inner.appender.make_writer().flush();
    }
}

impl<'a> MakeWriter<'a> for SharedFile {
    type Writer = RollingWriter<'a>;

    /// The day's file, made private first when the day is new. The formatter writes each event
    /// with one `write_all`, which is one `write` to a file.
    fn make_writer(&'a self) -> RollingWriter<'a> {
        self.inner.prepare();
        self.inner.appender.make_writer()
    }
}
