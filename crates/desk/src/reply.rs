//! Answering one message from the profile: hours, directions to staff and departments, FAQ,
//! policies, greetings, and a polite hand-over to staff for everything else.
//!
//! This is deliberately rule-based: it must work offline, instantly and predictably on a kiosk.
//! Every branch reads only the profile, so a different business gets the right answers by
//! changing its TOML, not this code.

use jiff::Zoned;

use crate::hours_answer::{
    CLOSING_WORDS, RELATIVE_DAYS, WEEKDAYS, asks_hours, asks_week, hours_answer, hours_query, named_holiday,
};
use crate::meaning::{Intent, Sense};
use crate::profile::Profile;
use crate::staff_match::{disambiguate, matching_staff, staff_directions, staff_words};
use crate::text::{contains_phrase, mentions_any, words};
use crate::tool_call::ToolCall;

const DELIVERY_WORDS: &[&str] = &[
    "delivery",
    "deliveries",
    "deliver",
    "delivering",
    "parcel",
    "package",
    "courier",
];

const BADGE_WORDS: &[&str] = &["badge", "sign in", "visitor pass", "lanyard"];

const ADDRESS_WORDS: &[&str] = &["address", "postcode", "zip code", "phone number", "call you"];

const GREETING_WORDS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "good morning",
    "good afternoon",
    "good evening",
];

pub(crate) const THANKS_WORDS: &[&str] = &["thanks", "thank you", "cheers", "bye", "goodbye"];

/// What the desk decides to do with a message: answer directly, or use a tool first.
///
/// The cloud model makes the same decision through function calling; the local engine asks
/// [`plan`] and emits a real function call when the session offers that tool, so the app's tool
/// execution is the same with either backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Say(String),
    Tool(ToolCall),
}

/// Donna's answer to `message` at `now` (read in the business's zone, whatever zone it is
/// given in), running any tool herself.
pub fn answer(profile: &Profile, message: &str, now: &Zoned) -> String {
    let now = &now.with_time_zone(profile.timezone.clone());
    match plan(profile, message) {
        Plan::Say(text) => text,
        Plan::Tool(ToolCall::GetHours {
            day,
            holiday,
            closing,
            week,
        }) => {
            let asked = hours_query(day.as_deref(), holiday.as_deref(), closing, week);
            hours_answer(profile, &asked, now)
        }
        Plan::Tool(call) => {
            let name = match &call {
                ToolCall::LookupStaff { name } => name.as_str(),
                _ => "",
            };
            match matching_staff(profile, &words(name)).as_slice() {
                [one] => staff_directions(profile, one),
                [] => "I'm sorry, I couldn't find anyone by that name. Could you spell it for me?".to_owned(),
                many => disambiguate(profile, many),
            }
        }
    }
}

/// What Donna says when she does not know: never a guess.
pub const UNSURE: &str = "I'm not sure about that one, I'm afraid. A member of our staff at the front desk will be happy to help you.";

/// Decide how to answer `message`: by the rules, else by what it means (when the profile has a
/// sentence model), else [`UNSURE`].
pub fn plan(profile: &Profile, message: &str) -> Plan {
    by_rules(profile, message)
        .or_else(|| {
            let sense = profile.understanding.sense(message, crate::meaning::TRUST)?;
            for_sense(profile, sense)
        })
        .unwrap_or_else(|| Plan::Say(UNSURE.to_owned()))
}

/// The rules' plan, `None` when no rule knows the message.
pub(crate) fn by_rules(profile: &Profile, message: &str) -> Option<Plan> {
    let w = words(message);
    if w.is_empty() {
        return Some(Plan::Say(
            "Sorry, I didn't catch that. Could you say it again?".to_owned(),
        ));
    }
    if !matching_staff(profile, &w).is_empty() {
        return Some(Plan::Tool(ToolCall::LookupStaff {
            name: staff_words(profile, &w),
        }));
    }
    if asks_hours(&w) {
        let day = WEEKDAYS
            .iter()
            .map(|(name, _)| *name)
            .chain(RELATIVE_DAYS)
            .find(|name| w.iter().any(|t| t == name));
        let holiday = named_holiday(profile, &w);
        let closing = mentions_any(&w, CLOSING_WORDS);
        return Some(Plan::Tool(ToolCall::GetHours {
            day: day.map(str::to_owned),
            holiday: holiday.map(str::to_owned),
            closing,
            week: !closing && day.is_none() && holiday.is_none() && asks_week(&w),
        }));
    }
    simple_answer(profile, &w).map(Plan::Say)
}

