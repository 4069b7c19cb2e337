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
    whole_sets_held_out("unseen", &set::UNSEEN_FILES);
}

/// The third set, written after every change the first two led to, a third of it questions the
/// profile cannot answer: what a trust threshold gains on the ones it can, and what it costs on
/// the ones it cannot.
#[test]
fn third_set_phrasings_are_understood() {
    whole_sets_held_out("third", &set::THIRD_FILES);
}

/// Scores sets held out whole, with the rules alone and with the model, on the cases the
/// profile can answer and on those where the right answer is "not sure"; prints the table and
/// each case the model gets wrong.
fn whole_sets_held_out(name: &str, files: &[&str]) {
    let embedder = set::embedder();
    // [answerable, not sure] × [rules alone, with meaning]
    let mut totals = [[Score::default(); 2]; 2];
    println!(
        "| profile | {name}: rules alone | {name}: with the sentence model | of which \"not sure\" asked: rules, model |\n|---|---|---|---|"
    );
    for file in files {
        let (set, text) = set::load(file);
        let rules = reception(set::parse(&text));
        let meaning = reception(set::understood(&text, embedder.clone()));
        let mut scores = [[Score::default(); 2]; 2];
        for case in &set.case {
            let kind = usize::from(case.expect == ["not sure"]);
            for (way, reception) in [&rules, &meaning].into_iter().enumerate() {
                let said = answer(reception, &case.say);
                let ok = right(case, &said);
                scores[kind][way].add(ok);
                totals[kind][way].add(ok);
                if way == 1 && !ok {
                    eprintln!("  wrong ({name}): {:?} -> {said:?}", case.say);
                }
            }
        }
        println!("{}", row(&set.profile, scores));
    }
    println!("{}", row("both", totals));
    // Where the profile has the answer, the model finds many more than the rules (a third set
    // reached 30 of 38 against 23); where it has none, the model must not guess: the rules say
    // "not sure" to nearly all of these, and the model to at least three in four.
    let [[rules, meaning], [_, unsure]] = totals;
    assert!(
        meaning.right >= rules.right + rules.of * 3 / 20,
        "{name}: {meaning} answered with the model is not 15 points above the rules' {rules}"
    );
    assert!(
        unsure.right * 4 >= unsure.of * 3,
        "{name}: the model said \"not sure\" to only {unsure} of what the profile cannot answer"
    );
}

/// A table row: all cases, then the "not sure" ones, for the rules and the model.
fn row(profile: &str, scores: [[Score; 2]; 2]) -> String {
    let all = |way: usize| Score {
        right: scores[0][way].right + scores[1][way].right,
        of: scores[0][way].of + scores[1][way].of,
    };
    format!(
        "| {profile} | {} | {} | {}, {} |",
        all(0),
        all(1),
        scores[1][0],
        scores[1][1]
    )
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
