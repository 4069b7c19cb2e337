//! What meaning costs: loading the model, reading a profile (embedding its examples) in
//! batches against one by one, and one visitor's sentence on one core and on all of them, side
//! by side with the rules alone answering the same sentence.
//!
//! Run: `DONNA_MODELS_DIR=... cargo bench -p donna-meaning --bench meaning`
//! (`donna models install` puts the model there.) Set RAYON_NUM_THREADS=1 for one core.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use donna_desk::meaning::{Embed, Meanings};
use donna_desk::{Dialogue, Profile};
use donna_meaning::Embedder;

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

const SENTENCES: &[&str] = &[
    "Do you have free wireless?",
    "I need to reorder my tablets",
    "Can you get word to Dr Okafor that I'll be late?",
    "Which floor is the doctors' surgery on?",
    "Is there anywhere to stop my van outside?",
    "I'm hard of hearing, do you have anything to help?",
];

fn main() {
    let Some(dir) = std::env::var_os("DONNA_MODELS_DIR") else {
        eprintln!("DONNA_MODELS_DIR is not set: run `donna models install` and point it there");
        return;
    };
    let dir = match donna_models::check_sentence_model(Path::new(&dir)) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".to_owned());
    let t = Instant::now();
    let model = Arc::new(Embedder::load(&dir).expect("the model loads"));
    println!("all-MiniLM-L6-v2, f32 on the CPU, threads: {threads}");
    println!("  load                      {:>7.1} ms", ms(t.elapsed()));

    let profile = Profile::parse(donna_desk::EXAMPLE_PROFILE, "bench").expect("the example profile");
    let t = Instant::now();
    let meanings = Meanings::build(&profile, model.clone()).expect("examples embed");
    let batched = t.elapsed();
    println!(
        "  read the clinic profile   {:>7.1} ms ({} examples, batched)",
        ms(batched),
        meanings.len()
    );
    // The same examples one by one, for the ratio.
    let examples = donna_desk::meaning::example_texts(&profile);
    let t = Instant::now();
    for text in &examples {
        let _ = Embed::embed(model.as_ref(), text).expect("embeds");
    }
    let single = t.elapsed();
    println!(
        "  the same one by one       {:>7.1} ms ({:.2}x of batched)",
        ms(single),
        single.as_secs_f64() / batched.as_secs_f64()
    );

    let rules = Profile::parse(donna_desk::EXAMPLE_PROFILE, "bench").expect("the example profile");
    profile.understanding.set(meanings);
    let now = jiff::Zoned::now();
    let rounds = 20;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for s in SENTENCES {
            let t = Instant::now();
            let _ = Dialogue::default().plan(&rules, s, &now);
            without.push(t.elapsed());
            let t = Instant::now();
            let _ = Dialogue::default().plan(&profile, s, &now);
            with.push(t.elapsed());
        }
    }
    let (w50, w95) = (percentile(with.clone(), 0.5), percentile(with, 0.95));
    let (r50, r95) = (percentile(without.clone(), 0.5), percentile(without, 0.95));
    println!(
        "  a sentence, with meaning  p50 {:>6.2} ms  p95 {:>6.2} ms  ({} sentences x {rounds})",
        ms(w50),
        ms(w95),
        SENTENCES.len()
    );
    println!(
        "  the rules alone           p50 {:>6.3} ms  p95 {:>6.3} ms  (meaning costs {:.0}x the rules)",
        ms(r50),
        ms(r95),
        w50.as_secs_f64() / r50.as_secs_f64()
    );
}