/// The plan for something understood by its meaning, when one message can answer it (a
/// check-in or a message needs the dialogue: `None`).
pub(crate) fn for_sense(profile: &Profile, sense: Sense) -> Option<Plan> {
    let say = |text: String| Some(Plan::Say(text));
    match sense {
        Sense::Faq(i) => say(profile.faq.get(i)?.answer.clone()),
        Sense::Department(i) => {
            let dept = profile.departments.get(i)?;
            say(format!("{} is on {}.", dept.name, dept.location))
        }
        Sense::Intent(Intent::Hours) => Some(Plan::Tool(ToolCall::GetHours {
            day: None,
            holiday: None,
            closing: false,
            week: false,
        })),
        Sense::Intent(Intent::Place) => say(place_answer(profile)),
        Sense::Intent(Intent::Address) => say(address_answer(profile)),
        Sense::Intent(Intent::Badge) => say(profile.policies.visitor_badges.clone()?),
        Sense::Intent(Intent::Greeting) => say(profile.greeting()),
        Sense::Intent(Intent::Thanks) => say(THANKED.to_owned()),
        Sense::Intent(Intent::Delivery) => say(profile.policies.deliveries.clone()?),
        Sense::Intent(
            Intent::Visit | Intent::Message | Intent::Help | Intent::Leaving | Intent::Elsewhere,
        ) => None,
    }
}

const THANKED: &str = "You're welcome. Have a good day!";

fn place_answer(profile: &Profile) -> String {
    let org = &profile.organisation;
    format!("You're at {}, {}. How can I help you?", org.name, org.address)
}

fn address_answer(profile: &Profile) -> String {
    let org = &profile.organisation;
    match &org.phone {
        Some(phone) => format!("We're at {}. Our phone number is {phone}.", org.address),
        None => format!("We're at {}.", org.address),
    }
}

/// Answers that need no tool: policies, FAQ, departments, address, courtesies; `None` when no
/// rule knows the words.
pub(crate) fn simple_answer(profile: &Profile, w: &[String]) -> Option<String> {
    if mentions_any(w, DELIVERY_WORDS)
        && let Some(policy) = &profile.policies.deliveries
    {
        return Some(policy.clone());
    }
    if let Some(faq) = best_faq(profile, w) {
        return Some(faq);
    }
    if mentions_any(w, BADGE_WORDS)
        && let Some(policy) = &profile.policies.visitor_badges
    {
        return Some(policy.clone());
    }
    if let Some(dept) = named_department(profile, w) {
        return Some(format!("{} is on {}.", dept.name, dept.location));
    }
    if is_this_the_place(profile, w) {
        return Some(place_answer(profile));
    }
    if mentions_any(w, ADDRESS_WORDS) {
        return Some(address_answer(profile));
    }
    if mentions_any(w, THANKS_WORDS) {
        return Some(THANKED.to_owned());
    }
    if mentions_any(w, GREETING_WORDS) {
        return Some(profile.greeting());
    }
    None
}

/// The department the words name: by its name, or as people shorten it: the start of a
/// one-word name ("physio", "admin"), the initials of a longer one ("GP"), never an everyday
/// word ("it" is no "Information Technology").
fn named_department<'p>(profile: &'p Profile, w: &[String]) -> Option<&'p crate::profile::Department> {
    let departments = &profile.departments;
    departments
        .iter()
        .find(|d| contains_phrase(w, &words(&d.name)))
        .or_else(|| {
            departments.iter().find(|d| match words(&d.name).as_slice() {
                [one] => w
                    .iter()
                    .any(|t| t.chars().count() >= 4 && t.len() < one.len() && one.starts_with(t.as_str())),
                many => {
                    let initials: String = many.iter().filter_map(|x| x.chars().next()).collect();
                    !crate::staff_match::FUNCTION_WORDS.contains(&initials.as_str()) && w.contains(&initials)
                }
            })
        })
}

/// A visitor unsure they have come to the right place: "Am I in the right building?",
/// "Where am I?", "Is this Harbor Clinic?".
fn is_this_the_place(profile: &Profile, w: &[String]) -> bool {
    const UNSURE: &[&str] = &[
        "right place",
        "right building",
        "right office",
        "wrong place",
        "wrong building",
        "where am i",
        "what is this place",
        "what place is this",
    ];
    // "Is this Northwind?", "is this the Harbor Street clinic?": any word of the name that
    // is no function word.
    let names_us = || {
        words(&profile.organisation.name).iter().any(|n| {
            n.chars().count() >= 4
                && !crate::staff_match::FUNCTION_WORDS.contains(&n.as_str())
                && w.contains(n)
        })
    };
    mentions_any(w, UNSURE) || (w.starts_with(&["is".to_owned(), "this".to_owned()]) && names_us())
}

