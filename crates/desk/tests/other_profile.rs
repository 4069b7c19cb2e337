//! The desk with a business it was not developed with: a New York law firm
//! (`profiles/northwind-legal.toml`), driven through the public API the engine and the gateway
//! use, one visitor turn at a time, with the clock pinned.

use std::path::Path;

mod util;

use donna_desk::reply::Plan;
use donna_desk::store::Store;
use donna_desk::tool_call::ToolCall;
use donna_desk::{Desk, Dialogue, Reception};
use jiff::Timestamp;
use jiff::civil::{DateTime, date};
use util::{LAW_FIRM, Visitor, next_event};

fn profile_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/northwind-legal.toml")
}

fn desk() -> Desk {
    Desk::load(Some(&profile_path())).expect("the law-firm profile is valid")
}

/// The instant `at` on the firm's wall clock in New York.
fn in_new_york(at: DateTime) -> Timestamp {
    at.in_tz("America/New_York")
        .expect("a real New York time")
        .timestamp()
}

/// Wednesday 25 November 2026 at `h:m` in New York: open 9-12 and 1-5:30, Thanksgiving next day.
fn wednesday(h: i8, m: i8) -> Visitor {
    Visitor::at(LAW_FIRM, date(2026, 11, 25).at(h, m, 0, 0))
}

#[test]
fn the_profile_loads_with_its_own_zone_hours_and_staff() {
    let desk = desk();
    let p = desk.profile();
    assert_eq!(p.organisation.name, "Northwind Legal LLP");
    assert_eq!(p.timezone.iana_name(), Some("America/New_York"));
    assert!((8..=12).contains(&p.staff.len()));
    let wednesday = p.hours.regular(jiff::civil::Weekday::Wednesday);
    assert_eq!(wednesday.ranges().len(), 2, "a lunch break splits Wednesday");
    assert!(p.hours.regular(jiff::civil::Weekday::Saturday).is_closed());
    assert!(p.hours.exceptions().len() >= 5);
}

#[test]
fn greets_with_the_firms_name() {
    let mut v = wednesday(10, 0);
    assert_eq!(
        v.say("Hello!"),
        "Welcome to Northwind Legal LLP. I'm Donna, the receptionist. How can I help you?"
    );
    assert_eq!(v.say("Good morning"), v.say("hi there"));
}

#[test]
fn here_to_see_siobhan_asks_the_name_and_checks_in() {
    let mut v = wednesday(10, 0);
    let mut rx = v.reception.subscribe();
    assert_eq!(
        v.say("Hi, I'm here to see Siobhan"),
        "Thank you. May I have your name, please?"
    );
    let reply = v.say("It's Ana Torres");
    assert!(
        reply.starts_with("Thank you, Ana. I've let Siobhan O'Connor know you're here."),
        "{reply}"
    );
    assert!(reply.contains("the 14th floor, corner office 1410"), "{reply}");
    let visits = v.visits();
    assert_eq!(visits.len(), 1);
    assert_eq!(
        (visits[0].visitor_name.as_str(), visits[0].host_staff_id.as_str()),
        ("Ana Torres", "siobhan-oconnor")
    );
    let event = next_event(&mut rx);
    assert_eq!(event.staff_id.as_deref(), Some("siobhan-oconnor"));
}

#[test]
fn unaccented_speech_finds_jose_alvarez_with_the_time() {
    let mut v = wednesday(10, 0);
    assert_eq!(
        v.say("Good morning, my name is Ben Carter"),
        "Nice to meet you, Ben. How can I help you today?"
    );
    let reply = v.say("I have a meeting with Jose Alvarez at half past two");
    assert!(
        reply.starts_with("Thank you, Ben. I've let José Álvarez know you're here."),
        "{reply}"
    );
    let visits = v.visits();
    assert_eq!(visits[0].host_staff_id, "jose-alvarez");
    assert_eq!(visits[0].appointment_time.as_deref(), Some("14:30"));

    // "an appointment" is an article, not the paralegal called An.
    let mut v = wednesday(10, 0);
    v.say("My name is Ben Carter");
    let reply = v.say("I have an appointment with Jose at two");
    assert!(reply.contains("José Álvarez"), "{reply}");
    assert_eq!(v.visits()[0].host_staff_id, "jose-alvarez");
    assert_eq!(v.visits()[0].appointment_time.as_deref(), Some("14:00"));
}

