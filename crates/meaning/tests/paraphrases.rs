//! The paraphrase set: how visitors might really ask, on both example profiles, answered by
//! the offline desk with the rules alone and with the sentence model, through the dialogue and
//! the reception's real tools. Every third case is held out: the examples and the trust
//! threshold were chosen looking only at the others (one rule fix, "close by" read as closing
//! time, came from a held-out case).
//!
//! `cargo test -p donna-meaning --test paraphrases -- --nocapture` prints the table
//! BENCHMARKS.md quotes, and each case still answered wrong.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::Path;
use std::sync::Arc;

use donna_desk::meaning::Meanings;
use donna_desk::store::Store;
use donna_desk::{Desk, Dialogue, Profile, Reception, Recording};
use donna_meaning::Embedder;
use jiff::civil::date;

#[derive(serde::Deserialize)]
struct Set {
    profile: String,
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    say: String,
    expect: Vec<String>,
}

/// The model `donna models install` put in DONNA_MODELS_DIR (scripts/test.sh installs it).
fn embedder() -> Arc<Embedder> {
    let dir = std::env::var_os("DONNA_MODELS_DIR").expect("DONNA_MODELS_DIR names the installed models");
    let model = donna_models::check_sentence_model(Path::new(&dir)).unwrap_or_else(|e| panic!("{e}"));
    Arc::new(Embedder::load(&model).unwrap())
}

/// A reception on `profile` at 10:00 on a Thursday in its own zone: open, on both profiles.
fn reception(profile: Profile) -> Reception {
    let at = date(2026, 12, 3)
        .at(10, 0, 0, 0)
        .to_zoned(profile.timezone.clone())
        .unwrap();
    let desk = Desk::new(profile).with_fixed_time(at.timestamp());
    Reception::new(desk, Store::open_in_memory().unwrap(), vec![])
}

/// Donna's answer to a visitor's first words.
fn answer(reception: &Reception, say: &str) -> String {
    Dialogue::default().turn(reception, say, Recording::under(Some("kiosk-1")))
}

fn right(case: &Case, answer: &str) -> bool {
    let answer = answer.to_lowercase();
    case.expect.iter().any(|e| answer.contains(&e.to_lowercase()))
}

#[derive(Default, Clone, Copy)]
struct Score {
    right: usize,
    of: usize,
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = 100.0 * self.right as f64 / self.of.max(1) as f64;
        write!(f, "{}/{} ({pct:.0} %)", self.right, self.of)
    }
}

#[test]
fn held_out_phrasings_are_understood() {
    let embedder = embedder();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/paraphrases");
    let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../desk/profiles");
    // [tuned, held out] × [rules alone, with meaning]
    let mut totals = [[Score::default(); 2]; 2];
    println!("| profile | part | rules alone | with the sentence model |\n|---|---|---|---|");
    for file in ["harbor-clinic.toml", "northwind-legal.toml"] {
        let set: Set = toml::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let text = std::fs::read_to_string(profiles.join(&set.profile)).unwrap();
        let rules = reception(Profile::parse(&text, "test").unwrap());
        let understood = Profile::parse(&text, "test").unwrap();
        let started = std::time::Instant::now();
        let meanings = Meanings::build(&understood, embedder.clone()).unwrap();
        eprintln!(
            "{}: {} examples embedded in {:.2?}",
            set.profile,
            meanings.len(),
            started.elapsed()
        );
        understood.understanding.set(meanings);
        let meaning = reception(understood);
        let mut scores = [[Score::default(); 2]; 2];
        for (i, case) in set.case.iter().enumerate() {
            let part = usize::from(i % 3 == 2);
            for (way, reception) in [&rules, &meaning].into_iter().enumerate() {
                let said = answer(reception, &case.say);
                let ok = right(case, &said);
                scores[part][way].of += 1;
                scores[part][way].right += usize::from(ok);
                totals[part][way].of += 1;
                totals[part][way].right += usize::from(ok);
                if way == 1 && part == 0 && !ok {
                    let meanings = reception.desk().profile().understanding.get().unwrap();
                    let ranked = meanings.ranked(&case.say).unwrap();
                    let nearest = &ranked[..2];
                    eprintln!(
                        "  {} ({}): {:?} -> {said:?} (nearest {nearest:?})",
                        if ok { "right" } else { "wrong" },
                        ["tuned", "held out"][part],
                        case.say
                    );
                }
            }
        }
        for (part, name) in ["tuned", "held out"].iter().enumerate() {
            println!(
                "| {} | {name} | {} | {} |",
                set.profile, scores[part][0], scores[part][1]
            );
        }
    }
    for (part, name) in ["tuned", "held out"].iter().enumerate() {
        println!("| both | {name} | {} | {} |", totals[part][0], totals[part][1]);
    }
    // The goal is 90 % of the held-out part; this guards what the model reaches today (71 %
    // when the examples were last chosen), well above the rules alone (41 %).
    let held = totals[1][1];
    assert!(
        held.right * 100 >= held.of * 65,
        "held-out phrasings understood: {held}, below 65 %"
    );
    for (part, name) in ["tuned", "held out"].iter().enumerate() {
        let [rules, meaning] = totals[part];
        assert!(
            meaning.right >= rules.right + rules.of / 5,
            "{name}: {meaning} with the model is not 20 points above the rules' {rules}"
        );
    }
}
