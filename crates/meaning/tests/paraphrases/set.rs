//! The paraphrase set and how a case is judged, shared by the typed test
//! (`tests/paraphrases.rs`) and the spoken bench (`benches/spoken.rs`).

#![allow(dead_code)] // each of the two uses a different part

use std::path::{Path, PathBuf};
use std::sync::Arc;

use donna_desk::meaning::Meanings;
use donna_desk::store::Store;
use donna_desk::{Desk, Dialogue, Profile, Reception, Recording};
use donna_meaning::Embedder;
use jiff::civil::date;

/// The two files of cases, one per example profile.
pub const FILES: [&str; 2] = ["harbor-clinic.toml", "northwind-legal.toml"];

/// A second set per profile, held out whole: written after the first set's examples and
/// thresholds were chosen, and never tuned on.
pub const UNSEEN_FILES: [&str; 2] = ["harbor-clinic.unseen.toml", "northwind-legal.unseen.toml"];

/// A third set per profile, held out whole, a third of it questions the profile cannot answer.
pub const THIRD_FILES: [&str; 2] = ["harbor-clinic.third.toml", "northwind-legal.third.toml"];

#[derive(serde::Deserialize)]
pub struct Set {
    pub profile: String,
    pub case: Vec<Case>,
}

#[derive(serde::Deserialize)]
pub struct Case {
    pub say: String,
    pub expect: Vec<String>,
}

/// Every third case is held out of tuning.
pub fn held_out(index: usize) -> bool {
    index % 3 == 2
}

/// One file of cases and the text of the profile it is about.
pub fn load(file: &str) -> (Set, String) {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read =
        |path: PathBuf| std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let set: Set = toml::from_str(&read(crate_dir.join("tests/paraphrases").join(file)))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let profile = read(crate_dir.join("../desk/profiles").join(&set.profile));
    (set, profile)
}

/// The model `donna models install` put in DONNA_MODELS_DIR (scripts/test.sh installs it).
pub fn embedder() -> Arc<Embedder> {
    let dir = std::env::var_os("DONNA_MODELS_DIR").expect("DONNA_MODELS_DIR names the installed models");
    let model = donna_models::check_sentence_model(Path::new(&dir)).unwrap_or_else(|e| panic!("{e}"));
    Arc::new(Embedder::load(&model).unwrap_or_else(|e| panic!("{e}")))
}

/// `profile` with its meanings read by the sentence model.
pub fn understood(profile_text: &str, embedder: Arc<Embedder>) -> Profile {
    let profile = parse(profile_text);
    let started = std::time::Instant::now();
    let meanings = Meanings::build(&profile, embedder).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "{}: {} examples embedded in {:.2?}",
        profile.organisation.name,
        meanings.len(),
        started.elapsed()
    );
    profile.understanding.set(meanings);
    profile
}

pub fn parse(profile_text: &str) -> Profile {
    Profile::parse(profile_text, "test").unwrap_or_else(|e| panic!("{e}"))
}

/// A reception on `profile` at 10:00 on a Thursday in its own zone: open, on both profiles.
pub fn reception(profile: Profile) -> Reception {
    let at = date(2026, 12, 3)
        .at(10, 0, 0, 0)
        .to_zoned(profile.timezone.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    let desk = Desk::new(profile).with_fixed_time(at.timestamp());
    Reception::new(
        desk,
        Store::open_in_memory().unwrap_or_else(|e| panic!("{e}")),
        vec![],
    )
}

/// Donna's answer to a visitor's first words.
pub fn answer(reception: &Reception, say: &str) -> String {
    Dialogue::default().turn(reception, say, Recording::under(Some("kiosk-1")))
}

/// Right when the answer holds one of the expected words.
pub fn right(case: &Case, answer: &str) -> bool {
    let answer = answer.to_lowercase();
    case.expect.iter().any(|e| answer.contains(&e.to_lowercase()))
}

#[derive(Default, Clone, Copy)]
pub struct Score {
    pub right: usize,
    pub of: usize,
}

impl Score {
    pub fn add(&mut self, ok: bool) {
        self.of += 1;
        self.right += usize::from(ok);
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = 100.0 * self.right as f64 / self.of.max(1) as f64;
        write!(f, "{}/{} ({pct:.0} %)", self.right, self.of)
    }
}
