//! The `ui/` folder, embedded in release builds and read from disk in debug builds (so editing
//! the UI needs no rebuild during development).

use std::borrow::Cow;

use donna_gateway::UiAssets;
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "../../ui/"]
struct UiFolder;

/// The UI files as the gateway serves them to browsers.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbeddedUi;

impl UiAssets for EmbeddedUi {
    fn get(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        UiFolder::get(path).map(|file| file.data)
    }
}
