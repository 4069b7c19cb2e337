//! What visitors say at this front desk, as a language model and dictionary for the fast
//! recogniser, and as a prompt for whisper.
//!
//! The caller passes the business's vocabulary as plain data ([`Domain`]); intent templates
//! ("I'm here to see {person} at {time}", "where is {department}", deliveries, opening hours,
//! yes/no, "my name is …") are expanded over it into a corpus, from which a trigram model is
//! estimated ([`super::arpa`]). The template sentences are the *domain*; a background of common
//! English words is added at unigram level so that speech outside the domain decodes as those
//! words instead of being forced into a plausible-looking domain sentence — which is what lets
//! the fast path say "this is not mine" and hand over to whisper. Background words are common
//! words, though, and many are the domain's too: the fast path claims only what follows the
//! domain's sentences word by word ([`InDomain`]), and never a visitor's own name.
//!
//! Building takes a few tens of milliseconds, so the engine rebuilds whenever the profile
//! changes.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::arpa::{Model, Smoothing};
use super::lexicon::{Lexicon, Source};
use super::text;
use crate::SpeechError;

/// Debian's pocketsphinx-en-us: the acoustic model is the `en-us` directory inside, next to the
/// CMU pronunciation dictionary.
pub const SPHINX_MODEL_DIR: &str = "/usr/share/pocketsphinx/model/en-us";

/// The business's vocabulary, filled by the engine from its profile.
#[derive(Debug, Clone, Default)]
pub struct Domain {
    /// The organisation's name ("Harbor Street Clinic").
    pub organisation: String,
    /// Staff names as written, titles included ("Dr Maria Chen", "Priya Shah").
    pub names: Vec<String>,
    /// Other ways visitors name staff ("Mrs Lopez", "Doctor Okafor").
    pub aliases: Vec<String>,
    /// Department names ("Physiotherapy", "General Practice").
    pub departments: Vec<String>,
    /// What visitors ask about in a word or two: FAQ topics and keywords ("toilets", "parking").
    pub topics: Vec<String>,
}

/// Titles that may open a staff name. A title is said with the family name ("Doctor Chen") as
/// well as with the full name.
const TITLES: &[&str] = &[
    "doctor",
    "professor",
    "nurse",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mister",
    "missus",
];

/// Intent templates. Slots: `{P}` a way of naming a staff member, `{T}` a time, `{D}` a
/// department, `{K}` a topic, `{Y}` a day, `{F}`/`{L}` a first/family name, `{O}` the
/// organisation.
const TEMPLATES: &[&str] = &[
    // Arriving to see someone.
    "hi i'm here to see {P}",
    "hello i'm here to see {P}",
    "i'm here to see {P}",
    "hi i'm here to see {P} at {T}",
    "i'm here to see {P} at {T}",
    "i'd like to see {P}",
    "can i see {P} please",
    "is {P} in today",
    "i'm looking for {P}",
    "i'm meeting {P} at {T}",
    // Appointments.
    "i have an appointment with {P}",
    "i have an appointment with {P} at {T}",
    "hi i have an appointment with {P} at {T}",
    "i've got an appointment with {P} at {T}",
    "i have an appointment at {T}",
    "hi i have an appointment at {T}",
    "my appointment is at {T}",
    "i'm here for my {T} appointment",
    "i'm here for my appointment with {P}",
    "i'm here for my appointment",
    "i'd like to check in",
    // Directions.
    "where is {D}",
    "where's {D}",
    "where is the {D} department",
    "how do i get to {D}",
    "which floor is {D} on",
    "where can i find {P}",
    "where are the {K}",
    "where is the {K}",
    "is there {K} here",
    "do you have {K}",
    // Deliveries.
    "i have a delivery for {P}",
    "i've got a delivery for {P}",
    "i have a parcel for {P}",
    "i have a package for {P}",
    "delivery for {P}",
    "i have a delivery for {D}",
    "i have a delivery",
    "where do deliveries go",
    "where do i leave this parcel",
    // Opening hours.
    "what time do you open",
    "what time do you close",
    "what time do you close today",
    "what time do you open on {Y}",
    "when do you open",
    "when do you close",
    "what are your opening hours",
    "are you open {Y}",
    "are you open on {Y}",
    "how late are you open",
    "is this {O}",
    // Answers.
    "yes",
    "no",
    "yes please",
    "no thanks",
    "no thank you",
    "yeah",
    "yep",
    "nope",
    "that's right",
    "that's correct",
    "okay",
    "thank you",
    "thanks",
];

