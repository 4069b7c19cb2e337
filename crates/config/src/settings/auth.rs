//! The section for device and staff tokens: how they are signed and what they must claim.

use super::defaults::{DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER};
use super::kinds::JwtAlgorithm;
use super::layers::Layers;
use super::values::{claim_value, read_pem};
use crate::{ConfigError, Secret};

/// How the gateway verifies (and, with HS256, mints) device and staff tokens. All from the
/// environment: key material never comes from the config file.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub jwt_secret: Option<Secret>,
    /// The one algorithm device and staff tokens may use (`JWT_ALGORITHM`, default HS256).
    pub jwt_algorithm: JwtAlgorithm,
    /// PEM public key for RS256/EdDSA (`JWT_PUBLIC_KEY`: the PEM text or a path to it).
    pub jwt_public_key: Option<String>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
}

impl AuthSettings {
    pub(super) fn resolve(layers: &Layers) -> Result<Self, ConfigError> {
        let env = layers.env;
        let jwt_secret = layers.secret("JWT_SECRET");
        if jwt_secret.as_ref().is_some_and(|s| s.expose().len() < 32) {
            return Err(ConfigError::invalid(
                "JWT_SECRET",
                "must be at least 32 characters",
            ));
        }
        let jwt_algorithm = match env.get("JWT_ALGORITHM") {
            None => JwtAlgorithm::Hs256,
            Some(v) => match v.to_ascii_uppercase().as_str() {
                "HS256" => JwtAlgorithm::Hs256,
                "RS256" => JwtAlgorithm::Rs256,
                "EDDSA" => JwtAlgorithm::EdDsa,
                _ => {
                    return Err(ConfigError::invalid(
                        "JWT_ALGORITHM",
                        format!("expected one of HS256, RS256, EdDSA, got \"{v}\""),
                    ));
                }
            },
        };
        let jwt_public_key = env.get("JWT_PUBLIC_KEY").map(read_pem).transpose()?;
        match (jwt_algorithm, &jwt_public_key) {
            (JwtAlgorithm::Hs256, Some(_)) => {
                return Err(ConfigError::invalid(
                    "JWT_PUBLIC_KEY",
                    "only used with JWT_ALGORITHM=RS256 or EdDSA",
                ));
            }
            (JwtAlgorithm::Rs256 | JwtAlgorithm::EdDsa, None) => {
                return Err(ConfigError::missing(
                    "JWT_PUBLIC_KEY",
                    "required when JWT_ALGORITHM is RS256 or EdDSA",
                ));
            }
            _ => {}
        }
        let claim = |var: &str, default: &str| match env.get(var) {
            Some(v) => claim_value(var, v),
            None => Ok(default.to_owned()),
        };
        Ok(Self {
            jwt_secret,
            jwt_algorithm,
            jwt_public_key,
            jwt_issuer: claim("JWT_ISSUER", DEFAULT_JWT_ISSUER)?,
            jwt_audience: claim("JWT_AUDIENCE", DEFAULT_JWT_AUDIENCE)?,
        })
    }
}
