//! Meaning, for what the rules do not recognise: a visitor's sentence is compared with example
//! sentences of every intent and with the profile's own FAQ topics and departments, by a
//! sentence-embedding model, and the nearest one close enough is what they meant.
//!
//! The rules stay first: names, times, slots and disambiguation are exact there, and a model is
//! not. Only a sentence the rules would answer with "I'm not sure" is looked up here, so a kiosk
//! without the model answers exactly as before.
//!
//! The model itself lives outside this crate (see [`Embed`]); this module owns what it is asked
//! and what is trusted.

use std::sync::{Arc, OnceLock};

use crate::error::DeskError;
use crate::profile::Profile;
use crate::staff_match::FUNCTION_WORDS;
use crate::text::words;

/// A sentence-embedding model: unit vectors, so a dot product is a cosine similarity.
pub trait Embed: Send + Sync + std::fmt::Debug {
    /// One sentence's vector.
    fn embed(&self, text: &str) -> Result<Vec<f32>, DeskError>;
    /// Many at once (the examples at profile load); the same vectors as one by one.
    fn embed_all(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, DeskError>;
}

/// What a visitor wants, as the dialogue acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Here for an appointment or to meet someone: a check-in.
    Visit,
    /// Something to pass on to a member of staff.
    Message,
    /// Needs a person now.
    Help,
    /// A courier with something to hand over.
    Delivery,
    /// Leaving the building.
    Leaving,
    /// When the business is open.
    Hours,
    /// Unsure this is the right place.
    Place,
    /// The business's address or phone number.
    Address,
    /// Visitor badges and signing in.
    Badge,
    Greeting,
    Thanks,
    /// Something no front desk does (the news, a joke, shopping): said to be out of reach
    /// rather than matched to the nearest thing the desk does.
    Elsewhere,
}

/// What a sentence was understood to mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    Intent(Intent),
    /// The profile's FAQ entry at this index.
    Faq(usize),
    /// The profile's department at this index.
    Department(usize),
}

/// How close a sentence must come to an example to be understood as meaning the same; below
/// it, Donna says she is not sure rather than guess. Chosen on the tuning part of the
/// paraphrase set (crates/meaning/tests/paraphrases), checked on the held-out part.
pub const TRUST: f32 = 0.38;

/// The closeness a sentence that names a member of staff needs before its meaning turns
/// directions into a check-in, a message or a delivery: what is left with the name taken out
/// ("is someone in today?") is short and easily near an example, and directions are the safe
/// answer to a name.
pub const TRUST_NAMED: f32 = 0.55;

/// The examples every business shares, in the words visitors use; the profile adds its own
/// (FAQ topics, departments) at load.
const INTENT_EXAMPLES: &[(Intent, &[&str])] = &[
    (
        Intent::Visit,
        &[
            "I have an appointment",
            "I'm here to see someone",
            "I've come for a meeting",
            "someone is expecting me",
            "I'm booked in for this morning",
            "I've got a consultation",
            "I'm here for my session",
            "I was asked to come in today",
            "I'm booked in with someone",
        ],
    ),
    (
        Intent::Message,
        &[
            "I'd like to leave a message for someone",
            "could you pass something on to one of your staff",
            "please tell them I called by",
            "can you give someone a note from me",
            "could you let someone know I was here",
            "get word to someone for me",
        ],
    ),
    (
        Intent::Help,
        &[
            "I need help",
            "can I speak to a person",
            "I don't feel well",
            "is there someone who can assist me",
            "this is urgent, I need someone",
            "I feel unwell",
            "there's been an accident",
            "please can somebody come out to me",
        ],
    ),
    (
        Intent::Delivery,
        &[
            "I have a parcel to drop off",
            "I'm dropping off a package",
            "I need someone to sign for this",
            "I have a package for someone here",
            "I'm a courier with a delivery",
            "I've brought something to hand in for the office",
            "I've got a parcel for you",
        ],
    ),
    (
        Intent::Leaving,
        &[
            "I'm leaving now",
            "I'm all done, heading out",
            "I'm finished and going home",
        ],
    ),
    (
        Intent::Hours,
        &[
            "what are your opening hours",
            "when do you open",
            "what time do you close today",
            "are you open at the weekend",
            "how late are you open",
        ],
    ),
    (
        Intent::Place,
        &[
            "am I in the right place",
            "what is this building",
            "where am I",
            "is this the right office",
            "have I come to the right place",
        ],
    ),
    (
        Intent::Address,
        &[
            "what is your address",
            "what's your phone number",
            "how can I call you",
        ],
    ),
    (
        Intent::Badge,
        &[
            "do I need a visitor pass",
            "do I have to sign in",
            "where do I get a badge",
        ],
    ),
    (Intent::Greeting, &["hello there", "good morning", "hi"]),
    (
        Intent::Thanks,
        &[
            "thank you very much",
            "that's great, thanks",
            "goodbye",
            "I appreciate your help",
            "much appreciated",
        ],
    ),
    (
        Intent::Elsewhere,
        &[
            "tell me a joke",
            "what's in the news today",
            "can you recommend somewhere to eat",
            "who is the prime minister",
            "what was the score in the match",
            "can I buy something here",
            "what is the meaning of life",
        ],
    ),
];

