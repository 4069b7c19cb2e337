//! The section for what Donna keeps: the business profile it reads, its data dir (the store,
//! logs, keys), the offline speech models, and the shared database when there is one.

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
    /// `DONNA_DATABASE_URL`: PostgreSQL for visits, messages and events, shared by several
    /// gateways; `None` keeps them in SQLite in the data dir. A secret: it holds a password.
    pub database_url: Option<crate::Secret>,
    /// `DONNA_REDIS_URL`: Redis, which carries staff events live between the gateways of one
    /// front desk; `None` for a gateway on its own. A secret: it may hold a password.
    pub redis_url: Option<crate::Secret>,
    /// `DONNA_TLS_CA_FILE`: the certificate authority (PEM) that signed the PostgreSQL and
    /// Redis servers' certificates, when it is a private one; `None` trusts the system's.
    pub tls_ca_file: Option<PathBuf>,
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
        let database_url = layers.secret("DONNA_DATABASE_URL");
        if let Some(url) = &database_url {
            let url = url.expose();
            // The value is never echoed: it holds a password.
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(ConfigError::invalid(
                    "DONNA_DATABASE_URL",
                    "not a PostgreSQL URL (postgres://user:password@host:port/database)".to_owned(),
                ));
            }
        }
        let redis_url = layers.secret("DONNA_REDIS_URL");
        if let Some(url) = &redis_url {
            let url = url.expose();
            if !["redis://", "rediss://", "redis+unix://", "unix://"]
                .iter()
                .any(|scheme| url.starts_with(scheme))
            {
                return Err(ConfigError::invalid(
                    "DONNA_REDIS_URL",
                    "not a Redis URL (redis://[:password@]host:port[/db])".to_owned(),
                ));
            }
        }
        let tls_ca_file = layers.parsed("DONNA_TLS_CA_FILE", "tls_ca_file", None::<&str>, |name, path| {
            let path = PathBuf::from(path);
            if !path.is_file() {
                return Err(ConfigError::invalid(
                    name,
                    format!("no certificate file at {}", path.display()),
                ));
            }
            Ok(path)
        })?;
        Ok(Self {
            profile,
            data_dir,
            models_dir,
            database_url,
            redis_url,
            tls_ca_file,
        })
    }
}
