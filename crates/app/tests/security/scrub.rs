//! Property tests of the PII scrubber: whatever surrounds them, e-mail addresses, phone numbers,
//! card numbers and configured secrets never survive, and ordinary words are left alone.

use donna_gateway::logs::Scrubber;
use donna_gateway::logs::scrub::luhn;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Text around the PII: words, punctuation, spaces, but no digits (which could legitimately join
/// a number and change what it is).
fn filler() -> impl Strategy<Value = String> {
    "[a-zA-Z ,.:;!?()\\[\\]{}\"'=/]{0,40}"
}

fn email() -> impl Strategy<Value = String> {
    ("[a-z][a-z0-9._%+-]{0,15}", "[a-z][a-z0-9-]{0,10}", "[a-z]{2,6}")
        .prop_map(|(user, host, tld)| format!("{user}@{host}.{tld}"))
}

/// A card number (13-19 digits, valid Luhn) written with or without separators.
fn card() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0u8..10, 12..=18),
        prop::sample::select(vec!["", " ", "-"]),
    )
        .prop_map(|(mut digits, sep)| {
            digits[0] = digits[0].max(1);
            let check = (0..10u8)
                .find(|c| {
                    let mut all = digits.clone();
                    all.push(*c);
                    luhn(&all)
                })
                .unwrap();
            digits.push(check);
            let text: Vec<String> = digits
                .chunks(4)
                .map(|c| c.iter().map(|d| char::from(b'0' + d)).collect())
                .collect();
            text.join(sep)
        })
}

fn phone() -> impl Strategy<Value = String> {
    prop_oneof![
        // International: +CC and 7-12 more digits in groups.
        ("[1-9][0-9]{0,2}", prop::collection::vec("[0-9]{3,4}", 2..4))
            .prop_map(|(cc, groups)| format!("+{cc} {}", groups.join(" "))),
        // National with area code: (555) 123-4567.
        ("[2-9][0-9]{2}", "[2-9][0-9]{2}", "[0-9]{4}").prop_map(|(a, b, c)| format!("({a}) {b}-{c}")),
        // Plain 10-11 digits.
        "0[1-9][0-9]{8,9}",
    ]
}

fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{8,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn emails_never_survive(before in filler(), address in email(), after in filler()) {
        let out = Scrubber::new().text(&format!("{before} {address} {after}")).into_owned();
        prop_assert!(!out.contains(&address), "{out}");
    }

    #[test]
    fn card_numbers_never_survive(before in filler(), number in card(), after in filler()) {
        let out = Scrubber::new().text(&format!("{before} {number} {after}")).into_owned();
        prop_assert!(!out.contains(&number), "{out}");
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let out_digits: String = out.chars().filter(char::is_ascii_digit).collect();
        prop_assert!(!out_digits.contains(&digits), "{out}");
    }

    #[test]
    fn phone_numbers_never_survive(before in filler(), number in phone(), after in filler()) {
        let out = Scrubber::new().text(&format!("{before} {number} {after}")).into_owned();
        prop_assert!(!out.contains(&number), "{out}");
    }

    #[test]
    fn configured_secrets_never_survive_anywhere(before in "\\PC{0,30}", key in secret(), after in "\\PC{0,30}") {
        let scrubber = Scrubber::new().with_secrets([key.clone()]);
        let text = format!("{before}{key}{after}");
        let out = scrubber.text(&text).into_owned();
        prop_assert!(!out.contains(&key), "{out}");
        let line = serde_json::to_vec(&json!({ "fields": { "message": text, "detail": [key.clone()] } })).unwrap();
        let out = String::from_utf8(scrubber.json_line(&line)).unwrap();
        prop_assert!(!out.contains(&key), "{out}");
    }

    #[test]
    fn visitor_fields_are_redacted_whatever_they_hold(name in "\\PC{1,40}", said in "\\PC{1,80}") {
        let line = serde_json::to_vec(&json!({
            "timestamp": "2026-11-26T10:00:00Z",
            "fields": { "message": "check-in", "visitor_name": name, "transcript": said },
        })).unwrap();
        let out: Value = serde_json::from_slice(&Scrubber::new().json_line(&line)).unwrap();
        prop_assert_eq!(&out["fields"]["visitor_name"], "[redacted]");
        prop_assert_eq!(&out["fields"]["transcript"], "[redacted]");
        prop_assert_eq!(&out["fields"]["message"], "check-in");
    }

    #[test]
    fn ordinary_words_are_left_alone(text in "[a-zA-Z ,.!?']{0,80}") {
        prop_assert_eq!(Scrubber::new().text(&text).into_owned(), text);
    }

    #[test]
    fn scrubbing_is_idempotent_and_json_stays_json(text in "\\PC{0,120}") {
        let s = Scrubber::new().with_secrets(["sk-canary-3f9a0c7d1e"]);
        let once = s.text(&text).into_owned();
        prop_assert_eq!(s.text(&once).into_owned(), once.clone());
        let line = serde_json::to_vec(&json!({ "fields": { "message": text } })).unwrap();
        prop_assert!(serde_json::from_slice::<Value>(&s.json_line(&line)).is_ok());
    }
}
