//! The `donna` binary as an operator meets it: start-up, the `listening on` line, clean errors.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::time::Duration;

use serde_json::Value;
use util::{Sandbox, Served, run_with_timeout};

fn get_json(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}

/// Run `donna` with extra env and args; it must fail fast with exactly one line on stderr.
fn fails_with(sandbox: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = sandbox.command();
    cmd.args(args).envs(env.iter().copied());
    let out = run_with_timeout(cmd, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "exit status; stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout, so nothing looks started: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr.trim_end().to_owned()
}

#[test]
fn serve_prints_its_address_answers_health_and_stops_on_sigterm() {
    let sandbox = Sandbox::new();
    let served = Served::start(&sandbox, &[], &[]);
    assert!(served.url.starts_with("http://127.0.0.1:"), "{}", served.url);
    let health = get_json(&format!("{}/api/health", served.url));
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], "local");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(served.terminate(), "clean exit on SIGTERM");
    // Logs went to a file in the data dir as JSON lines.
    let logs = std::fs::read_dir(sandbox.data_dir().join("logs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(logs).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["fields"]["message"], "starting");
}

#[test]
fn addr_flag_wins_over_the_environment() {
    let sandbox = Sandbox::new();
    let port = util::free_port();
    let served = Served::start(
        &sandbox,
        &["--addr", &format!("127.0.0.1:{port}")],
        &[("DONNA_ADDR", "127.0.0.1:1")],
    );
    assert_eq!(served.url, format!("http://127.0.0.1:{port}"));
    assert!(served.terminate());
}

#[test]
fn an_api_key_selects_the_cloud_backend_and_never_shows_up() {
    let sandbox = Sandbox::new();
    let canary = "sk-canary-3f9a0c7d1e";
    let served = Served::start(
        &sandbox,
        &[],
        &[("OPENAI_API_KEY", canary), ("DONNA_LOG", "debug")],
    );
    let url = format!("{}/api/health", served.url);
    let health = get_json(&url);
    assert_eq!(health["backend"], "openai");
    assert!(!health.to_string().contains("canary"));
    let stderr_path = served.stderr_path.clone();
    assert!(served.terminate());
    let stderr = std::fs::read_to_string(stderr_path).unwrap();
    assert!(!stderr.contains(canary), "{stderr}");
    for entry in std::fs::read_dir(sandbox.data_dir().join("logs")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(canary));
    }
}

#[test]
fn bad_settings_are_one_line_naming_the_variable() {
    let sandbox = Sandbox::new();
    let line = fails_with(&sandbox, &["serve"], &[("DONNA_BACKEND", "cloud")]);
    assert_eq!(
        line,
        "error: DONNA_BACKEND: expected one of auto, local, openai, got \"cloud\""
    );
    let line = fails_with(&sandbox, &["serve"], &[("DONNA_ADDR", "not-an-address")]);
    assert!(
        line.starts_with("error: DONNA_ADDR: expected HOST:PORT"),
        "{line}"
    );
    let line = fails_with(&sandbox, &["serve", "--addr", "999.1.1.1:80"], &[]);
    assert!(line.starts_with("error: --addr: expected HOST:PORT"), "{line}");
    let line = fails_with(&sandbox, &["serve"], &[("ENABLE_VAD", "perhaps")]);
    assert_eq!(line, "error: ENABLE_VAD: expected true or false, got \"perhaps\"");
    let line = fails_with(&sandbox, &["serve"], &[("DONNA_BACKEND", "openai")]);
    assert!(
        line.starts_with("error: OPENAI_API_KEY: required when DONNA_BACKEND is openai"),
        "{line}"
    );
    // Nothing was half-started: no data dir, no logs.
    assert!(!sandbox.data_dir().exists());
}

