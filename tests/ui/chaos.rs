//! The kiosk heals itself: `scripts/chaos.sh` against the debug build, as an operator would
//! run it. The cloud stand-in, the audio server, the page's web process and the kiosk process
//! are each killed in turn while the kiosk is in use; after each it must report itself healthy
//! again and answer a question, by itself.

use std::process::Command;

use futures_util::FutureExt;
use std::time::Duration;

use super::require_display;
use crate::util::{self, Sandbox};

/// Each fault's recovery must be within this (the goal is 5 s on an idle machine; this suite
/// shares two cores with the others).
const LIMIT_S: &str = "30";

#[test]
fn the_kiosk_recovers_from_every_fault_of_the_chaos_script_by_itself() {
    require_display();
    let sandbox = Sandbox::new();
    let mut chaos = Command::new("bash");
    chaos
        .arg(util::repo_file("scripts/chaos.sh"))
        .args(["--binary", util::donna(), "--limit", LIMIT_S]);
    // The harness's clean environment; the script gives each process its own data dir, ports
    // and a private audio server.
    sandbox.apply(&mut chaos);
    chaos.env("TMPDIR", sandbox.home.path());
    let out = util::run_with_timeout(chaos, Duration::from_secs(400));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "chaos.sh failed:\n{stdout}\n{stderr}");
    for fault in ["cloud", "audio", "webview", "app"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("chaos: {fault} ")))
            .unwrap_or_else(|| panic!("no recovery reported for {fault}:\n{stdout}\n{stderr}"));
        assert!(line.ends_with(" ok"), "{line}\n{stderr}");
    }
}

/// `data-link` on the page's body, and the header's connection note when shown.
async fn link_shown(client: &fantoccini::Client) -> (String, Option<String>) {
    let seen: serde_json::Value = client
        .execute(
            "const note = document.getElementById('link-note'); \
             return [document.body.dataset.link ?? '', note.hidden ? null : note.textContent]",
            vec![],
        )
        .await
        .expect("read the page");
    (
        seen[0].as_str().unwrap_or_default().to_owned(),
        seen[1].as_str().map(str::to_owned),
    )
}

