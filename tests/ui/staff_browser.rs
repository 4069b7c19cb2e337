//! The staff page in a plain browser (Chromium), beside a visitor at the kiosk page in another
//! Chromium window: signing in with a staff token, the check-in arriving live, "On my way" heard
//! at the kiosk, a message, "Checked out", a reload, and signing out.

use std::panic::AssertUnwindSafe;
use std::process::Command;
use std::time::Duration;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

use super::util::{self, Sandbox, Served, free_port};
use super::{Driver, ask, require_display, staff_list, wait_for_notice};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium under chromedriver; each `session` is a browser window of its own.
pub(super) fn chromedriver() -> Driver {
    let port = free_port();
    let mut cmd = Command::new("chromedriver");
    // The browsers are in Auckland, thirteen hours from the front desk in London: the pages
    // show the desk's time (the harness's clock stops at 10:00 there), not the computer's.
    cmd.arg(format!("--port={port}")).env("TZ", "Pacific/Auckland");
    Driver::spawn(cmd, port)
}

pub(super) async fn chromium(driver: &Driver) -> Client {
    driver
        .session(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                // Root in CI has no user namespace for Chromium's sandbox.
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]
            }
        }))
        .await
}

/// `#id`'s text once it is shown.
pub(super) async fn shown_text(client: &Client, css: &str) -> Result<String, fantoccini::error::CmdError> {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&format!("{css}:not([hidden])")))
        .await?
        .text()
        .await
}

async fn session_storage(client: &Client) -> Result<Value, fantoccini::error::CmdError> {
    client
        .execute(
            "return { session: Object.keys(sessionStorage), local: localStorage.length, url: location.href }",
            vec![],
        )
        .await
}

