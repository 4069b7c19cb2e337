//! How many cores are free right now, so whisper takes a second thread only when it would get
//! one. On an idle two-core machine two threads halve whisper's time; when the other core is
//! busy (the kiosk's UI, another program) ggml's workers spin-wait for it and one utterance can
//! take five times as long. Linux's `/proc/stat` says what the cores did over a window (the
//! visitor's utterance); `/proc/loadavg` stands in when the window is too short to judge.

use std::time::{Duration, Instant};

/// A window shorter than this says too little (the kernel counts in 10 ms ticks).
const MIN_WINDOW: Duration = Duration::from_millis(500);

/// What the cores had done at one moment.
#[derive(Debug, Clone, Copy)]
pub struct CpuSnapshot {
    at: Instant,
    /// Ticks spent idle (idle and iowait) and in all, summed over cores.
    idle: u64,
    total: u64,
}

impl CpuSnapshot {
    /// Now, or `None` where `/proc/stat` cannot be read (not Linux).
    pub fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let (idle, total) = parse_stat(&stat)?;
        Some(Self {
            at: Instant::now(),
            idle,
            total,
        })
    }

    /// Cores that were free on average between this snapshot and now.
    pub fn idle_cores_since(&self, cores: usize) -> Option<f32> {
        if self.at.elapsed() < MIN_WINDOW {
            return None;
        }
        let now = Self::now()?;
        let total = now.total.checked_sub(self.total).filter(|&t| t > 0)?;
        let idle = now.idle.saturating_sub(self.idle);
        Some(idle as f32 / total as f32 * cores as f32)
    }
}

/// The idle and total ticks of the aggregate `cpu` line.
fn parse_stat(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    // user nice system idle iowait irq softirq steal [guest guest_nice, already in user/nice]
    let idle = ticks.get(3)? + ticks.get(4).copied().unwrap_or(0);
    let total = ticks.iter().take(8).sum();
    Some((idle, total))
}

/// Cores free over the last minute by the load average, where `/proc/loadavg` exists.
fn idle_cores_by_load(cores: usize) -> Option<f32> {
    let load: f32 = std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((cores as f32 - load).max(0.0))
}

/// How many of up to `max` threads to give whisper: one per free core (a core counts as free
/// from half idle: the session's own live decoding and network work take a tenth of a core or
/// two while the visitor speaks), at least one. With no measure at all, `max`, as configured.
pub fn threads_for(max: usize, window: Option<&CpuSnapshot>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let idle = window
        .and_then(|w| w.idle_cores_since(cores))
        .or_else(|| idle_cores_by_load(cores));
    match idle {
        Some(idle) => ((idle + 0.5).floor() as usize).clamp(1, max.max(1)),
        None => max.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aggregate_line_is_read() {
        let stat = "cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 3 0\nintr 1 2\n";
        // idle = idle + iowait; total = the first eight fields (guest time is inside user).
        assert_eq!(parse_stat(stat), Some((840, 1000)));
        assert_eq!(parse_stat("intr 1 2\n"), None);
        assert_eq!(parse_stat("cpu  1 x 3\n"), None);
    }

    #[test]
    fn threads_follow_the_free_cores_within_the_limit() {
        // A window too short to judge falls back to the load average, and never exceeds max.
        let just_now = CpuSnapshot::now();
        let n = threads_for(2, just_now.as_ref());
        assert!((1..=2).contains(&n), "{n}");
        assert_eq!(threads_for(1, just_now.as_ref()), 1);
        assert_eq!(threads_for(0, None).max(1), threads_for(0, None));
    }

    #[test]
    fn a_busy_core_is_not_counted_as_free() {
        let Some(start) = CpuSnapshot::now() else {
            return; // not Linux
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // Keep one core busy for the whole window.
        let until = Instant::now() + MIN_WINDOW + Duration::from_millis(100);
        let mut x = 0u64;
        while Instant::now() < until {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let idle = start.idle_cores_since(cores).expect("a long enough window");
        assert!(
            idle <= cores as f32 - 0.7,
            "{idle} of {cores} cores idle while one spun"
        );
    }
}
