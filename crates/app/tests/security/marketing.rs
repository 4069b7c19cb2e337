//! `/api/marketing/*`: authenticated, allowlisted, bounded reverse proxy.

use std::time::Duration;

use donna_gateway::GatewayConfig;
use donna_gateway::auth::Role;
use serde_json::Value;

use super::harness::{LogCapture, Options, Server, error_of, start, start_with_options, token};
use super::upstreams::{FakeService, Mode, marketing};

async fn proxy_to(backend: &FakeService) -> Server {
    let config = GatewayConfig {
        marketing_backend_url: Some(backend.base.clone()),
        upstream_timeout: Duration::from_secs(1),
        ..GatewayConfig::default()
    };
    start_with_options(Options {
        config,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn allowlisted_paths_are_proxied_without_the_callers_credentials() {
    let backend = marketing(Mode::Normal).await;
    let s = proxy_to(&backend).await;
    let staff = token("anna.berg", Role::Staff);
    let resp = s
        .get_with_token("/api/marketing/simple/campaigns?lang=en&page=2", &staff)
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["etag"], "\"v1\"");
    assert!(
        resp.headers().get("set-cookie").is_none(),
        "upstream cookies stay upstream"
    );
    assert!(resp.headers().get("x-internal").is_none());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["path"], "simple/campaigns");
    assert_eq!(body["query"], "lang=en&page=2");
    assert_eq!(body["subject"], "anna.berg");
    assert_eq!(body["authorization"], false, "the JWT is not forwarded");

    let resp = s
        .post("/api/marketing/marketing/leads", &staff)
        .header("content-type", "application/json")
        .body(r#"{"interest":"tours"}"#)
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["body"], r#"{"interest":"tours"}"#);

    // The backend's own 4xx answers pass through.
    let resp = s.get_with_token("/api/marketing/simple/missing", &staff).await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["detail"], "no such campaign");
}

#[tokio::test]
async fn other_paths_credentials_and_oversized_bodies_are_refused() {
    let (logs, _guard) = LogCapture::start();
    let backend = marketing(Mode::Normal).await;
    let s = proxy_to(&backend).await;
    let kiosk = token("kiosk-lobby", Role::Kiosk);
    let resp = s
        .client
        .get(s.url("/api/marketing/simple/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
    for path in [
        "/api/marketing/admin/users",
        "/api/marketing/simple/%2e%2e/admin",
        "/api/marketing/simple/..%2Fadmin",
        "/api/marketing/simple%2F..%2Fadmin",
    ] {
        let resp = s.get_with_token(path, &kiosk).await;
        assert_eq!(error_of(resp).await, (404, "not_found".into()), "{path}");
    }
    assert!(backend.seen.lock().unwrap().requests.is_empty());
    assert_eq!(
        logs.security()
            .iter()
            .filter(|e| e["fields"]["reason"] == "path_not_allowed")
            .count(),
        4,
        "{}",
        logs.text()
    );
    let resp = s
        .post("/api/marketing/simple/upload", &kiosk)
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (413, "payload_too_large".into()));
}

#[tokio::test]
async fn upstream_failures_are_bounded_and_typed() {
    let kiosk = token("kiosk-lobby", Role::Kiosk);
    for (mode, status, code) in [
        (Mode::Error, 502, "upstream_error"),
        (Mode::Slow, 504, "upstream_timeout"),
        (Mode::Garbage, 502, "upstream_error"),
    ] {
        let backend = marketing(mode).await;
        let s = proxy_to(&backend).await;
        let resp = s.get_with_token("/api/marketing/simple/x", &kiosk).await;
        let text = resp.status().as_u16();
        let (got_status, got_code) = error_of(resp).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{mode:?} {text}");
    }
    let s = start().await;
    let resp = s.get_with_token("/api/marketing/simple/x", &kiosk).await;
    assert_eq!(error_of(resp).await, (503, "marketing_unavailable".into()));
}
