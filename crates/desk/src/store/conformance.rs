//! The store's contract as tests, run against every engine: SQLite in this crate's tests, and
//! PostgreSQL in `donna-postgres`'s (`conformance_tests!`). Each
//! function takes a fresh, empty store.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use super::*;

fn visit<'a>(name: &'a str, host: &'a str) -> NewVisit<'a> {
    NewVisit {
        visitor_name: name,
        host_staff_id: host,
        appointment_time: Some("14:00"),
        purpose: None,
        conversation_id: Some("conv_1"),
        idempotency_key: None,
    }
}

fn message<'a>(body: &'a str, key: Option<&'a str>) -> NewMessage<'a> {
    NewMessage {
        for_staff_id: "tom-becker",
        from_name: "Cara",
        contact: None,
        body,
        idempotency_key: key,
    }
}

pub fn visits_flow_and_overview(s: &Store) {
    let a = s.check_in(&visit("Ann Lee", "maria-chen"), 1_000).unwrap().row;
    let b = s.check_in(&visit("Bob Ray", "tom-becker"), 2_000).unwrap().row;
    assert_eq!(s.open_visit_for_conversation("conv_1").unwrap().unwrap().id, b.id);
    assert!(s.open_visit_for_conversation("conv_2").unwrap().is_none());
    s.acknowledge(a.id, "maria-chen", 61_000).unwrap();
    // The first acknowledgement wins.
    let again = s.acknowledge(a.id, "someone-else", 99_000).unwrap();
    assert_eq!(again.acknowledged_by.as_deref(), Some("maria-chen"));
    assert_eq!(again.acknowledged_at, Some(61_000));
    assert!(matches!(
        s.acknowledge(999_999, "x", 1),
        Err(DeskError::NotFound { .. })
    ));
    // The first check-out's time stays.
    assert_eq!(s.check_out(a.id, 100_000).unwrap().checked_out_at, Some(100_000));
    assert_eq!(s.check_out(a.id, 200_000).unwrap().checked_out_at, Some(100_000));
    s.add_message(&message("Call me", None), 3_000).unwrap();
    let o = s.overview(0, i64::MAX).unwrap();
    assert_eq!((o.visits_today, o.checked_out_today, o.messages_today), (2, 1, 1));
    assert_eq!(o.waiting.iter().map(|v| v.id).collect::<Vec<_>>(), vec![b.id]);
    assert_eq!(o.average_wait_s, Some(60.0));
    // Lists are newest first and bounded by the day.
    let ids: Vec<i64> = s.visits_since(0).unwrap().iter().map(|v| v.id).collect();
    assert_eq!(ids, vec![b.id, a.id]);
    assert_eq!(s.visits_between(1_500, 2_500).unwrap().len(), 1);
    assert_eq!(
        s.messages_between(0, 3_000).unwrap().len(),
        0,
        "until is exclusive"
    );
}

pub fn a_write_retried_with_its_key_is_stored_once(s: &Store) {
    let keyed = NewVisit {
        idempotency_key: Some("turn-7f3a"),
        ..visit("Ann Lee", "maria-chen")
    };
    let first = s.check_in(&keyed, 1_000).unwrap();
    let again = s.check_in(&keyed, 5_000).unwrap();
    assert!(first.first && !again.first);
    assert_eq!(
        again.row, first.row,
        "the retry gets the first visit, time and all"
    );
    // Another key, or none, is another visit; the same key may also name a message.
    let other = NewVisit {
        idempotency_key: Some("turn-9c01"),
        ..visit("Ann Lee", "maria-chen")
    };
    assert!(s.check_in(&other, 6_000).unwrap().first);
    // The same key for a different visitor is a client's bug, refused, not a match.
    let reused = NewVisit {
        idempotency_key: Some("turn-7f3a"),
        ..visit("Bob Ray", "maria-chen")
    };
    assert!(matches!(
        s.check_in(&reused, 6_500),
        Err(DeskError::KeyReused { .. })
    ));
    assert!(s.check_in(&visit("Ann Lee", "maria-chen"), 7_000).unwrap().first);
    assert!(s.check_in(&visit("Ann Lee", "maria-chen"), 7_000).unwrap().first);
    assert_eq!(s.visits_since(0).unwrap().len(), 4);

    let m = s
        .add_message(&message("Call me", Some("turn-7f3a")), 2_000)
        .unwrap();
    let m2 = s
        .add_message(&message("Call me", Some("turn-7f3a")), 3_000)
        .unwrap();
    assert!(m.first && !m2.first);
    assert_eq!(m2.row, m.row);
    assert!(matches!(
        s.add_message(&message("Something else", Some("turn-7f3a")), 3_000),
        Err(DeskError::KeyReused { .. })
    ));
    assert_eq!(s.messages_since(0).unwrap().len(), 1);
}

pub fn an_event_recorded_twice_is_stored_and_queued_once(s: &Store) {
    let record = |id: &str| s.record_event(id, "visitor.checked_in", None, "{}", &["http://a".into()], 1, 1);
    assert!(record("evt_visit_1").unwrap());
    assert!(!record("evt_visit_1").unwrap());
    assert_eq!(s.due_deliveries(10, 10).unwrap().len(), 1);
}

