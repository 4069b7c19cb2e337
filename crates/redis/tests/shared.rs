//! Two gateways sharing one real Redis server (`scripts/start-redis.sh`): events and limits.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use donna_desk::{DeskEvent, Reception};
use donna_redis::{BusState, EventBus};
use tokio_util::sync::CancellationToken;

fn redis_url() -> String {
    std::env::var("DONNA_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("DONNA_TEST_REDIS_URL is not set: run `source scripts/start-redis.sh` first (scripts/test.sh does)")
    })
}

async fn live(bus: &EventBus) {
    let mut state = bus.watch();
    tokio::time::timeout(Duration::from_secs(10), state.wait_for(|s| *s == BusState::Live))
        .await
        .expect("the bus never went live")
        .unwrap();
}

fn event(kind: &str, summary: &str) -> DeskEvent {
    DeskEvent::new(
        kind,
        Some("maria-chen".to_owned()),
        summary,
        serde_json::json!({}),
        1,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_published_on_one_gateway_reaches_the_others_desks_once() {
    let url = redis_url();
    let shutdown = CancellationToken::new();
    let a = Arc::new(Reception::example().unwrap());
    let b = Arc::new(Reception::example().unwrap());
    let bus_a = EventBus::spawn(&url, a.clone(), shutdown.clone()).unwrap();
    let bus_b = EventBus::spawn(&url, b.clone(), shutdown.clone()).unwrap();
    live(&bus_a).await;
    live(&bus_b).await;
    let mut desk_on_a = a.subscribe();
    let mut desk_on_b = b.subscribe();

    let sent = a
        .publish(event("visitor.checked_in", "Ann Lee is at reception"))
        .unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(5), desk_on_b.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard, sent, "the same event, id and all, on the other gateway");
    let back = b.publish(event("message.left", "New message from Cara")).unwrap();
    // A's desk hears its own event, then B's, and nothing twice (no echo between the relays).
    assert_eq!(desk_on_a.recv().await.unwrap(), sent);
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), desk_on_a.recv())
            .await
            .unwrap()
            .unwrap(),
        back
    );
    assert_eq!(desk_on_b.recv().await.unwrap(), back);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(desk_on_a.try_recv().is_err(), "an event came back a second time");
    assert!(desk_on_b.try_recv().is_err(), "an event came back a second time");
    shutdown.cancel();
}

#[tokio::test]
async fn an_unreachable_redis_is_down_with_a_reason_and_the_desk_still_works() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let shutdown = CancellationToken::new();
    let reception = Arc::new(Reception::example().unwrap());
    let bus = EventBus::spawn(
        &format!("redis://:hunter2@127.0.0.1:{port}"),
        reception.clone(),
        shutdown.clone(),
    )
    .unwrap();
    let mut state = bus.watch();
    tokio::time::timeout(
        Duration::from_secs(10),
        state.wait_for(|s| matches!(s, BusState::Down { .. })),
    )
    .await
    .unwrap()
    .unwrap();
    let BusState::Down { reason } = bus.state() else {
        unreachable!()
    };
    assert!(!reason.contains("hunter2"), "{reason}");
    assert_eq!(bus.location(), format!("127.0.0.1:{port}"));
    // This gateway's own desks still hear its events.
    let mut desk = reception.subscribe();
    let sent = reception.publish(event("visitor.checked_in", "Ann Lee")).unwrap();
    assert_eq!(desk.recv().await.unwrap(), sent);
    assert!(EventBus::spawn("http://not-redis", reception, shutdown.clone()).is_err());
    shutdown.cancel();
}

/// Two gateways counting one client against 6 a minute: 6 requests get through between them,
/// however they are spread, and the next is told how long to wait.
#[tokio::test]
async fn two_gateways_limit_one_client_together() {
    let url = redis_url();
    let a = donna_redis::SharedLimits::new(&url).unwrap();
    let b = donna_redis::SharedLimits::new(&url).unwrap();
    let key = format!("test:ip:client-{}", std::process::id());
    let mut allowed = 0;
    let mut waits = Vec::new();
    for i in 0..10 {
        let gateway = if i % 2 == 0 { &a } else { &b };
        match gateway.check(&key, 6, 60).await.unwrap() {
            None => allowed += 1,
            Some(wait) => waits.push(wait),
        }
    }
    assert_eq!(allowed, 6, "the burst of 6 is shared, not 6 each");
    assert_eq!(waits.len(), 4);
    // One request a minute / 6 = every 10 s: the next is due within 10 s.
    assert!(
        waits
            .iter()
            .all(|w| *w > Duration::from_secs(8) && *w <= Duration::from_secs(10)),
        "{waits:?}"
    );
    // Another client has its own allowance.
    assert_eq!(a.check(&format!("{key}-other"), 6, 60).await.unwrap(), None);
}

