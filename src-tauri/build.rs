//! Reads tauri.conf.json, the icons and the capabilities at build time.

fn main() {
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*");
    tauri_build::try_build(attributes).expect("tauri build step failed");
}
