//! The retention policy: log files older than the configured number of days are deleted, at
//! start-up and then every hour, by a thread that stops with the logging guard.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, SystemTime};

/// How often the sweeper looks.
const SWEEP_INTERVAL: Duration = Duration::from_secs(3600);

/// Delete the files in `dir` named `<prefix>.<YYYY-MM-DD>.log` for one of `prefixes` whose date is
/// more than `keep_days` days before `now`. Files without a date in their name are judged by
/// their modification time. Other files are never touched. Returns what was deleted.
pub fn sweep(
    dir: &Path,
    prefixes: &[&str],
    keep_days: u32,
    now: SystemTime,
) -> std::io::Result<Vec<PathBuf>> {
    let cutoff = now
        .checked_sub(Duration::from_secs(u64::from(keep_days) * 86_400))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut deleted = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(prefix) = prefixes
            .iter()
            .find(|p| name.starts_with(&format!("{p}.")) && name.ends_with(".log"))
        else {
            continue;
        };
        // `donna.log` has no middle at all: `get` returns None for the inverted range.
        let middle = name
            .get(prefix.len() + 1..name.len() - ".log".len())
            .unwrap_or_default();
        let written = match file_date(middle) {
            Some(date) => date,
            None => match entry.metadata().and_then(|m| m.modified()) {
                Ok(t) => t,
                Err(_) => continue,
            },
        };
        // A daily file holds a whole day: it expires when its *end* is past the cutoff.
        if written + Duration::from_secs(86_400) <= cutoff {
            std::fs::remove_file(entry.path())?;
            deleted.push(entry.path());
        }
    }
    Ok(deleted)
}

/// The start of the UTC day a file name's `YYYY-MM-DD` names.
fn file_date(text: &str) -> Option<SystemTime> {
    let date: jiff::civil::Date = text.parse().ok()?;
    let ts = date.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    let secs = u64::try_from(ts.as_second()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// Sweep now and then every hour until `stop` is dropped or signalled.
pub fn spawn(dir: PathBuf, prefixes: Vec<String>, keep_days: u32, stop: Receiver<()>) {
    let run = move || {
        loop {
            let prefixes: Vec<&str> = prefixes.iter().map(String::as_str).collect();
            match sweep(&dir, &prefixes, keep_days, SystemTime::now()) {
                Ok(deleted) if !deleted.is_empty() => {
                    tracing::info!(count = deleted.len(), keep_days, "old log files deleted");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, dir = %dir.display(), "log retention sweep failed"),
            }
            match stop.recv_timeout(SWEEP_INTERVAL) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("log-retention".into())
        .spawn(run)
    {
        tracing::warn!(error = %e, "cannot start the log retention thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_dated_files_go_and_everything_else_stays() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "donna.2026-11-01.log",
            "donna.2026-11-20.log",
            "donna.2026-11-26.log",
            "security.2026-10-01.log",
            "security.2026-11-25.log",
            "notes.2020-01-01.log",
            "donna.2020-01-01.txt",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let now = file_date("2026-11-26").unwrap() + Duration::from_secs(3600);
        let mut deleted = sweep(dir.path(), &["donna", "security"], 7, now).unwrap();
        deleted.sort();
        let names: Vec<_> = deleted
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["donna.2026-11-01.log", "security.2026-10-01.log"]);
        assert!(dir.path().join("donna.2026-11-20.log").exists());
        assert!(dir.path().join("notes.2020-01-01.log").exists());
        assert!(dir.path().join("donna.2020-01-01.txt").exists());
    }

    #[test]
    fn undated_files_are_judged_by_their_age() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("donna.log");
        std::fs::write(&path, "x").unwrap();
        let old = SystemTime::now() - Duration::from_secs(40 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(
            sweep(dir.path(), &["donna"], 30, SystemTime::now())
                .unwrap()
                .len()
                == 1
        );
    }
}
