//! The server build as an operator meets it on a machine with no display: `donna-server` links
//! no desktop library, serves the gateway and the UI, and says plainly that it opens no window.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const SERVER: &str = env!("CARGO_BIN_EXE_donna-server");

/// The libraries a windowed build links and a server must not need.
const DESKTOP: &[&str] = &["libgtk", "libgdk", "libwebkit", "libsoup", "libjavascriptcore"];

/// `donna-server` with nothing of the caller's environment: its own HOME, hence its own data
/// dir and config, as on a fresh server.
fn server(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(SERVER);
    cmd.env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

#[test]
fn links_no_desktop_library() {
    let out = run(Command::new("ldd").arg(SERVER));
    assert!(
        out.status.success(),
        "ldd: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let libraries = String::from_utf8(out.stdout).unwrap();
    let desktop: Vec<&str> = libraries
        .lines()
        .filter(|line| DESKTOP.iter().any(|lib| line.contains(lib)))
        .collect();
    assert!(desktop.is_empty(), "desktop libraries linked: {desktop:?}");
    // What is linked is the offline voice's libraries, not nothing: the check reads real output.
    assert!(libraries.contains("libpocketsphinx"), "{libraries}");
}

#[test]
fn asking_for_a_window_is_one_line_saying_what_to_run() {
    let home = tempfile::tempdir().unwrap();
    for args in [&[][..], &["staff"], &["autostart", "enable"]] {
        let out = run(server(home.path()).args(args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("server build, without windows"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("donna-server serve"), "{args:?}: {stderr}");
    }
    assert!(
        !home.path().join(".config/autostart").exists(),
        "no login entry was written for a kiosk this build cannot open"
    );
    let version = run(server(home.path()).arg("--version"));
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        concat!("donna-server ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn serves_the_gateway_and_the_ui() {
    let home = tempfile::tempdir().unwrap();
    let mut child = server(home.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(30));
    let checked = url.map(|url| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let get = |path: &str| reqwest::get(format!("{url}{path}"));
            let health: serde_json::Value = get("/api/health").await.unwrap().json().await.unwrap();
            let page = get("/").await.unwrap().text().await.unwrap();
            let welcome: serde_json::Value = get("/api/welcome").await.unwrap().json().await.unwrap();
            (health, page, welcome)
        })
    });
    let _ = child.kill();
    let _ = child.wait();
    let (health, page, welcome) = checked.expect("donna-server serve printed no `listening on` line");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["backend"], "local", "{health}");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(page.contains("<title>Donna</title>"), "the UI page: {page:.200}");
    assert!(welcome["name"].is_string(), "{welcome}");
}
