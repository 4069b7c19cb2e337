//! `POST /api/realtime/token` against the local engine and against an OpenAI-compatible server:
//! who may ask, what they may ask for, what happens when the upstream fails, and what is logged.

use std::time::Duration;

use donna_config::Secret;
use donna_engine::keys::Credential;
use donna_gateway::GatewayConfig;
use donna_gateway::auth::Role;
use donna_gateway::realtime::RealtimeBackend;
use serde_json::{Value, json};

use super::harness::{
    CANARY, LogCapture, Options, closed_port, engine, error_body, error_of, start, start_with_options, token,
};
use super::upstreams::{Mode, openai};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_kiosk_gets_a_local_client_secret_that_the_engine_accepts() {
    let (logs, _guard) = LogCapture::start();
    let local = engine("sk-engine-test-key");
    let s = start_with_options(Options {
        realtime: RealtimeBackend::Local(std::sync::Arc::new(local.clone())),
        ..Options::default()
    })
    .await;
    let resp = s
        .post("/api/realtime/token", &token("kiosk-lobby", Role::Kiosk))
        .json(&json!({ "voice": "marin", "expires_after": { "anchor": "created_at", "seconds": 120 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.unwrap();
    let value = body["client_secret"]["value"].as_str().unwrap();
    assert!(value.starts_with("ek_"), "{body}");
    let expires_at = body["client_secret"]["expires_at"].as_i64().unwrap();
    assert!((expires_at - (now() + 120)).abs() <= 2, "{body}");
    assert_eq!(body["model"], "gpt-realtime");
    assert_eq!(body["backend"], "local");
    let Some(Credential::ClientSecret(secret)) = local.keys().authenticate(value) else {
        panic!("the engine does not know the secret");
    };
    let voice = &secret
        .session
        .audio
        .as_ref()
        .unwrap()
        .output
        .as_ref()
        .unwrap()
        .voice;
    assert_eq!(voice.as_ref().unwrap(), "marin");

    // An empty body means all defaults.
    let resp = s
        .post("/api/realtime/token", &token("anna.berg", Role::Staff))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let issued: Vec<_> = logs
        .security()
        .into_iter()
        .filter(|e| e["fields"]["event"] == "issued")
        .collect();
    assert_eq!(issued.len(), 2, "{}", logs.text());
    assert_eq!(issued[0]["fields"]["sub"], "kiosk-lobby");
    assert_eq!(issued[0]["fields"]["role"], "kiosk");
    assert_eq!(issued[0]["fields"]["backend"], "local");
    assert!(issued[0]["fields"]["ip"].as_str().unwrap().starts_with("127."));
    assert!(!logs.text().contains(value), "the secret itself is never logged");
}

#[tokio::test]
async fn without_a_token_or_from_a_foreign_origin_nothing_is_issued() {
    let (logs, _guard) = LogCapture::start();
    let s = start().await;
    let resp = s.client.post(s.url("/api/realtime/token")).send().await.unwrap();
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
    let resp = s
        .post("/api/realtime/token", &token("kiosk-lobby", Role::Kiosk))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (403, "origin_not_allowed".into()));
    let reasons: Vec<String> = logs
        .security()
        .iter()
        .map(|e| e["fields"]["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(reasons, ["missing_token", "origin_not_allowed"]);
}

#[tokio::test]
async fn bad_field_values_are_422_and_logged() {
    let (logs, _guard) = LogCapture::start();
    let s = start().await;
    let kiosk = token("kiosk-lobby", Role::Kiosk);
    let cases = [
        (json!({ "model": "gpt-4-turbo" }), "model"),
        (json!({ "voice": "darth" }), "voice"),
        (
            json!({ "expires_after": { "seconds": 5 } }),
            "expires_after.seconds",
        ),
        (
            json!({ "expires_after": { "seconds": 7201 } }),
            "expires_after.seconds",
        ),
        (
            json!({ "expires_after": { "anchor": "now", "seconds": 60 } }),
            "expires_after.anchor",
        ),
        (json!({ "tools": [] }), "tools"),
        (json!({ "voice": 7 }), "voice"),
        (json!([1, 2]), ""),
    ];
    for (body, field) in &cases {
        let resp = s
            .post("/api/realtime/token", &kiosk)
            .json(body)
            .send()
            .await
            .unwrap();
        let (status, code, err) = error_body(resp).await;
        assert_eq!((status, code.as_str()), (422, "invalid_request"), "{body}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(field),
            "{body}: {err}"
        );
    }
    let denials = logs
        .security()
        .into_iter()
        .filter(|e| e["fields"]["reason"] == "invalid_request")
        .count();
    assert_eq!(denials, cases.len());
    // Staff may send instructions, within bounds.
    let staff = token("anna.berg", Role::Staff);
    let resp = s
        .post("/api/realtime/token", &staff)
        .json(&json!({ "instructions": "x".repeat(4001) }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (422, "invalid_request".into()));
}

#[tokio::test]
async fn only_staff_may_override_the_instructions() {
    let (logs, _guard) = LogCapture::start();
    let local = engine("sk-engine-test-key");
    let s = start_with_options(Options {
        realtime: RealtimeBackend::Local(std::sync::Arc::new(local.clone())),
        ..Options::default()
    })
    .await;
    let body = json!({ "instructions": "Speak only in rhymes." });
    let resp = s
        .post("/api/realtime/token", &token("kiosk-lobby", Role::Kiosk))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (403, "forbidden".into()));
    assert!(
        logs.security()
            .iter()
            .any(|e| e["fields"]["reason"] == "instructions_not_allowed")
    );
    let resp = s
        .post("/api/realtime/token", &token("anna.berg", Role::Staff))
        .json(&body)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    let value = body["client_secret"]["value"].as_str().unwrap();
    let Some(Credential::ClientSecret(secret)) = local.keys().authenticate(value) else {
        panic!("unknown secret");
    };
    assert_eq!(
        secret.session.instructions.as_deref(),
        Some("Speak only in rhymes.")
    );
}

async fn cloud_gateway(base_url: String, key: &str, upstream_timeout: Duration) -> super::harness::Server {
    let config = GatewayConfig {
        upstream_timeout,
        ..GatewayConfig::default()
    };
    start_with_options(Options {
        config,
        realtime: RealtimeBackend::Cloud {
            base_url,
            api_key: Secret::new(key),
        },
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn the_cloud_path_mints_through_an_openai_compatible_server_and_never_shows_the_key() {
    let (logs, _guard) = LogCapture::start();
    let upstream = openai(CANARY, Mode::Normal).await;
    let s = cloud_gateway(upstream.base.clone(), CANARY, Duration::from_secs(5)).await;
    let resp = s
        .post("/api/realtime/token", &token("kiosk-lobby", Role::Kiosk))
        .json(&json!({ "model": "gpt-realtime", "voice": "cedar" }))
        .send()
        .await
        .unwrap();
    let headers = format!("{:?}", resp.headers());
    let text = resp.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["backend"], "openai", "{body}");
    assert!(
        body["client_secret"]["value"]
            .as_str()
            .unwrap()
            .starts_with("ek_")
    );
    assert_eq!(body["model"], "gpt-realtime");
    assert!(!text.contains(CANARY) && !headers.contains(CANARY));
    assert!(!logs.text().contains(CANARY));
}

#[tokio::test]
async fn upstream_failures_are_typed_errors_without_details() {
    let (logs, _guard) = LogCapture::start();
    let kiosk = token("kiosk-lobby", Role::Kiosk);
    // The upstream refuses our key (its 401 with the OpenAI error shape).
    let upstream = openai("sk-the-real-key", Mode::Normal).await;
    let s = cloud_gateway(upstream.base.clone(), CANARY, Duration::from_secs(5)).await;
    let resp = s.post("/api/realtime/token", &kiosk).send().await.unwrap();
    let (status, code, body) = error_body(resp).await;
    assert_eq!((status, code.as_str()), (502, "upstream_error"));
    assert!(!body.to_string().contains("invalid_api_key") && !body.to_string().contains(CANARY));

    // Down, failing, sending garbage, too slow.
    let failing = openai(CANARY, Mode::Error).await;
    let garbage = openai(CANARY, Mode::Garbage).await;
    let slow = openai(CANARY, Mode::Slow).await;
    let cases = [
        (closed_port(), 502, "upstream_error"),
        (failing.base.clone(), 502, "upstream_error"),
        (garbage.base.clone(), 502, "upstream_error"),
        (slow.base.clone(), 504, "upstream_timeout"),
    ];
    for (base, status, code) in cases {
        let s = cloud_gateway(base.clone(), CANARY, Duration::from_secs(1)).await;
        let resp = s.post("/api/realtime/token", &kiosk).send().await.unwrap();
        let (got_status, got_code, body) = error_body(resp).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{base}: {body}");
        assert!(!body.to_string().contains(&base), "no upstream address in {body}");
    }
    let reasons: Vec<String> = logs
        .security()
        .iter()
        .map(|e| e["fields"]["reason"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "upstream_rejected",
            "upstream_unreachable",
            "upstream_rejected",
            "upstream_bad_response",
            "upstream_timeout"
        ]
    );
    assert!(!logs.text().contains(CANARY));
}

#[tokio::test]
async fn metrics_count_requests_denials_and_tokens() {
    let s = start().await;
    let kiosk = token("kiosk-lobby", Role::Kiosk);
    s.post("/api/realtime/token", &kiosk).send().await.unwrap();
    s.post("/api/realtime/token", "bad").send().await.unwrap();
    let text = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "donna_http_requests_total{route=\"/api/realtime/token\",method=\"POST\",status=\"200\"} 1",
        "donna_http_requests_total{route=\"/api/realtime/token\",method=\"POST\",status=\"401\"} 1",
        "donna_denials_total{reason=\"malformed_token\"} 1",
        "donna_realtime_tokens_total{backend=\"local\",outcome=\"issued\"} 1",
        "donna_realtime_sessions_open 0",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
}