pub fn events_resume_after_the_last_one_seen(s: &Store) {
    for (i, id) in ["evt_a", "evt_b", "evt_c", "evt_d"].iter().enumerate() {
        let payload = format!("{{\"n\":{i}}}");
        s.record_event(id, "message.left", Some("tom-becker"), &payload, &[], i as i64, 0)
            .unwrap();
    }
    assert_eq!(
        s.events_after("evt_b", 10).unwrap(),
        vec![r#"{"n":2}"#, r#"{"n":3}"#]
    );
    assert_eq!(s.events_after("evt_a", 1).unwrap(), vec![r#"{"n":1}"#]);
    assert!(s.events_after("evt_d", 10).unwrap().is_empty());
    assert!(s.events_after("evt_unknown", 10).unwrap().is_empty());
}

pub fn deliveries_are_queued_leased_retried_and_finished(s: &Store) {
    s.record_event(
        "evt_1",
        "visitor.checked_in",
        Some("maria-chen"),
        "{}",
        &["http://a".into(), "http://b".into()],
        1,
        10,
    )
    .unwrap();
    assert_eq!(s.due_deliveries(5, 10).unwrap().len(), 0, "not due yet");
    let due = s.due_deliveries(10, 1).unwrap();
    assert_eq!(due.len(), 1, "the limit holds");
    assert_eq!(due[0].payload, "{}");
    // What one worker holds, another does not get until the lease runs out.
    let other = s.due_deliveries(10, 10).unwrap();
    assert_eq!(other.len(), 1);
    assert_ne!(other[0].target, due[0].target);
    assert!(s.due_deliveries(11, 10).unwrap().is_empty());
    assert_eq!(
        s.due_deliveries(10 + DELIVERY_LEASE_MS, 10).unwrap().len(),
        2,
        "a dead worker's lease ends"
    );

    s.mark_delivery(
        "evt_1",
        "http://a",
        DeliveryOutcome::Retry {
            error: "503",
            at_ms: 1_010,
        },
    )
    .unwrap();
    s.mark_delivery("evt_1", "http://b", DeliveryOutcome::Failed { error: "410" })
        .unwrap();
    assert!(s.due_deliveries(500, 10).unwrap().is_empty());
    let retry = s.due_deliveries(1_010, 10).unwrap();
    assert_eq!((retry.len(), retry[0].attempts), (1, 1));
    s.mark_delivery("evt_1", "http://a", DeliveryOutcome::Delivered)
        .unwrap();
    assert_eq!(
        s.delivery("evt_1", "http://a").unwrap().unwrap(),
        ("delivered".to_owned(), 2, None)
    );
    assert_eq!(
        s.delivery("evt_1", "http://b").unwrap().unwrap(),
        ("failed".to_owned(), 1, Some("410".to_owned()))
    );
    assert!(s.delivery("evt_1", "http://c").unwrap().is_none());
}

pub fn injection_attempts_are_stored_as_text(s: &Store) {
    let name = "Robert'); DROP TABLE visits;--";
    let v = s.check_in(&visit(name, "maria-chen"), 1).unwrap().row;
    assert_eq!(s.visit(v.id).unwrap().unwrap().visitor_name, name);
    assert_eq!(s.visits_since(0).unwrap().len(), 1);
}

pub fn a_conversation_is_kept_whole_until_forgotten(s: &Store) {
    assert_eq!(s.conversation("web_1").unwrap(), None);
    s.save_conversation("web_1", r#"[{"visitor":"Hello"}]"#, 1_000)
        .unwrap();
    // Text of any kind, kept as it was given.
    let odd = r#"[{"visitor":"'); DROP TABLE conversations; -- Zoë ☕"}]"#;
    s.save_conversation("web_2", odd, 2_000).unwrap();
    assert_eq!(s.conversation("web_2").unwrap().unwrap().history, odd);
    // The last save wins, whole.
    s.save_conversation("web_1", "[1,2]", 3_000).unwrap();
    assert_eq!(
        s.conversation("web_1").unwrap(),
        Some(SavedConversation {
            history: "[1,2]".to_owned(),
            updated_at_ms: 3_000
        })
    );
    // Idle ones go; the one saved since stays.
    assert_eq!(s.forget_conversations_before(3_000).unwrap(), 1);
    assert_eq!(s.conversation("web_2").unwrap(), None);
    assert!(s.forget_conversation("web_1").unwrap());
    assert!(!s.forget_conversation("web_1").unwrap());
    assert_eq!(s.conversation("web_1").unwrap(), None);
}

/// One `#[test]` per contract clause, each on a fresh store from `$fresh` (an expression
/// giving a [`Store`](crate::store::Store)).
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:expr) => {
        $crate::conformance_tests!(@each $fresh;
            visits_flow_and_overview,
            a_write_retried_with_its_key_is_stored_once,
            an_event_recorded_twice_is_stored_and_queued_once,
            events_resume_after_the_last_one_seen,
            deliveries_are_queued_leased_retried_and_finished,
            injection_attempts_are_stored_as_text,
            a_conversation_is_kept_whole_until_forgotten);
    };
    (@each $fresh:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                $crate::store::conformance::$name(&$fresh);
            }
        )*
    };
}
