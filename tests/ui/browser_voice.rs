//! A visitor talks to the kiosk page in a plain browser (Chromium, its microphone fed from a
//! recording of the visitor) and checks in by voice, holding the button to talk: the page opens
//! its realtime session with a client secret from `/api/realtime/token` (a WebRTC call to the
//! local engine) or through the gateway's WebSocket proxy, Donna hears the visitor and answers
//! aloud, the captions show both, and the visit reaches the staff list.

use std::panic::AssertUnwindSafe;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::{Client, Locator};
use futures_util::FutureExt;
use serde_json::{Value, json};

use super::staff_browser::chromedriver;
use super::util::{self, Sandbox, Served};
use super::{require_display, staff_list};

/// The visitor's words: the reason for the visit (about 2.3 s), a long pause for Donna's
/// answer (on a loaded machine, recognising the words and answering take seconds), the name
/// (from about 16.3 s to 17.6 s), and quiet. espeak-ng drops a pause before
/// the first word, so [`LEAD`] is added to the recording itself.
const VISITOR: &str = "<speak>Hello, I'm here to see Maria Chen.<break time=\"14s\"/>\
My name is Ann Walker.<break time=\"10s\"/></speak>";
/// Quiet at the start of the recording, which plays from when the page opens the microphone:
/// the page connects meanwhile (from a few hundred milliseconds to seconds on a loaded machine).
const LEAD: f32 = 5.0;
/// When the visitor holds the button, counted from the page being ready: each span covers one
/// sentence whenever the page is ready within [`LEAD`] of opening the microphone (the first
/// sentence is heard from 5 to 7.3 s, the second from 21.3 to 22.6 s).
const TURNS: [(Duration, Duration); 2] = [
    (Duration::ZERO, Duration::from_millis(8_000)),
    (Duration::from_millis(15_000), Duration::from_millis(23_000)),
];
/// One spoken check-in at a time: two browsers and two recognisers at once on a small machine
/// make each page's start too slow for the script above.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Chromium whose microphone plays `wav` once, from when the page opens it.
async fn chromium_hearing(driver: &super::Driver, wav: &str) -> Client {
    driver
        .session(json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                    format!("--use-file-for-fake-audio-capture={wav}%noloop"),
                    "--autoplay-policy=no-user-gesture-required"]
            }
        }))
        .await
}

async fn captions(client: &Client) -> Result<Value, fantoccini::error::CmdError> {
    client
        .execute(
            "return Array.from(document.querySelectorAll('#captions .caption'), (p) => [p.classList.contains('visitor') ? 'visitor' : 'donna', p.textContent])",
            vec![],
        )
        .await
}

/// The mic button, held with the WebDriver's mouse or let go.
async fn mic_button(client: &Client, down: bool) -> Result<(), fantoccini::error::CmdError> {
    if down {
        let mic = client.find(Locator::Css("#mic")).await?;
        let press = MouseActions::new("visitor".to_owned())
            .then(PointerAction::MoveToElement {
                element: mic,
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            });
        client.perform_actions(press).await
    } else {
        let release = MouseActions::new("visitor".to_owned()).then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
        client.perform_actions(release).await
    }
}

/// Donna's lines in the captions.
fn donna_lines(captions: &Value) -> Vec<String> {
    captions
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c[0] == "donna")
        .filter_map(|c| c[1].as_str().map(str::to_owned))
        .collect()
}