/// The examples and their vectors for one profile.
pub struct Meanings {
    embedder: Arc<dyn Embed>,
    examples: Vec<(Sense, Vec<f32>)>,
}

/// A count, not 384 numbers per example, wherever a desk is printed.
impl std::fmt::Debug for Meanings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meanings")
            .field("embedder", &self.embedder)
            .field("examples", &self.examples.len())
            .finish()
    }
}

impl Meanings {
    /// Embed every example for `profile` (see [`example_texts`]).
    pub fn build(profile: &Profile, embedder: Arc<dyn Embed>) -> Result<Self, DeskError> {
        let (senses, texts): (Vec<Sense>, Vec<String>) = examples(profile)
            .into_iter()
            .map(|(sense, text)| (sense, plain(&text)))
            .unzip();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed_all(&refs)?;
        Ok(Self {
            embedder,
            examples: senses.into_iter().zip(vectors).collect(),
        })
    }

    /// What `message` means, with how close it came, when that is at least `trust`.
    ///
    /// A message of function words alone ("are you", "is it") means nothing yet, though the
    /// model puts it near whichever short example it happens to resemble.
    pub fn sense(&self, message: &str, trust: f32) -> Result<Option<(Sense, f32)>, DeskError> {
        if words(message)
            .iter()
            .all(|w| FUNCTION_WORDS.contains(&w.as_str()))
        {
            return Ok(None);
        }
        let ranked = self.ranked(message)?;
        Ok(ranked.first().copied().filter(|&(_, score)| score >= trust))
    }