#[test]
fn here_to_see_an_is_the_paralegal() {
    let mut v = wednesday(10, 0);
    assert_eq!(
        v.say("I'm here to see An"),
        "Thank you. May I have your name, please?"
    );
    let reply = v.say("Minh Tran");
    assert!(reply.contains("Nguyen Van An"), "{reply}");
    assert_eq!(v.visits()[0].host_staff_id, "nguyen-van-an");
    // Whoever acknowledges is announced by the name people call them.
    let mut rx = v.reception.subscribe();
    v.reception
        .acknowledge(v.visits()[0].id, "nguyen-van-an")
        .expect("acknowledged");
    assert_eq!(next_event(&mut rx).summary, "An is on their way.");
}

#[test]
fn an_as_a_word_never_summons_the_paralegal() {
    let mut v = wednesday(10, 0);
    let reply = v.say("Is there an accessible entrance?");
    assert!(
        reply.starts_with("The Hudson Street entrance has a ramp"),
        "{reply}"
    );
    let reply = v.say("I have an appointment with Daniel");
    assert_eq!(
        reply,
        "Do you mean Daniel Kim in Litigation or Daniel Brooks in Family Law?"
    );
}

#[test]
fn two_daniels_are_told_apart_by_department_or_surname() {
    let mut v = wednesday(10, 0);
    v.say("My name is Ruth Okoye");
    assert_eq!(
        v.say("I'm here to see Daniel"),
        "Do you mean Daniel Kim in Litigation or Daniel Brooks in Family Law?"
    );
    let reply = v.say("The one in family law");
    assert!(
        reply.starts_with("Thank you, Ruth. I've let Daniel Brooks know"),
        "{reply}"
    );
    assert_eq!(v.visits()[0].host_staff_id, "daniel-brooks");

    let mut v = wednesday(10, 0);
    v.say("My name is Ruth Okoye");
    v.say("I'm here to see Daniel at three");
    let reply = v.say("Kim");
    assert!(reply.contains("Daniel Kim"), "{reply}");
    let visit = &v.visits()[0];
    assert_eq!(visit.host_staff_id, "daniel-kim");
    assert_eq!(visit.appointment_time.as_deref(), Some("15:00"));
}

#[test]
fn hyphenated_and_apostrophe_names_as_speech_writes_them() {
    let mut v = wednesday(10, 0);
    v.say("My name is Lee Grant");
    // Speech recognition drops hyphens; phone keyboards type curly apostrophes.
    let reply = v.say("I'm here to see Mary Kate Smith Jones");
    assert!(reply.contains("Mary-Kate Smith-Jones"), "{reply}");
    assert_eq!(v.visits()[0].host_staff_id, "mary-kate-smith-jones");

    let mut v = wednesday(10, 0);
    v.say("My name is Lee Grant");
    let reply = v.say("Please leave a message for Ms O’Connor that the contracts are signed");
    assert_eq!(reply, "Thank you. I've passed your message to Siobhan O'Connor.");
    let reply = v.say("I'd like to leave a message for Smith-Jones");
    assert_eq!(reply, "Of course. What would you like me to tell them?");
    v.say("The deposition moved to Friday");
    let messages = v.messages();
    assert_eq!(messages[0].for_staff_id, "mary-kate-smith-jones");
    assert_eq!(messages[1].for_staff_id, "siobhan-oconnor");
}

#[test]
fn directions_to_departments_and_people() {
    let mut v = wednesday(10, 0);
    assert_eq!(
        v.say("Where is the mailroom?"),
        "Mailroom is on the lower level; take the service elevator behind the front desk."
    );
    assert!(
        v.say("How do I get to Litigation?")
            .starts_with("Litigation is on the 12th floor, suite 1200")
    );
    let reply = v.say("Where can I find Dr. Park?");
    assert!(
        reply.starts_with("Dr. Helen Park, our Forensic Accounting Consultant in Litigation, is on the 12th floor, office 1220."),
        "{reply}"
    );
}

