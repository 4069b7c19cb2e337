//! What visitors ask at the desk, tried on both example profiles: the UK clinic
//! (`profiles/harbor-clinic.toml`) and the New York law firm (`profiles/northwind-legal.toml`).
//! Each turn is planned by the dialogue and its tools run by the reception, as the engine and
//! the gateway do, with the clock pinned on the business's own wall clock.

mod util;

use jiff::civil::{DateTime, date};
use serde_json::json;
use util::{CLINIC, LAW_FIRM, Visitor, next_event, profile_text};

/// The clinic on Wednesday 23 December 2026 (open 8 am to 6:30 pm); tomorrow is Christmas Eve.
fn clinic_wednesday(h: i8, m: i8) -> Visitor {
    Visitor::at(CLINIC, date(2026, 12, 23).at(h, m, 0, 0))
}

/// The law firm on Wednesday 25 November 2026 (9-12 and 1-5:30); tomorrow is Thanksgiving.
fn firm_wednesday(h: i8, m: i8) -> Visitor {
    Visitor::at(LAW_FIRM, date(2026, 11, 25).at(h, m, 0, 0))
}

#[test]
fn the_clinic_answers_for_the_day_asked() {
    let mut v = clinic_wednesday(10, 0);
    assert_eq!(
        v.say("Are you open tomorrow?"),
        "Tomorrow (Christmas Eve) we're open 8 am to 1 pm."
    );
    assert_eq!(
        v.say("What time do you open tomorrow?"),
        "Tomorrow (Christmas Eve) we're open 8 am to 1 pm."
    );
    assert_eq!(v.say("When do you close today?"), "We close at 6:30 pm today.");
    assert_eq!(v.say("What time do you close?"), "We close at 6:30 pm today.");
    assert_eq!(v.say("When do you shut?"), "We close at 6:30 pm today.");
    assert_eq!(
        v.say("Are you open on Saturday?"),
        "On Saturday we're closed for Boxing Day."
    );
    assert_eq!(v.say("Are you open today?"), "Today we're open 8 am to 6:30 pm.");

    // Christmas Eve: a short day, and tomorrow a holiday.
    let mut eve = Visitor::at(CLINIC, date(2026, 12, 24).at(10, 0, 0, 0));
    assert_eq!(
        eve.say("Are you open tomorrow?"),
        "Tomorrow we're closed for Christmas Day."
    );
    assert_eq!(
        eve.say("When do you close today?"),
        "We close at 1 pm today (Christmas Eve)."
    );
    let mut late = Visitor::at(CLINIC, date(2026, 12, 24).at(14, 0, 0, 0));
    assert_eq!(
        late.say("When do you close today?"),
        "We've closed for today. We open again on Monday at 8 am."
    );
    // Whether we are open right now is still answered as such.
    assert_eq!(
        late.say("Are you open?"),
        "We're closed right now for Christmas Eve. We open again on Monday at 8 am."
    );
}

#[test]
fn the_law_firm_answers_for_the_day_asked() {
    let mut v = firm_wednesday(10, 0);
    assert_eq!(
        v.say("Are you open tomorrow?"),
        "Tomorrow we're closed for Thanksgiving Day."
    );
    assert_eq!(
        v.say("What time do you open tomorrow?"),
        "Tomorrow we're closed for Thanksgiving Day."
    );
    assert_eq!(
        v.say("When do you close today?"),
        "We close at 5:30 pm today; we're open 9 am to noon and 1 pm to 5:30 pm."
    );
    assert_eq!(v.say("Are you open on Saturday?"), "On Saturday we're closed.");

    // Over lunch the firm is closed now, but it still closes at 5:30 pm today.
    let mut lunch = firm_wednesday(12, 30);
    assert_eq!(
        lunch.say("What time do you close?"),
        "We close at 5:30 pm today; we're open 9 am to noon and 1 pm to 5:30 pm."
    );
    let mut evening = firm_wednesday(18, 0);
    assert_eq!(
        evening.say("What time do you close?"),
        "We've closed for today. We open again on Friday at 9 am."
    );
    assert_eq!(
        evening.say("What time do you open tomorrow?"),
        "Tomorrow we're closed for Thanksgiving Day."
    );
    let mut holiday = Visitor::at(LAW_FIRM, date(2026, 11, 26).at(11, 0, 0, 0));
    assert_eq!(
        holiday.say("When do you close today?"),
        "We're closed today for Thanksgiving Day. We open again tomorrow at 9 am."
    );
    assert_eq!(
        holiday.say("Are you open tomorrow?"),
        "Tomorrow (the day after Thanksgiving) we're open 9 am to 1 pm."
    );
}

