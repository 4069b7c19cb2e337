//! Device and staff tokens: `donna token mint`, and the key they are signed with. The rules
//! (roles, lifetimes, claims) live in the gateway crate; this reads the settings and signs.

use donna_config::{JwtAlgorithm, Overrides, Secret, Settings};
use donna_gateway::auth::{AuthError, Jwt, Role, parse_ttl};
use rand::Rng;

use crate::error::AppError;

/// The file in the data dir that holds the signing secret Donna made for itself.
pub const SIGNING_KEY_FILE: &str = "token-signing.key";

/// A signed token for `sub` with `role` (kiosk, staff or admin) for `ttl` (30d, 12h, 15m, 90s).
pub fn mint(overrides: &Overrides, sub: &str, role: &str, ttl: &str) -> Result<String, AppError> {
    let mut settings = Settings::load(overrides)?;
    let role: Role = role.parse()?;
    let ttl_s = parse_ttl(ttl)?;
    let jwt = verifier(&mut settings)?.ok_or(AuthError::NotConfigured)?;
    Ok(jwt.mint(sub, role, ttl_s)?)
}

/// The tokens' signer and verifier for `settings`. With HS256 and no `JWT_SECRET`, the secret
/// is generated once per data dir and kept in [`SIGNING_KEY_FILE`] (0600), as the engine key
/// is, so a fresh install can mint and pair kiosks and staff desks at once. The secret is put
/// into `settings` so that everything which scrubs the settings' secrets scrubs it too.
pub fn verifier(settings: &mut Settings) -> Result<Option<Jwt>, AppError> {
    if settings.auth.jwt_algorithm == JwtAlgorithm::Hs256 && settings.auth.jwt_secret.is_none() {
        let path = settings.storage.data_dir.join(SIGNING_KEY_FILE);
        let secret = donna_config::private::read_or_create_secret(&path, new_signing_secret)
            .map_err(|source| AppError::KeyFile { path, source })?;
        settings.auth.jwt_secret = Some(Secret::new(secret));
    }
    Ok(Jwt::from_settings(&settings.auth)?)
}

/// 256 random bits, hex: as strong as HS256's key can use.
fn new_signing_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