/// Visitors giving their own names, with the staff's names standing in. In the language model,
/// so that the words around a name decode well; never claimed by the fast path (see
/// [`InDomain`]): a visitor's name is almost never a staff member's, and whatever the fast path
/// makes of it from the words it knows ("my name is tom" for "My name is Tom Brown") is a guess.
const NAME_TEMPLATES: &[&str] = &[
    "my name is {F} {L}",
    "i'm {F} {L}",
    "it's {F} {L}",
    "my name is {F}",
];

const DAYS: &[&str] = &[
    "today",
    "tomorrow",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// How many of the common-words list become background words. More absorb more of what falls
/// outside the domain, at the cost of more confusion inside it; see the crate's benchmark.
const BACKGROUND_WORDS: usize = 2000;
const COMMON_WORDS: &str = include_str!("common-words.txt");

/// Absolute discount and background share; see [`super::arpa`].
pub const SMOOTHING: Smoothing = Smoothing {
    discount: 0.5,
    background_mass: 0.1,
};

/// Times as visitors say them: "two", "two o'clock", "two thirty", "half past two", "quarter to
/// two" …, for the twelve hours.
fn times() -> Vec<String> {
    let mut out = Vec::new();
    for h in 1..=12 {
        let h = text::number(h).join(" ");
        out.push(h.clone());
        out.push(format!("{h} o'clock"));
        out.push(format!("{h} fifteen"));
        out.push(format!("{h} thirty"));
        out.push(format!("{h} forty five"));
        out.push(format!("half past {h}"));
        out.push(format!("quarter past {h}"));
        out.push(format!("quarter to {h}"));
    }
    out
}

/// The ways of naming the staff: "doctor maria chen", "doctor chen", "maria chen" for a titled
/// name, "priya shah" and "priya" otherwise, and every alias.
fn people(domain: &Domain) -> (Vec<String>, Vec<String>, Vec<String>) {
    let (mut forms, mut firsts, mut lasts) = (Vec::new(), Vec::new(), Vec::new());
    for name in &domain.names {
        let words = text::words(name);
        let (title, rest) = match words.split_first() {
            Some((t, rest)) if TITLES.contains(&t.as_str()) && !rest.is_empty() => (Some(t), rest),
            _ => (None, &words[..]),
        };
        let Some((first, last)) = rest.first().zip(rest.last()) else {
            continue;
        };
        let full = rest.join(" ");
        forms.push(full.clone());
        match title {
            Some(t) => {
                forms.push(format!("{t} {full}"));
                if rest.len() > 1 {
                    forms.push(format!("{t} {last}"));
                }
            }
            None if rest.len() > 1 => forms.push(first.clone()),
            None => {}
        }
        firsts.push(first.clone());
        lasts.push(last.clone());
    }
    forms.extend(domain.aliases.iter().map(|a| text::words(a).join(" ")));
    for list in [&mut forms, &mut firsts, &mut lasts] {
        list.retain(|s| !s.is_empty());
        let mut seen = HashSet::new();
        list.retain(|s| seen.insert(s.clone()));
    }
    (forms, firsts, lasts)
}

impl Domain {
    /// The template sentences, each repeated so that every template carries the same weight
    /// whatever the number of its expansions: `(words, times)`.
    pub fn corpus(&self) -> Vec<(Vec<String>, u32)> {
        let expanded = self.expand(TEMPLATES.iter().chain(NAME_TEMPLATES));
        let most = expanded.iter().map(Vec::len).max().unwrap_or(1);
        expanded
            .into_iter()
            .flat_map(|sentences| {
                let times = most.div_ceil(sentences.len()) as u32;
                sentences.into_iter().map(move |s| (s, times))
            })
            .collect()
    }

    /// The sentences the fast path may claim to have heard: every template's but a visitor's
    /// own name's.
    pub fn claimable(&self) -> Vec<Vec<String>> {
        self.expand(TEMPLATES).into_iter().flatten().collect()
    }

    /// Each template's sentences, its slots filled from the profile; a template whose slot has
    /// nothing to fill it (no departments) is left out.
    fn expand<'t>(&self, templates: impl IntoIterator<Item = &'t &'t str>) -> Vec<Vec<Vec<String>>> {
        let (people, firsts, lasts) = people(self);
        let times = times();
        let normalise = |list: &[String]| -> Vec<String> {
            let mut seen = HashSet::new();
            list.iter()
                .map(|s| text::words(s).join(" "))
                .filter(|s| !s.is_empty() && seen.insert(s.clone()))
                .collect()
        };
        let departments = normalise(&self.departments);
        // "wi-fi" is said and written as one word ("wifi" is in the CMU dictionary).
        let topics: Vec<String> = self.topics.iter().map(|t| t.replace('-', "")).collect();
        let topics = normalise(&topics);
        let organisation = normalise(std::slice::from_ref(&self.organisation));
        let days: Vec<String> = DAYS.iter().map(|d| (*d).to_owned()).collect();
        let slot = |name: &str| -> Option<&Vec<String>> {
            Some(match name {
                "P" => &people,
                "T" => &times,
                "D" => &departments,
                "K" => &topics,
                "Y" => &days,
                "F" => &firsts,
                "L" => &lasts,
                "O" => &organisation,
                _ => return None,
            })
        };
        let mut expanded: Vec<Vec<Vec<String>>> = Vec::new();
        for template in templates {
            let parts: Vec<&str> = template.split(' ').collect();
            let slots: Vec<&Vec<String>> = parts
                .iter()
                .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
                .filter_map(slot)
                .collect();
            if slots.iter().any(|s| s.is_empty()) {
                continue;
            }
            // Slots are paired round-robin rather than crossed: every value appears, and a
            // person-and-time template does not outweigh the others by the product of both.
            let n = slots.iter().map(|s| s.len()).max().unwrap_or(1);
            let sentences = (0..n)
                .map(|i| {
                    let mut k = 0;
                    parts
                        .iter()
                        .flat_map(|p| {
                            if p.starts_with('{') {
                                let values = slots[k];
                                k += 1;
                                values[i % values.len()].split(' ').map(str::to_owned).collect()
                            } else {
                                vec![(*p).to_owned()]
                            }
                        })
                        .collect()
                })
                .collect();
            expanded.push(sentences);
        }
        expanded
    }

    /// An initial prompt for whisper: the organisation, the staff and the departments, so that
    /// names are spelt as the business spells them. Kept under about 150 tokens: whisper keeps
    /// at most half its 448-token context for the prompt and drops the start of a longer one.
    pub fn whisper_prompt(&self) -> String {
        const MAX_CHARS: usize = 600;
        let mut prompt = if self.organisation.is_empty() {
            "Front desk check-in.".to_owned()
        } else {
            format!("Front desk of {}.", self.organisation)
        };
        for (label, list) in [("Staff", &self.names), ("Departments", &self.departments)] {
            let mut section = String::new();
            for item in list.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
                // ": " or ", " before the item and "." after it.
                if prompt.len() + label.len() + section.len() + item.len() + 5 > MAX_CHARS {
                    break;
                }
                section.push_str(if section.is_empty() { ": " } else { ", " });
                section.push_str(item);
            }
            if !section.is_empty() {
                prompt.push_str(&format!(" {label}{section}."));
            }
        }
        prompt.replace('\0', " ")
    }
}