#[test]
fn the_hours_tool_takes_today_tomorrow_and_closing() {
    for (v, tomorrow) in [
        (
            clinic_wednesday(10, 0),
            "Tomorrow (Christmas Eve) we're open 8 am to 1 pm.",
        ),
        (
            firm_wednesday(10, 0),
            "Tomorrow we're closed for Thanksgiving Day.",
        ),
    ] {
        let out = v.tool("get_hours", json!({ "day": "tomorrow" }));
        assert_eq!(out["summary"], tomorrow, "{out}");
        let out = v.tool("get_hours", json!({ "day": "today", "closing": true }));
        assert!(
            out["summary"]
                .as_str()
                .is_some_and(|s| s.starts_with("We close at")),
            "{out}"
        );
        let out = v.tool("get_hours", json!({ "closing": "yes" }));
        assert_eq!(out["error"], "closing: must be true or false");
        let out = v.tool("get_hours", json!({ "day": "someday" }));
        assert!(
            out["error"].as_str().is_some_and(|e| e.starts_with("day:")),
            "{out}"
        );
    }
}

/// For each example profile: a host people ask for by full name, and the start of the sentence
/// that tells the visitor they were checked in for them.
const HOSTS: [(&str, &str, &str, &str); 2] = [
    (CLINIC, "Priya Shah", "priya-shah", "I've let Priya Shah know"),
    (LAW_FIRM, "Grace Liu", "grace-liu", "I've let Grace Liu know"),
];

/// Thursday 26 November 2026 at 10:00: the clinic is open; the law firm is closed for
/// Thanksgiving, so the firm's visits are tried on the Wednesday before.
fn visitor_at(file: &str) -> Visitor {
    match file {
        CLINIC => Visitor::at(CLINIC, date(2026, 11, 26).at(10, 0, 0, 0)),
        _ => firm_wednesday(10, 0),
    }
}

#[test]
fn a_purpose_without_a_host_asks_who_they_are_meeting() {
    for (file, host, host_id, checked_in) in HOSTS {
        let mut v = visitor_at(file);
        assert_eq!(
            v.say("I'm here for an interview"),
            "Of course. Who is your interview with?",
            "{file}"
        );
        assert_eq!(v.say(host), "Thank you. May I have your name, please?", "{file}");
        let reply = v.say("Ann Lee");
        assert!(reply.contains(checked_in), "{file}: {reply}");
        let visits = v.visits();
        assert_eq!(visits[0].host_staff_id, host_id, "{file}");
        assert_eq!(visits[0].purpose.as_deref(), Some("interview"), "{file}");

        let mut v = visitor_at(file);
        v.say("My name is Ann Lee");
        assert_eq!(
            v.say("I'm here for a job interview"),
            "Of course. Who is your job interview with?",
            "{file}"
        );
        assert!(v.say(host).contains(checked_in), "{file}");
        assert_eq!(v.visits()[0].purpose.as_deref(), Some("job interview"));

        let mut v = visitor_at(file);
        assert_eq!(
            v.say("I have an appointment"),
            "Of course. Who is your appointment with?",
            "{file}"
        );

        // Speech often drops the article.
        let mut v = visitor_at(file);
        assert_eq!(
            v.say("I'm here for interview"),
            "Of course. Who is your interview with?",
            "{file}"
        );

        let mut v = visitor_at(file);
        v.say("My name is Ann Lee");
        assert_eq!(
            v.say("I'm here for my 3 o'clock"),
            "Of course. Who is your 3 pm appointment with?",
            "{file}"
        );
        assert!(v.say(host).contains(checked_in), "{file}");
        let visit = &v.visits()[0];
        assert_eq!(visit.appointment_time.as_deref(), Some("15:00"), "{file}");
        assert_eq!(visit.purpose, None, "{file}");
    }
}

