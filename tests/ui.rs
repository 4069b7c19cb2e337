//! The UI as a visitor uses it, driven through WebDriver:
//! - the real `donna` window (Tauri IPC) through tauri-driver and WebKitWebDriver;
//! - the same `ui/` in a plain browser (WebKit's MiniBrowser) against `donna serve` (HTTP);
//! - the staff page and the kiosk page in Chromium ([`staff_browser`], [`kiosk_screen`]);
//! - the staff app's settings: the key into the keyring, the checks ([`staff_settings`]);
//! - the app's window as a locked-down kiosk ([`kiosk_screen`]);
//! - the kiosk healing itself from each fault of `scripts/chaos.sh` ([`chaos`]).
//!
//! All need a display (Xvfb in CI) and the drivers the README's test command installs.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

#[path = "ui/browser_voice.rs"]
mod browser_voice;
#[path = "ui/chaos.rs"]
mod chaos;
#[path = "ui/kiosk_screen.rs"]
mod kiosk_screen;
#[path = "ui/staff_browser.rs"]
mod staff_browser;
#[path = "ui/staff_settings.rs"]
mod staff_settings;

use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};
use util::{Sandbox, Served, free_port, terminate, wait_for};

const JWT_SECRET: &str = "ui-test-secret-0123456789abcdef01234567";
const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

/// A WebDriver server process, stopped with SIGTERM so it takes its browser with it.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn spawn(mut cmd: Command, port: u16) -> Self {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {:?}: {e}; run the README's test command, which installs it",
                    cmd.get_program()
                )
            });
        let driver = Self { child, port };
        wait_for("the WebDriver port", Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        driver
    }

    async fn session(&self, capabilities: Value) -> Client {
        let caps = capabilities.as_object().expect("capabilities object").clone();
        // As the app does at its start: rustls has two providers built in this workspace.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        ClientBuilder::rustls()
            .expect("tls roots")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("WebDriver session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(10));
    }
}

/// tauri-driver on free ports, with `sandbox`'s environment plus `env`.
fn app_driver(sandbox: &Sandbox, env: &[(&str, &str)]) -> Driver {
    let (port, native_port) = (free_port(), free_port());
    let mut cmd = Command::new("tauri-driver");
    cmd.args([
        "--port",
        &port.to_string(),
        "--native-port",
        &native_port.to_string(),
    ]);
    sandbox.apply(&mut cmd);
    cmd.envs(env.iter().copied());
    Driver::spawn(cmd, port)
}

fn require_display() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "UI tests need a display: run them through the README's test command (it starts Xvfb)"
    );
}

