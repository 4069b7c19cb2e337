//! One kiosk window per data dir: a second `donna` started on the same machine (a double click,
//! an autostart racing a manual start) would fight the first for the microphone, the speaker
//! and the store. The first holds an exclusive lock on `<data dir>/donna.lock`, released by the
//! OS however the process ends, so a crash never leaves a stale lock behind.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::error::AppError;

/// Held for as long as this process is the data dir's one instance.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Become the one instance for `data_dir`, or say which process already is.
pub fn lock(data_dir: &Path) -> Result<InstanceLock, AppError> {
    let path = data_dir.join("donna.lock");
    let io = |source| AppError::DataDir {
        path: path.clone(),
        source,
    };
    donna_config::private::create_dir(data_dir).map_err(|source| AppError::DataDir {
        path: data_dir.to_owned(),
        source,
    })?;
    donna_config::private::create_file(&path).map_err(io)?;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            write!(file, "{}", std::process::id()).map_err(io)?;
            Ok(InstanceLock { _file: file })
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            Err(AppError::AlreadyRunning {
                data_dir: data_dir.to_owned(),
                pid: pid.trim().to_owned(),
            })
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "Donna is already running for {} (process {}); close it first",
                dir.path().display(),
                std::process::id()
            )
        );
        drop(first);
        assert!(lock(dir.path()).is_ok(), "free again once the first has gone");
    }
}