#[test]
fn real_names_after_here_for_are_still_names() {
    for (file, host, host_id, checked_in) in HOSTS {
        let mut v = visitor_at(file);
        assert_eq!(
            v.say("I'm here to see Ann"),
            "I'm sorry, I couldn't find anyone called Ann here. Could you tell me their full name or their department?",
            "{file}"
        );
        let mut v = visitor_at(file);
        assert_eq!(
            v.say("I'm here for Dr Patel"),
            "I'm sorry, I couldn't find anyone called Dr Patel here. Could you tell me their full name or their department?",
            "{file}"
        );
        let mut v = visitor_at(file);
        v.say("My name is Ann Lee");
        let reply = v.say(&format!("I'm here for {host}"));
        assert!(reply.contains(checked_in), "{file}: {reply}");
        let mut v = visitor_at(file);
        v.say("My name is Ann Lee");
        let reply = v.say(&format!("I'm here for an interview with {host} at two"));
        assert!(reply.contains(checked_in), "{file}: {reply}");
        let visit = &v.visits()[0];
        assert_eq!(
            (visit.host_staff_id.as_str(), visit.appointment_time.as_deref()),
            (host_id, Some("14:00")),
            "{file}"
        );
        assert_eq!(visit.purpose.as_deref(), Some("interview"), "{file}");
    }
    // "here for An" is the firm's paralegal; "here for an interview" is not.
    let mut v = firm_wednesday(10, 0);
    assert_eq!(
        v.say("I'm here for An"),
        "Thank you. May I have your name, please?"
    );
    assert!(v.say("Minh Tran").contains("Nguyen Van An"));
}

#[test]
fn a_courier_hears_the_delivery_policy_and_the_right_person_is_called() {
    // The clinic names no deliveries contact: the front desk. The firm names its mailroom.
    for (file, called, staff_id, policy) in [
        (
            CLINIC,
            "Sarah Nguyen",
            "sarah-nguyen",
            "Deliveries go to the front desk on the ground floor.",
        ),
        (
            LAW_FIRM,
            "Marcus Webb",
            "marcus-webb",
            "Deliveries go to the mailroom on the lower level;",
        ),
    ] {
        for said in ["I have a delivery", "I've got a parcel for you", "Package here"] {
            let mut v = visitor_at(file);
            let mut rx = v.reception.subscribe();
            let reply = v.say(said);
            assert!(
                reply.starts_with(&format!(
                    "I've let {called} know. Someone will be with you shortly. {policy}"
                )),
                "{file}: {said:?} → {reply}"
            );
            let event = next_event(&mut rx);
            assert_eq!(event.staff_id.as_deref(), Some(staff_id), "{file}: {said:?}");
            assert!(event.summary.contains(said), "{}", event.summary);
        }
    }
}

#[test]
fn the_deliveries_contact_comes_from_the_profile() {
    let text = profile_text(CLINIC).replace("[policies]", "[policies]\ndeliveries_contact = \"pharmacy\"");
    let mut v = Visitor::with_profile(&text, date(2026, 11, 26).at(10, 0, 0, 0));
    let reply = v.say("I have a delivery");
    assert!(reply.starts_with("I've let Tom Becker know."), "{reply}");
    // Without a policy there is nothing to add.
    let text = profile_text(LAW_FIRM)
        .lines()
        .filter(|l| !l.starts_with("deliveries ="))
        .collect::<Vec<_>>()
        .join("\n");
    let mut v = Visitor::with_profile(&text, date(2026, 11, 25).at(10, 0, 0, 0));
    assert_eq!(
        v.say("I have a delivery"),
        "I've let Marcus Webb know. Someone will be with you shortly."
    );
}