#[test]
fn open_now_follows_new_york_time_and_the_lunch_break() {
    // 15:00 UTC is 10:00 in New York, inside Wednesday's morning range.
    let desk = desk();
    let at = |h, m| in_new_york(date(2026, 11, 25).at(h, m, 0, 0));
    assert_eq!(
        desk.reply("Are you open now?", &at(10, 0)).unwrap(),
        "Yes, we're open now, until noon today."
    );
    assert_eq!(
        desk.reply("are you open?", &at(12, 30)).unwrap(),
        "We're closed right now. We open again today at 1 pm."
    );
    assert_eq!(
        desk.reply("are you open?", &at(14, 0)).unwrap(),
        "Yes, we're open now, until 5:30 pm today."
    );
    // After Wednesday's close, the next day is Thanksgiving and the day after is short.
    assert_eq!(
        desk.reply("are you open?", &at(18, 0)).unwrap(),
        "We're closed right now. We open again on Friday at 9 am."
    );
    // The same instant through the tool the cloud model calls.
    let r = Reception::new(
        desk.clone().with_fixed_time(at(12, 30)),
        Store::open_in_memory().unwrap(),
        vec![],
    );
    let out: serde_json::Value = serde_json::from_str(&r.run_tool("get_hours", "{}", None)).unwrap();
    assert_eq!(out["open_now"], false);
    // Thursday is the late day: open at 7:30 pm New York, which is already Friday in UTC.
    let thursday_evening = in_new_york(date(2026, 11, 19).at(19, 30, 0, 0));
    assert_eq!(
        desk.reply("are you open now", &thursday_evening).unwrap(),
        "Yes, we're open now, until 8 pm today."
    );
    let profile = desk.profile();
    let utc_now = thursday_evening.to_zoned(jiff::tz::TimeZone::UTC);
    let mut dialogue = Dialogue::default();
    assert_eq!(
        dialogue.plan(profile, "My name is Ann Lee. I'm here to see Grace Liu", &utc_now),
        Plan::Tool(ToolCall::CheckInVisitor {
            visitor_name: "Ann Lee".to_owned(),
            host: "grace-liu".to_owned(),
            appointment_time: None,
            purpose: None,
        }),
        "a clock in another zone still sees the firm open"
    );
}

#[test]
fn hours_on_a_day_a_holiday_and_a_weekend() {
    let mut v = wednesday(10, 0);
    assert_eq!(
        v.say("What are your hours today, Wednesday?"),
        "Today we're open 9 am to noon and 1 pm to 5:30 pm."
    );
    assert_eq!(
        v.say("Are you open on Thursday?"),
        "On Thursday we're closed for Thanksgiving Day."
    );
    assert_eq!(
        v.say("What time do you open on Friday?"),
        "On Friday (the day after Thanksgiving) we're open 9 am to 1 pm."
    );
    assert_eq!(v.say("Are you open on Saturday?"), "On Saturday we're closed.");
    assert_eq!(
        v.say("Are you open on Christmas Day?"),
        "On Friday, December 25 we're closed for Christmas Day."
    );
    assert_eq!(
        v.say("Are you open on Thanksgiving?"),
        "Tomorrow we're closed for Thanksgiving Day."
    );
    assert_eq!(
        v.say("What are your hours the day after Thanksgiving?"),
        "On Friday, November 27 (the day after Thanksgiving) we're open 9 am to 1 pm."
    );

    let mut holiday = Visitor::at(LAW_FIRM, date(2026, 11, 26).at(11, 0, 0, 0));
    assert_eq!(
        holiday.say("Are you open?"),
        "We're closed right now for Thanksgiving Day. We open again tomorrow at 9 am."
    );
    // A visitor on the holiday is still recorded and their host told (the default policy).
    holiday.say("I'm here to see Grace Liu");
    let reply = holiday.say("Ann Lee");
    assert!(
        reply.starts_with(
            "Thank you, Ann. We're closed right now for Thanksgiving Day. We open again tomorrow at 9 am."
        ),
        "{reply}"
    );
    assert_eq!(holiday.visits().len(), 1);
}

