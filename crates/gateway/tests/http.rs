//! The gateway through real HTTP: a server on port 0 and a real client.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::borrow::Cow;
use std::sync::Arc;

use donna_desk::Desk;
use donna_gateway::{GatewayState, HealthInfo, UiAssets};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

struct FakeUi;

impl UiAssets for FakeUi {
    fn get(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        match path {
            "index.html" => Some(Cow::Borrowed(b"<!doctype html><title>Donna</title>")),
            "js/app.js" => Some(Cow::Borrowed(b"export {};")),
            _ => None,
        }
    }
}

struct Server {
    base: String,
    shutdown: CancellationToken,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start() -> Server {
    let data = tempfile::tempdir().unwrap();
    let desk = Arc::new(Desk::load(None).unwrap());
    let info = HealthInfo {
        version: "test",
        backend: "local",
        data_dir: data.path().to_owned(),
    };
    let state = GatewayState::new(desk, info, Arc::new(FakeUi));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    tokio::spawn(donna_gateway::serve(
        listener,
        donna_gateway::app(state),
        shutdown.clone(),
    ));
    Server {
        base,
        shutdown,
        _data: data,
    }
}

async fn error_code(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error bodies are JSON");
    (
        status,
        body["error"]["code"].as_str().unwrap().to_owned(),
        body["error"]["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn health_reports_ok_with_its_checks() {
    let s = start().await;
    let resp = reqwest::get(format!("{}/api/health", s.base)).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], "local");
    assert_eq!(body["version"], "test");
    assert!(body["uptime_s"].is_u64());
    assert_eq!(body["checks"]["data_dir"]["ok"], true);
    assert!(
        body["checks"]["profile"]["detail"]
            .as_str()
            .unwrap()
            .contains("Harbor Street Clinic")
    );
}

#[tokio::test]
async fn health_is_degraded_when_the_data_dir_is_gone() {
    let s = start().await;
    std::fs::remove_dir_all(s._data.path()).unwrap();
    let body: Value = reqwest::get(format!("{}/api/health", s.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["checks"]["data_dir"]["ok"], false);
}

#[tokio::test]
async fn chat_answers_from_the_profile() {
    let s = start().await;
    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{}/api/chat", s.base))
        .json(&json!({ "message": "What's the wifi password?" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body["reply"].as_str().unwrap().contains("HarborGuest"), "{body}");
}

#[tokio::test]
async fn chat_rejects_bad_input_with_json_errors() {
    let s = start().await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/chat", s.base);
    let post = |body: &'static str, ctype: Option<&'static str>| {
        let mut req = client.post(&url).body(body);
        if let Some(ctype) = ctype {
            req = req.header("content-type", ctype);
        }
        req.send()
    };
    let json_type = Some("application/json");

    let (status, code, _) = error_code(post("{not json", json_type).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (400, "invalid_json"));

    let (status, code, message) = error_code(post(r#"{"message": 42}"#, json_type).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));
    assert!(message.contains("message"), "{message}");

    let (status, code, _) = error_code(post(r#"{"text": "hi"}"#, json_type).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));

    let (status, code, message) = error_code(post(r#"{"message": "   "}"#, json_type).await.unwrap()).await;
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (422, "invalid_request", "message must not be empty")
    );

    let (status, code, _) = error_code(post(r#"{"message": "hi"}"#, None).await.unwrap()).await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));

    let long = json!({ "message": "a".repeat(2001) }).to_string();
    let resp = client
        .post(&url)
        .header("content-type", "application/json")
        .body(long)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (422, "invalid_request"));

    let huge = json!({ "message": "a".repeat(3 * 1024 * 1024) }).to_string();
    let resp = client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_code(resp).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));

    // The server is still fine afterwards.
    let resp = client
        .post(&url)
        .json(&json!({ "message": "hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let s = start().await;
    let client = reqwest::Client::new();
    let (status, code, _) =
        error_code(client.get(format!("{}/api/nope", s.base)).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, code, _) =
        error_code(client.get(format!("{}/api/chat", s.base)).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
    let (status, code, _) = error_code(
        client
            .get(format!("{}/missing.png", s.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let (status, _, _) = error_code(
        client
            .delete(format!("{}/index.html", s.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn the_ui_is_served_to_browsers() {
    let s = start().await;
    let resp = reqwest::get(format!("{}/", s.base)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/html");
    assert!(resp.text().await.unwrap().contains("<title>Donna</title>"));
    let resp = reqwest::get(format!("{}/js/app.js", s.base)).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let resp = reqwest::get(format!("{}/js/../index.html", s.base))
        .await
        .unwrap();
    // Clients normalise "..", so this arrives as /index.html: still only the fixed asset set.
    assert_eq!(resp.status(), 200);
}