/// Type `question`, send it, and return the text of Donna's answer once it has rendered.
async fn ask(client: &Client, question: &str) -> String {
    let before = client
        .find_all(Locator::Css("#messages .msg"))
        .await
        .expect("messages")
        .len();
    let input = client
        .wait()
        .for_element(Locator::Css("#chat-input"))
        .await
        .expect("chat input");
    input.send_keys(question).await.expect("type");
    client
        .find(Locator::Css("#chat-send"))
        .await
        .expect("send button")
        .click()
        .await
        .expect("click");
    // The visitor's bubble and Donna's answer are added; the answer starts as a pending "…".
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let items = client
            .find_all(Locator::Css("#messages .msg"))
            .await
            .expect("messages");
        if items.len() >= before + 2 {
            let last = items.last().expect("last message");
            let class = last.attr("class").await.expect("class").unwrap_or_default();
            if !class.contains("pending") {
                assert!(class.contains("donna"), "answer rendered as {class}");
                return last.text().await.expect("text");
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no answer rendered for {question:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the voice panel shows.
#[derive(Debug)]
struct VoicePanel {
    /// `data-state` of the state line: idle, listening, thinking, speaking or off.
    state: String,
    note: String,
    mic_disabled: bool,
}

async fn voice_panel(client: &Client) -> Result<VoicePanel, fantoccini::error::CmdError> {
    let state = client.find(Locator::Css("#voice-state")).await?;
    let mic = client.find(Locator::Css("#mic")).await?;
    Ok(VoicePanel {
        state: state.attr("data-state").await?.unwrap_or_default(),
        note: client.find(Locator::Css("#voice-note")).await?.text().await?,
        mic_disabled: mic.attr("disabled").await?.is_some(),
    })
}

/// Poll the voice panel until `done` holds (20 s at most); the last reading either way.
async fn voice_panel_until(
    client: &Client,
    done: impl Fn(&VoicePanel) -> bool,
) -> Result<VoicePanel, fantoccini::error::CmdError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let panel = voice_panel(client).await?;
        if done(&panel) || std::time::Instant::now() > deadline {
            return Ok(panel);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The app's log files, read together.
fn app_log(sandbox: &Sandbox) -> String {
    std::fs::read_dir(sandbox.data_dir().join("logs"))
        .map(|dir| {
            dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The app's in-process gateway address, from its own log.
fn app_gateway_url(sandbox: &Sandbox) -> String {
    wait_for(
        "the gateway address in the app's log",
        Duration::from_secs(10),
        || {
            app_log(sandbox)
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find_map(|v| {
                    (v["fields"]["message"] == "kiosk window starting; gateway on loopback")
                        .then(|| v["fields"]["url"].as_str().map(str::to_owned))
                        .flatten()
                })
        },
    )
}

/// Acknowledge the newest visit as `staff` through the gateway, with a token from `donna token mint`.
async fn acknowledge_latest_visit(sandbox: &Sandbox, staff: &str) {
    let url = app_gateway_url(sandbox);
    let token = util::mint_token(sandbox, JWT_SECRET, staff, "staff");
    let http = reqwest::Client::new();
    let visits = staff_list(&url, "/api/visits?since=0", &token).await;
    let id = visits[0]["id"].as_i64().unwrap_or_else(|| {
        let logs = app_log(sandbox);
        let denials: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains("denied") || l.contains("auth"))
            .collect();
        panic!("no visit listed: {visits}\n{denials:#?}")
    });
    let resp = http
        .post(format!("{url}/api/visits/{id}/ack"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// The text of the kiosk's unprompted notice, once shown.
async fn wait_for_notice(client: &Client) -> String {
    for _ in 0..100 {
        if let Ok(el) = client.find(Locator::Css("#messages .msg.notice")).await {
            return el.text().await.expect("notice text");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no notice shown");
}

/// A plain browser (WebKit's MiniBrowser) under WebDriver, with `env` for its processes; keep
/// the driver alive as long as the session.
async fn browser(env: &[(&str, &str)]) -> (Driver, Client) {
    let port = free_port();
    let mut cmd = Command::new("WebKitWebDriver");
    cmd.arg(format!("--port={port}")).envs(env.iter().copied());
    let driver = Driver::spawn(cmd, port);
    let client = driver
        .session(json!({
            "browserName": "MiniBrowser",
            "webkitgtk:browserOptions": { "binary": MINIBROWSER, "args": ["--automation"] }
        }))
        .await;
    (driver, client)
}

/// `GET {path}` (a list such as `/api/visits`) with a staff token.
async fn staff_list(base: &str, path: &str, token: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn transport(client: &Client) -> String {
    client
        .execute("return document.body.dataset.transport", vec![])
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_kiosk_window_answers_checks_in_and_announces_the_host() {
    require_display();
    let sandbox = Sandbox::new();
    // A Thursday morning, so the clinic is open whenever the test runs; tokens for staff.
    let driver = app_driver(
        &sandbox,
        &[
            ("DONNA_FIXED_TIME", "2026-11-26T10:00:00Z"),
            ("JWT_SECRET", JWT_SECRET),
        ],
    );
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna() } }))
        .await;

    // Panics inside are caught so the session is always closed (else the app outlives the test).
    let result = AssertUnwindSafe(async {
        // The header names the business once the welcome has come through IPC.
        let title = client
            .wait()
            .for_element(Locator::Css("body[data-welcome='ready'] #title"))
            .await?
            .text()
            .await?;
        let first = ask(&client, "Are you open on Sunday?").await;
        let second = ask(&client, "What's the wifi password?").await;
        let check_in = [
            ask(&client, "Hi, I'm here to see Maria Chen").await,
            ask(&client, "Ann Lee").await,
        ];
        // Dr Chen acknowledges from her desktop; the kiosk tells the visitor.
        acknowledge_latest_visit(&sandbox, "staff-maria-chen").await;
        let notice = wait_for_notice(&client).await;
        Ok::<_, fantoccini::error::CmdError>((
            title,
            first,
            second,
            transport(&client).await,
            check_in,
            notice,
        ))
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session so the app exits");
    let (title, first, second, kind, check_in, notice) = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert_eq!(check_in[0], "Thank you. May I have your name, please?");
    assert!(
        check_in[1].starts_with("Thank you, Ann. I've let Dr Maria Chen know you're here."),
        "{}",
        check_in[1]
    );
    assert_eq!(notice, "Maria is on their way.");
    assert_eq!(title, "Harbor Street Clinic");
    assert_eq!(kind, "ipc", "the app window must use Tauri IPC");
    assert_eq!(first, "On Sunday we're closed.");
    assert!(second.contains("HarborGuest"), "{second}");
    // Both answers went through the app's realtime session to the local engine, not around it.
    wait_for(
        "the realtime answers in the app's log",
        Duration::from_secs(10),
        || {
            (app_log(&sandbox)
                .matches("chat answered through the realtime session")
                .count()
                == 4)
                .then_some(())
        },
    );
}

#[tokio::test]
async fn a_visitor_checks_in_from_a_plain_browser_until_their_host_is_on_the_way() {
    require_display();
    let sandbox = Sandbox::new();
    let served = Served::start(&sandbox, &[], &[("JWT_SECRET", JWT_SECRET)]);
    // The tablet's own zone is far from the clinic's: the page shows the clinic's time.
    let (_driver, client) = browser(&[("TZ", "Pacific/Auckland")]).await;
    let token = util::mint_token(&sandbox, JWT_SECRET, "tom-becker", "staff");
    let http = reqwest::Client::new();

    // Panics inside are caught so the session is always closed (else the app outlives the test).
    let result = AssertUnwindSafe(async {
        client.goto(&format!("{}/", served.url)).await?;
        let directions = ask(&client, "Where can I find Dr Okafor?").await;
        // A visit over several turns: the page keeps its conversation.
        let check_in = [
            ask(&client, "Hello, I'm here to see Tom Becker").await,
            ask(&client, "Ann Lee").await,
        ];
        // The receptionist's list has the visit; Tom says he is on his way; the page says so.
        let visits = staff_list(&served.url, "/api/visits", &token).await;
        let id = visits[0]["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no visit listed: {visits}"));
        let ack = http
            .post(format!("{}/api/visits/{id}/ack", served.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(ack.status(), 200);
        let notice = wait_for_notice(&client).await;
        let clock = client.find(Locator::Css("#clock")).await?.text().await?;
        let voice = voice_panel(&client).await?;
        Ok::<_, fantoccini::error::CmdError>((
            directions,
            check_in,
            visits,
            notice,
            transport(&client).await,
            clock,
            voice,
        ))
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session");
    let (directions, check_in, visits, notice, kind, clock, voice) = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert_eq!(kind, "http", "a browser has no Tauri IPC");
    assert!(
        directions.starts_with("Dr James Okafor, our General Practitioner"),
        "{directions}"
    );
    assert_eq!(check_in[0], "Thank you. May I have your name, please?");
    assert!(
        check_in[1].starts_with("Thank you, Ann. I've let Tom Becker know you're here."),
        "{}",
        check_in[1]
    );
    assert_eq!(visits[0]["visitor_name"], "Ann Lee", "{visits}");
    assert_eq!(visits[0]["host_staff_id"], "tom-becker", "{visits}");
    assert_eq!(notice, "Tom is on their way.");
    // The harness stops the clock at 10:00 in London; the tablet is in Auckland.
    assert!(clock.starts_with("10:00"), "the kiosk clock shows {clock:?}");
    // No voice path in a plain browser, said once and for good: not "yet", not "Idle".
    assert_eq!(voice.state, "off");
    assert_eq!(
        voice.note,
        "Voice is not available in this browser. Please type your question."
    );
    assert!(voice.mic_disabled);
    assert!(served.terminate());
}

/// The conversation scrolls inside its panel: after a dozen exchanges the header, the input and
/// the microphone are still on the screen, in landscape and in portrait.
#[tokio::test]
async fn the_input_and_the_mic_stay_on_screen_as_the_conversation_grows() {
    require_display();
    let sandbox = Sandbox::new();
    let served = Served::start(&sandbox, &[], &[]);
    let (_driver, client) = browser(&[]).await;
    let layout = "const r = (s) => document.querySelector(s).getBoundingClientRect(); \
        const m = document.getElementById('messages'); \
        return { height: innerHeight, width: innerWidth, title: r('#title').top, \
                 input: r('#chat-input').bottom, mic: r('#mic').bottom, page: scrollY, \
                 scrolls: m.scrollHeight > m.clientHeight };";
    let result = AssertUnwindSafe(async {
        let mut seen = Vec::new();
        for (width, height) in [(1280, 800), (800, 1280)] {
            client.set_window_size(width, height).await?;
            client.goto(&format!("{}/", served.url)).await?;
            for _ in 0..12 {
                ask(&client, "What's the wifi password?").await;
            }
            seen.push(client.execute(layout, vec![]).await?);
        }
        Ok::<_, fantoccini::error::CmdError>(seen)
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session");
    let seen = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    for at in &seen {
        let (height, width) = (at["height"].as_f64().unwrap(), at["width"].as_f64().unwrap());
        assert!(
            at["scrolls"] == true,
            "a dozen exchanges overflow the panel: {at}"
        );
        assert_eq!(at["page"], 0, "the page itself did not scroll: {at}");
        assert!(
            at["title"].as_f64().unwrap() >= 0.0,
            "the header is on screen: {at}"
        );
        assert!(
            at["input"].as_f64().unwrap() <= height,
            "the input is on screen: {at}"
        );
        assert!(
            at["mic"].as_f64().unwrap() <= height,
            "the microphone is on screen: {at}"
        );
        assert!(width > 0.0);
    }
    assert!(served.terminate());
}

#[tokio::test]
async fn the_staff_desktop_shows_a_check_in_and_acknowledges_it() {
    require_display();
    let sandbox = Sandbox::new();
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_FIXED_TIME", "2026-11-26T10:00:00Z"),
    ];
    let served = Served::start(&sandbox, &[], &env);
    let token = util::mint_token(&sandbox, JWT_SECRET, "staff-priya-shah", "staff");
    let staff_home = Sandbox::new();
    // The staff member's laptop is in Auckland; the front desk is in London.
    let driver = app_driver(
        &staff_home,
        &[
            ("DONNA_GATEWAY_URL", &served.url),
            ("DONNA_STAFF_TOKEN", &token),
            ("TZ", "Pacific/Auckland"),
        ],
    );
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna(), "args": ["staff"] } }))
        .await;

    let http = reqwest::Client::new();
    let result = AssertUnwindSafe(async {
        client
            .wait()
            .for_element(Locator::Css("body[data-ready='true']"))
            .await?;
        // A visitor checks in at a browser tablet for Priya.
        let reply: Value = http
            .post(format!("{}/api/chat", served.url))
            .json(&json!({ "message": "Hi, my name is Ann Lee and I'm here to see Priya Shah" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            reply["reply"].as_str().unwrap().starts_with("Thank you, Ann."),
            "{reply}"
        );
        let summary = client
            .wait()
            .for_element(Locator::Css(".visit .summary"))
            .await?
            .text()
            .await?;
        let at = client.find(Locator::Css(".visit time")).await?.text().await?;
        client.find(Locator::Css(".visit .ack")).await?.click().await?;
        client
            .wait()
            .for_element(Locator::Css(".visit.acknowledged"))
            .await?;
        Ok::<_, fantoccini::error::CmdError>((summary, at))
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session so the app exits");
    let (summary, at) = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert_eq!(summary, "Ann Lee is at reception to see you.");
    // The harness's clock is stopped at 10:00 in London: the desk's time, not Auckland's.
    assert!(at.starts_with("10:00"), "the visit shows {at:?}");
    let visits = staff_list(&served.url, "/api/visits?since=0", &token).await;
    assert_eq!(visits[0]["acknowledged_by"], "priya-shah", "{visits}");
    assert!(served.terminate());
}

/// The visits panel's problem box once it names `kind`: its text, and whether "Nobody is
/// waiting" shows beside it.
async fn staff_problem(client: &Client, kind: &str) -> Result<(String, bool), fantoccini::error::CmdError> {
    let text = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&format!("#visits-problem[data-kind='{kind}']")))
        .await?
        .text()
        .await?;
    let empty_shown = client
        .find(Locator::Css("#no-visits"))
        .await?
        .is_displayed()
        .await?;
    Ok((text, empty_shown))
}

#[tokio::test]
async fn the_staff_desktop_says_what_is_wrong_where_the_visitors_would_be() {
    require_display();
    let sandbox = Sandbox::new();
    // Nothing listens here yet; a gateway starts on it once the desk has said so.
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let gateway_url = format!("http://{addr}");
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_FIXED_TIME", "2026-11-26T10:00:00Z"),
        ("DONNA_ADDR", addr.as_str()),
    ];
    let good = util::mint_token(&sandbox, JWT_SECRET, "staff-priya-shah", "staff");
    let forged = util::mint_token(
        &sandbox,
        "another-secret-0123456789abcdef0123",
        "staff-priya-shah",
        "staff",
    );

    // A token the gateway did not sign.
    let staff_home = Sandbox::new();
    let served = Served::start(&sandbox, &[], &env);
    let driver = app_driver(
        &staff_home,
        &[
            ("DONNA_GATEWAY_URL", &gateway_url),
            ("DONNA_STAFF_TOKEN", &forged),
        ],
    );
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna(), "args": ["staff"] } }))
        .await;
    let refused = AssertUnwindSafe(staff_problem(&client, "refused"))
        .catch_unwind()
        .await;
    client.close().await.expect("end the session so the app exits");
    drop(driver);
    assert!(served.terminate());
    let (text, empty_shown) = refused
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert!(text.contains("refused this desk's staff token"), "{text}");
    assert!(text.contains("DONNA_STAFF_TOKEN"), "{text}");
    assert!(!empty_shown, "a refused token must not read as an empty queue");

    // The front desk is down: the desk says so, then catches up once it is back.
    let driver = app_driver(
        &staff_home,
        &[("DONNA_GATEWAY_URL", &gateway_url), ("DONNA_STAFF_TOKEN", &good)],
    );
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna(), "args": ["staff"] } }))
        .await;
    let mut served = None;
    let result = AssertUnwindSafe(async {
        let down = staff_problem(&client, "unreachable").await?;
        served = Some(Served::start(&sandbox, &[], &env));
        let back = client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("#no-visits:not([hidden])"))
            .await?
            .text()
            .await?;
        let problem_shown = client
            .find(Locator::Css("#visits-problem"))
            .await?
            .is_displayed()
            .await?;
        let link = client.find(Locator::Css("#status")).await?.text().await?;
        Ok::<_, fantoccini::error::CmdError>((down, back, problem_shown, link))
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session so the app exits");
    let ((text, empty_shown), back, problem_shown, link) = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert!(text.contains("can't be reached"), "{text}");
    assert!(text.contains("DONNA_GATEWAY_URL"), "{text}");
    assert!(
        !empty_shown,
        "an unreachable front desk must not read as an empty queue"
    );
    assert_eq!(back, "Nobody is waiting for you.");
    assert!(!problem_shown, "the problem is gone once the front desk answers");
    assert_eq!(link, "Connected");
    assert!(served.expect("the gateway started").terminate());
}

/// A kiosk whose microphone and speaker are both missing: the panel names both, a typed answer
/// does not leave it on "Speaking", and the log says each device is missing once, not twice a
/// second.
#[tokio::test]
async fn the_voice_panel_says_what_is_missing_and_follows_what_really_happens() {
    require_display();
    let sandbox = Sandbox::new();
    let driver = app_driver(
        &sandbox,
        &[
            ("DONNA_INPUT_DEVICE", "no-such-microphone"),
            ("DONNA_OUTPUT_DEVICE", "no-such-speaker"),
        ],
    );
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna() } }))
        .await;
    let result = AssertUnwindSafe(async {
        let missing = voice_panel_until(&client, |p| {
            p.note.contains("microphone") && p.note.contains("speaker")
        })
        .await?;
        // Donna's answer is spoken to nobody: shown, and the panel goes back to idle.
        let answer = ask(&client, "What's the wifi password?").await;
        let after = voice_panel_until(&client, |p| p.state == "idle").await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let later = voice_panel(&client).await?;
        Ok::<_, fantoccini::error::CmdError>((missing, answer, after, later))
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session so the app exits");
    let (missing, answer, after, later) = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert_eq!(
        missing.note,
        "The microphone is not connected, so please type your question. \
         The speaker is not connected: Donna's answers show here as text."
    );
    assert!(missing.mic_disabled, "no microphone, no mic button");
    assert!(answer.contains("HarborGuest"), "{answer}");
    assert_eq!(after.state, "idle", "the panel stays on {:?}", after.state);
    assert_eq!(later.state, "idle");
    assert_eq!(later.note, missing.note, "both devices are still named");
    // Several seconds without devices: each one's absence is logged once.
    let log = app_log(&sandbox);
    assert_eq!(
        log.matches("audio device lost").count(),
        2,
        "{}",
        log.lines()
            .filter(|l| l.contains("audio device"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A receptionist's desk left open while visitors arrive: twenty check-ins over two minutes
/// (longer than any timeout or keep-alive between the desk and the front desk), the front desk
/// restarted once in the middle, and every visitor is in the staff window's list.
#[tokio::test]
async fn the_staff_desktop_left_open_shows_every_visitor_of_two_minutes() {
    const VISITORS: [&str; 20] = [
        "Ann Lee",
        "Bea Moss",
        "Cal Reed",
        "Dee Hart",
        "Eli Ward",
        "Fay Cole",
        "Gus Lane",
        "Hal Pike",
        "Ivy Ross",
        "Jon Park",
        "Kim Shaw",
        "Lou Grant",
        "Max Dunn",
        "Ned Fox",
        "Oda Bell",
        "Pam Hale",
        "Quin Roe",
        "Ray Vance",
        "Sue Kemp",
        "Ted Nash",
    ];
    require_display();
    let sandbox = Sandbox::new();
    let addr = format!("127.0.0.1:{}", free_port());
    let env = [("JWT_SECRET", JWT_SECRET), ("DONNA_ADDR", addr.as_str())];
    let mut served = Served::start(&sandbox, &[], &env);
    let token = util::mint_token(&sandbox, JWT_SECRET, "staff-priya-shah", "staff");
    let staff_home = Sandbox::new();
    let driver = app_driver(
        &staff_home,
        &[("DONNA_GATEWAY_URL", &served.url), ("DONNA_STAFF_TOKEN", &token)],
    );
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna(), "args": ["staff"] } }))
        .await;
    // A kiosk's browser, one connection per check-in: six seconds apart, nothing is kept alive.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let result = AssertUnwindSafe(async {
        client
            .wait()
            .for_element(Locator::Css("body[data-ready='true']"))
            .await?;
        for (i, name) in VISITORS.iter().enumerate() {
            if i == VISITORS.len() / 2 {
                // The front desk restarts (an update, a crash): same address, same store.
                assert!(served.terminate_in_place());
                served = Served::start(&sandbox, &[], &env);
            }
            let reply: Value = http
                .post(format!("{}/api/chat", served.url))
                .json(&json!({ "message": format!("I'm {name} for Priya Shah") }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let first = name.split(' ').next().unwrap();
            assert!(
                reply["reply"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("Thank you, {first}.")),
                "{reply}"
            );
            tokio::time::sleep(Duration::from_secs(6)).await;
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let mut shown = Vec::new();
            for card in client.find_all(Locator::Css(".visit .summary")).await? {
                shown.push(card.text().await?);
            }
            if shown.len() >= VISITORS.len() || std::time::Instant::now() > deadline {
                let status = client.find(Locator::Css("#status")).await?.text().await?;
                return Ok::<_, fantoccini::error::CmdError>((shown, status));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .catch_unwind()
    .await;
    client.close().await.expect("end the session so the app exits");
    let (shown, status) = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    for name in VISITORS {
        let line = format!("{name} is at reception to see you.");
        assert_eq!(
            shown.iter().filter(|s| **s == line).count(),
            1,
            "{name} shown once: {shown:#?}"
        );
    }
    assert_eq!(status, "Connected");
    assert!(served.terminate_in_place());
}

/// A visitor starts a message and walks away; a minute and a half later the next visitor asks
/// the way in the same window. Their words are neither stored as the first visitor's message
/// nor signed with anything the first one said.
#[tokio::test]
async fn the_next_visitor_in_the_window_is_not_taken_for_the_one_who_walked_away() {
    require_display();
    let sandbox = Sandbox::new();
    let driver = app_driver(&sandbox, &[("JWT_SECRET", JWT_SECRET)]);
    let client = driver
        .session(json!({ "tauri:options": { "application": util::donna() } }))
        .await;
    let result = AssertUnwindSafe(async {
        let started = ask(&client, "Can I leave a message for Tom Becker?").await;
        // The harness's clock is stopped at 10:00: only real time passes, as at a real kiosk.
        tokio::time::sleep(Duration::from_secs(95)).await;
        let next = ask(&client, "Where are the toilets?").await;
        Ok::<_, fantoccini::error::CmdError>((started, next))
    })
    .catch_unwind()
    .await;
    let url = app_gateway_url(&sandbox);
    let token = util::mint_token(&sandbox, JWT_SECRET, "tom-becker", "staff");
    let messages = staff_list(&url, "/api/messages?since=0", &token).await;
    client.close().await.expect("end the session so the app exits");
    let (started, next) = result
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
        .expect("UI interaction");
    assert_eq!(started, "Of course. What would you like me to tell them?");
    assert!(next.to_lowercase().contains("toilet"), "{next}");
    assert!(!next.contains("who should I say"), "{next}");
    assert_eq!(messages, json!([]), "nothing was stored as a message");
}
