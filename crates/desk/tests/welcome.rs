//! The kiosk's first screen: every question it offers to tap is one Donna answers, on both
//! example profiles, and a profile's own suggestions are checked at load.

mod util;

use donna_desk::Profile;
use donna_desk::welcome::Welcome;
use jiff::civil::date;
use util::{CLINIC, LAW_FIRM, Visitor, profile_text};

const FALLBACK: &str = "I'm not sure about that one";

#[test]
fn every_suggested_question_gets_a_real_answer_on_both_profiles() {
    for file in [CLINIC, LAW_FIRM] {
        let profile = Profile::parse(&profile_text(file), file).unwrap();
        let welcome = Welcome::of(&profile);
        assert_eq!(welcome.name, profile.organisation.name);
        assert!(
            welcome.greeting.contains(&profile.organisation.name),
            "{welcome:?}"
        );
        assert!((4..=6).contains(&welcome.suggestions.len()), "{welcome:?}");
        for question in &welcome.suggestions {
            // A Thursday morning, open; each question from a new visitor.
            let mut visitor = Visitor::at(file, date(2026, 11, 26).at(10, 0, 0, 0));
            let answer = visitor.say(question);
            assert!(!answer.starts_with(FALLBACK), "{file}: {question:?} → {answer}");
            assert!(
                !answer.contains("couldn't find"),
                "{file}: {question:?} → {answer}"
            );
        }
    }
}

#[test]
fn a_profiles_own_suggestions_win_and_are_checked() {
    let text = profile_text(CLINIC);
    let own = format!("{text}\n[kiosk]\nsuggestions = [\"Where can I park?\", \"Is Dr Okafor in today?\"]\n");
    let profile = Profile::parse(&own, "own").unwrap();
    assert_eq!(
        Welcome::of(&profile).suggestions,
        ["Where can I park?", "Is Dr Okafor in today?"]
    );
    let blank = format!("{text}\n[kiosk]\nsuggestions = [\"Parking\", \"  \"]\n");
    let err = Profile::parse(&blank, "own").unwrap_err().to_string();
    assert!(
        err.contains("kiosk.suggestions[1]") && err.contains("must not be empty"),
        "{err}"
    );
    let long = format!("{text}\n[kiosk]\nsuggestions = [\"{}\"]\n", "a".repeat(61));
    let err = Profile::parse(&long, "own").unwrap_err().to_string();
    assert!(err.contains("at most 60 characters"), "{err}");
    let many = format!("{text}\n[kiosk]\nsuggestions = [{}]\n", ["\"Hi\""; 7].join(", "));
    let err = Profile::parse(&many, "own").unwrap_err().to_string();
    assert!(err.contains("at most 6 suggestions"), "{err}");
}
