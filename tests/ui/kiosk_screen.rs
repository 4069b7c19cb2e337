//! The kiosk's screen as visitors meet it: the business's name and greeting, questions to tap,
//! colours anyone can read, states a screen reader hears, and a visit that ends by itself and
//! leaves nothing for the next visitor; in Chromium against `donna serve`, and in the app's own
//! window as a locked-down kiosk.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

use super::staff_browser::{chromedriver, chromium, shown_text};
use super::util::{self, Sandbox, Served};
use super::{JWT_SECRET, app_driver, app_gateway_url, ask, require_display, staff_list};

/// Every visible text on the page whose colour on its background is under WCAG AA (4.5:1, or
/// 3:1 for large text), as `["selector-ish: ratio"]`; with each voice state shown in turn.
const CONTRAST_AUDIT: &str = r#"
const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const [r, g, b, a = 1] = rgb(getComputedStyle(e).backgroundColor);
    if (a > 0.5) return [r, g, b];
  }
  return [255, 255, 255];
};
const failures = [];
const audit = (label) => {
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null && getComputedStyle(el).position !== "fixed") continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || Number(style.opacity) < 1) continue;
    const [l1, l2] = [lum(rgb(style.color)), lum(background(el))].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${label} ${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${ratio.toFixed(2)}`);
  }
};
const state = document.getElementById("voice-state");
const mic = document.getElementById("mic");
for (const s of ["idle", "listening", "thinking", "speaking"]) {
  state.dataset.state = s;
  audit(s);
}
mic.setAttribute("aria-pressed", "true");
audit("pressed");
mic.setAttribute("aria-pressed", "false");
const caption = document.createElement("p");
caption.className = "caption visitor";
caption.textContent = "I'm here to see Tom";
document.getElementById("captions").append(caption);
audit("captions");
document.documentElement.setAttribute("data-high-contrast", "");
audit("high-contrast");
document.documentElement.removeAttribute("data-high-contrast");
caption.remove();
return failures;
"#;

async fn message_texts(client: &Client) -> Result<Vec<String>, fantoccini::error::CmdError> {
    let mut out = Vec::new();
    for item in client.find_all(Locator::Css("#messages .msg")).await? {
        out.push(item.text().await?);
    }
    Ok(out)
}

/// Wait until the page has wiped itself `n` times.
async fn wait_for_reset(client: &Client, n: u32) -> Result<(), fantoccini::error::CmdError> {
    client
        .wait()
        .at_most(Duration::from_secs(40))
        .for_element(Locator::Css(&format!("body[data-resets='{n}']")))
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_kiosk_page_welcomes_in_the_businesss_words_and_wipes_a_quiet_visit() {
    require_display();
    let sandbox = Sandbox::new();
    let env = [
        ("DONNA_MODE", "kiosk"),
        ("VISIT_IDLE_S", "10"),
        ("VISIT_GOODBYE_S", "5"),
    ];
    let served = Served::start(&sandbox, &[], &env);
    let driver = chromedriver();
    let client = chromium(&driver).await;
    let base = served.url.clone();
    let result = AssertUnwindSafe(async {
        client.goto(&format!("{base}/")).await?;
        let attract = shown_text(&client, "#attract").await?;
        client.find(Locator::Css("#attract-start")).await?.click().await?;
        client
            .wait()
            .for_element(Locator::Css("body[data-attract='false']"))
            .await?;
        let title = client.find(Locator::Css("#title")).await?.text().await?;
        let greeting = message_texts(&client).await?;
        let mut suggestions = Vec::new();
        for button in client.find_all(Locator::Css("#suggestions .suggestion")).await? {
            suggestions.push(button.text().await?);
        }
        let audit: Value = client.execute(CONTRAST_AUDIT, vec![]).await?;
        let announced = client
            .find(Locator::Css("#voice-state"))
            .await?
            .attr("role")
            .await?;
        let icon: Value = client
            .execute(
                "const r = document.querySelector('#mic .mic-icon').getBoundingClientRect(); \
                 return { tag: document.querySelector('#mic .mic-icon').tagName.toLowerCase(), w: r.width, h: r.height, \
                 label: document.getElementById('mic').textContent.trim() }",
                vec![],
            )
            .await?;

        // A tap on "What are your opening hours?" asks it.
        let hours_button = client
            .find(Locator::XPath(
                "//button[contains(@class,'suggestion') and contains(., 'opening hours')]",
            ))
            .await?;
        hours_button.click().await?;
        client
            .wait()
            .for_element(Locator::Css("#messages .msg.donna:not(.pending):not(.greeting)"))
            .await?;
        let hours = message_texts(&client).await?;
        // A check-in half done, then the visitor walks away.
        let asked = ask(&client, "I'm here to see Tom Becker").await;
        let still_there = shown_text(&client, "#messages .still-there").await?;
        wait_for_reset(&client, 1).await?;
        let attract_again = client.find(Locator::Css("#attract")).await?.is_displayed().await?;
        let wiped = message_texts(&client).await?;
        let captions = client.find(Locator::Css("#captions")).await?.text().await?;

        // The next visitor gives a name: it is theirs, not the end of the last visitor's check-in.
        client.find(Locator::Css("#attract-start")).await?.click().await?;
        let next = ask(&client, "Ann Lee").await;
        Ok::<_, fantoccini::error::CmdError>(json!({
            "attract": attract, "title": title, "greeting": greeting, "suggestions": suggestions,
            "audit": audit, "announced": announced, "icon": icon, "hours": hours, "asked": asked,
            "still_there": still_there, "attract_again": attract_again, "wiped": wiped,
            "captions": captions, "next": next,
        }))
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session");
    let seen = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert!(
        seen["attract"]
            .as_str()
            .unwrap()
            .starts_with("Harbor Street Clinic"),
        "{seen:#}"
    );
    assert!(
        seen["attract"].as_str().unwrap().contains("Tap or say hello"),
        "{seen:#}"
    );
    assert_eq!(seen["title"], "Harbor Street Clinic", "{seen:#}");
    let greeting = "Welcome to Harbor Street Clinic. I'm Donna, the receptionist. How can I help you today?";
    assert_eq!(seen["greeting"], json!([greeting]), "{seen:#}");
    assert_eq!(seen["suggestions"][0], "I'm here to see someone", "{seen:#}");
    assert_eq!(seen["audit"], json!([]), "every text at WCAG AA: {seen:#}");
    assert_eq!(seen["announced"], "status", "state changes are announced");
    assert_eq!(seen["icon"]["tag"], "svg", "{seen:#}");
    assert!(seen["icon"]["w"].as_f64().unwrap() >= 32.0, "{seen:#}");
    assert_eq!(seen["icon"]["label"], "Hold to talk", "no stray glyph: {seen:#}");
    assert_eq!(seen["hours"][1], "What are your opening hours?", "{seen:#}");
    assert!(seen["hours"][2].as_str().unwrap().contains("open"), "{seen:#}");
    assert_eq!(seen["asked"], "Thank you. May I have your name, please?");
    assert!(
        seen["still_there"]
            .as_str()
            .unwrap()
            .starts_with("Are you still there?"),
        "{seen:#}"
    );
    assert_eq!(seen["attract_again"], true, "{seen:#}");
    assert_eq!(
        seen["wiped"],
        json!([greeting]),
        "nothing of the last visitor: {seen:#}"
    );
    assert_eq!(seen["captions"], "");
    assert!(!seen["next"].as_str().unwrap().contains("Tom Becker"), "{seen:#}");
    // No JWT_SECRET here: the gateway signs with its own key, which `donna token mint` reads.
    let token = util::mint_own_token(&sandbox, "tom-becker", "staff");
    let visits = staff_list(&served.url, "/api/visits", &token).await;
    assert_eq!(visits, json!([]), "nobody was checked in");
    assert!(served.terminate());
}

#[tokio::test]
async fn the_kiosk_window_locked_down_starts_each_visitor_afresh() {
    require_display();
    let sandbox = Sandbox::new();
    let driver = app_driver(&sandbox, &[("JWT_SECRET", JWT_SECRET)]);
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna(), "args": ["--kiosk"] } }))
        .await;
    let result = AssertUnwindSafe(async {
        let attract = shown_text(&client, "#attract").await?;
        let rect = client.get_window_rect().await?;
        let screen: Value = client
            .execute(
                "return [screen.width, screen.height, window.innerWidth, window.innerHeight]",
                vec![],
            )
            .await?;
        let menu_blocked: Value = client
            .execute(
                "const e = new MouseEvent('contextmenu', {bubbles: true, cancelable: true}); \
                 return !document.body.dispatchEvent(e)",
                vec![],
            )
            .await?;
        let reload_blocked: Value = client
            .execute(
                "const e = new KeyboardEvent('keydown', {key: 'F5', bubbles: true, cancelable: true}); \
                 return !document.body.dispatchEvent(e)",
                vec![],
            )
            .await?;
        client.find(Locator::Css("#attract-start")).await?.click().await?;
        let asked = ask(&client, "I'm here to see Tom Becker").await;
        // The visitor leaves; staff (or the next visitor) start again.
        client.find(Locator::Css("#new-visit")).await?.click().await?;
        wait_for_reset(&client, 1).await?;
        client.find(Locator::Css("#attract-start")).await?.click().await?;
        let next = ask(&client, "Ann Lee").await;
        let messages = message_texts(&client).await?;
        Ok::<_, fantoccini::error::CmdError>(json!({
            "attract": attract, "rect": [rect.2, rect.3], "screen": screen,
            "menu_blocked": menu_blocked, "reload_blocked": reload_blocked,
            "asked": asked, "next": next, "messages": messages,
        }))
    })
    .catch_unwind()
    .await;
    let url = app_gateway_url(&sandbox);
    let token = util::mint_token(&sandbox, JWT_SECRET, "tom-becker", "staff");
    let visits = staff_list(&url, "/api/visits?since=0", &token).await;
    client.close().await.expect("end the session so the app exits");
    let seen = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert!(
        seen["attract"]
            .as_str()
            .unwrap()
            .starts_with("Harbor Street Clinic"),
        "{seen:#}"
    );
    // Full screen: the window covers the (virtual) screen.
    assert_eq!(
        seen["rect"],
        json!([seen["screen"][0], seen["screen"][1]]),
        "{seen:#}"
    );
    assert_eq!(seen["menu_blocked"], true, "{seen:#}");
    assert_eq!(seen["reload_blocked"], true, "{seen:#}");
    assert_eq!(seen["asked"], "Thank you. May I have your name, please?");
    assert!(!seen["next"].as_str().unwrap().contains("Tom Becker"), "{seen:#}");
    assert_eq!(
        seen["messages"].as_array().unwrap().len(),
        3,
        "greeting, Ann Lee, answer: {seen:#}"
    );
    assert_eq!(
        visits,
        json!([]),
        "the session forgot the first visitor's check-in"
    );
}

#[test]
fn a_second_kiosk_window_on_the_same_data_dir_says_the_first_is_running() {
    require_display();
    let sandbox = Sandbox::new();
    let mut first = sandbox
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Running once its gateway is up (the address is in its log).
    app_gateway_url(&sandbox);
    let mut second = sandbox.command();
    second.arg("--kiosk");
    let out = util::run_with_timeout(second, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let pid = first.id();
    // SIGTERM closes the window cleanly (exit status 0), as a service manager stops it.
    assert!(
        util::terminate(&mut first, Duration::from_secs(10)),
        "a clean exit on SIGTERM"
    );
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: Donna is already running for {} (process {}); close it first",
            sandbox.data_dir().display(),
            pid
        )
    );
}
