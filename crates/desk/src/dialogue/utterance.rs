//! What a visitor's sentence says about them: their name (as they introduce themselves, or
//! alone), who they are here to see, why, and the body of a message; the words that are not
//! names.

use crate::time_words::find_time;
use crate::tools;

/// Words that introduce a thing rather than a person: "here for an interview", "for my 3
/// o'clock", "to see the doctor" name no one, so they are never looked up as a name.
pub(super) const DETERMINERS: &[&str] = &[
    "a", "an", "the", "my", "our", "your", "his", "her", "their", "this", "some",
];

/// Words for a person not yet named ("here to see someone"): the visitor is then asked who.
const UNNAMED_PEOPLE: &[&str] = &["someone", "somebody", "anyone", "anybody", "someone's"];

/// Nouns that say what a visit is for, which people say without an article too ("here for
/// interview"): a phrase ending in one is a purpose, never a name.
pub(super) const PURPOSE_NOUNS: &[&str] = &[
    "interview",
    "appointment",
    "meeting",
    "consultation",
    "viewing",
    "inspection",
    "induction",
    "training",
    "collection",
];

/// Whether `phrase` ends in one of [`PURPOSE_NOUNS`].
pub(super) fn names_a_purpose(phrase: &str) -> bool {
    phrase
        .split_whitespace()
        .last()
        .map(|w| w.to_lowercase())
        .is_some_and(|w| PURPOSE_NOUNS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
}

/// Words that end a purpose or a wanted name: "an interview with ...", "Bob Smith at two".
pub(super) const PHRASE_ENDS: &[&str] = &[
    "at", "for", "about", "please", "today", "with", "and", "to", "now", "this", "tomorrow",
];

pub(super) const NAME_PREFIXES: &[&str] = &[
    "my name is",
    "my name's",
    "name is",
    "it's",
    "it is",
    "this is",
    "i'm",
    "i am",
    "call me",
];

/// "Ann Lee", "my name is Ann Lee", "it's Ann" → the name, as the visitor wrote it.
pub(super) fn extract_name(message: &str) -> Option<String> {
    let trimmed = message.trim().trim_end_matches(['.', '!', '?']).trim();
    let lower = trimmed.to_lowercase();
    let rest = NAME_PREFIXES
        .iter()
        .find_map(|p| {
            lower
                .strip_prefix(p)
                .filter(|r| r.starts_with(' '))
                .map(|r| &trimmed[trimmed.len() - r.len()..])
        })
        .unwrap_or(trimmed)
        .trim();
    let parts: Vec<&str> = rest.split_whitespace().collect();
    // A name starts with a name: "my name is" heard without its end, or "at", is no one's.
    let starts_as_name = parts
        .first()
        .is_some_and(|first| !NOT_NAMES.contains(&first.to_lowercase().as_str()));
    let ok = starts_as_name
        && (1..=4).contains(&parts.len())
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.' | '’'))
        })
        && parts.iter().any(|p| p.chars().any(char::is_alphabetic))
        && rest.chars().count() <= tools::MAX_NAME_CHARS;
    ok.then(|| {
        parts
            .iter()
            .map(|p| capitalise_name(p))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Words that are never a visitor's name, though they can follow "I'm": "I'm looking for Tom",
/// "I'm here to see Tom", "I'm a bit early for Tom".
pub(super) const NOT_NAMES: &[&str] = &[
    "i",
    "i'm",
    "im",
    "we",
    "we're",
    "you",
    "he",
    "she",
    "they",
    "it",
    "it's",
    "this",
    "that",
    "here",
    "there",
    "just",
    "also",
    "still",
    "not",
    "a",
    "an",
    "the",
    "my",
    "our",
    "your",
    "his",
    "her",
    "their",
    "to",
    "for",
    "see",
    "with",
    "from",
    "at",
    "on",
    "in",
    "and",
    "or",
    "but",
    "want",
    "need",
    "would",
    "like",
    "came",
    "come",
    "have",
    "has",
    "am",
    "is",
    "are",
    "was",
    "lost",
    "early",
    "late",
    "back",
    "new",
    "sorry",
    "fine",
    "good",
    "well",
    "ok",
    "okay",
    "sure",
    "hello",
    "hi",
    "hey",
    "morning",
    "afternoon",
    "evening",
    "please",
    "thanks",
    "thank",
    "yes",
    "no",
    "someone",
    "somebody",
    "booked",
    "due",
    "expected",
    "supposed",
    "meant",
    "about",
];

/// A name the visitor gives for themselves, however they put it: "I'm Ann Lee", "my name is
/// Ann Lee", "it's Ann Lee", or the bare name of two words or more ("Ann Lee"). Never a word
/// that cannot be a name ("I'm lost", "thank you").
pub(super) fn self_introduction(message: &str) -> Option<String> {
    let name = introduced_name(message).or_else(|| extract_name(message))?;
    let parts: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    let said_who = NAME_PREFIXES
        .iter()
        .any(|p| message.trim().to_lowercase().starts_with(&format!("{p} ")));
    let plausible = !parts
        .iter()
        .any(|p| NOT_NAMES.contains(&p.as_str()) || p.ends_with("ing"))
        && (parts.len() >= 2 || (said_who && written_as_a_name(message, &name)));
    plausible.then_some(name)
}

/// One word after "I'm" is a name only as the visitor writes names: someone who capitalises
/// ("I'm thirsty", "I'm Ann") writes a name with a capital, so "thirsty" is how they are, not
/// who; someone who writes all in lower case ("i'm ann") is taken at their word. (`name` comes
/// capitalised from [`extract_name`], so it is in the message only if written so.)
fn written_as_a_name(message: &str, name: &str) -> bool {
    !message.chars().any(char::is_uppercase) || message.contains(name)
}

/// A whole check-in in one sentence: the visitor's name and the words naming their host, from
/// "I'm Jo Bloggs for Tom Becker", "this is Jo Bloggs to see Dr Chen", "Jo Bloggs to see Tom
/// Becker" or "I'm Jo Bloggs, here to see Tom". `None` when the part before "for" / "to see" is
/// no name ("I'm looking for Tom Becker", "I'm here to see Tom").
pub(super) fn one_line_visit(message: &str) -> Option<(String, String)> {
    let lower = message.to_lowercase();
    let (at, joint) = [", here to see ", " here to see ", " to see ", " for "]
        .iter()
        .find_map(|j| lower.find(j).map(|i| (i, *j)))?;
    let who = message[..at].trim().trim_end_matches(',');
    let host = message[at + joint.len()..]
        .trim()
        .trim_end_matches(['.', '!', '?']);
    let introduced = NAME_PREFIXES
        .iter()
        .any(|p| who.to_lowercase().starts_with(&format!("{p} ")));
    let name = extract_name(who)?;
    let parts: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    let plausible = !parts
        .iter()
        .any(|p| NOT_NAMES.contains(&p.as_str()) || p.ends_with("ing"))
        && (introduced || parts.len() >= 2);
    (plausible && !host.is_empty()).then(|| (name, host.to_owned()))
}

/// The visitor's own name when they give it in passing: "my name is Ann Lee and ...", or a
/// clause of its own, "Hello, I'm Ann Lee, I have an appointment".
pub(super) fn own_name(message: &str) -> Option<String> {
    introduced_name(message).or_else(|| {
        message
            .split([',', '.', '!', '?', ';'])
            .map(str::trim)
            .filter(|clause| {
                let lower = clause.to_lowercase();
                NAME_PREFIXES.iter().any(|p| lower.starts_with(&format!("{p} ")))
            })
            .find_map(self_introduction)
    })
}

/// A name the visitor introduced themselves with ("my name is Ann Lee, ...").
pub(super) fn introduced_name(message: &str) -> Option<String> {
    let lower = message.to_lowercase();
    let start = ["my name is ", "my name's "]
        .iter()
        .find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let tail: String = message[start..]
        .chars()
        .take_while(|c| !matches!(c, ',' | '.' | '!' | '?' | ';'))
        .collect();
    let name: Vec<&str> = tail
        .split_whitespace()
        .take_while(|w| !matches!(w.to_lowercase().as_str(), "and" | "i'm" | "i" | "here"))
        .collect();
    extract_name(&name.join(" "))
}

/// The person asked for when no one matched: the words after "see"/"with"/"for". Words that
/// begin with an article or a possessive ("for an interview", "for my 3 o'clock") or hold a
/// time are what the visit is for, not who it is with, so they are no name.
pub(super) fn wanted_name(message: &str) -> Option<String> {
    let name = phrase_after(
        message,
        &["to see ", "meeting with ", "appointment with ", "here for "],
    )?;
    let first = name.split_whitespace().next()?.to_lowercase();
    let is_thing = DETERMINERS.contains(&first.as_str())
        || UNNAMED_PEOPLE.contains(&first.as_str())
        || names_a_purpose(&name)
        || name.chars().any(|c| c.is_ascii_digit())
        || find_time(&format!("at {name}")).is_some();
    (!is_thing).then_some(name)
}

/// What the visit is for, when said with an article or possessive or ending in a purpose noun:
/// "here for a job interview" → "job interview", "I have an appointment" → "appointment",
/// "here for interview" → "interview". A time ("my 3 o'clock") is the
/// appointment time, not a purpose.
pub(super) fn visit_purpose(message: &str) -> Option<String> {
    let phrase = phrase_after(
        message,
        &["here for ", "here about ", "i have ", "i've got ", "in for "],
    )?;
    let mut parts = phrase.split_whitespace().peekable();
    let first = parts.peek()?.to_lowercase();
    if DETERMINERS.contains(&first.as_str()) {
        parts.next();
    } else if !names_a_purpose(&phrase) {
        return None;
    }
    let purpose = parts.collect::<Vec<_>>().join(" ");
    let is_time =
        purpose.chars().any(|c| c.is_ascii_digit()) || find_time(&format!("at {purpose}")).is_some();
    (!purpose.is_empty() && !is_time).then_some(purpose)
}

/// The words after the first of `cues` in `message`, up to a word that ends the phrase
/// ("at", "with", "please"...) or punctuation, at most three words past an opening article.
pub(super) fn phrase_after(message: &str, cues: &[&str]) -> Option<String> {
    let lower = message.to_lowercase();
    let start = cues.iter().find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let tail: String = message
        .get(start..)?
        .chars()
        .take_while(|c| !matches!(c, ',' | '.' | '!' | '?' | ';'))
        .collect();
    let mut taken = Vec::new();
    for word in tail.split_whitespace() {
        let bare = word.to_lowercase();
        let bare = bare.trim_matches(|c: char| !c.is_alphanumeric());
        let opening = taken.is_empty() && DETERMINERS.contains(&bare);
        if (!opening && PHRASE_ENDS.contains(&bare)) || taken.len() >= 4 {
            break;
        }
        taken.push(word);
    }
    let phrase = taken
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned();
    (!phrase.is_empty()).then_some(phrase)
}

/// The message in "leave a message for Maria that I'm running late" / "...: running late".
pub(super) fn message_body(message: &str) -> Option<String> {
    let lower = message.to_lowercase();
    let at = lower
        .find(" that ")
        .map(|i| i + 6)
        .or_else(|| lower.find(": ").map(|i| i + 2))?;
    let body = message[at..].trim();
    (!body.is_empty()).then(|| body.to_owned())
}

pub(super) fn first_word(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// A name part with a capital after each hyphen or apostrophe too, as such names are written:
/// "mary-kate o'neil" → "Mary-Kate O'Neil", "garcía-lópez" → "García-López". Letters already
/// capitalised are kept ("McKay").
pub(super) fn capitalise_name(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    let mut start = true;
    for c in part.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '-' | '\'' | '’');
    }
    out
}
