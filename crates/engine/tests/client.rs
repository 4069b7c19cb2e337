//! Donna's own realtime client against the local engine over a real WebSocket: the pairing the
//! app runs, with tool calls executed by the client against the desk.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use donna_desk::Desk;
use donna_engine::{Engine, EngineConfig, Keys};
use donna_realtime::protocol::SessionConfig;
use donna_realtime::protocol::session::{AudioConfig, AudioInput, Tool};
use donna_realtime::{ConnectOptions, Credential, RealtimeClient, RealtimeError, ToolHandler};

const KEY: &str = "sk-client-test";

async fn engine_url() -> String {
    let desk = Arc::new(Desk::load(None).unwrap());
    let engine = Engine::new(desk, Keys::new(KEY.to_owned()), EngineConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let app = engine.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn session(with_tools: bool) -> SessionConfig {
    SessionConfig {
        kind: Some("realtime".into()),
        output_modalities: Some(vec!["text".into()]),
        tools: with_tools.then(|| {
            donna_desk::tools::definitions()
                .into_iter()
                .map(|t| serde_json::from_value::<Tool>(t).unwrap())
                .collect()
        }),
        audio: Some(AudioConfig {
            input: Some(AudioInput {
                turn_detection: Some(None),
                ..AudioInput::default()
            }),
            output: None,
        }),
        ..SessionConfig::default()
    }
}

/// Runs the desk's tools and counts the calls.
struct CountingDesk(Arc<Desk>, Arc<AtomicUsize>);

impl ToolHandler for CountingDesk {
    async fn call(&self, name: &str, arguments: &str) -> String {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.run_tool(name, arguments, &self.0.now())
    }
}

#[tokio::test]
async fn text_turns_and_tool_round_trips_through_the_client() {
    let url = engine_url().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let desk = Arc::new(Desk::load(None).unwrap());
    let options = ConnectOptions::new(&url, "gpt-realtime", Credential::new(KEY), session(true));
    let options = ConnectOptions {
        client: options.client.with_tools(CountingDesk(desk, calls.clone())),
        ..options
    };
    let client = RealtimeClient::connect(options).await.unwrap();

    let reply = client.ask_text("What's the wifi password?").await.unwrap();
    assert!(reply.contains("HarborGuest"), "{reply}");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no tool needed");

    let reply = client.ask_text("I'm here to see Maria").await.unwrap();
    assert_eq!(
        reply,
        "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "lookup_staff ran in the client");

    let reply = client.ask_text("Maria Chen").await.unwrap();
    assert!(
        reply.starts_with("Dr Maria Chen, our General Practitioner"),
        "{reply}"
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_client_secret_from_the_engine_opens_a_session() {
    let url = engine_url().await;
    let http = reqwest::Client::new();
    let minted: serde_json::Value = http
        .post(format!("{url}/realtime/client_secrets"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({ "session": { "type": "realtime", "output_modalities": ["text"] } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = minted["value"].as_str().unwrap();
    let client = RealtimeClient::connect(ConnectOptions::new(
        &url,
        "gpt-realtime",
        Credential::new(secret),
        session(false),
    ))
    .await
    .unwrap();
    assert_eq!(
        client.ask_text("Are you open on Sunday?").await.unwrap(),
        "On Sunday we're closed."
    );
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_wrong_key_is_a_typed_unauthorised_error() {
    let url = engine_url().await;
    let err = RealtimeClient::connect(ConnectOptions::new(
        &url,
        "gpt-realtime",
        Credential::new("sk-wrong"),
        session(false),
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            RealtimeError::Unauthorized {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
}
