//! What the voice tests share, in the voice crate's tests and in the app's call tests: waiting
//! for the voice path's events, and a visitor speaking into the virtual microphone.

#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;
use std::time::Duration;

use donna_voice::{Speaker, VoiceEvent};
use tokio::sync::broadcast;

/// The next event `want` accepts, within `limit`.
pub async fn next_matching(
    events: &mut broadcast::Receiver<VoiceEvent>,
    limit: Duration,
    mut want: impl FnMut(&VoiceEvent) -> bool,
) -> Option<VoiceEvent> {
    tokio::time::timeout(limit, async {
        loop {
            match events.recv().await {
                Ok(e) if want(&e) => return Some(e),
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .await
    .ok()
    .flatten()
}

/// The final caption of `speaker`'s next item.
pub async fn caption(events: &mut broadcast::Receiver<VoiceEvent>, speaker: Speaker) -> String {
    let found = next_matching(
        events,
        Duration::from_secs(60),
        |e| matches!(e, VoiceEvent::Caption { speaker: s, done: true, .. } if *s == speaker),
    )
    .await;
    match found {
        Some(VoiceEvent::Caption { text, .. }) => text,
        other => panic!("no final {speaker:?} caption: {other:?}"),
    }
}

/// The visitor says `text` (espeak-ng's voice, written to `wav`) into the virtual microphone;
/// returns when it has been played.
pub async fn say(wav: &Path, text: &str) {
    let made = tokio::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "-w"])
        .arg(wav)
        .arg(text)
        .status()
        .await
        .expect("espeak-ng is installed (scripts/test.sh installs it)");
    assert!(made.success());
    let played = tokio::process::Command::new("paplay")
        .args(["-d", "micfeed"])
        .arg(wav)
        .status()
        .await
        .expect("paplay is installed (scripts/test.sh installs it)");
    assert!(played.success());
}
