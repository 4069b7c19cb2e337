//! The receptionist through the real `donna serve`: a browser conversation leaves a message
//! over the realtime session to the local engine, and what Donna acknowledged survives `kill -9`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::process::Command;

use serde_json::{Value, json};
use util::{Sandbox, Served};

const JWT_SECRET: &str = "desk-test-secret-0123456789abcdef0123";

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Open a WebSocket at `url` (`http://` base and path) with `bearer`: the socket and its first
/// event, or the refusal's status and body.
async fn open_ws(url: &str, bearer: &str) -> Result<(Ws, Value), (u16, String)> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let mut request = url.replace("http://", "ws://").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {bearer}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut ws, _)) => {
            let first = ws.next().await.unwrap().unwrap();
            let event: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
            Ok((ws, event))
        }
        Err(tungstenite::Error::Http(response)) => Err((
            response.status().as_u16(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned(),
        )),
        Err(e) => panic!("{e}"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The gateway at `url`'s health, once `ready` says it is as the test waits for it (ten
/// seconds at most).
fn health_when(rt: &tokio::runtime::Runtime, url: &str, ready: impl Fn(&Value) -> bool) -> Option<Value> {
    let http = reqwest::Client::new();
    (0..100).find_map(|_| {
        let health = get_json(rt, &http, &format!("{url}/api/health"), None);
        if ready(&health) {
            return Some(health);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        None
    })
}

/// `GET url` as JSON, with `bearer` when given.
fn get_json(rt: &tokio::runtime::Runtime, http: &reqwest::Client, url: &str, bearer: Option<&str>) -> Value {
    rt.block_on(async {
        let mut request = http.get(url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    })
}

/// One message to Donna in a new conversation at the gateway at `url`: the JSON answer.
fn chat(rt: &tokio::runtime::Runtime, http: &reqwest::Client, url: &str, message: &str) -> Value {
    rt.block_on(async {
        http.post(format!("{url}/api/chat"))
            .json(&json!({ "message": message }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
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
    let messages = get_json(
        &rt,
        &http,
        &format!("{}/api/messages?since=0", again.url),
        Some(&token),
    );
    assert_eq!(messages.as_array().unwrap().len(), 1, "{messages}");
    assert_eq!(messages[0]["from_name"], "Cara Diaz");
    assert_eq!(
        messages[0]["body"],
        "The prescription for Mrs Diaz is ready to collect"
    );
    assert!(again.terminate());
}

/// A kiosk that never heard Donna's answer (the gateway died after storing the check-in) sends
/// the same turn again with the same `Idempotency-Key`, to the restarted gateway, where its
/// conversation no longer exists: the visitor is checked in once, and told so again.
#[test]
fn a_check_in_sent_again_after_the_gateway_died_is_stored_once() {
    let sandbox = Sandbox::new();
    let env = [("JWT_SECRET", JWT_SECRET)];
    let served = Served::start(&sandbox, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    let post = |url: &str, key: &str, message: &str| {
        let request = http
            .post(format!("{url}/api/chat"))
            .header("Idempotency-Key", key)
            .json(&json!({ "message": message }));
        rt.block_on(async move {
            let resp = request.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        })
    };
    let turn = "kiosk-lobby:7f3a9c01-5b2e-4d6f-8a1b-0c9d8e7f6a5b";
    let (status, first) = post(&served.url, turn, "I'm Ann Lee to see Maria Chen");
    assert_eq!(status, 200, "{first}");
    let said = first["reply"].as_str().unwrap().to_owned();
    assert!(said.contains("Maria"), "{said}");

    let pid = served.child.id();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    drop(served);
    let again = Served::start(&sandbox, &[], &env);
    let (status, retried) = post(&again.url, turn, "I'm Ann Lee to see Maria Chen");
    assert_eq!(status, 200, "{retried}");
    assert_eq!(
        retried["reply"], said,
        "the retry is told what the first attempt was"
    );

    let token = util::mint_token(&sandbox, JWT_SECRET, "maria-chen", "staff");
    let visits = || -> Vec<Value> {
        let list = get_json(&rt, &http, &format!("{}/api/visits", again.url), Some(&token));
        list.as_array().unwrap().clone()
    };
    let stored = visits();
    assert_eq!(stored.len(), 1, "one visit, not two: {stored:?}");
    assert_eq!(stored[0]["visitor_name"], "Ann Lee");

    // The key is what makes it the same turn: a new turn with its own key is a new check-in
    // (a second visit the same day), and a key sent again with other words is refused.
    let (status, _) = post(
        &again.url,
        "kiosk-lobby:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        "I'm Ann Lee to see Maria Chen",
    );
    assert_eq!(status, 200);
    assert_eq!(visits().len(), 2);
    let (status, reused) = post(&again.url, turn, "I'm Bob Ray to see Maria Chen");
    assert_eq!(status, 200, "{reused}");
    assert_eq!(visits().len(), 2, "a reused key stores nothing: {reused}");

    // A key that is no key is a typed error, before anything runs.
    let (status, bad) = post(&again.url, "1", "I'm Cy Young to see Maria Chen");
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"),
        "{bad}"
    );
    assert_eq!(visits().len(), 2);
    assert!(again.terminate());
}

/// Two gateways on one PostgreSQL database are one front desk: a visitor checked in through
/// one is on the other's list and acknowledged there, a message left on the second is on the
/// first's, and a kiosk whose gateway died sends its turn again through the other without the
/// visitor being checked in twice.
#[test]
fn two_gateways_on_one_database_are_one_front_desk() {
    let database = util::postgres_database();
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_DATABASE_URL", database.as_str()),
    ];
    let (sandbox_a, sandbox_b) = (Sandbox::new(), Sandbox::new());
    let a = Served::start(&sandbox_a, &[], &env);
    let b = Served::start(&sandbox_b, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    let token = util::mint_token(&sandbox_a, JWT_SECRET, "maria-chen", "staff");
    let get = |url: String| -> Value {
        rt.block_on(async {
            let resp = http.get(url).bearer_auth(&token).send().await.unwrap();
            assert!(resp.status().is_success(), "{}", resp.status());
            resp.json().await.unwrap()
        })
    };
    let chat = |url: &str, key: &str, message: &str| -> Value {
        let request = http
            .post(format!("{url}/api/chat"))
            .header("Idempotency-Key", key)
            .json(&json!({ "message": message }));
        rt.block_on(async move {
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json().await.unwrap()
        })
    };

    let health = get(format!("{}/api/health", b.url));
    assert_eq!(health["checks"]["store"]["ok"], true, "{health}");
    assert!(
        health["checks"]["store"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("postgres 127.0.0.1:"),
        "{health}"
    );
    assert!(
        !health.to_string().contains("donna@"),
        "no user or password in health: {health}"
    );

    chat(
        &a.url,
        "kiosk-1:00000000-0000-4000-8000-000000000001",
        "I'm Ann Lee to see Maria Chen",
    );
    let on_b = get(format!("{}/api/visits", b.url));
    assert_eq!(on_b.as_array().unwrap().len(), 1, "{on_b}");
    let id = on_b[0]["id"].as_i64().unwrap();
    let acked: Value = rt.block_on(async {
        http.post(format!("{}/api/visits/{id}/ack", b.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(acked["visit"]["acknowledged_by"], "maria-chen", "{acked}");
    assert_eq!(
        get(format!("{}/api/visits", a.url))[0]["acknowledged_by"],
        "maria-chen"
    );

    // A message over several turns on B is on A's list.
    let first = chat(
        &b.url,
        "kiosk-2:00000000-0000-4000-8000-000000000002",
        "I'd like to leave a message for Maria Chen",
    );
    let conversation = first["conversation_id"].as_str().unwrap().to_owned();
    for (i, words) in ["Please call me about the invoice", "Cara Diaz"]
        .iter()
        .enumerate()
    {
        let request = http
            .post(format!("{}/api/chat", b.url))
            .header(
                "Idempotency-Key",
                format!("kiosk-2:00000000-0000-4000-8000-00000000001{i}"),
            )
            .json(&json!({ "message": words, "conversation_id": conversation }));
        rt.block_on(async move { assert_eq!(request.send().await.unwrap().status(), 200) });
    }
    let messages = get(format!("{}/api/messages", a.url));
    assert_eq!(messages.as_array().unwrap().len(), 1, "{messages}");
    assert_eq!(messages[0]["from_name"], "Cara Diaz");

    // Gateway A dies just after storing a check-in; the kiosk sends the turn again to B.
    let turn = "kiosk-1:00000000-0000-4000-8000-000000000003";
    let said = chat(&a.url, turn, "I'm Bob Ray to see Maria Chen")["reply"].clone();
    assert!(
        Command::new("kill")
            .args(["-KILL", &a.child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    drop(a);
    assert_eq!(chat(&b.url, turn, "I'm Bob Ray to see Maria Chen")["reply"], said);
    let visits = get(format!("{}/api/visits", b.url));
    let names: Vec<&str> = visits
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["visitor_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bob Ray", "Ann Lee"], "one visit each: {visits}");
    assert!(b.terminate());
}

/// Redis unreachable: the gateway says so in its health, and the front desk goes on: visitors
/// are checked in, stored and listed, and the gateway's own desks still hear them.
#[test]
fn a_gateway_whose_redis_is_down_says_so_and_goes_on() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("redis://:hunter2@127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let sandbox = Sandbox::new();
    let env = [("JWT_SECRET", JWT_SECRET), ("DONNA_REDIS_URL", dead.as_str())];
    let served = Served::start(&sandbox, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    let token = util::mint_token(&sandbox, JWT_SECRET, "maria-chen", "staff");
    let health = health_when(&rt, &served.url, |h| {
        h["checks"]["shared"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("down"))
    })
    .expect("health never said Redis is down");
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["checks"]["shared"]["ok"], false);
    assert!(
        !health.to_string().contains("hunter2"),
        "the password leaked: {health}"
    );

    let reply = chat(&rt, &http, &served.url, "I'm Ann Lee to see Maria Chen");
    assert!(reply["reply"].as_str().unwrap().contains("Maria"), "{reply}");
    let visits = get_json(&rt, &http, &format!("{}/api/visits", served.url), Some(&token));
    assert_eq!(visits.as_array().unwrap().len(), 1, "{visits}");
    assert!(served.terminate());
}

/// A gateway whose PostgreSQL and Redis are across a network: TLS to both, their
/// certificates verified against the private authority it is given, and the desk works.
#[test]
fn a_gateway_talks_tls_to_postgres_and_redis() {
    let database = util::postgres_database();
    let tls_database = format!("{database}?sslmode=require");
    let redis =
        std::env::var("DONNA_TEST_REDISS_URL").expect("DONNA_TEST_REDISS_URL (scripts/start-redis.sh)");
    let ca = std::env::var("DONNA_TEST_TLS_CA").expect("DONNA_TEST_TLS_CA (scripts/test-certs.sh)");
    let sandbox = Sandbox::new();
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_DATABASE_URL", tls_database.as_str()),
        ("DONNA_REDIS_URL", redis.as_str()),
        ("DONNA_TLS_CA_FILE", ca.as_str()),
    ];
    let served = Served::start(&sandbox, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    let health = health_when(&rt, &served.url, |h| h["status"] == "ok")
        .expect("the gateway never reached Redis over TLS");
    assert!(
        health["checks"]["shared"]["detail"]
            .as_str()
            .is_some_and(|d| d.ends_with("live")),
        "{health}"
    );
    let reply = chat(&rt, &http, &served.url, "I'm Ann Lee to see Maria Chen");
    assert!(reply["reply"].as_str().unwrap().contains("Maria"), "{reply}");
    // Every connection of the gateway's to its database is encrypted, as the server sees them.
    let (server, name) = database.rsplit_once('/').unwrap();
    let seen = Command::new("psql")
        .args([
            &format!("{server}/postgres"),
            "-Atc",
            &format!(
                "SELECT count(*), bool_and(s.ssl) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = '{name}'"
            ),
        ])
        .output()
        .unwrap();
    let seen = String::from_utf8_lossy(&seen.stdout).trim().to_owned();
    let (count, all_tls) = seen.split_once('|').unwrap();
    assert!(count.parse::<u32>().unwrap() > 0 && all_tls == "t", "{seen}");
    assert!(served.terminate());
}

/// The deployment as a clinic chain runs it: two gateways on one PostgreSQL and one Redis,
/// behind nginx. A kiosk is in the middle of a check-in through the balancer when the gateway
/// it sticks to is killed: its next turns reach the other gateway, which carries the same
/// conversation on (the host chosen and the time given before the kill included), answers a
/// turn sent again from the history, and stores each thing once.
#[test]
fn behind_nginx_a_kiosk_carries_on_when_its_gateway_dies() {
    let database = util::postgres_database();
    let redis = util::redis_url();
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_DATABASE_URL", database.as_str()),
        ("DONNA_REDIS_URL", redis.as_str()),
    ];
    let (sandbox_a, sandbox_b) = (Sandbox::new(), Sandbox::new());
    let a = Served::start(&sandbox_a, &[], &env);
    let b = Served::start(&sandbox_b, &[], &env);
    let balancer = util::Balancer::start(&[&a.url, &b.url]);
    let rt = runtime();
    let http = reqwest::Client::new();
    let token = util::mint_token(&sandbox_a, JWT_SECRET, "maria-chen", "staff");
    // The browser page's way: one conversation, a key per turn, the same key when a turn is
    // sent again.
    let conversation = std::cell::RefCell::new(None::<String>);
    let turn = |key: &str, message: &str| -> String {
        rt.block_on(async {
            let mut body = json!({ "message": message });
            if let Some(id) = conversation.borrow().as_ref() {
                body["conversation_id"] = json!(id);
            }
            let resp = http
                .post(format!("{}/api/chat", balancer.url))
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = resp.status();
            let reply: Value = resp.json().await.unwrap();
            assert_eq!(status, 200, "{message}: {reply}");
            let id = reply["conversation_id"].as_str().map(str::to_owned);
            if let Some(known) = conversation.borrow().as_ref() {
                assert_eq!(id.as_ref(), Some(known), "the same conversation throughout");
            }
            *conversation.borrow_mut() = id;
            reply["reply"].as_str().unwrap().to_owned()
        })
    };
    let get = |url: String| get_json(&rt, &http, &url, Some(&token));

    assert_eq!(
        turn(
            "kiosk-1:aaaaaaaa-0000-4000-8000-000000000001",
            "Hi, I'm here to see Maria at two"
        ),
        "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
    );
    let key = "kiosk-1:aaaaaaaa-0000-4000-8000-000000000002";
    let asked = turn(key, "The one in general practice");
    assert_eq!(asked, "Thank you. May I have your name, please?");
    // The gateway the balancer sends this kiosk to: the one that answered its chat.
    let answered_chat = |url: &str| {
        rt.block_on(async {
            let metrics = http
                .get(format!("{url}/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            metrics.contains(r#"route="/api/chat",method="POST",status="200"} 2"#)
        })
    };
    let (holder, survivor) = match (answered_chat(&a.url), answered_chat(&b.url)) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        other => panic!("one gateway should have answered both turns: {other:?}"),
    };
    assert!(
        Command::new("kill")
            .args(["-KILL", &holder.child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    drop(holder);

    // The kiosk never heard the last answer and sends the turn again: the survivor gives the
    // answer the dead gateway gave, from the conversation's history.
    assert_eq!(turn(key, "The one in general practice"), asked);
    // The check-in goes on where it was: Dr Maria Chen, at two, chosen on the dead gateway.
    let key = "kiosk-1:aaaaaaaa-0000-4000-8000-000000000003";
    let checked_in = turn(key, "It's Ann Lee");
    assert!(
        checked_in.starts_with("Thank you, Ann. I've let Dr Maria Chen know you're here."),
        "{checked_in}"
    );
    assert_eq!(
        turn(key, "It's Ann Lee"),
        checked_in,
        "a retried turn, answered once"
    );
    // And Donna still knows who she is talking to.
    let said = [
        turn(
            "kiosk-1:aaaaaaaa-0000-4000-8000-000000000004",
            "I'd like to leave a message for Maria Chen",
        ),
        turn(
            "kiosk-1:aaaaaaaa-0000-4000-8000-000000000005",
            "The parcel for room 4 has arrived",
        ),
    ];
    assert!(said[1].contains("passed your message"), "{said:?}");

    let visits = get(format!("{}/api/visits", survivor.url));
    let visits = visits.as_array().unwrap();
    assert_eq!(visits.len(), 1, "{visits:?}");
    assert_eq!(
        (
            &visits[0]["visitor_name"],
            &visits[0]["host_staff_id"],
            &visits[0]["appointment_time"]
        ),
        (&json!("Ann Lee"), &json!("maria-chen"), &json!("14:00"))
    );
    let messages = get(format!("{}/api/messages", balancer.url));
    assert_eq!(messages.as_array().unwrap().len(), 1, "{messages}");
    assert_eq!(messages[0]["from_name"], "Ann Lee");

    // The visit over, the conversation ends on every gateway: what was said is gone.
    let id = conversation.borrow().clone().unwrap();
    let ended = rt.block_on(async {
        http.delete(format!("{}/api/chat/{id}", balancer.url))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(ended, 204);
    let after = rt.block_on(async {
        http.post(format!("{}/api/chat", survivor.url))
            .json(&json!({ "message": "Hello", "conversation_id": id }))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(after, 404);
    assert!(survivor.terminate());
}

/// One client's flood split between two gateways that share Redis is limited as one client:
/// with the token route at 6 a minute per address, 6 requests get through between the two,
/// not 6 each.
#[test]
fn a_flood_split_between_two_gateways_is_limited_as_one_client() {
    let redis = util::redis_url();
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_REDIS_URL", redis.as_str()),
        ("RATE_LIMIT_TOKEN_IP", "6/min"),
    ];
    let (sandbox_a, sandbox_b) = (Sandbox::new(), Sandbox::new());
    let a = Served::start(&sandbox_a, &[], &env);
    let b = Served::start(&sandbox_b, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    // Redis holds the limits under the client's address: start from a clean slate, leaving
    // what the other tests hold there alone.
    let flushed = Command::new("redis-cli")
        .args([
            "-u",
            &redis,
            "EVAL",
            "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end",
            "0",
            "donna:rate:*",
        ])
        .status()
        .unwrap();
    assert!(flushed.success());
    let statuses: Vec<u16> = (0..10)
        .map(|i| {
            let url = if i % 2 == 0 { &a.url } else { &b.url };
            rt.block_on(async {
                http.post(format!("{url}/api/realtime/token"))
                    .bearer_auth("not-a-token")
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        limited, 4,
        "6 through between the two gateways, the rest refused: {statuses:?}"
    );
    assert!(statuses[..6].iter().all(|s| *s == 401), "{statuses:?}");
    let (stopped_a, stopped_b) = (a.terminate(), b.terminate());
    assert!(stopped_a && stopped_b);
}

/// A client secret minted on one gateway opens a session on another, and revoked on that one
/// it opens nothing anywhere: the secrets are in the Redis they share.
#[test]
fn a_client_secret_minted_on_one_gateway_opens_a_session_on_the_other() {
    let redis = util::redis_url();
    let engine_key = "sk-donna-shared-test-key-0123456789abcdef";
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_REDIS_URL", redis.as_str()),
        ("DONNA_ENGINE_KEY", engine_key),
    ];
    let (sandbox_a, sandbox_b) = (Sandbox::new(), Sandbox::new());
    let a = Served::start(&sandbox_a, &[], &env);
    let b = Served::start(&sandbox_b, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    let minted: Value = rt.block_on(async {
        let body = json!({ "session": { "type": "realtime", "instructions": "Be brief.", "output_modalities": ["text"] } });
        let resp = http
            .post(format!("{}/v1/realtime/client_secrets", a.url))
            .bearer_auth(engine_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    });
    let secret = minted["value"].as_str().unwrap().to_owned();
    let open = |url: &str| {
        rt.block_on(open_ws(&format!("{url}/v1/realtime"), &secret))
            .map(|(_, event)| event)
            .map_err(|(status, _)| status)
    };
    let created = open(&b.url).expect("the secret opens a session on the other gateway");
    assert_eq!(created["type"], "session.created");
    assert_eq!(created["session"]["instructions"], "Be brief.");

    let revoked = rt.block_on(async {
        http.delete(format!("{}/v1/realtime/client_secrets/{secret}", b.url))
            .bearer_auth(engine_key)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(revoked, 204);
    assert_eq!(open(&a.url).unwrap_err(), 401, "revoked on B, refused on A");
    assert_eq!(open(&b.url).unwrap_err(), 401);
    let (stopped_a, stopped_b) = (a.terminate(), b.terminate());
    assert!(stopped_a && stopped_b);
}

/// The realtime proxy's per-caller cap holds across two gateways sharing Redis: with one
/// session allowed per caller, a kiosk holding a session through A is refused a second one
/// through B, and once it closes the first, B lets it in.
#[test]
fn the_proxys_cap_on_a_callers_sessions_holds_across_two_gateways() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite;

    let redis = util::redis_url();
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("DONNA_REDIS_URL", redis.as_str()),
        ("ENABLE_WS_PROXY", "true"),
        ("WS_PROXY_MAX_SESSIONS_PER_IDENTITY", "1"),
    ];
    let (sandbox_a, sandbox_b) = (Sandbox::new(), Sandbox::new());
    let a = Served::start(&sandbox_a, &[], &env);
    let b = Served::start(&sandbox_b, &[], &env);
    // A caller of its own, so no other test's sessions count against it.
    let kiosk = format!("kiosk-lobby-{}", std::process::id());
    let token = util::mint_token(&sandbox_a, JWT_SECRET, &kiosk, "kiosk");
    let rt = runtime();
    let open = |url: &str| {
        let (ws, event) = rt.block_on(open_ws(&format!("{url}/realtime"), &token))?;
        assert_eq!(event["type"], "session.created", "{event}");
        Ok::<_, (u16, String)>(ws)
    };
    let mut first = open(&a.url).expect("the first session opens through A");
    let (status, body) = open(&b.url).map(|_| ()).unwrap_err();
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("too_many_sessions"), "{body}");

    rt.block_on(async {
        first.send(tungstenite::Message::Close(None)).await.unwrap();
        while first.next().await.is_some() {}
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let second = loop {
        match open(&b.url) {
            Ok(ws) => break ws,
            Err((429, _)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => panic!("the place given back on A is not free on B: {e:?}"),
        }
    };
    drop(second);
    let (stopped_a, stopped_b) = (a.terminate(), b.terminate());
    assert!(stopped_a && stopped_b);
}

/// Behind a balancer the gateway trusts (`TRUSTED_PROXIES`), each client is limited on its own
/// address, as nginx reports it in `X-Forwarded-For`, not on the balancer's; and a client that
/// writes the header itself cannot pass for another. The clients are 127.0.0.2 and 127.0.0.3,
/// nginx reaches the gateway from 127.0.0.1, the one address trusted.
#[test]
fn behind_a_trusted_balancer_each_client_is_limited_on_its_own_address() {
    let env = [
        ("JWT_SECRET", JWT_SECRET),
        ("RATE_LIMIT_TOKEN_IP", "3/min"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let sandbox = Sandbox::new();
    let gateway = Served::start(&sandbox, &[], &env);
    let balancer = util::Balancer::start(&[&gateway.url]);
    let rt = runtime();
    let client_at = |ip: &str| {
        reqwest::Client::builder()
            .local_address(Some(ip.parse().unwrap()))
            .build()
            .unwrap()
    };
    let (a, b) = (client_at("127.0.0.2"), client_at("127.0.0.3"));
    let ask = |client: &reqwest::Client, claim: Option<&str>| {
        rt.block_on(async {
            let mut request = client
                .post(format!("{}/api/realtime/token", balancer.url))
                .bearer_auth("not-a-token")
                .json(&json!({}));
            if let Some(claim) = claim {
                request = request.header("x-forwarded-for", claim);
            }
            request.send().await.unwrap().status().as_u16()
        })
    };
    let first: Vec<u16> = (0..4).map(|_| ask(&a, None)).collect();
    assert_eq!(
        first,
        [401, 401, 401, 429],
        "the fourth of a minute's three is refused"
    );
    assert_eq!(ask(&b, None), 401, "another client has its own allowance");
    assert_eq!(
        ask(&a, Some("127.0.0.4")),
        429,
        "a client naming another address in its own header is still itself"
    );
    assert!(gateway.terminate());
}

/// The offline models' directory the test command installed (whisper, the sentence model);
/// `None` only outside CI, where a developer may not have installed them.
fn installed_models() -> Option<String> {
    let models = std::env::var_os("DONNA_MODELS_DIR");
    assert!(
        models.is_some() || std::env::var_os("CI").is_none(),
        "CI installs the offline models"
    );
    models.map(|m| m.to_string_lossy().into_owned())
}

/// With the sentence model installed, the offline desk understands what its rules do not know,
/// across a whole conversation, once it has read the profile (its health says when); without
/// the model it answers by its rules and says so.
#[test]
fn the_desk_understands_other_words_once_it_has_read_the_profile() {
    let Some(models) = installed_models() else {
        return;
    };
    let rt = runtime();
    let http = reqwest::Client::new();
    let say = |url: &str, message: &str, conversation: Option<&str>| -> Value {
        let mut body = json!({ "message": message });
        if let Some(c) = conversation {
            body["conversation_id"] = json!(c);
        }
        rt.block_on(async {
            let resp = http
                .post(format!("{url}/api/chat"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        })
    };
    let meaning = |health: &Value| {
        health["checks"]["meaning"]["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let sandbox = Sandbox::new();
    let env = [("JWT_SECRET", JWT_SECRET), ("DONNA_MODELS_DIR", models.as_str())];
    let served = Served::start(&sandbox, &[], &env);
    let health = util::wait_for("the sentence model", std::time::Duration::from_secs(120), || {
        let health = get_json(&rt, &http, &format!("{}/api/health", served.url), None);
        (meaning(&health) != "loading").then_some(health)
    });
    assert!(meaning(&health).starts_with("ready ("), "{health}");
    assert_eq!(health["status"], "ok", "{health}");

    let wifi = say(&served.url, "Do you have free wireless?", None);
    assert!(wifi["reply"].as_str().unwrap().contains("HarborGuest"), "{wifi}");
    // A message asked for in words no rule has, then carried on by the rules.
    let first = say(&served.url, "Can you get word to Dr Okafor for me?", None);
    let conv = first["conversation_id"].as_str().unwrap().to_owned();
    assert_eq!(first["reply"], "Of course. What would you like me to tell them?");
    assert_eq!(
        say(
            &served.url,
            "My train is late, I'll be there by eleven",
            Some(&conv)
        )["reply"],
        "Thank you. And who should I say it's from?"
    );
    assert_eq!(
        say(&served.url, "Ann Lee", Some(&conv))["reply"],
        "Thank you. I've passed your message to Dr James Okafor."
    );
    let token = util::mint_token(&sandbox, JWT_SECRET, "james-okafor", "staff");
    let messages = get_json(
        &rt,
        &http,
        &format!("{}/api/messages?since=0", served.url),
        Some(&token),
    );
    assert_eq!(
        messages[0]["body"], "My train is late, I'll be there by eleven",
        "{messages}"
    );
    assert!(served.terminate());

    // No model: the rules alone, and the health report and the log say so.
    let bare = Sandbox::new();
    let no_models = bare.home.path().join("no-models");
    let served = Served::start(&bare, &[], &[("DONNA_MODELS_DIR", no_models.to_str().unwrap())]);
    let health = health_when(&rt, &served.url, |h| meaning(h) != "loading").unwrap();
    assert_eq!(meaning(&health), "rules only", "{health}");
    let wifi = say(&served.url, "Do you have free wireless?", None);
    assert!(
        wifi["reply"].as_str().unwrap().starts_with("I'm not sure"),
        "{wifi}"
    );
    let log = std::fs::read_to_string(&served.stderr_path).unwrap();
    assert!(
        log.contains("the offline desk answers by its rules alone"),
        "{log}"
    );
    assert!(served.terminate());
}

/// Spoken in other words: espeak-ng's voice through `/api/voice/chat`, recognised offline and
/// understood by the sentence model, as a visitor at a tablet with a microphone would ask.
#[test]
fn spoken_questions_in_other_words_are_understood() {
    let Some(models) = installed_models() else {
        return;
    };
    let sandbox = Sandbox::new();
    let env = [("JWT_SECRET", JWT_SECRET), ("DONNA_MODELS_DIR", models.as_str())];
    let served = Served::start(&sandbox, &[], &env);
    let rt = runtime();
    let http = reqwest::Client::new();
    util::wait_for("the sentence model", std::time::Duration::from_secs(120), || {
        let health = get_json(&rt, &http, &format!("{}/api/health", served.url), None);
        health["checks"]["meaning"]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("ready"))
            .then_some(())
    });
    let token = util::mint_token(&sandbox, JWT_SECRET, "kiosk-lobby", "kiosk");
    for (said, expected) in [
        ("Do you have free wireless?", "HarborGuest"),
        ("I need to reorder my tablets.", "Repeat prescriptions"),
        ("I'm looking for the chemist.", "on your right as you come in"),
    ] {
        let wav = sandbox.home.path().join("visitor.wav");
        let spoken = Command::new("espeak-ng")
            .args(["-v", "en-us", "-s", "150", "-w"])
            .arg(&wav)
            .arg(said)
            .status()
            .expect("espeak-ng (the README's test command installs it)");
        assert!(spoken.success());
        let body = std::fs::read(&wav).unwrap();
        let answer: Value = rt.block_on(async {
            let resp = http
                .post(format!("{}/api/voice/chat", served.url))
                .bearer_auth(&token)
                .header("content-type", "audio/wav")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
            resp.json().await.unwrap()
        });
        let reply = answer["reply"].as_str().unwrap();
        assert!(
            reply.contains(expected),
            "{said:?} heard as {}: {answer}",
            answer["transcript"]
        );
    }
    assert!(served.terminate());
}
