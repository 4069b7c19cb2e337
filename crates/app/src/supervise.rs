//! The kiosk under its own supervisor. `donna --kiosk` (with the watchdog on) runs itself
//! again as a child and starts that child anew whenever it ends other than cleanly: a crash, a
//! kill, or the watchdog's [`crate::watchdog::RESTART_EXIT_CODE`]. A clean exit (the window
//! closed, SIGTERM) ends both. SIGTERM and SIGINT to the supervisor are passed to the child,
//! and the child is told by the kernel to end if the supervisor dies (Linux), so a kiosk is
//! never left running unsupervised or twice.
//!
//! A kiosk started at login by the desktop (`donna autostart`) has no service manager to
//! restart it; this is that service manager, in one process of a few megabytes.

use std::ffi::OsString;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::error::AppError;

/// Set in the child's environment to the supervisor's process id.
pub const SUPERVISED_ENV: &str = "DONNA_SUPERVISED";

/// The first wait before a restart, doubled after each quick failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A child that ran this long had a good run: the next restart waits the first backoff again.
const GOOD_RUN: Duration = Duration::from_secs(60);
/// A start-up error (exit status 2: bad settings, another kiosk running) this soon after the
/// first start is the operator's to fix: it is reported, not retried.
const STARTUP_WINDOW: Duration = Duration::from_secs(15);
/// How long the child has to close cleanly after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// True in the child a supervisor started.
pub fn is_supervised() -> bool {
    std::env::var_os(SUPERVISED_ENV).is_some()
}

/// In the child: end with the supervisor. Asked of the kernel (Linux); if the supervisor is
/// already gone, end now.
pub fn bind_to_supervisor() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Signal, getppid, set_parent_process_death_signal};
        if let Err(e) = set_parent_process_death_signal(Some(Signal::TERM)) {
            tracing::warn!(error = %e, "cannot ask to end with the supervisor");
        }
        let expected = std::env::var(SUPERVISED_ENV)
            .ok()
            .and_then(|v| v.parse::<i32>().ok());
        let parent = getppid().map(|p| p.as_raw_nonzero().get());
        if expected.is_some() && parent != expected {
            eprintln!("donna: the supervisor has gone; exiting");
            std::process::exit(0);
        }
    }
}

/// Why the supervisor stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The kiosk closed cleanly, or was told to stop.
    Clean,
    /// The kiosk could not start; its own message said why. The status to exit with.
    StartFailed(i32),
}

/// Run this program again with the same arguments under supervision until it ends cleanly.
/// Lines about restarts go to stderr (the child keeps the log files).
pub fn run() -> Result<Stopped, AppError> {
    let exe = std::env::current_exe().map_err(AppError::Runtime)?;
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    runtime.block_on(supervise(exe, args))
}

async fn supervise(exe: std::path::PathBuf, args: Vec<OsString>) -> Result<Stopped, AppError> {
    let mut stop = StopSignals::new().map_err(AppError::Runtime)?;
    let mut backoff = FIRST_BACKOFF;
    let mut first = true;
    loop {
        let started = Instant::now();
        let mut child = Command::new(&exe)
            .args(&args)
            .env(SUPERVISED_ENV, std::process::id().to_string())
            .kill_on_drop(true)
            .spawn()
            .map_err(AppError::Runtime)?;
        let status = tokio::select! {
            status = child.wait() => status.map_err(AppError::Runtime)?,
            () = stop.recv() => {
                stop_child(&mut child).await;
                return Ok(Stopped::Clean);
            }
        };
        let ran = started.elapsed();
        match status.code() {
            Some(0) => return Ok(Stopped::Clean),
            Some(2) if first && ran < STARTUP_WINDOW => return Ok(Stopped::StartFailed(2)),
            _ => {}
        }
        first = false;
        if ran >= GOOD_RUN {
            backoff = FIRST_BACKOFF;
        }
        eprintln!(
            "donna: the kiosk ended ({}) after {:.1} s; starting it again in {} ms",
            describe(status),
            ran.as_secs_f64(),
            backoff.as_millis()
        );
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stop.recv() => return Ok(Stopped::Clean),
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal {signal}");
        }
    }
    match status.code() {
        Some(crate::watchdog::RESTART_EXIT_CODE) => "the watchdog asked for a restart".to_owned(),
        Some(code) => format!("exit status {code}"),
        None => "unknown status".to_owned(),
    }
}

/// Pass SIGTERM to the child and wait for it to close; kill it if it does not.
async fn stop_child(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32))
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        if tokio::time::timeout(STOP_GRACE, child.wait()).await.is_ok() {
            return;
        }
        eprintln!("donna: the kiosk did not close in time; killing it");
    }
    let _ = child.kill().await;
}

/// SIGTERM or SIGINT to the supervisor.
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    #[cfg(unix)]
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
