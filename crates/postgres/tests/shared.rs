//! What only a shared database has to get right: two gateways writing at once, migrating at
//! once, and a database that is not there.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod util;

use std::sync::{Arc, Barrier};

use donna_desk::store::{NewVisit, Storage};
use donna_postgres::{PostgresError, PostgresStore};

fn visit(key: &str) -> NewVisit<'_> {
    NewVisit {
        visitor_name: "Ann Lee",
        host_staff_id: "maria-chen",
        appointment_time: None,
        purpose: None,
        conversation_id: None,
        idempotency_key: Some(key),
    }
}

/// Two gateways start together on an empty database, then the same turn reaches both at
/// the same instant (a kiosk retried through the balancer): one visit, both told of it.
#[test]
fn two_gateways_migrate_together_and_store_a_retried_turn_once() {
    let url = util::fresh_database();
    let start = Arc::new(Barrier::new(2));
    let gateways: Vec<PostgresStore> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (start, url) = (start.clone(), url.clone());
                s.spawn(move || {
                    start.wait();
                    PostgresStore::connect(&url).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for round in 0..20 {
        let key = format!("turn-{round:04}-0123456789abcdef");
        let barrier = Arc::new(Barrier::new(2));
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = gateways
                .iter()
                .map(|g| {
                    let (barrier, key) = (barrier.clone(), key.clone());
                    s.spawn(move || {
                        barrier.wait();
                        g.check_in(&visit(&key), 1_000).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            outcomes[0].row, outcomes[1].row,
            "both gateways tell of the same visit"
        );
        assert_eq!(
            outcomes.iter().filter(|o| o.first).count(),
            1,
            "exactly one stored it"
        );
    }
    assert_eq!(gateways[1].visits_between(0, i64::MAX).unwrap().len(), 20);
}

/// Each gateway runs a webhook worker: a due delivery goes to one of them, not both.
#[test]
fn two_workers_never_deliver_the_same_event() {
    let url = util::fresh_database();
    let a = PostgresStore::connect(&url).unwrap();
    let b = PostgresStore::connect(&url).unwrap();
    for i in 0..50 {
        a.record_event(
            &format!("evt_{i}"),
            "visitor.checked_in",
            None,
            "{}",
            &["http://hook".into()],
            1,
            1,
        )
        .unwrap();
    }
    let (from_a, from_b): (Vec<_>, Vec<_>) = std::thread::scope(|s| {
        let ha = s.spawn(|| (0..10).flat_map(|_| a.due_deliveries(10, 3).unwrap()).collect());
        let hb = s.spawn(|| (0..10).flat_map(|_| b.due_deliveries(10, 3).unwrap()).collect());
        (ha.join().unwrap(), hb.join().unwrap())
    });
    let mut all: Vec<String> = from_a.iter().chain(&from_b).map(|d| d.event_id.clone()).collect();
    let claimed = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), claimed, "an event was handed to both workers");
    assert_eq!(claimed, 50, "every due delivery was handed out");
}

#[test]
fn a_database_that_is_not_there_is_named_without_its_password() {
    let server = util::server_url();
    // A port nobody listens on: the error names the place, never the password.
    let url = "postgres://donna:hunter2-secret@127.0.0.1:9/donna";
    let err = PostgresStore::connect(url).unwrap_err();
    assert!(matches!(err, PostgresError::Connect { .. }), "{err}");
    let text = format!("{err} {err:?}");
    assert!(text.contains("127.0.0.1:9/donna"), "{text}");
    assert!(!text.contains("hunter2"), "the password leaked: {text}");

    let err = PostgresStore::connect("postgres://donna:hunter2-secret@127.0.0.1:notaport/db").unwrap_err();
    assert!(matches!(err, PostgresError::Url(_)), "{err}");
    assert!(!format!("{err} {err:?}").contains("hunter2"));

    // A database on the server that does not exist: the server's own words.
    let (base, _) = server.rsplit_once('/').unwrap();
    let err = PostgresStore::connect(&format!("{base}/no_such_database")).unwrap_err();
    assert!(err.to_string().contains("no_such_database"), "{err}");
}

/// A staff desk that reconnects is replayed the events after the last it saw, by their order
/// in the store. Two gateways storing events at once must not let one commit an event behind
/// another already read: a desk following the store while both write sees every event, once.
#[test]
fn a_desk_following_the_store_while_two_gateways_write_misses_nothing() {
    let url = util::fresh_database();
    let a = PostgresStore::connect(&url).unwrap();
    let b = PostgresStore::connect(&url).unwrap();
    let follower = PostgresStore::connect(&url).unwrap();
    let record = |store: &PostgresStore, id: &str| {
        // The payload is the id itself, so the follower knows where it got to.
        store
            .record_event(id, "visitor.checked_in", None, id, &[], 1, 1)
            .unwrap();
    };
    record(&a, "evt_start");
    let done = std::sync::atomic::AtomicBool::new(false);
    let seen: Vec<String> = std::thread::scope(|s| {
        let writers: Vec<_> = [("a", &a), ("b", &b)]
            .into_iter()
            .map(|(name, store)| {
                s.spawn(move || (0..150).for_each(|i| record(store, &format!("evt_{name}_{i}"))))
            })
            .collect();
        let reader = s.spawn(|| {
            let (mut last, mut seen) = ("evt_start".to_owned(), Vec::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                for id in follower.events_after(&last, 1000).unwrap() {
                    seen.push(id.clone());
                    last = id;
                }
                if finished {
                    return seen;
                }
            }
        });
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().unwrap()
    });
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "an event was replayed twice");
    assert_eq!(seen.len(), 300, "the follower missed {} events", 300 - seen.len());
}

/// The CA the test servers' certificates come from (scripts/test-certs.sh).
fn test_ca() -> Vec<u8> {
    let path = std::env::var("DONNA_TEST_TLS_CA")
        .expect("DONNA_TEST_TLS_CA is not set: run `source scripts/start-postgres.sh` first");
    std::fs::read(path).unwrap()
}

/// Whether the server sees the connections named `application` as encrypted, each of them.
fn encrypted(application: &str) -> Vec<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&util::server_url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .query(
                "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = $1",
                &[&application],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    })
}

