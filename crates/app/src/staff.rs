//! The staff desktop's start-up: its settings, its logs and its client of the gateway. Following
//! the events and acknowledging visits live in crates/staff; the window lives in the shell.

use donna_config::{ConfigError, Overrides, Settings};
use donna_gateway::logs::LogGuard;
use donna_staff::StaffClient;

use crate::error::AppError;

/// The staff desktop, ready to follow its gateway.
#[derive(Debug)]
pub struct StaffDesk {
    pub client: StaffClient,
    /// The gateway followed, as configured.
    pub gateway: String,
    /// Keeps the log files open; dropping it flushes them.
    pub log_guard: LogGuard,
}

/// Read the staff token and the gateway's address, open the logs and build the client.
pub fn prepare(overrides: &Overrides) -> Result<StaffDesk, AppError> {
    let settings = Settings::load(overrides)?;
    let token = settings.staff.token.clone().ok_or_else(|| ConfigError::Missing {
        name: "DONNA_STAFF_TOKEN".to_owned(),
        problem:
            "required for the staff desktop (mint one with `donna token mint --sub <staff id> --role staff`)"
                .to_owned(),
    })?;
    let gateway = settings
        .staff
        .gateway_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.server.addr));
    let client = StaffClient::new(&gateway, token)?;
    donna_config::private::create_dir(&settings.storage.data_dir).map_err(|source| AppError::DataDir {
        path: settings.storage.data_dir.clone(),
        source,
    })?;
    // The staff desktop holds no engine key; its own token is a secret the scrubber removes.
    let log_guard = crate::logging::init(&settings, "")?;
    tracing::info!(%gateway, "staff desktop starting");
    Ok(StaffDesk {
        client,
        gateway,
        log_guard,
    })
}
