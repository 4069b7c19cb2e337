//! The receptionist through the real `donna serve`: a browser conversation leaves a message
//! over the realtime session to the local engine, and what Donna acknowledged survives `kill -9`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::process::Command;

use serde_json::{Value, json};
use util::{Sandbox, Served};

const JWT_SECRET: &str = "desk-test-secret-0123456789abcdef0123";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_message_acknowledged_to_the_visitor_survives_kill_9() {
    let sandbox = Sandbox::new();
    let env = [("JWT_SECRET", JWT_SECRET)];
    let served = Served::start(&sandbox, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    let chat = |message: &str, conversation: Option<&str>| {
        let mut body = json!({ "message": message });
        if let Some(c) = conversation {
            body["conversation_id"] = json!(c);
        }
        let url = format!("{}/api/chat", served.url);
        let http = http.clone();
        rt.block_on(async move {
            let resp = http.post(url).json(&body).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        })
    };
    // Whatever the time of day, a message can always be left: the visitor is told it is passed on.
    let first = chat("I'd like to leave a message for Tom Becker", None);
    let conv = first["conversation_id"].as_str().unwrap().to_owned();
    assert_eq!(first["reply"], "Of course. What would you like me to tell them?");
    assert_eq!(
        chat("The prescription for Mrs Diaz is ready to collect", Some(&conv))["reply"],
        "Thank you. And who should I say it's from?"
    );
    assert_eq!(
        chat("Cara Diaz", Some(&conv))["reply"],
        "Thank you. I've passed your message to Tom Becker."
    );

    // The instant the visitor has read that, the process dies without any chance to flush.
    let pid = served.child.id();
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(served);

    let again = Served::start(&sandbox, &[], &env);
    let token = util::mint_token(&sandbox, JWT_SECRET, "tom-becker", "staff");
    let messages: Value = rt.block_on(async {
        http.get(format!("{}/api/messages?since=0", again.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(messages.as_array().unwrap().len(), 1, "{messages}");
    assert_eq!(messages[0]["from_name"], "Cara Diaz");
    assert_eq!(
        messages[0]["body"],
        "The prescription for Mrs Diaz is ready to collect"
    );
    assert!(again.terminate());
}