/// What the fast path may claim as heard: a hypothesis in the words of the claimable sentences
/// ([`Domain::claimable`]) *and* in their order, every three neighbouring words (the sentence's
/// start and end included) as they stand in one of them. Words alone are not enough: the
/// sentences hold many common words ("at", "are", "the"), and speech the profile could not
/// foresee, a visitor's own name above all, decodes as a confident string of them ("it's the
/// lift" for "It's Peter Novak", 0.98 sure). Pairs are not enough either: "my name is the
/// wifi" is made of pairs that all occur.
#[derive(Debug, Clone, Default)]
pub struct InDomain {
    words: HashSet<String>,
    /// Runs of three neighbouring words, `""` standing for a sentence's start or end.
    triples: HashSet<[String; 3]>,
}

impl InDomain {
    fn of(sentences: &[Vec<String>]) -> Self {
        let mut domain = Self::default();
        for sentence in sentences {
            domain.words.extend(sentence.iter().cloned());
            let words: Vec<&str> = sentence.iter().map(String::as_str).collect();
            domain.triples.extend(
                Self::framed(&words)
                    .windows(3)
                    .map(|w| [w[0].to_owned(), w[1].to_owned(), w[2].to_owned()]),
            );
        }
        domain
    }

    /// `words` between sentence edges.
    fn framed<'a>(words: &[&'a str]) -> Vec<&'a str> {
        let edge = std::iter::once("");
        edge.clone().chain(words.iter().copied()).chain(edge).collect()
    }

    /// The claimable sentences' words.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }

    /// `words` (at least one) follow the domain's sentences, word by word.
    pub fn holds(&self, words: &[&str]) -> bool {
        !words.is_empty()
            && words.iter().all(|w| self.words.contains(*w))
            && Self::framed(words).windows(3).all(|w| {
                self.triples
                    .contains(&[w[0].to_owned(), w[1].to_owned(), w[2].to_owned()])
            })
    }
}