#[test]
fn profile_and_config_file_errors_name_the_file() {
    let sandbox = Sandbox::new();
    let missing = sandbox.home.path().join("nope.toml");
    let line = fails_with(
        &sandbox,
        &["serve"],
        &[("DONNA_PROFILE", missing.to_str().unwrap())],
    );
    assert_eq!(
        line,
        format!("error: DONNA_PROFILE: no profile file at {}", missing.display())
    );

    let broken = sandbox.write("broken-profile.toml", "[organisation]\nname = \"X\"\n");
    let line = fails_with(
        &sandbox,
        &["serve"],
        &[("DONNA_PROFILE", broken.to_str().unwrap())],
    );
    assert!(
        line.starts_with(&format!("error: profile {}:", broken.display())),
        "{line}"
    );

    let config = sandbox.write("donna.toml", "addr = \"127.0.0.1:0\"\ncolour = \"blue\"\n");
    let line = fails_with(&sandbox, &["serve", "--config", config.to_str().unwrap()], &[]);
    assert!(
        line.starts_with(&format!(
            "error: config file {}: line 2: unknown field `colour`",
            config.display()
        )),
        "{line}"
    );
}

#[test]
fn a_port_in_use_is_one_line_and_nothing_starts() {
    let sandbox = Sandbox::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let line = fails_with(&sandbox, &["serve", "--addr", &addr], &[]);
    assert!(
        line.starts_with(&format!("error: cannot listen on {addr}:")),
        "{line}"
    );
}

#[test]
fn the_window_without_a_display_says_what_to_do() {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let out = run_with_timeout(cmd, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("no display found") && stderr.contains("donna serve"),
        "{stderr}"
    );
}

#[test]
fn a_config_file_is_read_and_the_environment_wins_over_it() {
    let sandbox = Sandbox::new();
    let port = util::free_port();
    let config = sandbox.write(
        "donna.toml",
        &format!("addr = \"127.0.0.1:{port}\"\nbackend = \"openai\"\n"),
    );
    // backend = openai in the file, local in the env: env wins, so no key is needed.
    let served = Served::start(
        &sandbox,
        &["--config", config.to_str().unwrap()],
        &[("DONNA_ADDR", ""), ("DONNA_BACKEND", "local")],
    );
    assert_eq!(served.url, format!("http://127.0.0.1:{port}"));
    assert_eq!(
        get_json(&format!("{}/api/health", served.url))["backend"],
        "local"
    );
    assert!(served.terminate());
}

/// Whether the virtual audio devices are up (scripts/start-audio.sh); CI always starts them.
fn audio_devices() -> bool {
    let up = std::env::var_os("PULSE_SERVER").is_some();
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must start the virtual audio devices"
        );
        eprintln!("skipped: no PulseAudio (run `source scripts/start-audio.sh` first)");
    }
    up
}

#[test]
fn doctor_reports_devices_and_the_backend_as_json() {
    if !audio_devices() {
        return;
    }
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.args(["doctor", "--json"]);
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report:#}");
    assert_eq!(report["ok"], true);
    for list in ["inputs", "outputs"] {
        let devices = report["audio"][list].as_array().unwrap();
        assert!(
            devices
                .iter()
                .any(|d| d["is_default"] == true && d["name"] == "default"),
            "{list}: {devices:?}"
        );
    }
    let status = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("microphone"), "ok");
    assert_eq!(status("speaker"), "ok");
    assert_eq!(status("backend"), "ok", "the local engine answered a question");
    assert_eq!(status("data dir"), "ok");
    assert_eq!(
        report["audio"]["tone"]["played_ms"], 500,
        "the tone really played"
    );
}

#[test]
fn doctor_fails_when_the_microphone_is_missing() {
    if !audio_devices() {
        return;
    }
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.args(["doctor"])
        .env("DONNA_INPUT_DEVICE", "no-such-microphone");
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("[FAIL] microphone     no input device named \"no-such-microphone\""),
        "{stdout}"
    );
    assert!(stdout.contains("Something a kiosk needs is broken."), "{stdout}");
}
