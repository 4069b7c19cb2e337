//! Donna started without a window, as `donna serve` and the kiosk start her: the gateway and
//! the engine serve on one listener, the kiosk's typed chat goes over a real realtime session to
//! the local engine and checks a visitor in, and stopping closes the listener.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use donna_app::{AppError, Donna, Settings};
use donna_config::{EnvSnapshot, Overrides};
use donna_gateway::auth::{Jwt, Role};
use serde_json::Value;

/// A Thursday morning in London, when the example clinic is open.
const THURSDAY_MORNING: &str = "2026-12-03T10:00:00Z";

#[test]
fn donna_starts_without_a_window_checks_a_visitor_in_by_chat_and_stops() {
    let data = tempfile::tempdir().unwrap();
    let env = EnvSnapshot::from_pairs([
        ("DONNA_DATA_DIR", data.path().to_str().unwrap()),
        ("DONNA_ADDR", "127.0.0.1:0"),
        ("DONNA_BACKEND", "local"),
        ("DONNA_FIXED_TIME", THURSDAY_MORNING),
        ("JWT_SECRET", "start-test-secret-0123456789abcdef0123"),
    ]);
    let settings = Settings::resolve(&env, &Overrides::default()).unwrap();
    let staff_token = Jwt::from_settings(&settings.auth)
        .unwrap()
        .unwrap()
        .mint("maria", Role::Staff, 600)
        .unwrap();
    let donna = Donna::new(settings).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        let running = donna.start().unwrap();
        let url = running.url().to_owned();
        let http = reqwest::Client::new();
        let health: Value = http
            .get(format!("{url}/api/health"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(health["backend"], "local", "{health}");

        let kiosk = running.kiosk();
        assert!(
            matches!(kiosk.chat("   ").await, Err(AppError::InvalidMessage(_))),
            "an empty message is refused with its reason"
        );
        let reply = kiosk.chat("I'm Jo Bloggs to see Maria Lopez").await.unwrap();
        assert!(reply.contains("Maria"), "{reply}");
        let visits: Value = http
            .get(format!("{url}/api/visits"))
            .bearer_auth(&staff_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = visits
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v["visitor_name"].as_str())
            .collect();
        assert_eq!(names, ["Jo Bloggs"], "{visits}");
        let clock = kiosk.clock();
        assert!(clock.stopped);
        assert_eq!(clock.time_zone, "Europe/London");
        assert_eq!(clock.now_ms, 1_796_292_000_000, "the stopped clock's instant");

        running.stop(Duration::from_secs(1)).await.unwrap();
        let after = http.get(format!("{url}/api/health")).send().await;
        assert!(after.is_err(), "the listener is closed once stopped: {after:?}");
    });
}
