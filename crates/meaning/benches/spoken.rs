//! The paraphrase set spoken: each phrasing said by espeak-ng, heard by the engine's offline
//! recogniser (pocketsphinx on the profile's own language model, whisper tiny.en when it is not
//! sure), and answered by the desk with the sentence model, side by side with the same phrasing
//! typed. It tells how much of what the desk understands survives the recogniser.
//!
//! Run: `DONNA_MODELS_DIR=... cargo bench -p donna-meaning --bench spoken` (`donna models
//! install` puts both models there; espeak-ng from Debian speaks). `DONNA_BENCH_VERBOSE=1` prints
//! every case the spoken path got wrong and the typed one right, with what was heard.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set itself up should stop loudly

#[path = "../tests/paraphrases/set.rs"]
mod set;

use std::process::Command;
use std::time::{Duration, Instant};

use donna_engine::{OfflineTranscriber, WhisperModel};
use donna_speech::stt::Transcriber;
use donna_speech::stt::text::word_errors;
use set::{Score, answer, held_out, reception, right};

/// The visitors' two voices, as in the speech tests: espeak-ng voice, words a minute, pitch.
const VOICES: [(&str, &str, u32, u32); 2] = [("A", "en-us", 150, 50), ("B", "en-us+f3", 130, 60)];

fn speak(text: &str, voice: &str, speed: u32, pitch: u32) -> Vec<i16> {
    let out = Command::new("espeak-ng")
        .args([
            "-v",
            voice,
            "-s",
            &speed.to_string(),
            "-p",
            &pitch.to_string(),
            "--stdout",
            text,
        ])
        .output()
        .expect("espeak-ng (apt-get install espeak-ng)");
    assert!(out.status.success(), "espeak-ng failed on {text:?}");
    donna_speech::wav::decode_at(&out.stdout, 24_000).unwrap()
}

/// Word error rate over a set, in per cent.
#[derive(Default)]
struct Wer {
    errors: usize,
    words: usize,
}

impl Wer {
    fn add(&mut self, said: &str, heard: &str) {
        let (errors, words) = word_errors(said, heard);
        self.errors += errors;
        self.words += words;
    }

    fn percent(&self) -> f64 {
        100.0 * self.errors as f64 / self.words.max(1) as f64
    }
}

fn main() {
    let Some(whisper) = donna_models::installed_from_env() else {
        eprintln!("no whisper model in DONNA_MODELS_DIR: run `donna models install` and point it there");
        return;
    };
    let verbose = std::env::var_os("DONNA_BENCH_VERBOSE").is_some();
    let embedder = set::embedder();
    let work = tempfile::tempdir().unwrap();
    // [tuned, held out] × [typed, voice A, voice B]
    let mut totals = [[Score::default(); 3]; 2];
    let mut wer = [Wer::default(), Wer::default()];
    let mut recognition = Duration::ZERO;
    let mut utterances = 0u32;
    let mut rows = Vec::new();
    for file in set::FILES {
        let (set, text) = set::load(file);
        let reception = reception(set::understood(&text, embedder.clone()));
        let profile = set::parse(&text);
        let stt = OfflineTranscriber::new(
            &profile,
            &work.path().join(&set.profile),
            Some(WhisperModel::at(&whisper)),
        )
        .unwrap();
        let mut scores = [[Score::default(); 3]; 2];
        for (i, case) in set.case.iter().enumerate() {
            let part = usize::from(held_out(i));
            let typed = right(case, &answer(&reception, &case.say));
            scores[part][0].add(typed);
            for (v, (name, voice, speed, pitch)) in VOICES.into_iter().enumerate() {
                let pcm = speak(&case.say, voice, speed, pitch);
                let started = Instant::now();
                let heard = stt.transcribe(&pcm).unwrap();
                recognition += started.elapsed();
                utterances += 1;
                wer[v].add(&case.say, &heard.text);
                let said = answer(&reception, &heard.text);
                let ok = right(case, &said);
                scores[part][v + 1].add(ok);
                if verbose && typed && !ok {
                    eprintln!(
                        "  voice {name}: {:?} heard as {:?} -> {said:?}",
                        case.say, heard.text
                    );
                }
            }
        }
        for (part, name) in ["tuned", "held out"].iter().enumerate() {
            let [typed, a, b] = scores[part];
            rows.push(format!("| {} | {name} | {typed} | {a} | {b} |", set.profile));
            for (way, score) in scores[part].iter().enumerate() {
                totals[part][way].right += score.right;
                totals[part][way].of += score.of;
            }
        }
    }
    println!("| profile | part | typed | spoken, voice A | spoken, voice B |");
    println!("|---|---|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
    for (part, name) in ["tuned", "held out"].iter().enumerate() {
        let [typed, a, b] = totals[part];
        println!("| **both** | **{name}** | **{typed}** | **{a}** | **{b}** |");
    }
    println!(
        "\nword error rate of what was heard: voice A {:.1} %, voice B {:.1} %; recognition {:.0} ms a phrasing on average ({utterances} phrasings)",
        wer[0].percent(),
        wer[1].percent(),
        recognition.as_secs_f64() * 1e3 / f64::from(utterances.max(1)),
    );
}
