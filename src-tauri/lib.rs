//! The Donna app: the command line, start-up, and the Tauri shell around the core crates.
//!
//! | module | owns |
//! |---|---|
//! | `cli` | the command line (`donna`, `donna serve`, `donna doctor`) |
//! | `boot` | what every mode does first: settings, data dir, logs, profile, the gateway's listener |
//! | `serve` | `donna serve`: the gateway alone, headless |
//! | `token` | `donna token mint`: device and staff tokens for administrators |
//! | `models` | `donna models install` / `status`: the offline whisper model (crates/models) |
//! | `gui` | the kiosk window, with the gateway in-process on loopback |
//! | `staff` | the staff desktop: live visitor events, native notifications, "on my way" |
//! | `window` | the one window, created per mode |
//! | `commands` | the thin Tauri commands the UI invokes |
//! | `notices` | what the kiosk says unasked (a staff member is on their way) |
//! | `realtime` | the app's realtime session (cloud or local engine) and the tools it runs |
//! | `voice` | the kiosk's voice path (crates/voice) on that session, streamed to the panel |
//! | `doctor` | `donna doctor`: the preflight report for operators and tests |
//!
//! Everything that is not wiring lives in `crates/`, which never depends on Tauri.

mod assets;
mod boot;
mod cli;
mod commands;
mod doctor;
mod error;
mod gui;
mod logging;
mod models;
mod notices;
mod realtime;
mod serve;
mod staff;
mod token;
mod voice;
mod window;

use std::process::ExitCode;

use clap::Parser;

/// Parse the command line and run the chosen mode. Start-up failures print one line and exit 2.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        None => gui::run(&cli.overrides()),
        Some(cli::Command::Serve { .. }) => serve::run(&cli.overrides()),
        Some(cli::Command::Staff) => staff::run(&cli.overrides()),
        Some(cli::Command::Token { ref command }) => token::run(&cli.overrides(), command),
        Some(cli::Command::Models { ref command }) => models::run(&cli.overrides(), command),
        Some(cli::Command::Doctor { json }) => return doctor::run(&cli.overrides(), json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes joined, as the operator needs it.
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
