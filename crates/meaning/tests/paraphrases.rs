//! The paraphrase set: how visitors might really ask, on both example profiles, answered by
//! the offline desk with the rules alone and with the sentence model, through the dialogue and
//! the reception's real tools. Every third case is held out: the examples and the trust
//! threshold were chosen looking only at the others (one rule fix, "close by" read as closing
//! time, came from a held-out case).
//!
//! `cargo test -p donna-meaning --test paraphrases -- --nocapture` prints the table
//! BENCHMARKS.md quotes, and each case still answered wrong.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

#[path = "paraphrases/set.rs"]
mod set;

use set::{Score, answer, held_out, reception, right};

#[test]
fn held_out_phrasings_are_understood() {
    let embedder = set::embedder();
    // [tuned, held out] × [rules alone, with meaning]
    let mut totals = [[Score::default(); 2]; 2];
    println!("| profile | part | rules alone | with the sentence model |\n|---|---|---|---|");
    for file in set::FILES {
        let (set, text) = set::load(file);
        let rules = reception(set::parse(&text));
        let meaning = reception(set::understood(&text, embedder.clone()));
        let mut scores = [[Score::default(); 2]; 2];
        for (i, case) in set.case.iter().enumerate() {
            let part = usize::from(held_out(i));
            for (way, reception) in [&rules, &meaning].into_iter().enumerate() {
                let said = answer(reception, &case.say);
                let ok = right(case, &said);
                scores[part][way].add(ok);
                totals[part][way].add(ok);
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
    // The goal is 90 % of the held-out part; this guards what the model reaches today (76 %
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

/// The second set, which no example or threshold was chosen on: the honest measure of how the
/// desk meets words nobody shaped it for.
#[test]
fn unseen_phrasings_are_understood() {
    let embedder = set::embedder();
    // [rules alone, with meaning]
    let mut totals = [Score::default(); 2];
    println!("| profile | unseen: rules alone | unseen: with the sentence model |\n|---|---|---|");
    for file in set::UNSEEN_FILES {
        let (set, text) = set::load(file);
        let rules = reception(set::parse(&text));
        let meaning = reception(set::understood(&text, embedder.clone()));
        let mut scores = [Score::default(); 2];
        for case in &set.case {
            for (way, reception) in [&rules, &meaning].into_iter().enumerate() {
                let said = answer(reception, &case.say);
                let ok = right(case, &said);
                scores[way].add(ok);
                totals[way].add(ok);
                if way == 1 && !ok {
                    eprintln!("  wrong (unseen): {:?} -> {said:?}", case.say);
                }
            }
        }
        println!("| {} | {} | {} |", set.profile, scores[0], scores[1]);
    }
    println!("| both | {} | {} |", totals[0], totals[1]);
    let [rules, meaning] = totals;
    assert!(
        meaning.right >= rules.right + rules.of / 5,
        "unseen: {meaning} with the model is not 20 points above the rules' {rules}"
    );
}

/// Every case as a recogniser writes it: each clause a sentence of its own, capitalised and
/// closed with a full stop ("Please get someone. My dad has fallen over."). A visitor who
/// speaks must be understood as one who types the same words.
fn as_heard(typed: &str) -> String {
    typed
        .trim_end_matches(['?', '!', '.'])
        .split(", ")
        .map(|clause| {
            let mut chars = clause.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(". ")
        + "."
}

#[test]
fn spoken_punctuation_is_understood_as_typed() {
    assert_eq!(
        as_heard("please get someone, my dad has fallen over"),
        "Please get someone. My dad has fallen over."
    );
    let embedder = set::embedder();
    let mut differ = Vec::new();
    for file in set::FILES {
        let (set, text) = set::load(file);
        let reception = reception(set::understood(&text, embedder.clone()));
        for case in &set.case {
            let heard = as_heard(&case.say);
            let (typed, spoken) = (answer(&reception, &case.say), answer(&reception, &heard));
            if typed != spoken {
                differ.push(format!("{:?} -> {typed:?}\n  {heard:?} -> {spoken:?}", case.say));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "answered differently when spoken:\n{}",
        differ.join("\n")
    );
}
