//! Interoperability: the official OpenAI SDK's realtime client talks to `donna serve`'s local
//! engine with nothing but a base-URL override.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::process::Command;
use std::time::Duration;

use util::{Sandbox, Served, mint_token, repo_file, run_with_timeout};

#[test]
fn the_official_python_sdk_mints_a_secret_and_holds_a_conversation() {
    let sandbox = Sandbox::new();
    let key = "sk-donna-interop-test-key";
    let served = Served::start(&sandbox, &[], &[("DONNA_ENGINE_KEY", key)]);
    let mut cmd = Command::new("python3");
    cmd.arg(repo_file("tests/sdk/openai_realtime.py"))
        .arg(format!("{}/v1", served.url))
        .arg(key);
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the SDK run failed (the README's test command installs `openai`).\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count(),
        3,
        "{stdout}"
    );
    assert!(served.terminate());
}

#[test]
fn the_official_python_sdk_converses_through_the_gateway_proxy_with_a_device_token() {
    let sandbox = Sandbox::new();
    let jwt_secret = "sdk-proxy-test-secret-sdk-proxy-test-secret";
    let served = Served::start(
        &sandbox,
        &[],
        &[("ENABLE_WS_PROXY", "true"), ("JWT_SECRET", jwt_secret)],
    );
    let token = mint_token(&sandbox, jwt_secret, "kiosk-lobby", "kiosk");
    let mut cmd = Command::new("python3");
    cmd.arg(repo_file("tests/sdk/openai_realtime.py"))
        .arg("--proxy")
        .arg(&served.url)
        .arg(&token);
    let out = run_with_timeout(cmd, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("ok: text conversation through the gateway's proxy"),
        "{stdout}"
    );
    assert!(served.terminate());
}

/// Every event of a text, a tool and a spoken turn validates against the SDK's own GA types,
/// read as raw JSON (the SDK's `recv()` would not check them).
#[test]
fn every_engine_event_validates_against_the_official_sdk_types() {
    let sandbox = Sandbox::new();
    let wav = sandbox.home.path().join("visitor.wav");
    let spoken = Command::new("espeak-ng")
        .args(["-w"])
        .arg(&wav)
        .arg("Hello, I'm here to see Tom Becker.")
        .status()
        .expect("espeak-ng (the README's test command installs it)");
    assert!(spoken.success());
    let key = "sk-donna-events-test-key";
    let served = Served::start(&sandbox, &[], &[("DONNA_ENGINE_KEY", key)]);
    let mut cmd = Command::new("python3");
    cmd.arg(repo_file("tests/sdk/validate_events.py"))
        .arg(format!("{}/v1", served.url))
        .arg(key)
        .arg(&wav);
    let out = run_with_timeout(cmd, Duration::from_secs(120));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    for turn in ["ok: text turn", "ok: tool turn", "ok: spoken turn"] {
        assert!(stdout.contains(turn), "{stdout}");
    }
    assert!(served.terminate());
}