/// The host chosen after "Which one?" is answered with `choice`, for a visitor already named.
fn chosen_host(text: &str, at: DateTime, ask: &str, choice: &str) -> String {
    let mut v = Visitor::with_profile(text, at);
    v.say("My name is Ann Lee");
    let question = v.say(ask);
    assert!(question.starts_with("Do you mean"), "{question}");
    let reply = v.say(choice);
    assert!(reply.starts_with("Thank you, Ann."), "{choice:?} → {reply}");
    v.visits()[0].host_staff_id.clone()
}

#[test]
fn short_department_names_and_initials_choose_between_two_people() {
    let clinic_day = date(2026, 11, 26).at(10, 0, 0, 0);
    let firm_day = date(2026, 11, 25).at(10, 0, 0, 0);
    let clinic = profile_text(CLINIC);
    // "GP" is the initials of General Practice.
    assert_eq!(
        chosen_host(&clinic, clinic_day, "I'm here to see Maria", "The one in GP"),
        "maria-chen"
    );
    // A department whose id is "it" and whose name is "Information Technology".
    let it = clinic
        .replace(
            "id = \"administration\"\nname = \"Administration\"",
            "id = \"it\"\nname = \"Information Technology\"",
        )
        .replace("department = \"administration\"", "department = \"it\"");
    assert_eq!(
        chosen_host(&it, clinic_day, "I'm here to see Maria", "the one in IT"),
        "maria-lopez"
    );
    // "it" as a word is not the department.
    assert_eq!(
        chosen_host(&it, clinic_day, "I'm here to see Maria", "is it the second one?"),
        "maria-chen"
    );

    let firm = profile_text(LAW_FIRM);
    assert_eq!(
        chosen_host(&firm, firm_day, "I'm here to see Daniel", "the one in family law"),
        "daniel-brooks"
    );
    // Human Resources under an id that does not say "hr": its initials do.
    let hr = firm
        .replace(
            "id = \"family-law\"\nname = \"Family Law\"",
            "id = \"people-team\"\nname = \"Human Resources\"",
        )
        .replace("department = \"family-law\"", "department = \"people-team\"");
    assert_eq!(
        chosen_host(&hr, firm_day, "I'm here to see Daniel", "The one in HR, please"),
        "daniel-brooks"
    );
    assert_eq!(
        chosen_host(&hr, firm_day, "I'm here to see Daniel", "litigation"),
        "daniel-kim"
    );
}

#[test]
fn dates_are_written_in_the_style_of_the_business() {
    let mut clinic = visitor_at(CLINIC);
    assert_eq!(
        clinic.say("Are you open on Christmas Day?"),
        "On Friday 25 December we're closed for Christmas Day."
    );
    assert_eq!(
        clinic.say("What are your hours on New Year's Day?"),
        "On Friday 1 January we're closed for New Year's Day."
    );
    let mut firm = visitor_at(LAW_FIRM);
    assert_eq!(
        firm.say("Are you open on Christmas Day?"),
        "On Friday, December 25 we're closed for Christmas Day."
    );
    assert_eq!(
        firm.say("Are you open on Martin Luther King Jr. Day?"),
        "On Monday, January 18 we're closed for Martin Luther King Jr. Day."
    );
}

