//! `donna token mint`: a device or staff token. The rules (roles, lifetimes, claims) live in the
//! gateway crate; this reads the settings and signs.

use donna_config::{Overrides, Settings};
use donna_gateway::auth::{AuthError, Jwt, Role, parse_ttl};

use crate::error::AppError;

/// A signed token for `sub` with `role` (kiosk, staff or admin) for `ttl` (30d, 12h, 15m, 90s).
pub fn mint(overrides: &Overrides, sub: &str, role: &str, ttl: &str) -> Result<String, AppError> {
    let settings = Settings::load(overrides)?;
    let role: Role = role.parse()?;
    let ttl_s = parse_ttl(ttl)?;
    let jwt = Jwt::from_settings(&settings.auth)?.ok_or(AuthError::NotConfigured)?;
    Ok(jwt.mint(sub, role, ttl_s)?)
}