/// A whole check-in by voice, holding the button for each sentence; `env` chooses the path.
async fn check_in_by_voice(env: &[(&str, &str)]) {
    require_display();
    let Some(models) = util::speech_models() else {
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().await;
    let sandbox = Sandbox::new();
    let words = sandbox.home.path().join("visitor-words.wav");
    let spoken = Command::new("espeak-ng")
        .args(["-m", "-v", "en-us", "-s", "150", "-w"])
        .arg(&words)
        .arg(VISITOR)
        .status()
        .expect("espeak-ng is installed (scripts/test.sh installs it)");
    assert!(spoken.success());
    let (said, rate) = donna_audio::wav::read_mono(&words).expect("espeak-ng's WAV");
    let recording: Vec<i16> = std::iter::repeat_n(0, (LEAD * rate as f32) as usize)
        .chain(said.iter().map(|s| (s * 32767.0).round() as i16))
        .collect();
    let wav = sandbox.home.path().join("visitor.wav");
    donna_audio::wav::write_mono_i16(&wav, &recording, rate).expect("the visitor's recording");
    let mut env = env.to_vec();
    env.push(("DONNA_MODELS_DIR", models.as_str()));
    let served = Served::start(&sandbox, &[], &env);
    let kiosk_token = util::mint_own_token(&sandbox, "kiosk-lobby", "kiosk");
    let staff_token = util::mint_own_token(&sandbox, "staff-priya-shah", "staff");
    let driver = chromedriver();
    let visitor = chromium_hearing(&driver, wav.to_str().unwrap()).await;
    let base = served.url.clone();

    let result = AssertUnwindSafe(async {
        // The screen is made a kiosk once, with its device token in the address's fragment.
        let opened = Instant::now();
        visitor
            .goto(&format!("{base}/#kiosk-token={kiosk_token}"))
            .await?;
        // Voice is ready when the panel says how to talk.
        let mut hint = String::new();
        for _ in 0..200 {
            hint = visitor.find(Locator::Css("#voice-note")).await?.text().await?;
            if hint != "Starting voice…" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let ready = Instant::now();
        eprintln!("the page's voice was ready {:?} after it opened", ready - opened);
        let address = visitor.current_url().await?.to_string();
        let mut states = Vec::new();
        for (press, release) in TURNS {
            tokio::time::sleep_until((ready + press).into()).await;
            mic_button(&visitor, true).await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            states.push(visitor.find(Locator::Css("#voice-state")).await?.text().await?);
            tokio::time::sleep_until((ready + release).into()).await;
            mic_button(&visitor, false).await?;
        }
        // Donna's answer to the name is the check-in; it may take a few seconds to come.
        let mut seen = Value::Null;
        for _ in 0..300 {
            seen = captions(&visitor).await?;
            if donna_lines(&seen)
                .iter()
                .any(|line| line.contains("know you're here"))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<_, fantoccini::error::CmdError>((address, hint, states, seen))
    })
    .catch_unwind()
    .await;
    let _ = visitor.close().await;
    let (address, hint, states, seen) = result.expect("the browser test panicked").expect("WebDriver");

    assert!(
        !address.contains(&kiosk_token[..20]),
        "the token left the address bar: {address}"
    );
    assert_eq!(hint, "Hold the button and speak.");
    assert_eq!(
        states,
        ["Listening…", "Listening…"],
        "the panel listens while the button is held"
    );
    let visitor_said: Vec<String> = seen
        .as_array()
        .expect("captions")
        .iter()
        .filter(|c| c[0] == "visitor")
        .filter_map(|c| c[1].as_str().map(str::to_lowercase))
        .collect();
    assert!(
        visitor_said.iter().any(|s| s.contains("maria chen"))
            && visitor_said.iter().any(|s| util::heard_name(s, "walker")),
        "the visitor's words in the captions: {seen:#}"
    );
    let donna_said = donna_lines(&seen);
    assert!(donna_said.len() >= 2, "Donna answered each turn aloud: {seen:#}");
    // What the captions showed is what the store holds.
    let visits = staff_list(&base, "/api/visits", &staff_token).await;
    let visit = &visits[0];
    assert_eq!(visit["host_staff_id"], "maria-chen", "{visits}");
    assert!(
        visit["visitor_name"].as_str().unwrap_or_default().contains("Ann"),
        "{visits}"
    );
    assert!(served.terminate());
}

#[tokio::test]
async fn a_visitor_checks_in_by_voice_in_a_plain_browser_over_webrtc() {
    check_in_by_voice(&[]).await;
}

#[tokio::test]
async fn a_visitor_checks_in_by_voice_in_a_plain_browser_through_the_websocket_proxy() {
    check_in_by_voice(&[("ENABLE_WS_PROXY", "true"), ("USE_WS_PROXY", "true")]).await;
}
