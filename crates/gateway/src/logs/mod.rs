//! Logs: structured, scrubbed, rotated, expired.
//!
//! - stderr: human-readable lines for whoever runs the process;
//! - `<dir>/donna.YYYY-MM-DD.log`: JSON lines, the operational log;
//! - `<dir>/security.YYYY-MM-DD.log`: JSON lines, the security log only (target
//!   [`crate::security::TARGET`]), a separate stream for audits;
//!
//! Every line passes the [`Scrubber`] before it is written, in every sink: the JSON lines field
//! by field as they are formatted ([`ScrubbedJson`]), the console's line by line. Files rotate daily
//! and a [`retention`] thread deletes those older than the configured number of days.

pub mod file;
pub mod json;
pub mod retention;
pub mod scrub;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;

use self::file::SharedFile;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use json::ScrubbedJson;
pub use scrub::Scrubber;

use crate::GatewayError;
use crate::security;

/// File name prefixes of the log streams, which the retention policy also matches.
pub const MAIN_PREFIX: &str = "donna";
pub const SECURITY_PREFIX: &str = "security";

/// What [`init`] needs.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub dir: PathBuf,
    /// `error`, `warn`, `info`, `debug` or `trace`, for Donna's own crates.
    pub level: String,
    pub retention_days: u32,
    /// Crate names (as tracing targets) that log at `level`; others only warnings.
    pub crates: Vec<String>,
    pub scrubber: Scrubber,
}

/// Keeps the retention thread alive; dropping it stops the thread.
#[derive(Debug)]
pub struct LogGuard {
    main: SharedFile,
    security: SharedFile,
    _stop_retention: std::sync::mpsc::Sender<()>,
}

impl LogGuard {
    /// Flush the files, for exits that skip destructors (a GUI event loop that ends the
    /// process itself). Lines are written as they are logged, so this is a formality.
    pub fn flush(&self) {
        self.main.flush();
        self.security.flush();
    }
}

/// Install the global subscriber with the three sinks and start the retention thread.
pub fn init(config: LogConfig) -> Result<LogGuard, GatewayError> {
    donna_config::private::create_dir(&config.dir)
        .map_err(|e| GatewayError::Logging(format!("{}: {e}", config.dir.display())))?;
    let daily = |prefix: &str| {
        file::prepare(&config.dir, prefix);
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix(prefix)
            .filename_suffix("log")
            .build(&config.dir)
            .map_err(|e| GatewayError::Logging(e.to_string()))
    };
    let main_file = SharedFile::new(daily(MAIN_PREFIX)?, &config.dir, MAIN_PREFIX);
    let security_file = SharedFile::new(daily(SECURITY_PREFIX)?, &config.dir, SECURITY_PREFIX);
    let scrubber = Arc::new(config.scrubber.clone());
    let is_security = |meta: &tracing::Metadata<'_>| meta.target() == security::TARGET;

    let mut filter = format!("warn,{}=info", security::TARGET);
    for name in &config.crates {
        filter.push_str(&format!(",{name}={}", config.level));
    }
    tracing_subscriber::registry()
        .with(EnvFilter::new(filter))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(Scrubbing::text(std::io::stderr, scrubber.clone()))
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(false)
                .compact()
                // Refusals show on the console; every issued credential only in its file.
                .with_filter(filter_fn(move |meta| {
                    !is_security(meta) || *meta.level() <= Level::WARN
                })),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(ScrubbedJson::new(scrubber.clone()))
                .with_writer(main_file.clone())
                .with_filter(filter_fn(move |meta| !is_security(meta))),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .event_format(ScrubbedJson::new(scrubber))
                .with_writer(security_file.clone())
                .with_filter(filter_fn(is_security)),
        )
        .try_init()
        .map_err(|e| GatewayError::Logging(e.to_string()))?;

    let (stop, stopped) = std::sync::mpsc::channel();
    retention::spawn(
        config.dir.clone(),
        vec![MAIN_PREFIX.to_owned(), SECURITY_PREFIX.to_owned()],
        config.retention_days,
        stopped,
    );
    Ok(LogGuard {
        main: main_file,
        security: security_file,
        _stop_retention: stop,
    })
}

/// A `MakeWriter` that scrubs each formatted human-readable line before handing it to the
/// real writer.
#[derive(Debug, Clone)]
pub struct Scrubbing<M> {
    inner: M,
    scrubber: Arc<Scrubber>,
}

impl<M> Scrubbing<M> {
    /// For human-readable lines: the by-field rule on `key=value` pairs, then by shape.
    pub fn text(inner: M, scrubber: Arc<Scrubber>) -> Self {
        Self { inner, scrubber }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbing<M> {
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter {
            inner: self.inner.make_writer(),
            scrubber: self.scrubber.clone(),
            buf: Vec::with_capacity(256),
        }
    }
}

/// Collects one event (the formatter writes it in pieces) and writes it scrubbed on drop.
#[derive(Debug)]
pub struct ScrubbingWriter<W: Write> {
    inner: W,
    scrubber: Arc<Scrubber>,
    buf: Vec<u8>,
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for ScrubbingWriter<W> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let line = String::from_utf8_lossy(&self.buf);
        let clean = self.scrubber.text_line(&line);
        // Nowhere to report a failed log write; the next event tries again.
        let _ = self.inner.write_all(clean.as_bytes());
        let _ = self.inner.flush();
    }
}