#[test]
fn faq_answers_come_from_the_firm() {
    let mut v = wednesday(10, 0);
    assert!(v.say("What's the wifi password?").contains("NorthwindGuest"));
    assert!(v.say("Where can I park?").starts_with("The Hudson Square garage"));
    assert!(
        v.say("Is there parking nearby?")
            .starts_with("The Hudson Square garage")
    );
    assert!(
        v.say("Where's the restroom?")
            .starts_with("The restrooms are past the elevators")
    );
    assert!(v.say("Could I get a coffee?").contains("refreshment station"));
    assert!(
        v.say("Do I need a visitor badge?")
            .starts_with("Every visitor shows photo ID")
    );
    assert!(v.say("What is your address?").contains("350 Hudson Street"));
}

/// The firm's delivery policy, told to every courier.
const DELIVERY_POLICY: &str = "Deliveries go to the mailroom on the lower level; couriers with documents to sign for can wait at the front desk and we'll call the mailroom up.";

#[test]
fn deliveries_call_the_mailroom_or_the_named_person() {
    let mut v = wednesday(10, 0);
    let mut rx = v.reception.subscribe();
    assert_eq!(
        v.say("I have a delivery for Northwind Legal"),
        format!("I've let Marcus Webb know. Someone will be with you shortly. {DELIVERY_POLICY}")
    );
    assert_eq!(next_event(&mut rx).staff_id.as_deref(), Some("marcus-webb"));
    assert_eq!(
        v.say("I have a package for Mary Kate Smith Jones"),
        format!("I've let Mary-Kate Smith-Jones know. Someone will be with you shortly. {DELIVERY_POLICY}")
    );
    assert_eq!(
        next_event(&mut rx).staff_id.as_deref(),
        Some("mary-kate-smith-jones")
    );
    assert!(
        v.say("Where do deliveries go?")
            .starts_with("Deliveries go to the mailroom on the lower level")
    );
    assert_eq!(
        v.say("I need to speak to someone"),
        "I've let Aisha Rahman know. Someone will be with you shortly."
    );
}

#[test]
fn a_message_for_siobhan_over_several_turns() {
    let mut v = wednesday(15, 0);
    assert_eq!(
        v.say("Can I leave a message for Siobhan?"),
        "Of course. What would you like me to tell them?"
    );
    assert_eq!(
        v.say("The signed lease is in the envelope"),
        "Thank you. And who should I say it's from?"
    );
    assert_eq!(
        v.say("José Ramírez"),
        "Thank you. I've passed your message to Siobhan O'Connor."
    );
    let messages = v.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        (
            messages[0].for_staff_id.as_str(),
            messages[0].from_name.as_str(),
            messages[0].body.as_str()
        ),
        (
            "siobhan-oconnor",
            "José Ramírez",
            "The signed lease is in the envelope"
        )
    );
}

#[test]
fn unknown_questions_are_handed_to_staff() {
    let mut v = wednesday(10, 0);
    let reply = v.say("Can you notarize my will?");
    assert_eq!(
        reply,
        "I'm not sure about that one, I'm afraid. A member of our staff at the front desk will be happy to help you."
    );
    assert!(v.visits().is_empty() && v.messages().is_empty());
}

#[test]
fn instructions_describe_this_firm_and_nothing_of_the_clinic() {
    let text = desk().instructions().to_owned();
    assert!(text.starts_with("You are Donna, the receptionist at Northwind Legal LLP, 350 Hudson Street"));
    for fact in [
        "Mailroom (the lower level",
        "Family Law (the 11th floor, suite 1110)",
        "NorthwindGuest",
        "Hudson Square garage",
        "photo ID",
        "Deliveries go to the mailroom",
        "Notify Marcus Webb when a delivery arrives.",
    ] {
        assert!(text.contains(fact), "missing {fact:?}");
    }
    for clinic in [
        "Harbor",
        "Portsmouth",
        "Pharmacy",
        "Physiotherapy",
        "prescription",
        "Europe/London",
        "Maria",
    ] {
        assert!(!text.contains(clinic), "clinic fact {clinic:?} leaked");
    }
    assert!(
        !text.contains("@northwind-legal.example"),
        "contact details stay private"
    );
}
