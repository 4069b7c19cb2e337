//! The staff app's settings, as a receptionist setting up the kiosk on their computer uses
//! them: the OpenAI key saved to the OS keyring (a private Secret Service here) and removed,
//! a wrong paste refused, the key never on the page, and the doctor's checks run from a button.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::json;

use super::{JWT_SECRET, app_driver, require_display};
use crate::util::{self, PrivateKeyring, Sandbox, Served};

const KEY: &str = "sk-test-settings-0123456789abcdefghij";

async fn text(client: &Client, css: &str) -> Result<String, fantoccini::error::CmdError> {
    client.find(Locator::Css(css)).await?.text().await
}

/// Wait until `css`'s text starts with `start`; its text.
async fn wait_text(client: &Client, css: &str, start: &str) -> Result<String, fantoccini::error::CmdError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = text(client, css).await?;
        if now.starts_with(start) {
            return Ok(now);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} never said {start:?}; it says {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn save_key(client: &Client, key: &str) -> Result<(), fantoccini::error::CmdError> {
    let input = client.find(Locator::Css("#api-key")).await?;
    input.send_keys(key).await?;
    client.find(Locator::Css("#key-save")).await?.click().await
}

#[tokio::test]
async fn the_staff_app_saves_the_openai_key_to_the_keyring_and_runs_the_checks() {
    require_display();
    let sandbox = Sandbox::new();
    let served = Served::start(&sandbox, &[], &[("JWT_SECRET", JWT_SECRET)]);
    let token = util::mint_token(&sandbox, JWT_SECRET, "staff-priya-shah", "staff");
    let staff_home = Sandbox::new();
    let keyring = PrivateKeyring::start(&staff_home);
    let driver = app_driver(
        &staff_home,
        &[
            ("DONNA_GATEWAY_URL", &served.url),
            ("DONNA_STAFF_TOKEN", &token),
            ("DBUS_SESSION_BUS_ADDRESS", &keyring.address),
        ],
    );
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna(), "args": ["staff"] } }))
        .await;
    let result = AssertUnwindSafe(async {
        client
            .wait()
            .for_element(Locator::Css("body[data-ready='true']"))
            .await?;
        client.find(Locator::Css("#settings-open")).await?.click().await?;
        wait_text(&client, "#settings-key-state", "No OpenAI key is set").await?;
        assert!(
            text(&client, "#settings-backend")
                .await?
                .starts_with("the local engine")
        );

        // A wrong paste is refused and says why.
        save_key(&client, "my password").await?;
        wait_text(&client, "#key-note", "That is not an OpenAI API key").await?;

        save_key(&client, KEY).await?;
        wait_text(&client, "#key-note", "Saved to the OS keyring.").await?;
        wait_text(
            &client,
            "#settings-key-state",
            "An OpenAI key is saved in the OS keyring.",
        )
        .await?;
        assert!(
            text(&client, "#settings-backend")
                .await?
                .starts_with("OpenAI Realtime (cloud)")
        );
        let field: serde_json::Value = client
            .execute("return document.getElementById('api-key').value", vec![])
            .await?;
        assert_eq!(field, "", "the field is cleared");
        assert!(
            !client.source().await?.contains(KEY),
            "the key is nowhere on the page"
        );
        let listed = secrets_list(&staff_home, &keyring);
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with("OPENAI_API_KEY") && l.contains("keyring")),
            "{listed}"
        );
        assert!(!listed.contains(KEY));

        client.find(Locator::Css("#key-remove")).await?.click().await?;
        wait_text(&client, "#key-note", "Removed from the OS keyring.").await?;
        wait_text(&client, "#settings-key-state", "No OpenAI key is set").await?;

        client.find(Locator::Css("#run-checks")).await?.click().await?;
        client
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(
                "#checks[data-state='ok'], #checks[data-state='broken']",
            ))
            .await?;
        let profile = text(&client, "#checks li[data-name='profile']").await?;
        assert!(
            profile.starts_with("OK — profile: Harbor Street Clinic"),
            "{profile}"
        );
        let microphone = text(&client, "#checks li[data-name='microphone']").await?;
        assert!(microphone.starts_with("OK — microphone"), "{microphone}");
        Ok::<_, fantoccini::error::CmdError>(())
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session so the app exits");
    result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert!(!secrets_list(&staff_home, &keyring).contains(KEY));
    assert!(served.terminate());
}

/// `donna secrets list` on the same private keyring.
fn secrets_list(sandbox: &Sandbox, keyring: &PrivateKeyring) -> String {
    let mut cmd = sandbox.command();
    cmd.args(["secrets", "list"])
        .env("DBUS_SESSION_BUS_ADDRESS", &keyring.address);
    let out = util::run_with_timeout(cmd, Duration::from_secs(20));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
