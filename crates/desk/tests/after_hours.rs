//! Visitors who arrive while the doors are closed — before opening, in the law firm's lunch
//! break, on a holiday — on both example profiles, under each `policies.after_hours` policy:
//! `notify` (the default) records the visit, tells the host and tells the visitor the business
//! is closed; `refuse` records nothing and gives the hours and the phone number.

mod util;

use jiff::civil::{DateTime, date};
use serde_json::json;
use util::{CLINIC, LAW_FIRM, Visitor, next_event, profile_text};

/// `file`'s profile with `after_hours = "refuse"` added to its policies.
fn refusing(file: &str) -> String {
    profile_text(file).replace("[policies]\n", "[policies]\nafter_hours = \"refuse\"\n")
}

/// The clinic at 7:15 on Thursday 26 November 2026: it opens at 8.
fn clinic_early() -> DateTime {
    date(2026, 11, 26).at(7, 15, 0, 0)
}

/// The law firm at 12:20 on Wednesday 25 November 2026: closed for lunch until 1 pm.
fn firm_lunch() -> DateTime {
    date(2026, 11, 25).at(12, 20, 0, 0)
}

#[test]
fn an_early_visitor_at_the_clinic_is_recorded_and_the_host_told() {
    let mut v = Visitor::at(CLINIC, clinic_early());
    let mut events = v.reception.subscribe();
    assert_eq!(
        v.say("Hi, I'm here to see Tom Becker"),
        "Thank you. May I have your name, please?"
    );
    let reply = v.say("Ann Lee");
    assert_eq!(
        reply,
        "Thank you, Ann. We're closed right now. We open again today at 8 am. \
         I've let Tom Becker know you're here, so they can come and meet you."
    );
    let visits = v.visits();
    assert_eq!(visits.len(), 1);
    assert_eq!(
        (visits[0].visitor_name.as_str(), visits[0].host_staff_id.as_str()),
        ("Ann Lee", "tom-becker")
    );
    let event = next_event(&mut events);
    assert_eq!(event.kind, "visitor.checked_in");
    assert_eq!(event.staff_id.as_deref(), Some("tom-becker"));
    assert_eq!(
        event.summary,
        "Ann Lee is at reception to see you, outside opening hours."
    );
    assert_eq!(event.data["after_hours"], true);
}

#[test]
fn a_visitor_in_the_law_firms_lunch_break_is_recorded_and_the_host_told() {
    let mut v = Visitor::at(LAW_FIRM, firm_lunch());
    let mut events = v.reception.subscribe();
    let reply = v.say("Hi, my name is Ann Lee and I'm here to see José Álvarez");
    assert!(
        reply.starts_with("Thank you, Ann. We're closed right now") && reply.contains("1 pm"),
        "{reply}"
    );
    assert!(
        reply.ends_with("know you're here, so they can come and meet you."),
        "{reply}"
    );
    assert_eq!(v.visits().len(), 1);
    let event = next_event(&mut events);
    assert!(
        event.summary.ends_with("outside opening hours."),
        "{}",
        event.summary
    );
}

#[test]
fn while_open_the_check_in_says_nothing_of_hours() {
    let mut v = Visitor::at(CLINIC, date(2026, 11, 26).at(10, 0, 0, 0));
    let reply = v.say("Hi, my name is Ann Lee and I'm here to see Tom Becker");
    assert!(reply.contains("Please take a seat"), "{reply}");
    assert!(!reply.contains("closed"), "{reply}");
    let mut events = v.reception.subscribe();
    v.tool(
        "check_in_visitor",
        json!({ "visitor_name": "Bo Diaz", "host": "Tom Becker" }),
    );
    assert_eq!(
        next_event(&mut events).summary,
        "Bo Diaz is at reception to see you."
    );
}

#[test]
fn refusing_profiles_turn_early_visitors_away_with_the_hours_and_phone() {
    for (file, at, opens, host) in [
        (CLINIC, clinic_early(), "today at 8 am", "Tom Becker"),
        (LAW_FIRM, firm_lunch(), "today at 1 pm", "José Álvarez"),
    ] {
        let mut v = Visitor::with_profile(&refusing(file), at);
        let phone = v
            .reception
            .desk()
            .profile()
            .organisation
            .phone
            .clone()
            .expect("both examples have a phone number");
        let reply = v.say(&format!("Hi, I'm here to see {host}"));
        assert!(
            reply.starts_with("I'm sorry, we're closed right now"),
            "{file}: {reply}"
        );
        assert!(reply.contains(opens), "{file}: {reply}");
        assert!(
            reply.ends_with(&format!("please call {phone}.")),
            "{file}: {reply}"
        );
        assert!(v.visits().is_empty(), "{file}: nothing is recorded");
    }
}

/// The cloud model calls the tool directly; the policy holds there too.
#[test]
fn the_check_in_tool_follows_the_policy_whoever_calls_it() {
    let refused = Visitor::with_profile(&refusing(CLINIC), clinic_early());
    let mut events = refused.reception.subscribe();
    let out = refused.tool(
        "check_in_visitor",
        json!({ "visitor_name": "Ann Lee", "host": "Tom Becker" }),
    );
    assert!(out["error"].as_str().unwrap().starts_with("closed"), "{out}");
    assert!(out["closed"].as_str().unwrap().contains("8 am"), "{out}");
    assert!(refused.visits().is_empty());
    assert!(events.try_recv().is_err(), "nobody is notified");

    let notified = Visitor::at(CLINIC, clinic_early());
    let out = notified.tool(
        "check_in_visitor",
        json!({ "visitor_name": "Ann Lee", "host": "Tom Becker" }),
    );
    assert_eq!(out["status"], "checked_in", "{out}");
    assert!(
        out["closed"]
            .as_str()
            .unwrap()
            .starts_with("We're closed right now"),
        "{out}"
    );
    assert_eq!(notified.visits().len(), 1);
}

#[test]
fn an_unknown_policy_is_a_clear_profile_error() {
    let text = profile_text(CLINIC).replace("[policies]\n", "[policies]\nafter_hours = \"ignore\"\n");
    let err = donna_desk::Profile::parse(&text, "clinic.toml")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("after_hours") || err.contains("unknown variant"),
        "{err}"
    );
    assert!(err.contains("notify") && err.contains("refuse"), "{err}");
}
