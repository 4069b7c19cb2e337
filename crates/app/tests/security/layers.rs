//! What every route gets: security headers, origin allowlist and CORS, request ids, the JSON
//! error shape, body limits and timeouts.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use donna_gateway::GatewayConfig;
use donna_gateway::auth::Role;

use super::harness::{Options, error_body, error_of, start, start_with_options, token};

const ALLOWED: &str = "https://desk.example.com";

async fn start_with_origins() -> super::harness::Server {
    let mut config = GatewayConfig::new(
        vec![ALLOWED.to_owned()],
        GatewayConfig::default().rate_limits,
        "gpt-realtime",
    );
    config.request_timeout = Duration::from_millis(300);
    let slow = Router::new().route(
        "/api/test/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            "late"
        }),
    );
    start_with_options(Options {
        config,
        extra: slow,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let s = start().await;
    let kiosk = token("kiosk-lobby", Role::Kiosk);
    let responses = [
        s.client.get(s.url("/api/health")).send().await.unwrap(),
        s.client.get(s.url("/")).send().await.unwrap(),
        s.client.get(s.url("/api/nope")).send().await.unwrap(),
        s.client.get(s.url("/api/auth/me")).send().await.unwrap(),
        s.post("/api/realtime/token", &kiosk).send().await.unwrap(),
        s.client.get(s.url("/metrics")).send().await.unwrap(),
        s.client.get(s.url("/v1/realtime")).send().await.unwrap(),
    ];
    for resp in responses {
        let h = resp.headers();
        let what = format!("{} {}", resp.url().path(), resp.status());
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{what}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert!(
            h["permissions-policy"].to_str().unwrap().contains("camera=()"),
            "{what}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{what}");
        assert!(h.get("server").is_none(), "no server banner: {what}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "no HSTS over plain HTTP: {what}"
        );
        assert!(h.get("x-request-id").is_some(), "{what}");
    }
    let resp = s
        .client
        .get(s.url("/api/health"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn allowed_origins_get_exact_cors_headers_and_others_are_refused() {
    let s = start_with_origins().await;
    for origin in [ALLOWED, "tauri://localhost", "http://tauri.localhost"] {
        let resp = s
            .client
            .get(s.url("/api/health"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{origin}");
        assert_eq!(resp.headers()["access-control-allow-origin"], origin);
        assert!(
            resp.headers()["vary"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("origin")
        );
        assert!(resp.headers().get("access-control-allow-credentials").is_none());
    }
    // The gateway's own pages calling back (same origin) need no allowlist entry.
    let own = s.base.clone();
    let resp = s
        .client
        .post(s.url("/api/chat"))
        .header("origin", &own)
        .json(&serde_json::json!({ "message": "hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    for origin in [
        "https://evil.example",
        "null",
        "https://desk.example.com.evil.example",
        "http://desk.example.com",
    ] {
        let resp = s
            .client
            .get(s.url("/api/health"))
            .header("origin", origin)
            .send()
            .await
            .unwrap();
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{origin}"
        );
        assert_eq!(
            error_of(resp).await,
            (403, "origin_not_allowed".into()),
            "{origin}"
        );
    }
}

#[tokio::test]
async fn preflights_are_answered_for_allowed_origins_only() {
    let s = start_with_origins().await;
    let preflight = |origin: &'static str| {
        s.client
            .request(reqwest::Method::OPTIONS, s.url("/api/realtime/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let resp = preflight(ALLOWED).await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], ALLOWED);
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let allowed_headers = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    assert!(h.get("access-control-max-age").is_some());

    let resp = preflight("https://evil.example").await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert_eq!(error_of(resp).await, (403, "origin_not_allowed".into()));
}

#[tokio::test]
async fn request_ids_are_kept_when_sane_and_quoted_in_errors() {
    let s = start().await;
    let resp = s.client.get(s.url("/api/nope")).send().await.unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (status, code, body) = error_body(resp).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    assert_eq!(body["error"]["request_id"], id.as_str());
    assert!(body["error"]["message"].is_string());

    let resp = s
        .client
        .get(s.url("/api/health"))
        .header("x-request-id", "kiosk-lobby-000123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "kiosk-lobby-000123");
    let resp = s
        .client
        .get(s.url("/api/health"))
        .header("x-request-id", "<script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap();
    assert!(id.starts_with("req_"), "{id}");
}

#[tokio::test]
async fn every_failure_has_the_json_error_shape() {
    let s = start_with_origins().await;
    let kiosk = token("kiosk-lobby", Role::Kiosk);
    let cases = [
        (
            s.client.get(s.url("/api/chat")).send().await.unwrap(),
            405,
            "method_not_allowed",
        ),
        (
            s.client.get(s.url("/api/test/slow")).send().await.unwrap(),
            504,
            "timeout",
        ),
        (
            s.post("/api/realtime/token", &kiosk)
                .header("content-type", "application/json")
                .body("{\"voice\": ")
                .send()
                .await
                .unwrap(),
            400,
            "invalid_json",
        ),
        (
            s.post("/api/realtime/token", &kiosk)
                .header("content-type", "application/json")
                .body(format!("{{\"instructions\": \"{}\"}}", "a".repeat(20_000)))
                .send()
                .await
                .unwrap(),
            413,
            "payload_too_large",
        ),
        (
            s.post("/api/realtime/token", &kiosk)
                .header("content-type", "text/plain")
                .body("voice=alloy")
                .send()
                .await
                .unwrap(),
            415,
            "unsupported_media_type",
        ),
    ];
    for (resp, status, code) in cases {
        let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
        let (got_status, got_code, body) = error_body(resp).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{body}");
        assert_eq!(body["error"]["request_id"], id.as_str());
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            !message.contains("/src/") && !message.contains("panicked"),
            "{message}"
        );
    }
}
