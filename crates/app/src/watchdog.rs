//! The kiosk window's watchdog. The page proves it is alive by beating (it invokes a command
//! every second, which needs its script, the IPC bridge and the app's event loop all working).
//! When the beats stop, the watchdog first reloads the page (a hung script, a web process
//! that died or went astray); if that brings no beat back, it ends the app with
//! [`RESTART_EXIT_CODE`] for [`crate::supervise`] to start it again.
//!
//! The decision ([`Watchdog::check`]) is separate from the thread that acts on it, so it is
//! tested without waiting.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The exit status that asks the supervisor for a fresh start ("temporary failure", as in
/// sysexits.h).
pub const RESTART_EXIT_CODE: i32 = 75;

/// How long the watchdog waits before acting.
#[derive(Debug, Clone, Copy)]
pub struct WatchdogPolicy {
    /// The page's first beat may take this long (a cold start on a slow kiosk).
    pub first_beat: Duration,
    /// Silence after a beat that counts as a stopped page. The page beats every second; a
    /// busy machine can delay a few.
    pub stall: Duration,
    /// How long a reload has to bring the beats back before the app is restarted.
    pub reload_grace: Duration,
}

impl Default for WatchdogPolicy {
    fn default() -> Self {
        Self {
            first_beat: Duration::from_secs(60),
            stall: Duration::from_secs(6),
            reload_grace: Duration::from_secs(20),
        }
    }
}

/// What the watchdog wants done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Reload the page.
    Reload,
    /// End the app for the supervisor to start again.
    Restart,
}

#[derive(Debug)]
struct Beats {
    /// The last beat, or the start before the first.
    last: Instant,
    beaten: bool,
    /// When the page was last reloaded for this silence.
    reloaded: Option<Instant>,
}

/// Shared between the page's heartbeat command, the watching thread and `/api/health`.
#[derive(Debug, Clone)]
pub struct Watchdog {
    beats: Arc<Mutex<Beats>>,
    reloads: Arc<AtomicU32>,
    policy: WatchdogPolicy,
}

impl Watchdog {
    pub fn new(policy: WatchdogPolicy) -> Self {
        Self {
            beats: Arc::new(Mutex::new(Beats {
                last: Instant::now(),
                beaten: false,
                reloaded: None,
            })),
            reloads: Arc::new(AtomicU32::new(0)),
            policy,
        }
    }

    fn beats(&self) -> std::sync::MutexGuard<'_, Beats> {
        self.beats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The page is alive.
    pub fn beat(&self) {
        let mut beats = self.beats();
        beats.last = Instant::now();
        beats.beaten = true;
        beats.reloaded = None;
    }

    /// How long since the page's last beat; `None` before its first.
    pub fn silent_for(&self) -> Option<Duration> {
        let beats = self.beats();
        beats.beaten.then(|| beats.last.elapsed())
    }

    /// How many times the page was reloaded to bring it back.
    pub fn reloads(&self) -> u32 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// The page was reloaded (by the watchdog, or at once when its web process died): its
    /// next beat is awaited as a first beat after a reload.
    pub fn reloaded(&self, at: Instant) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        self.beats().reloaded = Some(at);
    }

    /// What to do at `now`, if anything.
    pub fn check(&self, now: Instant) -> Option<Action> {
        let beats = self.beats();
        let limit = if beats.beaten {
            self.policy.stall
        } else {
            self.policy.first_beat
        };
        if now.saturating_duration_since(beats.last) < limit {
            return None;
        }
        match beats.reloaded {
            None => Some(Action::Reload),
            Some(at) if now.saturating_duration_since(at) >= self.policy.reload_grace => {
                Some(Action::Restart)
            }
            Some(_) => None,
        }
    }

    /// Watch on a thread of its own (an app whose async runtime or event loop is stuck must
    /// still be seen): `act` is called with each action; a reload is counted when asked for.
    pub fn spawn(&self, act: impl Fn(Action) + Send + 'static) -> std::io::Result<()> {
        let watchdog = self.clone();
        std::thread::Builder::new()
            .name("watchdog".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(500));
                    let now = Instant::now();
                    match watchdog.check(now) {
                        Some(Action::Reload) => {
                            tracing::warn!(
                                silent_ms = watchdog.silence_ms(now),
                                "the kiosk page stopped answering: reloading it"
                            );
                            watchdog.reloaded(now);
                            act(Action::Reload);
                        }
                        Some(Action::Restart) => {
                            tracing::error!(
                                silent_ms = watchdog.silence_ms(now),
                                "the kiosk page did not come back: restarting the app"
                            );
                            act(Action::Restart);
                            return;
                        }
                        None => {}
                    }
                }
            })
            .map(|_| ())
    }

    fn silence_ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.beats().last).as_millis() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn policy() -> WatchdogPolicy {
        WatchdogPolicy {
            first_beat: S(30),
            stall: S(5),
            reload_grace: S(10),
        }
    }

    #[test]
    fn a_page_that_stops_beating_is_reloaded_then_the_app_restarted() {
        let dog = Watchdog::new(policy());
        let start = Instant::now();
        dog.beat();
        assert_eq!(dog.check(start + S(4)), None, "a short silence is tolerated");
        assert_eq!(dog.check(start + S(6)), Some(Action::Reload));
        dog.reloaded(start + S(6));
        assert_eq!(dog.reloads(), 1);
        assert_eq!(dog.check(start + S(7)), None, "the reload is given its grace");
        assert_eq!(dog.check(start + S(15)), None);
        assert_eq!(dog.check(start + S(17)), Some(Action::Restart));
    }

    #[test]
    fn a_beat_after_a_reload_ends_the_alarm() {
        let dog = Watchdog::new(policy());
        let start = Instant::now();
        dog.beat();
        dog.reloaded(start + S(6));
        dog.beat();
        let after = Instant::now();
        assert_eq!(dog.check(after + S(4)), None);
        assert_eq!(
            dog.check(after + S(6)),
            Some(Action::Reload),
            "a later silence is reloaded first again"
        );
    }

    #[test]
    fn the_first_beat_gets_the_cold_start_allowance() {
        let dog = Watchdog::new(policy());
        let start = Instant::now();
        assert_eq!(dog.silent_for(), None);
        assert_eq!(dog.check(start + S(20)), None);
        assert_eq!(dog.check(start + S(31)), Some(Action::Reload));
    }
}