/// "What are your opening hours?" is answered with today's hours and the days after it, not
/// only with whether the business is open this minute.
#[test]
fn opening_hours_are_the_week_ahead() {
    let mut clinic = Visitor::at(CLINIC, date(2026, 11, 26).at(10, 0, 0, 0));
    assert_eq!(
        clinic.say("What are your opening hours?"),
        "Today we're open 8 am to 8 pm. Then: Friday 8 am to 5 pm; Saturday 9 am to 12:30 pm; \
         Sunday closed; Monday to Wednesday 8 am to 6:30 pm."
    );
    // The week before Christmas names the short day and the holidays.
    let mut christmas = clinic_wednesday(10, 0);
    let reply = christmas.say("When are you open?");
    assert!(reply.starts_with("Today we're open 8 am to 6:30 pm. Then: Thursday (Christmas Eve) 8 am to 1 pm; Friday (Christmas Day) closed"), "{reply}");
    // Whether we are open now is still answered as such.
    assert!(clinic.say("Are you open now?").starts_with("Yes, we're open now"));

    let mut firm = Visitor::at(LAW_FIRM, date(2026, 11, 23).at(10, 0, 0, 0));
    assert_eq!(
        firm.say("what are your hours"),
        "Today we're open 8:30 am to 5:30 pm. Then: Tuesday 8:30 am to 5:30 pm; Wednesday 9 am to noon \
         and 1 pm to 5:30 pm; Thursday (Thanksgiving Day) closed; Friday (the day after Thanksgiving) \
         9 am to 1 pm; Saturday and Sunday closed."
    );
}

/// Donna never says she has done what she has not: a question about where someone is gets
/// directions (and an offer), a one-line check-in checks the visitor in and tells the host.
#[test]
fn directions_promise_nothing_and_one_line_check_ins_check_in() {
    for (file, host, host_name, at) in [
        (
            CLINIC,
            "Dr Chen",
            "Dr Maria Chen",
            date(2026, 11, 26).at(10, 0, 0, 0),
        ),
        (
            LAW_FIRM,
            "Grace Liu",
            "Grace Liu",
            date(2026, 11, 24).at(10, 0, 0, 0),
        ),
    ] {
        for question in [format!("Where is {host}?"), format!("{host} please")] {
            let mut v = Visitor::at(file, at);
            let reply = v.say(&question);
            assert!(!reply.contains("be with you shortly"), "{file}: {reply}");
            assert!(reply.contains("tell me your name"), "{file}: {reply}");
            assert!(v.visits().is_empty(), "{file}: {question}");
            // Taking up the offer checks the visitor in for that person.
            let mut events = v.reception.subscribe();
            let reply = v.say("I'm Jo Bloggs");
            assert!(
                reply.starts_with(&format!("Thank you, Jo. I've let {host_name} know")),
                "{file}: {reply}"
            );
            assert_eq!(v.visits()[0].visitor_name, "Jo Bloggs");
            assert_eq!(next_event(&mut events).kind, "visitor.checked_in");
        }
        for line in [
            format!("I'm Jo Bloggs for {host}"),
            format!("Jo Bloggs to see {host}"),
            format!("This is Jo Bloggs, here to see {host}."),
        ] {
            let mut v = Visitor::at(file, at);
            let reply = v.say(&line);
            assert!(
                reply.starts_with(&format!("Thank you, Jo. I've let {host_name} know")),
                "{file}: {line}: {reply}"
            );
            let visits = v.visits();
            assert_eq!(visits.len(), 1, "{file}: {line}");
            assert_eq!(visits[0].visitor_name, "Jo Bloggs");
        }
        // Looking for someone is not a name; after directions, other talk is not one either.
        for line in [
            format!("I'm looking for {host}"),
            format!("I'm here to see {host}"),
        ] {
            let mut v = Visitor::at(file, at);
            v.say(&line);
            assert!(v.visits().is_empty(), "{file}: {line}");
        }
        let mut v = Visitor::at(file, at);
        v.say(&format!("Where is {host}?"));
        v.say("Thank you");
        v.say("Where are the toilets?");
        assert!(v.visits().is_empty(), "{file}");
    }
}
