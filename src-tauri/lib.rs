//! The Donna app's shell: its windows and the commands their pages invoke. The command line is
//! `donna-cli` (crates/cli) and everything that is not a window starts in `donna-app`
//! (crates/app); neither knows Tauri, and the server build `donna-server` is the two without
//! this shell.
//!
//! | module | owns |
//! |---|---|
//! | `gui` | the kiosk window, with the gateway in-process on loopback |
//! | `staff` | the staff desktop's window: live visitor events, native notifications, "on my way" |
//! | `settings` | the staff window's settings: backend, the OpenAI key into the keyring, the doctor's checks |
//! | `window` | the one window, created per mode |
//! | `heal` | the kiosk page reloaded when it stops, the app restarted when that fails |
//! | `commands` | the thin Tauri commands the kiosk page invokes |
//! | `notices` | what the kiosk says unasked, shown in the window |

mod commands;
mod error;
mod gui;
mod heal;
mod notices;
mod settings;
mod staff;
mod window;

use std::process::ExitCode;

use donna_app::Overrides;

/// The command line, with the kiosk and the staff desktop as its windows.
pub fn main() -> ExitCode {
    donna_cli::main(Some(&Desktop))
}

#[derive(Debug)]
struct Desktop;

impl donna_cli::Windows for Desktop {
    fn kiosk(&self, overrides: &Overrides) -> Result<(), Box<dyn std::error::Error>> {
        Ok(gui::run(overrides)?)
    }

    fn staff(&self, overrides: &Overrides) -> Result<(), Box<dyn std::error::Error>> {
        Ok(staff::run(overrides)?)
    }
}
