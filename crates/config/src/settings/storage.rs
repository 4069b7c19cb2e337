//! The section for what Donna keeps on disk: the business profile it reads, its data dir (the
//! store, logs, keys) and the offline speech models.

use std::path::PathBuf;

use super::layers::Layers;
use super::values::default_data_dir;
use crate::ConfigError;

#[derive(Debug, Clone)]
pub struct StorageSettings {
    /// The business profile; `None` means the example profile built into the binary.
    pub profile: Option<PathBuf>,
    pub data_dir: PathBuf,
    /// Offline speech models (`DONNA_MODELS_DIR`, default `<data_dir>/models`), shared by
    /// several data dirs when set.
    pub models_dir: PathBuf,
}

impl StorageSettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        let file = layers.file;
        let profile = layers.parsed(
            "DONNA_PROFILE",
            "profile",
            file.profile.as_ref().map(|p| p.display()),
            |name, path| {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(ConfigError::invalid(
                        name,
                        format!("no profile file at {}", path.display()),
                    ));
                }
                Ok(path)
            },
        )?;
        let data_dir = layers.parsed(
            "DONNA_DATA_DIR",
            "data_dir",
            file.data_dir.as_ref().map(|p| p.display()),
            |name, dir| {
                let dir = PathBuf::from(dir);
                if dir.exists() && !dir.is_dir() {
                    return Err(ConfigError::invalid(
                        name,
                        format!("{} exists and is not a directory", dir.display()),
                    ));
                }
                Ok(dir)
            },
        )?;
        let data_dir = match data_dir {
            Some(dir) => dir,
            None => default_data_dir(layers.env)?,
        };
        let models_dir = layers
            .env
            .get("DONNA_MODELS_DIR")
            .map_or_else(|| data_dir.join("models"), PathBuf::from);
        Ok(Self {
            profile,
            data_dir,
            models_dir,
        })
    }
}