async fn wait_for_link(client: &fantoccini::Client, want: &str) -> Option<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (link, note) = link_shown(client).await;
        if link == want {
            return note;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page never showed the link as {want} (it shows {link}, {note:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The app's `/api/health`, with its `kiosk` section.
async fn kiosk_health(sandbox: &Sandbox) -> serde_json::Value {
    let url = format!("{}/api/health", super::app_gateway_url(sandbox));
    reqwest::get(url)
        .await
        .expect("health")
        .json()
        .await
        .expect("health JSON")
}

/// End the WebDriver session, then fail the test as its body did, if it did.
async fn finish(
    client: fantoccini::Client,
    result: std::thread::Result<Result<(), fantoccini::error::CmdError>>,
) {
    let _ = client.close().await;
    match result {
        Ok(outcome) => outcome.expect("WebDriver"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[tokio::test]
async fn a_cloud_outage_mid_visit_moves_donna_offline_and_the_visitor_is_told() {
    require_display();
    const KEY: &str = "stand-in-engine-key-0123456789abcdef";
    let cloud_sandbox = Sandbox::new();
    let cloud_addr = format!("127.0.0.1:{}", util::free_port());
    let stand_in = |sandbox: &Sandbox| {
        util::Served::start(sandbox, &["--addr", &cloud_addr], &[("DONNA_ENGINE_KEY", KEY)])
    };
    let mut cloud = stand_in(&cloud_sandbox);
    let sandbox = Sandbox::new();
    let base_url = format!("http://{cloud_addr}/v1");
    let driver = super::app_driver(
        &sandbox,
        &[("OPENAI_API_KEY", KEY), ("OPENAI_BASE_URL", &base_url)],
    );
    let client = driver
        .session(serde_json::json!({ "tauri:options": { "application": util::donna() } }))
        .await;
    let result = std::panic::AssertUnwindSafe(async {
        assert_eq!(wait_for_link(&client, "live").await, None, "no note on the cloud");
        let hours = super::ask(&client, "What are your opening hours?").await;
        assert!(hours.to_lowercase().contains("open"), "{hours}");

        // The cloud goes away mid-visit.
        cloud.child.kill().expect("kill the stand-in");
        cloud.child.wait().expect("reap the stand-in");
        let note = wait_for_link(&client, "fallback").await;
        assert_eq!(note.as_deref(), Some("Answering offline"));
        let said: Vec<String> = {
            let mut texts = Vec::new();
            for item in client
                .find_all(fantoccini::Locator::Css("#messages .notice"))
                .await
                .expect("notices")
            {
                texts.push(item.text().await.expect("text"));
            }
            texts
        };
        assert!(
            said.iter()
                .any(|t| t.starts_with("I'm answering from this kiosk now")),
            "the visitor is told: {said:?}"
        );
        let health = kiosk_health(&sandbox).await;
        let session = &health["kiosk"]["session"];
        assert_eq!(
            (session["backend"].as_str(), session["fallback"].as_bool()),
            (Some("local"), Some(true)),
            "{health:#}"
        );
        assert_eq!(
            session["transport"], "webrtc",
            "the kiosk calls the local engine as it called the cloud: {health:#}"
        );
        assert!(
            session["reasons"][0]
                .as_str()
                .unwrap_or_default()
                .starts_with("openai: "),
            "{health:#}"
        );
        let toilets = super::ask(&client, "Where are the toilets?").await;
        assert!(
            toilets.to_lowercase().contains("toilet"),
            "answered offline: {toilets}"
        );

        // The cloud is back; the next visitor is served by it again.
        let _cloud = stand_in(&cloud_sandbox);
        client
            .find(fantoccini::Locator::Css("#new-visit"))
            .await?
            .click()
            .await?;
        assert_eq!(wait_for_link(&client, "live").await, None, "the note is gone");
        let hours = super::ask(&client, "What are your opening hours?").await;
        assert!(hours.to_lowercase().contains("open"), "{hours}");
        Ok::<_, fantoccini::error::CmdError>(())
    })
    .catch_unwind()
    .await;
    finish(client, result).await;
}

#[tokio::test]
async fn a_visit_that_spends_its_cloud_budget_finishes_on_the_local_engine() {
    require_display();
    const KEY: &str = "stand-in-engine-key-budget-0123456789";
    let cloud_sandbox = Sandbox::new();
    let cloud = util::Served::start(&cloud_sandbox, &[], &[("DONNA_ENGINE_KEY", KEY)]);
    let sandbox = Sandbox::new();
    let base_url = format!("{}/v1", cloud.url);
    // A budget one answer spends: the engine reports about a thousand tokens per answer.
    let driver = super::app_driver(
        &sandbox,
        &[
            ("OPENAI_API_KEY", KEY),
            ("OPENAI_BASE_URL", &base_url),
            ("VISIT_MAX_COST_USD", "0.001"),
        ],
    );
    let client = driver
        .session(serde_json::json!({ "tauri:options": { "application": util::donna() } }))
        .await;
    let result = std::panic::AssertUnwindSafe(async {
        wait_for_link(&client, "live").await;
        let hours = super::ask(&client, "What are your opening hours?").await;
        assert!(hours.to_lowercase().contains("open"), "{hours}");
        assert_eq!(
            wait_for_link(&client, "fallback").await.as_deref(),
            Some("Answering offline")
        );
        let health = kiosk_health(&sandbox).await;
        assert_eq!(
            health["kiosk"]["session"]["reasons"][0], "openai: this visit's cloud budget ($0.001) is spent",
            "{health:#}"
        );
        let toilets = super::ask(&client, "Where are the toilets?").await;
        assert!(toilets.to_lowercase().contains("toilet"), "{toilets}");
        // The next visitor has a budget of their own, on the cloud.
        client
            .find(fantoccini::Locator::Css("#new-visit"))
            .await?
            .click()
            .await?;
        assert_eq!(wait_for_link(&client, "live").await, None);
        Ok::<_, fantoccini::error::CmdError>(())
    })
    .catch_unwind()
    .await;
    finish(client, result).await;
}