/// A built domain: the files pocketsphinx loads and the vocabulary that counts as in domain.
#[derive(Debug, Clone)]
pub struct DomainModel {
    /// The ARPA trigram model.
    pub lm: PathBuf,
    /// The trimmed pronunciation dictionary.
    pub dict: PathBuf,
    /// The acoustic model directory.
    pub acoustic_model: PathBuf,
    /// The claimable sentences' words and word order; see [`InDomain`].
    pub in_domain: InDomain,
    /// Words whose pronunciation was guessed, and how.
    pub guessed: Vec<(String, Source)>,
    /// Unigrams, bigrams and trigrams in the model.
    pub ngrams: [usize; 3],
}

impl DomainModel {
    /// Generate `domain.arpa` and `domain.dict` for `domain` in `dir` (created if needed), using
    /// Debian's pocketsphinx-en-us acoustic model and dictionary.
    pub fn build(domain: &Domain, dir: &Path) -> Result<Self, SpeechError> {
        Self::build_with(domain, dir, Path::new(SPHINX_MODEL_DIR))
    }

    /// As [`DomainModel::build`], with the pocketsphinx model directory (holding `en-us/` and
    /// `cmudict-en-us.dict`) given.
    pub fn build_with(domain: &Domain, dir: &Path, sphinx_model_dir: &Path) -> Result<Self, SpeechError> {
        let acoustic_model = sphinx_model_dir.join("en-us");
        let cmudict = sphinx_model_dir.join("cmudict-en-us.dict");
        if !acoustic_model.join("mdef").is_file() || !cmudict.is_file() {
            return Err(SpeechError::AcousticModelMissing {
                path: sphinx_model_dir.to_owned(),
            });
        }
        let corpus = domain.corpus();
        let background: Vec<String> = COMMON_WORDS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .take(BACKGROUND_WORDS)
            .map(|l| l.trim().to_owned())
            .collect();
        let in_domain = InDomain::of(&domain.claimable());
        let model = Model::estimate(&corpus, &background, SMOOTHING);
        let vocabulary: BTreeSet<String> = model.vocabulary().map(str::to_owned).collect();
        let lexicon = Lexicon::build(&cmudict, &vocabulary)?;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SpeechError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lm = dir.join("domain.arpa");
        let dict = dir.join("domain.dict");
        std::fs::write(&lm, model.to_arpa()).map_err(io(&lm))?;
        std::fs::write(&dict, lexicon.to_dict()).map_err(io(&dict))?;
        let guessed = lexicon
            .entries
            .iter()
            .filter(|(_, (source, _))| *source != Source::Cmudict)
            .map(|(w, (source, _))| (w.clone(), *source))
            .collect();
        Ok(Self {
            lm,
            dict,
            acoustic_model,
            in_domain,
            guessed,
            ngrams: model.sizes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn harbor() -> Domain {
        let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        Domain {
            organisation: "Harbor Street Clinic".to_owned(),
            names: owned(&[
                "Maria Lopez",
                "Dr Maria Chen",
                "Dr James Okafor",
                "Priya Shah",
                "Tom Becker",
            ]),
            aliases: owned(&["Mrs Lopez", "Doctor Chen"]),
            departments: owned(&["Reception", "General Practice", "Physiotherapy", "Pharmacy"]),
            topics: owned(&["toilets", "parking", "wi-fi"]),
        }
    }

    #[test]
    fn staff_are_named_with_and_without_titles() {
        let (forms, firsts, lasts) = people(&harbor());
        for form in [
            "doctor maria chen",
            "doctor chen",
            "maria chen",
            "priya shah",
            "priya",
            "mrs lopez",
        ] {
            assert!(forms.contains(&form.to_owned()), "{form} missing from {forms:?}");
        }
        assert_eq!(
            forms.iter().filter(|f| *f == "doctor chen").count(),
            1,
            "aliases deduplicated"
        );
        assert!(firsts.contains(&"james".to_owned()) && lasts.contains(&"okafor".to_owned()));
    }

    #[test]
    fn an_empty_profile_still_hears_answers_and_opening_hours() {
        let corpus = Domain::default().corpus();
        let sentences: Vec<String> = corpus.iter().map(|(s, _)| s.join(" ")).collect();
        assert!(sentences.contains(&"yes please".to_owned()));
        assert!(sentences.contains(&"are you open on saturday".to_owned()));
        assert!(
            !sentences.iter().any(|s| s.contains('{')),
            "unfilled slot in {sentences:?}"
        );
    }

    #[test]
    fn every_template_weighs_the_same_and_every_time_appears() {
        let corpus = harbor().corpus();
        let yes: u32 = corpus.iter().filter(|(s, _)| s == &["yes"]).map(|(_, n)| n).sum();
        let with_time: u32 = corpus
            .iter()
            .filter(|(s, _)| s.starts_with(&["my".to_owned(), "appointment".to_owned()]))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(yes, with_time);
        let sentences: Vec<String> = corpus.iter().map(|(s, _)| s.join(" ")).collect();
        assert!(sentences.contains(&"my appointment is at half past ten".to_owned()));
        assert!(sentences.iter().any(|s| s.starts_with("where is physiotherapy")));
    }

    #[test]
    fn the_model_files_cover_every_word_and_guess_missing_names() {
        if !Path::new(SPHINX_MODEL_DIR).is_dir() {
            eprintln!("skipped: {SPHINX_MODEL_DIR} missing (install pocketsphinx-en-us)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let model = DomainModel::build(&harbor(), dir.path()).unwrap();
        let took = started.elapsed();
        assert!(took.as_secs_f64() < 1.0, "rebuild took {took:?}");
        let dict = std::fs::read_to_string(&model.dict).unwrap();
        let arpa = std::fs::read_to_string(&model.lm).unwrap();
        let dict_words: HashSet<&str> = dict
            .lines()
            .filter_map(|l| l.split(' ').next())
            .filter(|w| !w.contains('('))
            .collect();
        for word in model.in_domain.words() {
            assert!(dict_words.contains(word), "{word} has no pronunciation");
            assert!(arpa.contains(&format!(" {word} ")), "{word} not in the model");
        }
        for name in ["priya", "okafor"] {
            let line = dict.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap();
            assert!(line.split(' ').count() >= 4, "{line}");
            assert!(model.guessed.iter().any(|(w, _)| w == name));
        }
        assert!(
            dict.contains("\nchen CH EH N\n"),
            "cmudict entries are used as they are"
        );
        assert!(model.ngrams[0] > BACKGROUND_WORDS, "{:?}", model.ngrams);
    }

    #[test]
    fn the_whisper_prompt_names_staff_and_departments() {
        let prompt = harbor().whisper_prompt();
        assert!(prompt.starts_with("Front desk of Harbor Street Clinic. Staff: Maria Lopez, Dr Maria Chen"));
        assert!(
            prompt.contains("Departments: Reception, General Practice"),
            "{prompt}"
        );
        let crowded = Domain {
            names: (0..200).map(|i| format!("Person Number{i}")).collect(),
            ..harbor()
        };
        assert!(crowded.whisper_prompt().len() <= 600);
    }
}
