//! Donna's own realtime client against the local engine over a real WebSocket: the pairing the
//! app runs, with tool calls executed by the client against the desk.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use donna_desk::Reception;
use donna_engine::{Engine, EngineConfig, Keys};
use donna_realtime::protocol::SessionConfig;
use donna_realtime::protocol::session::{AudioConfig, AudioInput, Tool};
use donna_realtime::{ConnectOptions, Credential, RealtimeClient, RealtimeError, ToolHandler};

const KEY: &str = "sk-client-test";

async fn engine_url() -> String {
    engine().await.0
}

/// The engine's URL and the reception it (and the client's tools) work with.
async fn engine() -> (String, Arc<Reception>) {
    // Thursday 26 November 2026, 10:00 in London: the example clinic is open.
    let thursday: jiff::Timestamp = "2026-11-26T10:00:00Z".parse().unwrap();
    let desk = donna_desk::Desk::load(None).unwrap().with_fixed_time(thursday);
    let store = donna_desk::store::Store::open_in_memory().unwrap();
    let reception = Arc::new(Reception::new(desk, store, Vec::new()));
    let engine = Engine::new(
        reception.clone(),
        Keys::new(KEY.to_owned()),
        EngineConfig::default(),
    );
    let url = format!("http://{}/v1", util::serve(&engine).await);
    (url, reception)
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

/// Runs the desk's tools, as the app does, and counts the calls.
struct CountingDesk(Arc<Reception>, Arc<AtomicUsize>);

impl ToolHandler for CountingDesk {
    async fn call(&self, _call_id: &str, name: &str, arguments: &str) -> String {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.run_tool(name, arguments, Some("conv_client_test"))
    }
}

#[tokio::test]
async fn text_turns_and_tool_round_trips_through_the_client() {
    let (url, reception) = engine().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let options = ConnectOptions::new(&url, "gpt-realtime", Credential::new(KEY), session(true));
    let options = ConnectOptions {
        client: options
            .client
            .with_tools(CountingDesk(reception.clone(), calls.clone())),
        ..options
    };
    let client = RealtimeClient::connect(options).await.unwrap();

    let reply = client.ask_text("What's the wifi password?").await.unwrap();
    assert!(reply.contains("HarborGuest"), "{reply}");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no tool needed");

    let reply = client.ask_text("Where can I find Dr Okafor?").await.unwrap();
    assert!(
        reply.starts_with("Dr James Okafor, our General Practitioner"),
        "{reply}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "lookup_staff ran in the client");

    // A whole check-in: the engine asks which Maria and the visitor's name, then calls the tool;
    // the client runs it and the visit is stored.
    let reply = client.ask_text("I'm here to see Maria").await.unwrap();
    assert_eq!(
        reply,
        "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
    );
    assert_eq!(
        client.ask_text("Maria Chen").await.unwrap(),
        "Thank you. May I have your name, please?"
    );
    let reply = client.ask_text("Ann Lee").await.unwrap();
    assert!(
        reply.starts_with("Thank you, Ann. I've let Dr Maria Chen know"),
        "{reply}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let visits = reception.store().visits_since(0).unwrap();
    assert_eq!(
        (visits[0].visitor_name.as_str(), visits[0].host_staff_id.as_str()),
        ("Ann Lee", "maria-chen")
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

/// Runs the desk's tools and records which ran.
struct RecordingDesk(Arc<Reception>, Arc<std::sync::Mutex<Vec<String>>>);

impl ToolHandler for RecordingDesk {
    async fn call(&self, _call_id: &str, name: &str, arguments: &str) -> String {
        self.1.lock().unwrap().push(name.to_owned());
        self.0.run_tool(name, arguments, Some("conv_script"))
    }
}

#[tokio::test]
async fn a_whole_visit_by_text_uses_every_tool_through_the_protocol() {
    let (url, reception) = engine().await;
    let ran = Arc::new(std::sync::Mutex::new(Vec::new()));
    let options = ConnectOptions::new(&url, "gpt-realtime", Credential::new(KEY), session(true));
    let options = ConnectOptions {
        client: options
            .client
            .with_tools(RecordingDesk(reception.clone(), ran.clone())),
        ..options
    };
    let client = RealtimeClient::connect(options).await.unwrap();
    let script: &[(&str, &str)] = &[
        ("Hello!", "Welcome to Harbor Street Clinic."),
        (
            "Are you open on Saturday?",
            "On Saturday we're open 9 am to 12:30 pm.",
        ),
        (
            "I'm here to see Bob Smith",
            "I'm sorry, I couldn't find anyone called Bob Smith here.",
        ),
        (
            "Sorry, I meant Doctor Okafur",
            "Thank you. May I have your name, please?",
        ),
        ("Actually never mind", "No problem."),
        ("My name is Ann Lee", "Nice to meet you, Ann."),
        (
            "I have an appointment with Priya Shah at half past ten",
            "Thank you, Ann. I've let Priya Shah know you're here.",
        ),
        (
            "Where is physiotherapy?",
            "Physiotherapy is on the ground floor, east wing",
        ),
        (
            "How do I get to Tom Becker?",
            "Tom Becker, our Pharmacist in Pharmacy, is on the pharmacy counter",
        ),
        (
            "Please leave a message for Tom Becker that my prescription is late",
            "Thank you. I've passed your message to Tom Becker.",
        ),
        (
            "I need help with the parking machine",
            "I've let Sarah Nguyen know.",
        ),
        ("What's the wifi password?", "Guest Wi-Fi is called HarborGuest."),
        ("I'm leaving now, thank you", "You're all checked out."),
    ];
    for (said, expected) in script {
        let reply = client.ask_text(*said).await.unwrap();
        assert!(reply.starts_with(expected), "{said:?} → {reply:?}");
    }
    let ran = ran.lock().unwrap().clone();
    for tool in [
        "get_hours",
        "check_in_visitor",
        "lookup_staff",
        "take_message",
        "notify_staff",
        "end_visit",
    ] {
        assert!(ran.iter().any(|t| t == tool), "{tool} never ran: {ran:?}");
    }
    let visits = reception.store().visits_since(0).unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].appointment_time.as_deref(), Some("10:30"));
    assert!(visits[0].checked_out_at.is_some());
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_forgotten_conversation_leaves_nothing_for_the_next_visitor() {
    let (url, reception) = engine().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let options = ConnectOptions::new(&url, "gpt-realtime", Credential::new(KEY), session(true));
    let options = ConnectOptions {
        client: options.client.with_tools(CountingDesk(reception.clone(), calls)),
        ..options
    };
    let client = RealtimeClient::connect(options).await.unwrap();
    let mut updates = client.subscribe();
    assert_eq!(
        client.ask_text("I'm here to see Tom Becker").await.unwrap(),
        "Thank you. May I have your name, please?"
    );
    // The visitor walks away; the kiosk starts afresh on the same session.
    client.forget().await.unwrap();
    let reply = client.ask_text("Ann Lee").await.unwrap();
    assert!(
        !reply.contains("Tom Becker"),
        "the next visitor is not checked in: {reply}"
    );
    assert!(reception.store().visits_since(0).unwrap().is_empty());
    // The engine took every delete: no error came back.
    while let Ok(update) = updates.try_recv() {
        if let donna_realtime::UiUpdate::Error { message, .. } = &update {
            panic!("the engine refused something: {message}");
        }
    }
    client.close().await.unwrap();
}
