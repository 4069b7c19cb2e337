//! The CPU time this process has used, for benches that report cost next to speed. Shared by
//! the crates' benches with `#[path]`: the time a bench's own threads spend, none of another
//! process's (a load generator's, say).

/// User and system CPU time of this process so far, in seconds, from `/proc/self/stat`; 0 where
/// it cannot be read (not Linux).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15 of the whole line, in ticks of 100 a second (the
    // kernel's USER_HZ on Linux).
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
