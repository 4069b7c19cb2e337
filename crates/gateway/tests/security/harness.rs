//! Start a gateway on port 0 with chosen settings; helpers to read its JSON errors.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use donna_config::Secret;
use donna_desk::Desk;
use donna_gateway::auth::{AdminOnly, AnyRole, Authed, Authenticator, Jwt, StaffOnly};
use donna_gateway::{GatewayState, HealthInfo, UiAssets};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const SECRET: &str = "test-secret-test-secret-test-secret!";
pub const ISSUER: &str = "donna";
pub const AUDIENCE: &str = "donna-gateway";

struct NoUi;

impl UiAssets for NoUi {
    fn get(&self, _path: &str) -> Option<Cow<'static, [u8]>> {
        None
    }
}

pub fn hs256() -> Jwt {
    Jwt::hs256(&Secret::new(SECRET), ISSUER, AUDIENCE)
}

pub fn test_key(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/security/keys")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }
}

/// Routes that exist only in tests, to show each role requirement through HTTP.
fn role_probe_routes(state: GatewayState) -> Router {
    Router::new()
        .route("/api/test/any", get(|a: Authed<AnyRole>| async move { a.0.sub }))
        .route(
            "/api/test/staff",
            get(|a: Authed<StaffOnly>| async move { a.0.sub }),
        )
        .route(
            "/api/test/admin",
            get(|a: Authed<AdminOnly>| async move { a.0.sub }),
        )
        .with_state(state)
}

pub async fn start_with(jwt: Option<Jwt>) -> Server {
    let data = tempfile::tempdir().unwrap();
    let desk = Arc::new(Desk::load(None).unwrap());
    let info = HealthInfo {
        version: "test",
        backend: "local",
        data_dir: data.path().to_owned(),
    };
    let state = GatewayState::new(desk, info, Arc::new(NoUi)).with_auth(Authenticator::new(jwt));
    let router = role_probe_routes(state.clone()).merge(donna_gateway::app(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    tokio::spawn(donna_gateway::serve(listener, router, shutdown.clone()));
    Server {
        base,
        client: reqwest::Client::new(),
        shutdown,
        _data: data,
    }
}

pub async fn start() -> Server {
    start_with(Some(hs256())).await
}

/// Status and `error.code` of a JSON error response.
pub async fn error_of(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("error bodies are JSON");
    (
        status,
        body["error"]["code"].as_str().unwrap_or_default().to_owned(),
    )
}