fn best_faq(profile: &Profile, w: &[String]) -> Option<String> {
    profile
        .faq
        .iter()
        .map(|f| {
            (
                f,
                f.keywords
                    .iter()
                    .filter(|k| contains_phrase(w, &words(k)))
                    .count(),
            )
        })
        .filter(|&(_, hits)| hits > 0)
        .max_by_key(|&(_, hits)| hits)
        .map(|(f, _)| f.answer.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EXAMPLE_PROFILE;
    use jiff::civil::date;

    fn ask(message: &str, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> String {
        let profile = Profile::parse(EXAMPLE_PROFILE, "example").unwrap();
        let now = date(y, mo, d)
            .at(h, mi, 0, 0)
            .to_zoned(profile.timezone.clone())
            .unwrap();
        answer(&profile, message, &now)
    }

    // 2026-11-26 is a Thursday: open 08:00-20:00 in the example profile.
    fn thursday(message: &str) -> String {
        ask(message, 2026, 11, 26, 10, 0)
    }

    #[test]
    fn a_visitor_unsure_of_the_place_is_told_where_they_are() {
        let here =
            "You're at Harbor Street Clinic, 12 Harbor Street, Portsmouth PO1 3AX. How can I help you?";
        for unsure in [
            "Excuse me, am I in the right place?",
            "Is this the right building?",
            "Sorry, where am I?",
            "Is this Harbor Street Clinic?",
            "Is this the Harbor clinic?",
        ] {
            assert_eq!(thursday(unsure), here, "{unsure}");
        }
        // "Close by" is a distance, not closing time.
        assert_eq!(
            thursday("Is there a pharmacy close by?"),
            "Pharmacy is on the ground floor, on your right as you come in."
        );
        // A question about somewhere else in the building is still answered as asked.
        assert!(!thursday("Is this the way to the toilets?").starts_with("You're at"));
    }

    #[test]
    fn open_now() {
        assert_eq!(
            thursday("Are you open now?"),
            "Yes, we're open now, until 8 pm today."
        );
    }

    #[test]
    fn closed_evening_points_to_tomorrow() {
        assert_eq!(
            ask("are you open?", 2026, 11, 26, 21, 0),
            "We're closed right now. We open again tomorrow at 8 am."
        );
    }

    #[test]
    fn holidays_are_named() {
        // Christmas Day 2026 is a Friday; Boxing Day and Sunday are closed too.
        assert_eq!(
            ask("what are your opening hours", 2026, 12, 25, 11, 0),
            "We're closed today for Christmas Day. We open again on Monday at 8 am. Then: Saturday \
             (Boxing Day) closed; Sunday closed; Monday to Wednesday 8 am to 6:30 pm; Thursday 8 am to 8 pm."
        );
        assert_eq!(
            ask("are you open?", 2026, 12, 25, 11, 0),
            "We're closed right now for Christmas Day. We open again on Monday at 8 am."
        );
        assert_eq!(thursday("Are you open on Sunday?"), "On Sunday we're closed.");
        assert_eq!(
            thursday("what time do you close on Saturday"),
            "On Saturday we're open 9 am to 12:30 pm."
        );
        // Asked on a Wednesday about Thursday, which is Christmas Eve's short day.
        assert_eq!(
            ask("are you open on thursday", 2026, 12, 23, 9, 0),
            "On Thursday (Christmas Eve) we're open 8 am to 1 pm."
        );
    }

    #[test]
    fn holidays_are_found_by_name() {
        assert_eq!(
            thursday("Are you open on Christmas Day?"),
            "On Friday 25 December we're closed for Christmas Day."
        );
        assert_eq!(
            thursday("are you open on christmas eve"),
            "On Thursday 24 December (Christmas Eve) we're open 8 am to 1 pm."
        );
        assert_eq!(
            ask("are you open on Boxing Day?", 2026, 12, 25, 10, 0),
            "Tomorrow we're closed for Boxing Day."
        );
        assert_eq!(
            thursday("what are your hours on new year's day"),
            "On Friday 1 January we're closed for New Year's Day."
        );
        // A holiday that has passed is not answered for a year later.
        assert_eq!(
            ask("are you open on christmas day", 2027, 1, 5, 10, 0),
            "Yes, we're open now, until 6:30 pm today."
        );
    }

    #[test]
    fn short_days_show_their_note() {
        // Christmas Eve 2026 is a Thursday with short hours.
        assert_eq!(
            ask("are you open today, thursday?", 2026, 12, 24, 9, 0),
            "Today (Christmas Eve) we're open 8 am to 1 pm."
        );
    }

    #[test]
    fn a_full_name_picks_one_person_and_a_first_name_asks_which() {
        let reply = thursday("I'm here to see Maria Chen");
        assert!(reply.starts_with("Dr Maria Chen, our General Practitioner in General Practice, is on the first floor, room 103."), "{reply}");
        assert_eq!(
            thursday("I have an appointment with Maria"),
            "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
        );
        assert!(thursday("where can I find doctor okafor").starts_with("Dr James Okafor"));
    }

    #[test]
    fn faq_policies_and_departments() {
        assert!(thursday("What's the wifi password?").contains("HarborGuest"));
        assert!(thursday("Where are the toilets, please?").contains("toilets are on the ground floor"));
        assert!(thursday("I have a parcel for you").starts_with("Deliveries go to the front desk"));
        assert!(
            thursday("Where is physiotherapy?")
                .starts_with("Physiotherapy is on the ground floor, east wing")
        );
        assert!(thursday("Do I need a badge?").starts_with("Every visitor signs in"));
        assert!(thursday("what is your address").contains("12 Harbor Street"));
    }

    #[test]
    fn greetings_thanks_and_the_unknown() {
        assert!(thursday("Hello!").starts_with("Welcome to Harbor Street Clinic"));
        assert_eq!(thursday("thank you"), "You're welcome. Have a good day!");
        assert!(thursday("Can you fix my bicycle?").contains("member of our staff"));
        assert!(thursday("   ?! ").starts_with("Sorry, I didn't catch that"));
    }
}

#[cfg(test)]
mod fuzzy_tests {
    use super::*;
    use crate::EXAMPLE_PROFILE;

    #[test]
    fn misspelt_names_still_find_one_person() {
        let p = Profile::parse(EXAMPLE_PROFILE, "example").unwrap();
        let ids = |q: &str| matching_ids(&p, q);
        assert_eq!(ids("I'm here to see doctor Okafur"), ["james-okafor"]);
        assert_eq!(ids("Priya Sha please"), ["priya-shah"]);
        assert!(ids("I would like some water").is_empty());
        assert!(ids("where is the park").is_empty());
    }

    /// The ids of the staff `query` names in `profile`.
    fn matching_ids(profile: &Profile, query: &str) -> Vec<String> {
        matching_staff(profile, &words(query))
            .iter()
            .map(|m| m.id.clone())
            .collect()
    }

    #[test]
    fn names_that_are_everyday_words_need_a_name_position() {
        let text = EXAMPLE_PROFILE
            .replace(
                "name = \"Priya Shah\"",
                "name = \"Nguyen Van An\"\naliases = [\"An\"]",
            )
            .replace("name = \"Tom Becker\"", "name = \"Dr. Helen Park\"");
        let p = Profile::parse(&text, "example").unwrap();
        let ids = |q: &str| matching_ids(&p, q);
        assert_eq!(ids("I'm here to see An"), ["priya-shah"]);
        assert_eq!(ids("a message for An that I'm late"), ["priya-shah"]);
        assert_eq!(ids("An"), ["priya-shah"]);
        assert!(ids("I have an appointment").is_empty());
        assert!(ids("I'm here for an interview").is_empty());
        assert!(ids("is there an accessible toilet").is_empty());
        assert_eq!(ids("I have an appointment with Maria Chen"), ["maria-chen"]);
        // "park" is a parking keyword of the profile: a name only where a name goes.
        assert!(ids("where can I park").is_empty());
        assert!(ids("is there parking").is_empty());
        assert_eq!(ids("where can I find Dr. Park"), ["tom-becker"]);
        assert_eq!(ids("here to see Helen"), ["tom-becker"]);
    }

    #[test]
    fn names_match_however_speech_splits_them() {
        let text = EXAMPLE_PROFILE
            .replace("name = \"Priya Shah\"", "name = \"Mary-Kate Smith-Jones\"")
            .replace("name = \"Tom Becker\"", "name = \"Siobhan O'Connor\"");
        let p = Profile::parse(&text, "example").unwrap();
        let ids = |q: &str| matching_ids(&p, q);
        assert_eq!(ids("here to see Mary Kate Smith Jones"), ["priya-shah"]);
        assert_eq!(ids("a parcel for smith jones"), ["priya-shah"]);
        assert_eq!(ids("here to see marykate"), ["priya-shah"]);
        assert_eq!(ids("a message for O Connor"), ["tom-becker"]);
        assert_eq!(ids("a message for O’Connor"), ["tom-becker"]);
        // The lookup query keeps the pieces, so the tool finds the same person.
        assert_eq!(
            staff_words(&p, &words("where is Mary Kate Smith Jones today")),
            "mary kate smith jones"
        );
    }
}