/// `sslmode=require`: the store talks TLS, verifying the server's certificate against the
/// authority it is given, and refuses a server it cannot verify; without it, plain.
#[test]
fn a_store_that_requires_tls_verifies_the_server_and_is_encrypted() {
    let url = util::fresh_database();
    let store = PostgresStore::connect_with(
        &format!("{url}?sslmode=require&application_name=donna_tls"),
        Some(&test_ca()),
    )
    .unwrap();
    let visit = store
        .check_in(
            &NewVisit {
                visitor_name: "Ann Lee",
                host_staff_id: "maria-chen",
                appointment_time: None,
                purpose: None,
                conversation_id: None,
                idempotency_key: None,
            },
            1,
        )
        .unwrap();
    assert_eq!(
        store.visit(visit.row.id).unwrap().unwrap().visitor_name,
        "Ann Lee"
    );
    let seen = encrypted("donna_tls");
    assert!(!seen.is_empty() && seen.iter().all(|&ssl| ssl), "{seen:?}");

    // The system's authorities do not know the test one: refused, and said so.
    let err = PostgresStore::connect_with(&format!("{url}?sslmode=require"), None).unwrap_err();
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    // Nor does a certificate authority file with nothing in it pass for one.
    let err = PostgresStore::connect_with(&format!("{url}?sslmode=require"), Some(b"not a pem")).unwrap_err();
    assert!(matches!(err, PostgresError::Tls(_)), "{err}");

    // Not asked for (or only preferred): plain, as the URL says.
    let _plain = PostgresStore::connect_with(
        &format!("{url}?sslmode=prefer&application_name=donna_plain"),
        Some(&test_ca()),
    )
    .unwrap();
    let seen = encrypted("donna_plain");
    assert!(!seen.is_empty() && seen.iter().all(|&ssl| !ssl), "{seen:?}");
}
