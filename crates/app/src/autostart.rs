//! `donna autostart`: start the kiosk at login, the freedesktop way: a `donna.desktop` entry in
//! `$XDG_CONFIG_HOME/autostart` (`~/.config/autostart`), which GNOME, KDE, Xfce, LXDE and most
//! kiosk sessions run when the user logs in.

use std::path::{Path, PathBuf};

use donna_config::EnvSnapshot;

use crate::error::AppError;

/// Where the entry goes for the environment `env`.
pub fn entry_path(env: &EnvSnapshot) -> Result<PathBuf, AppError> {
    let config = match (env.get("XDG_CONFIG_HOME"), env.get("HOME")) {
        (Some(dir), _) => PathBuf::from(dir),
        (None, Some(home)) => Path::new(home).join(".config"),
        (None, None) => {
            return Err(AppError::Autostart(
                "neither XDG_CONFIG_HOME nor HOME is set".to_owned(),
            ));
        }
    };
    Ok(config.join("autostart").join("donna.desktop"))
}

/// The entry's text: `program --kiosk`, quoted as the Desktop Entry spec asks.
pub fn entry(program: &Path) -> String {
    let quoted = program
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('`', "\\`")
        .replace('$', "\\$");
    format!(
        "[Desktop Entry]\nType=Application\nName=Donna\nComment=Donna, the AI receptionist, as the front-desk kiosk\n\
         Exec=\"{quoted}\" --kiosk\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
    )
}

/// Start this very program, `--kiosk`, at every login; the entry's path.
pub fn enable(env: &EnvSnapshot) -> Result<PathBuf, AppError> {
    let program = std::env::current_exe()
        .map_err(|e| AppError::Autostart(format!("cannot tell where this program is: {e}")))?;
    let path = entry_path(env)?;
    let io = |e: std::io::Error| AppError::Autostart(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(&path, entry(&program)).map_err(io)?;
    Ok(path)
}

/// No more starting at login; false when it was not on.
pub fn disable(env: &EnvSnapshot) -> Result<bool, AppError> {
    let path = entry_path(env)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(AppError::Autostart(format!("{}: {e}", path.display()))),
    }
}

/// The entry's path when autostart is on.
pub fn status(env: &EnvSnapshot) -> Result<Option<PathBuf>, AppError> {
    let path = entry_path(env)?;
    Ok(path.is_file().then_some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_quoted_for_the_desktop_entry_spec() {
        let text = entry(Path::new("/opt/my \"kiosk\"/$bin/donna"));
        assert!(
            text.contains("Exec=\"/opt/my \\\"kiosk\\\"/\\$bin/donna\" --kiosk\n"),
            "{text}"
        );
    }
}
