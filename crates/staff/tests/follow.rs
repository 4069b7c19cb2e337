//! A staff desktop following a gateway while visitors check in: a check-in every 150 ms, the
//! gateway restarted in the middle (its stream ends, the desktop reconnects to the new process
//! on the same address and store), and every check-in reaches the desktop once, with the link's
//! state telling the truth throughout.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use donna_config::Secret;
use donna_desk::store::Store;
use donna_desk::{Desk, Reception};
use donna_gateway::auth::{Authenticator, Jwt, Role};
use donna_gateway::{GatewayState, HealthInfo, ServeOptions, UiAssets};
use donna_staff::{Link, StaffClient};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

struct NoUi;
impl UiAssets for NoUi {
    fn get(&self, _: &str) -> Option<Cow<'static, [u8]>> {
        None
    }
}

/// One gateway process's worth: serves `reception` on `addr` until its token is cancelled.
async fn gateway(addr: std::net::SocketAddr, reception: Arc<Reception>, jwt: Jwt) -> CancellationToken {
    let info = HealthInfo {
        version: "test",
        backend: "local",
        data_dir: std::env::temp_dir(),
    };
    let state = GatewayState::new(Arc::new(reception.desk().clone()), info, Arc::new(NoUi))
        .with_auth(Authenticator::new(Some(jwt)))
        .with_reception(reception, None);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let shutdown = state.shutdown_token();
    let options = ServeOptions::of(&state);
    tokio::spawn(donna_gateway::serve_with(
        listener,
        donna_gateway::app(state),
        shutdown.clone(),
        options,
    ));
    shutdown
}

async fn wait_for(link: &mut watch::Receiver<Link>, want: impl Fn(&Link) -> bool) {
    tokio::time::timeout(Duration::from_secs(20), link.wait_for(|l| want(l)))
        .await
        .expect("the link state in time")
        .unwrap();
}

fn visitor(i: usize) -> String {
    // Names the desk accepts: letters only.
    let letter = |n: usize| char::from(b'a' + u8::try_from(n % 26).unwrap());
    format!("Ann {}{}", letter(i).to_ascii_uppercase(), letter(i + 7))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_in_reaches_the_desktop_across_a_gateway_restart() {
    let data = tempfile::tempdir().unwrap();
    let desk = Desk::load(None)
        .unwrap()
        .with_fixed_time("2026-11-26T10:00:00Z".parse().unwrap());
    let store = Store::open(&data.path().join("donna.sqlite3")).unwrap();
    let reception = Arc::new(Reception::new(desk, store, Vec::new()));
    let jwt = Jwt::hs256(
        &Secret::new("a-test-secret-that-is-long-enough-1234"),
        "donna",
        "donna",
    );
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);

    let first = gateway(addr, reception.clone(), jwt.clone()).await;
    let token = Secret::new(jwt.mint("tom-becker", Role::Staff, 600).unwrap());
    let client = StaffClient::new(&format!("http://{addr}"), token).unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let (link_tx, mut link) = watch::channel(Link::Connecting);
    let stop = CancellationToken::new();
    let following = tokio::spawn({
        let stop = stop.clone();
        async move { client.follow(tx, link_tx, stop).await }
    });
    wait_for(&mut link, |l| *l == Link::Connected).await;

    let check_in = |i: usize| {
        let args = json!({ "visitor_name": visitor(i), "host": "Tom Becker" });
        let out = reception.run_tool("check_in_visitor", &args.to_string(), None);
        assert!(out.contains("checked_in"), "{out}");
    };
    for i in 0..8 {
        check_in(i);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // The gateway stops: the desktop says it is reconnecting, and visitors keep arriving.
    first.cancel();
    wait_for(&mut link, |l| {
        matches!(l, Link::Reconnecting(_) | Link::Unreachable(_))
    })
    .await;
    for i in 8..12 {
        check_in(i);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let second = gateway(addr, reception.clone(), jwt.clone()).await;
    wait_for(&mut link, |l| *l == Link::Connected).await;
    for i in 12..20 {
        check_in(i);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    let mut seen = BTreeSet::new();
    let mut duplicates = 0;
    while seen.len() < 20 {
        let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of 20 check-ins arrived: {seen:?}", seen.len()))
            .unwrap();
        if event.kind == "visitor.checked_in" && !seen.insert(event.data["visit_id"].as_i64().unwrap()) {
            duplicates += 1;
        }
    }
    assert_eq!(seen.len(), 20);
    assert_eq!(duplicates, 0, "each check-in arrives once");
    stop.cancel();
    second.cancel();
    following.await.unwrap().unwrap();
}