#[tokio::test]
async fn a_receptionist_in_any_browser_follows_a_visit_from_check_in_to_check_out() {
    require_display();
    let sandbox = Sandbox::new();
    // A fresh install: no JWT_SECRET, the gateway signs with its own key.
    let served = Served::start(&sandbox, &[], &[]);
    let token = util::mint_own_token(&sandbox, "staff-priya-shah", "staff");
    let kiosk_token = util::mint_own_token(&sandbox, "kiosk-lobby", "kiosk");
    let driver = chromedriver();
    let staff = chromium(&driver).await;
    let visitor = chromium(&driver).await;
    let base = served.url.clone();

    let result = AssertUnwindSafe(async {
        staff.goto(&format!("{base}/staff.html")).await?;
        staff
            .wait()
            .for_element(Locator::Css("body[data-ready='true']"))
            .await?;
        let sign_in_heading = shown_text(&staff, "#sign-in h2").await?;
        // A kiosk's token is not a staff token; then the right one.
        staff
            .find(Locator::Css("#token"))
            .await?
            .send_keys(&kiosk_token)
            .await?;
        staff.find(Locator::Css("#sign-in-button")).await?.click().await?;
        let wrong = shown_text(&staff, "#sign-in-problem").await?;
        let field = staff.find(Locator::Css("#token")).await?;
        field.clear().await?;
        field.send_keys(&token).await?;
        staff.find(Locator::Css("#sign-in-button")).await?.click().await?;
        let empty = shown_text(&staff, "#no-visits").await?;
        staff
            .wait()
            .for_element(Locator::Css("#status[data-link='connected']"))
            .await?;

        // A visitor checks in at the kiosk page, typing; the card arrives on the staff page.
        visitor.goto(&format!("{base}/")).await?;
        let asked = ask(&visitor, "Hello, I'm here to see Priya Shah").await;
        let checked_in = ask(&visitor, "Ann Lee").await;
        let card = shown_text(&staff, ".visit .summary").await?;
        let waiting_hidden = staff
            .find(Locator::Css("#no-visits"))
            .await?
            .attr("hidden")
            .await?;
        staff.find(Locator::Css(".visit .ack")).await?.click().await?;
        staff
            .wait()
            .for_element(Locator::Css(".visit.acknowledged"))
            .await?;
        let notice = wait_for_notice(&visitor).await;

        // The visitor leaves a message for Priya; it shows under Messages as it is taken.
        // Donna knows the visitor's name from the check-in: she does not ask it again.
        let what = ask(&visitor, "Can I leave a message for Priya Shah?").await;
        let passed_on = ask(&visitor, "The parcel is at the side door").await;
        let message = shown_text(&staff, ".message .body").await?;
        let message_from = staff
            .find(Locator::Css(".message .summary"))
            .await?
            .text()
            .await?;

        // The visitor leaves; Priya sees them out.
        staff
            .find(Locator::Css(".visit .checkout"))
            .await?
            .click()
            .await?;
        let left = shown_text(&staff, ".visit.left time").await?;

        // A reload keeps the sign-in (this tab only) and shows the day as it stands.
        staff.refresh().await?;
        let after_reload = shown_text(&staff, ".visit.left .summary").await?;
        let message_after_reload = shown_text(&staff, ".message .body").await?;
        let storage = session_storage(&staff).await?;
        staff.find(Locator::Css("#sign-out")).await?.click().await?;
        let signed_out = shown_text(&staff, "#sign-in h2").await?;
        let storage_after = session_storage(&staff).await?;
        Ok::<_, fantoccini::error::CmdError>(json!({
            "sign_in_heading": sign_in_heading, "wrong": wrong, "empty": empty,
            "asked": asked, "checked_in": checked_in, "card": card,
            "waiting_hidden": waiting_hidden.is_some(), "notice": notice,
            "what": what, "passed_on": passed_on, "message": message, "message_from": message_from,
            "left": left, "after_reload": after_reload,
            "message_after_reload": message_after_reload,
            "storage": storage, "signed_out": signed_out, "storage_after": storage_after,
        }))
    })
    .catch_unwind()
    .await;
    staff.close().await.expect("end the staff session");
    visitor.close().await.expect("end the visitor session");
    let seen = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert_eq!(seen["sign_in_heading"], "Sign in to the staff desk", "{seen:#}");
    assert_eq!(
        seen["wrong"], "This is a kiosk token, not a staff token.",
        "{seen:#}"
    );
    assert_eq!(seen["empty"], "Nobody is waiting for you.", "{seen:#}");
    assert_eq!(
        seen["asked"], "Thank you. May I have your name, please?",
        "{seen:#}"
    );
    assert!(
        seen["checked_in"]
            .as_str()
            .unwrap()
            .starts_with("Thank you, Ann. I've let Priya Shah know you're here."),
        "{seen:#}"
    );
    assert_eq!(seen["card"], "Ann Lee is at reception to see you.", "{seen:#}");
    assert_eq!(seen["waiting_hidden"], true, "someone is waiting: {seen:#}");
    assert_eq!(seen["notice"], "Priya is on their way.", "{seen:#}");
    assert_eq!(seen["what"], "Of course. What would you like me to tell them?");
    assert_eq!(
        seen["passed_on"], "Thank you. I've passed your message to Priya Shah.",
        "{seen:#}"
    );
    assert_eq!(seen["message"], "The parcel is at the side door", "{seen:#}");
    assert_eq!(seen["message_from"], "From Ann Lee", "{seen:#}");
    // When the store says they left (the harness's clock is stopped at 10:00 in London).
    assert!(
        seen["left"].as_str().unwrap().starts_with("Left at 10:00"),
        "{seen:#}"
    );
    assert_eq!(seen["after_reload"], "Ann Lee is at reception.", "{seen:#}");
    assert_eq!(seen["message_after_reload"], "The parcel is at the side door");
    // The token is in this tab's session storage only: not in the URL, not in local storage.
    let storage = &seen["storage"];
    assert_eq!(storage["session"], json!(["donna.staff-token"]), "{seen:#}");
    assert_eq!(storage["local"], 0, "{seen:#}");
    assert!(
        !storage["url"].as_str().unwrap().contains(&token[..20]),
        "{seen:#}"
    );
    assert_eq!(seen["signed_out"], "Sign in to the staff desk");
    assert_eq!(seen["storage_after"]["session"], json!([]), "{seen:#}");
    // What the page showed is what the store holds.
    let visits = staff_list(&served.url, "/api/visits", &token).await;
    assert_eq!(visits[0]["acknowledged_by"], "priya-shah", "{visits}");
    assert!(visits[0]["checked_out_at"].is_i64(), "{visits}");
    assert!(served.terminate());
}
