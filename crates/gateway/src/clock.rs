//! The clock rate limits read: real time in production, a hand-wound one in tests, so a test can
//! exhaust a limit, move time on and see it refill without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::nanos::Nanos;

/// A monotonic clock with a manual offset. Clones share the same time.
#[derive(Debug, Clone)]
pub struct GatewayClock {
    /// `None` for a manual clock, which only moves when [`GatewayClock::advance`] is called.
    start: Option<Instant>,
    offset_ns: Arc<AtomicU64>,
}

impl Default for GatewayClock {
    fn default() -> Self {
        Self::real()
    }
}

impl GatewayClock {
    pub fn real() -> Self {
        Self {
            start: Some(Instant::now()),
            offset_ns: Arc::default(),
        }
    }

    /// A clock that stands still until advanced.
    pub fn manual() -> Self {
        Self {
            start: None,
            offset_ns: Arc::default(),
        }
    }

    pub fn advance(&self, by: Duration) {
        let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_ns.fetch_add(ns, Ordering::Relaxed);
    }

    fn now_ns(&self) -> u64 {
        let real = self
            .start
            .map_or(0, |s| u64::try_from(s.elapsed().as_nanos()).unwrap_or(u64::MAX));
        real.saturating_add(self.offset_ns.load(Ordering::Relaxed))
    }
}

impl governor::clock::Clock for GatewayClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.now_ns())
    }
}
