//! `donna token mint`: print a device or staff token. The rules (roles, lifetimes, claims) live
//! in the gateway crate; this only reads settings and prints.

use std::io::Write;

use donna_config::{Overrides, Settings};
use donna_gateway::auth::{AuthError, Jwt, Role, parse_ttl};

use crate::cli::TokenCommand;
use crate::error::StartError;

pub fn run(overrides: &Overrides, command: &TokenCommand) -> Result<(), StartError> {
    let TokenCommand::Mint { sub, role, ttl } = command;
    let settings = Settings::load(overrides)?;
    let role: Role = role.parse()?;
    let ttl_s = parse_ttl(ttl)?;
    let jwt = Jwt::from_settings(&settings)?.ok_or(AuthError::NotConfigured)?;
    let token = jwt.mint(sub, role, ttl_s)?;
    // The token alone on stdout, so `$(donna token mint ...)` captures exactly it.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{token}");
    let _ = out.flush();
    Ok(())
}