#[tokio::test]
async fn a_dead_redis_costs_a_check_nothing() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let limits = donna_redis::SharedLimits::new(&format!("redis://127.0.0.1:{port}")).unwrap();
    let started = std::time::Instant::now();
    assert!(limits.check("k", 6, 60).await.is_err());
    // Within the retry pause a check does not even try.
    let again = std::time::Instant::now();
    assert!(limits.check("k", 6, 60).await.is_err());
    assert!(
        again.elapsed() < Duration::from_millis(5),
        "{:?}",
        again.elapsed()
    );
    assert!(started.elapsed() <= donna_redis::CHECK_TIMEOUT + Duration::from_millis(100));
}

#[test]
fn shared_values_expire_are_removed_and_keep_no_name_in_clear() {
    let url = redis_url();
    let values = donna_redis::SharedValues::new(&url, "test").unwrap();
    let name = format!("ek_{}_visible", std::process::id());
    values
        .put(&name, "{\"a\":1}", Duration::from_millis(300), 1000)
        .unwrap();
    assert_eq!(values.get(&name).unwrap().as_deref(), Some("{\"a\":1}"));
    // The name (a secret) is not a key in Redis: only its hash is.
    let keys = std::process::Command::new("redis-cli")
        .args(["-u", &url, "--scan", "--pattern", "donna:test:*"])
        .output()
        .unwrap();
    let keys = String::from_utf8(keys.stdout).unwrap();
    assert!(!keys.is_empty() && !keys.contains("visible"), "{keys}");
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(values.get(&name).unwrap(), None, "expired");
    assert!(values.put(&name, "x", Duration::from_secs(60), 1000).unwrap());
    assert!(values.remove(&name).unwrap());
    assert!(!values.remove(&name).unwrap());
    assert_eq!(values.get(&name).unwrap(), None);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = donna_redis::SharedValues::new(&format!("redis://127.0.0.1:{port}"), "test").unwrap();
    let started = std::time::Instant::now();
    assert!(dead.get("ek_x").is_err());
    assert!(dead.get("ek_x").is_err());
    assert!(
        started.elapsed() < donna_redis::CALL_TIMEOUT * 2,
        "{:?}",
        started.elapsed()
    );
}

