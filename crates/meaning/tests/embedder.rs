//! The sentence model as installed: it loads, says the same in a batch as one by one, puts
//! sentences that mean the same near each other, and a missing or broken file is an error
//! that names it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};

use donna_meaning::{Embedder, MeaningError, similarity};

fn model_dir() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("DONNA_MODELS_DIR") else {
        assert!(std::env::var_os("CI").is_none(), "CI installs the sentence model");
        return None;
    };
    Some(donna_models::check_sentence_model(Path::new(&dir)).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn meanings_near_and_far_and_the_same_in_a_batch() {
    let Some(dir) = model_dir() else { return };
    let model = Embedder::load(&dir).unwrap();
    let texts = [
        "Where can I park my car?",
        "Is there a car park?",
        "What is the Wi-Fi password?",
        "",
        "I have an appointment with Dr Chen at half past ten this morning, I think",
    ];
    let one_by_one: Vec<Vec<f32>> = texts.iter().map(|t| model.embed(t).unwrap()).collect();
    let batch = model.embed_all(&texts).unwrap();
    for (a, b) in one_by_one.iter().zip(&batch) {
        assert_eq!(a.len(), 384);
        assert!(
            similarity(a, b) > 0.999,
            "batch and single differ: {}",
            similarity(a, b)
        );
        let norm = similarity(a, a);
        assert!((norm - 1.0).abs() < 1e-4, "not a unit vector: {norm}");
    }
    let parking = similarity(&batch[0], &batch[1]);
    let unrelated = similarity(&batch[0], &batch[2]);
    assert!(
        parking > 0.6 && unrelated < 0.3,
        "parking {parking}, unrelated {unrelated}"
    );
    assert!(model.embed_all(&[]).unwrap().is_empty());
}

#[test]
fn a_missing_or_broken_file_is_named() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let err = Embedder::load(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, MeaningError::Read { path, .. } if path.ends_with("config.json")),
        "{err}"
    );
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(dir.join(file), tmp.path().join(file)).unwrap();
    }
    std::fs::write(tmp.path().join("model.safetensors"), b"not weights").unwrap();
    let err = Embedder::load(tmp.path()).unwrap_err();
    assert!(matches!(&err, MeaningError::Weights { .. }), "{err}");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}