    /// Every sense with its nearest example's score, the closest first.
    pub fn ranked(&self, message: &str) -> Result<Vec<(Sense, f32)>, DeskError> {
        let v = self.embedder.embed(&plain(message))?;
        let mut best: Vec<(Sense, f32)> = Vec::new();
        for (sense, e) in &self.examples {
            let score = e.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>();
            match best.iter_mut().find(|(s, _)| s == sense) {
                Some((_, top)) => *top = top.max(score),
                None => best.push((*sense, score)),
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(best)
    }

    /// How many examples were embedded.
    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }
}

/// Every example sentence for `profile`, as [`Meanings::build`] embeds them (for benches).
pub fn example_texts(profile: &Profile) -> Vec<String> {
    examples(profile)
        .into_iter()
        .map(|(_, text)| plain(&text))
        .collect()
}

/// The shared intents' examples, what most front desks do not offer unless the profile's FAQ
/// names it (see [`crate::everyday::OUTSIDE`]), each FAQ entry's (its topic, asked for, its keywords, its
/// answer and the everyday phrasings of its kind, see [`crate::everyday`]) and each
/// department's (its name, asking the way to it, and the roles of the people who work there: a
/// visitor may know what they need done, not what the department is called).
fn examples(profile: &Profile) -> Vec<(Sense, String)> {
    let mut out: Vec<(Sense, String)> = Vec::new();
    for (intent, examples) in INTENT_EXAMPLES {
        out.extend(
            examples
                .iter()
                .map(|text| (Sense::Intent(*intent), (*text).to_owned())),
        );
    }
    out.extend(
        crate::everyday::outside(&profile.faq)
            .map(|text| (Sense::Intent(Intent::Elsewhere), text.to_owned())),
    );
    for (i, faq) in profile.faq.iter().enumerate() {
        let asked = [
            faq.topic.clone(),
            format!("where is the {}", faq.topic),
            format!("do you have {}", faq.topic),
            format!("can I use the {}", faq.topic),
            faq.answer.clone(),
        ];
        out.extend(
            asked
                .into_iter()
                .chain(faq.keywords.iter().cloned())
                .chain(crate::everyday::asked_for(faq).map(str::to_owned))
                .map(|text| (Sense::Faq(i), text)),
        );
    }
    for (i, dept) in profile.departments.iter().enumerate() {
        let roles = profile
            .staff
            .iter()
            .filter(|s| s.department == dept.id)
            .map(|s| s.role.clone());
        let asked = [dept.name.clone(), format!("where is {}", dept.name)];
        out.extend(
            asked
                .into_iter()
                .chain(roles)
                .map(|text| (Sense::Department(i), text)),
        );
    }
    out
}

/// `text` as the model is shown it: lower case, its clauses joined by commas, without a closing
/// mark. A recogniser writes "Please get someone. My dad has fallen over." where a visitor types
/// "please get someone, my dad has fallen over", and the stops, capitals and question marks
/// would otherwise move the vector, and with it whether a sentence clears [`TRUST`].
fn plain(text: &str) -> String {
    text.split(['.', '?', '!', ';', ',', ':'])
        .map(|clause| words(clause).join(" "))
        .filter(|clause| !clause.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A profile's meanings once they are built: empty at first (the desk answers by the rules
/// alone), filled once by whoever loads the model, and shared by every clone of the profile.
#[derive(Debug, Clone, Default)]
pub struct Understanding(Arc<Slot>);

#[derive(Debug, Default)]
struct Slot {
    meanings: OnceLock<Meanings>,
    loading: std::sync::atomic::AtomicBool,
}

impl Understanding {
    /// The meanings, once built.
    pub fn get(&self) -> Option<&Meanings> {
        self.0.meanings.get()
    }

    /// Say that the meanings are being built (shown by [`Understanding::state`]).
    pub fn loading(&self, yes: bool) {
        self.0.loading.store(yes, std::sync::atomic::Ordering::Relaxed);
    }

    /// Install the built meanings; a second call is ignored (the first stays).
    pub fn set(&self, meanings: Meanings) {
        let _ = self.0.meanings.set(meanings);
        self.loading(false);
    }

    /// "ready (N examples)", "loading", or "rules only": for health reports.
    pub fn state(&self) -> String {
        match self.get() {
            Some(m) => format!("ready ({} examples)", m.len()),
            None if self.0.loading.load(std::sync::atomic::Ordering::Relaxed) => "loading".to_owned(),
            None => "rules only".to_owned(),
        }
    }

    /// What `message` means, when the meanings are built and one is at least `trust` close
    /// ([`TRUST`], or [`TRUST_NAMED`]). A model that fails on a sentence is logged and treated
    /// as not understanding it.
    pub fn sense(&self, message: &str, trust: f32) -> Option<Sense> {
        let meanings = self.get()?;
        match meanings.sense(message, trust) {
            Ok(found) => found.map(|(sense, _)| sense),
            Err(e) => {
                tracing::warn!(error = %e, "the sentence model failed; answering by the rules");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    /// Typed with a comma, or written by a recogniser with capitals and a full stop: one text.
    #[test]
    fn punctuation_and_case_do_not_change_what_the_model_sees() {
        let typed = plain("please get someone, my dad has fallen over");
        assert_eq!(typed, "please get someone, my dad has fallen over");
        for heard in [
            "Please get someone. My dad has fallen over.",
            "Please get someone, my dad has fallen over!",
            "PLEASE GET SOMEONE; MY DAD HAS FALLEN OVER?",
            "  Please get someone ...  my dad has fallen over. ",
        ] {
            assert_eq!(plain(heard), typed, "{heard:?}");
        }
        assert_eq!(plain("Where's the Wi-Fi, José?"), "where's the wi-fi, jose");
        assert_eq!(plain("?!."), "");
    }
}
