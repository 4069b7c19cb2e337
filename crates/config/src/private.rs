//! Folders and files that hold visitor data (the store, the logs, keys) are private to the
//! user Donna runs as, whatever the umask: folders 0700, files 0600, from the moment they exist.

use std::io;
use std::path::Path;

/// Create `dir` and any missing parents as private folders (0700). Folders that already exist
/// keep their mode: `donna doctor` reports one that others can read.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Create `path` as an empty private file (0600) unless it exists, so that whatever opens it
/// next (SQLite, the log appender) keeps that mode.
pub fn create_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The secret kept in `path`, else a new one from `make` written there readable by the owner
/// only (0600) and synced, so a restart keeps what was handed out with it working. Two
/// processes starting at once agree: the loser of the race reads the winner's secret.
pub fn read_or_create_secret(path: &Path, make: impl FnOnce() -> String) -> io::Result<String> {
    if let Some(secret) = read_secret(path)? {
        return Ok(secret);
    }
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    let secret = make();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(secret.as_bytes())?;
            file.sync_all()?;
            Ok(secret)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => read_secret(path)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the file is empty: delete it to make a new secret",
            )
        }),
        Err(e) => Err(e),
    }
}

/// The trimmed contents of `path`; `None` when it does not exist.
fn read_secret(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the file is empty: delete it to make a new secret",
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether users other than the owner may read or enter `path` (a folder or a file).
pub fn readable_by_others(path: &Path) -> io::Result<bool> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(meta.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok(false)
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_private_and_existing_files_are_kept() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        create_dir(&dir).unwrap();
        assert_eq!((mode(&root.path().join("a")), mode(&dir)), (0o700, 0o700));
        let file = dir.join("donna.sqlite3");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::write(&file, b"kept").unwrap();
        create_file(&file).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"kept");
        assert!(!readable_by_others(&dir).unwrap());
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(readable_by_others(&dir).unwrap());
    }

    #[test]
    fn a_secret_is_made_once_kept_private_and_read_back() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("keys/signing.key");
        let first = read_or_create_secret(&path, || "first".into()).unwrap();
        let again = read_or_create_secret(&path, || "second".into()).unwrap();
        assert_eq!((first.as_str(), again.as_str()), ("first", "first"));
        assert_eq!((mode(&path), mode(path.parent().unwrap())), (0o600, 0o700));
        std::fs::write(&path, "  \n").unwrap();
        let err = read_or_create_secret(&path, || "third".into()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