/// The realtime proxy's caps counted by two gateways together: a caller's second session is
/// refused on the other gateway, a place given back is free on both, open sessions outlive
/// their lease while renewed, and a gateway that dies frees its places when their leases end.
#[tokio::test]
async fn two_gateways_cap_sessions_together_and_a_dead_one_frees_its_places() {
    use donna_redis::{SessionCap, SharedSessions};
    let url = redis_url();
    let lease = Duration::from_millis(600);
    let a = SharedSessions::with_lease(&url, "test-caps", lease).unwrap();
    let b = SharedSessions::with_lease(&url, "test-caps", lease).unwrap();
    let caller = |name: &str| format!("{name}-{}", std::process::id());
    let (kiosk, staff, other) = (caller("kiosk"), caller("staff"), caller("other"));

    assert_eq!(a.acquire("a1", &kiosk, 3, 1).await.unwrap(), None);
    assert_eq!(
        b.acquire("b1", &kiosk, 3, 1).await.unwrap(),
        Some(SessionCap::Identity),
        "the caller's cap holds across the gateways"
    );
    assert_eq!(b.acquire("b2", &staff, 3, 1).await.unwrap(), None);
    assert_eq!(a.acquire("a2", &other, 3, 1).await.unwrap(), None);
    assert_eq!(
        b.acquire("b3", &caller("fourth"), 3, 1).await.unwrap(),
        Some(SessionCap::Total)
    );

    a.release("a1", &kiosk);
    let freed = async {
        while b.acquire("b4", &kiosk, 3, 1).await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(2), freed)
        .await
        .expect("a place given back on A is free on B");

    // Three leases later every open session still holds its place.
    tokio::time::sleep(lease * 3).await;
    assert_eq!(
        a.acquire("a3", &caller("fifth"), 3, 1).await.unwrap(),
        Some(SessionCap::Total),
        "renewed sessions keep their places"
    );

    // A dies holding `other`'s session: its place is free once the lease has run out.
    drop(a);
    let started = std::time::Instant::now();
    let expired = async {
        while b.acquire("b5", &other, 3, 1).await.unwrap().is_some() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(lease * 4, expired)
        .await
        .expect("a dead gateway's places are freed when their leases end");
    assert!(started.elapsed() >= lease / 3, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_dead_redis_leaves_session_caps_to_each_gateway_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sessions = donna_redis::SharedSessions::new(&format!("redis://127.0.0.1:{port}"), "test").unwrap();
    let started = std::time::Instant::now();
    assert!(sessions.acquire("s", "kiosk", 10, 2).await.is_err());
    assert!(sessions.acquire("s", "kiosk", 10, 2).await.is_err());
    assert!(
        started.elapsed() <= donna_redis::CHECK_TIMEOUT + Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
}

/// The cap on live values holds for every gateway together: with room for two, a third put
/// on another gateway is refused and keeps nothing, a removal or an expiry makes room again.
#[test]
fn shared_values_are_capped_across_gateways() {
    let url = redis_url();
    let prefix: &'static str = Box::leak(format!("test-cap-{}", std::process::id()).into_boxed_str());
    let (a, b) = (
        donna_redis::SharedValues::new(&url, prefix).unwrap(),
        donna_redis::SharedValues::new(&url, prefix).unwrap(),
    );
    let short = Duration::from_millis(400);
    assert!(a.put("ek_one", "1", Duration::from_secs(60), 2).unwrap());
    assert!(b.put("ek_two", "2", short, 2).unwrap());
    assert!(
        !a.put("ek_three", "3", Duration::from_secs(60), 2).unwrap(),
        "full"
    );
    assert_eq!(b.get("ek_three").unwrap(), None, "a refused value is not kept");
    assert!(b.remove("ek_one").unwrap());
    assert!(
        b.put("ek_three", "3", Duration::from_secs(60), 2).unwrap(),
        "room after a removal"
    );
    assert!(!a.put("ek_four", "4", Duration::from_secs(60), 2).unwrap());
    std::thread::sleep(short + Duration::from_millis(100));
    assert!(
        a.put("ek_four", "4", Duration::from_secs(60), 2).unwrap(),
        "room after an expiry"
    );
    assert_eq!(a.get("ek_four").unwrap().as_deref(), Some("4"));
}

/// `rediss://`: the gateways talk TLS to Redis, verifying its certificate against the
/// authority they are given, and share their counts with gateways on the plain port of the
/// same server; a server they cannot verify is not talked to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_redis_is_verified_and_shared_as_on_the_plain_port() {
    let tls_url = std::env::var("DONNA_TEST_REDISS_URL")
        .expect("DONNA_TEST_REDISS_URL is not set: run `source scripts/start-redis.sh` first");
    let ca = std::fs::read(std::env::var("DONNA_TEST_TLS_CA").unwrap()).unwrap();
    let secure = || donna_redis::Address::new(&tls_url).with_ca(ca.clone());
    let over_tls = donna_redis::SharedLimits::new(secure()).unwrap();
    let plain = donna_redis::SharedLimits::new(&redis_url()).unwrap();
    let key = format!("test:ip:tls-{}", std::process::id());
    assert_eq!(over_tls.check(&key, 3, 60).await.unwrap(), None);
    assert_eq!(plain.check(&key, 3, 60).await.unwrap(), None);
    assert_eq!(over_tls.check(&key, 3, 60).await.unwrap(), None);
    assert!(
        over_tls.check(&key, 3, 60).await.unwrap().is_some(),
        "one count on one server"
    );

    // The system's authorities do not know the test one.
    let unverified = donna_redis::SharedLimits::new(tls_url.as_str()).unwrap();
    assert!(unverified.check(&key, 3, 60).await.is_err());

    // Events go live over TLS too.
    let shutdown = CancellationToken::new();
    let bus = EventBus::spawn(
        secure(),
        Arc::new(Reception::example().unwrap()),
        shutdown.clone(),
    )
    .unwrap();
    live(&bus).await;
    shutdown.cancel();
}
