//! The business's clock: the one instant every part of Donna reads when it asks "what time is
//! it?" for the calendar — which hours apply, what "today" is for the staff lists and the
//! overview, and the stamps on visits, messages and staff events.
//!
//! It is built once (from `DONNA_FIXED_TIME` or the system clock) and handed to the desk; the
//! store, the gateway and the engine read it through [`crate::Desk::clock`], so a stopped clock
//! stops all of them together. A visit stamped by one clock and listed by another would vanish
//! from "today" — the reason this type exists.
//!
//! What it is not for: credentials and deliveries that other systems check against their own
//! clocks (JWT expiry, client-secret expiry, webhook signature timestamps and retries) and files
//! the operating system dates (log retention). Those follow the system clock, so a stopped
//! demonstration clock can never make a token eternal or delete today's logs.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::{SignedDuration, Timestamp};

/// A clock shared by reference: clones read (and wind) the same time.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None` reads the system clock; `Some` holds a stopped instant in nanoseconds since the
    /// Unix epoch, moved only by [`Clock::advance`] and [`Clock::set`].
    stopped_ns: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { stopped_ns: None }
    }

    /// A clock stopped at `at`, for demonstrations and reproducible tests.
    pub fn stopped(at: Timestamp) -> Self {
        Self {
            stopped_ns: Some(Arc::new(AtomicI64::new(nanos(at)))),
        }
    }

    /// Whether this clock stands still (set from `DONNA_FIXED_TIME` or by a test).
    pub fn is_stopped(&self) -> bool {
        self.stopped_ns.is_some()
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        match &self.stopped_ns {
            None => Timestamp::now(),
            Some(ns) => from_nanos(ns.load(Ordering::Relaxed)),
        }
    }

    /// The current instant in milliseconds since the Unix epoch, as the store keeps it.
    pub fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }

    /// Move a stopped clock on by `by` (every clone sees it). The system clock cannot be wound:
    /// this is a no-op there.
    pub fn advance(&self, by: SignedDuration) {
        if let Some(ns) = &self.stopped_ns {
            let by = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
            // fetch_update's closure always returns Some, so this cannot fail.
            let _ = ns.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                Some(t.saturating_add(by))
            });
        }
    }

    /// Set a stopped clock to `at` (every clone sees it); a no-op on the system clock.
    pub fn set(&self, at: Timestamp) {
        if let Some(ns) = &self.stopped_ns {
            ns.store(nanos(at), Ordering::Relaxed);
        }
    }
}

/// What a screen needs to show the business's time: the instant and the zone to read it in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reading {
    /// Milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// The business's IANA time zone, e.g. `Europe/London`.
    pub time_zone: String,
    /// Whether the clock is stopped (`DONNA_FIXED_TIME`).
    pub stopped: bool,
}

fn nanos(at: Timestamp) -> i64 {
    i64::try_from(at.as_nanosecond()).unwrap_or(if at.as_second() < 0 { i64::MIN } else { i64::MAX })
}

fn from_nanos(ns: i64) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(ns)).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_clock_stands_still_until_wound_and_clones_share_it() {
        let at: Timestamp = "2026-11-29T03:00:00Z".parse().unwrap();
        let clock = Clock::stopped(at);
        let other = clock.clone();
        assert!(clock.is_stopped());
        assert_eq!(clock.now(), at);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(other.now(), at, "a stopped clock does not move by itself");
        other.advance(SignedDuration::from_mins(90));
        assert_eq!(clock.now(), at + SignedDuration::from_mins(90));
        clock.set(at);
        assert_eq!(other.now_ms(), at.as_millisecond());
    }

    #[test]
    fn the_system_clock_runs_and_cannot_be_wound() {
        let clock = Clock::system();
        assert!(!clock.is_stopped());
        let before = Timestamp::now();
        clock.advance(SignedDuration::from_hours(48));
        let read = clock.now();
        assert!(read >= before && read < before + SignedDuration::from_hours(1));
    }
}
