//! Finding members of staff by what a visitor says: names however speech splits or accents
//! them, titles, one-word aliases, and names that are also everyday words ("An", "Park"), which
//! count only where a name goes. Also the answers that name them: directions, or which one.

use std::collections::HashSet;

use crate::profile::{Profile, StaffMember};
use crate::text::{find_joined, squash, words};

pub(crate) const TITLES: &[&str] = &["dr", "doctor", "mr", "mrs", "ms", "miss", "prof", "professor"];

/// Everyday English words that are also given names or surnames somewhere ("An", "Will", "May").
pub(crate) const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "have", "he", "her",
    "him", "i", "if", "in", "is", "it", "may", "me", "my", "no", "not", "of", "on", "or", "our", "she", "so",
    "the", "to", "up", "us", "we", "will", "with", "yes", "you",
];

/// Words just before a name: "here to see An", "a message for Park", "Dr Park".
pub(crate) const NAME_CUES: &[&str] = &[
    "see", "with", "for", "to", "meet", "meeting", "visiting", "ask", "tell", "find", "call", "page",
];

/// Words that may follow a name, where they could not follow the article or noun it also is
/// ("for An at two", but "for an interview").
pub(crate) const AFTER_NAME: &[&str] = &[
    "at", "please", "today", "now", "that", "about", "and", "in", "from", "is", "thanks", "thank", "who",
    "if", "i", "i'm", "here", "for", "on",
];

/// The words of the message that belong to some staff member's name or alias: the query a
/// visitor really made ("doctor okafor"), without the rest of the sentence. A hyphenated or
/// apostrophed name counts by its pieces too, as speech writes them ("smith jones", "o connor").
pub(crate) fn staff_words(profile: &Profile, w: &[String]) -> String {
    let known: HashSet<String> = profile
        .staff
        .iter()
        .flat_map(|m| std::iter::once(&m.name).chain(&m.aliases))
        .flat_map(|n| words(n))
        .flat_map(|n| {
            let pieces: Vec<String> = n.split(['-', '\'']).map(squash).collect();
            std::iter::once(squash(&n)).chain(pieces)
        })
        .filter(|n| !n.is_empty())
        .collect();
    let named = w
        .iter()
        .filter(|t| {
            let t = squash(t);
            known.contains(&t) || known.iter().any(|k| sounds_like(&t, k))
        })
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    if !named.is_empty() {
        return named;
    }
    // Asked for by what they do: the role is the query.
    by_role(profile, w)
        .first()
        .map(|m| words(&m.role).join(" "))
        .unwrap_or_default()
}

/// Staff whose role the words name whole ("the pharmacist", "the practice manager").
fn by_role<'p>(profile: &'p Profile, w: &[String]) -> Vec<&'p StaffMember> {
    profile
        .staff
        .iter()
        .filter(|m| {
            let role = words(&m.role);
            !role.is_empty() && find_joined(w, &role).is_some()
        })
        .collect()
}

/// Staff the message names. A full name beats an alias, which beats a surname, which beats a
/// first name, so "Maria Chen" picks one person while "Maria" asks which Maria; with no name,
/// the staff whose role it names. Names are
/// compared however speech splits them ("Mary Kate Smith Jones" for "Mary-Kate Smith-Jones").
pub(crate) fn matching_staff<'p>(profile: &'p Profile, w: &[String]) -> Vec<&'p StaffMember> {
    let everyday = everyday_words(profile);
    let mut best: Vec<(&StaffMember, u8)> = Vec::new();
    for member in &profile.staff {
        let score = name_score(member, w, &everyday);
        if score > 0 {
            best.push((member, score));
        }
    }
    if best.is_empty() {
        // Nobody named: someone asked for by their role ("I need to see the pharmacist").
        return by_role(profile, w);
    }
    let top = best.iter().map(|&(_, s)| s).max().unwrap_or(0);
    best.into_iter()
        .filter(|&(_, s)| s == top)
        .map(|(m, _)| m)
        .collect()
}

/// How strongly the words `w` name `member`: 4 full name, 3 alias, 2 surname, 1 first name or a
/// close spelling, 0 not at all.
pub(crate) fn name_score(member: &StaffMember, w: &[String], everyday: &HashSet<String>) -> u8 {
    let parts = name_parts(&member.name);
    let full: Vec<String> = parts.concat();
    let named = |name: &[String]| find_joined(w, name).is_some_and(|at| said_as_name(w, at, name, everyday));
    if named(&full) {
        4
    } else if member.aliases.iter().any(|a| named(&words(a))) {
        3
    } else if parts.len() > 1 && parts.last().is_some_and(|last| named(last)) {
        2
    } else if parts.first().is_some_and(|first| named(first)) {
        1
    } else if full.iter().any(|n| {
        !everyday.contains(&squash(n))
            && w.iter()
                .any(|t| !everyday.contains(&squash(t)) && sounds_like(t, n))
    }) {
        // A misheard or misspelt name ("Okafur", "Lopes"): the weakest evidence, so never a
        // word the desk knows otherwise ("parking" is not a misheard "Park").
        1
    } else {
        0
    }
}

/// Whether the words at `at` are meant as the name `name`. A name that is also an everyday word
/// ("An", "Will", a surname like "Park" in a profile with a parking FAQ) counts only where a name
/// is expected: after "see", "with", "for", a title..., and not followed by the noun it would
/// otherwise introduce ("an appointment"), or as the whole reply ("An.").
pub(crate) fn said_as_name(
    w: &[String],
    at: std::ops::Range<usize>,
    name: &[String],
    everyday: &HashSet<String>,
) -> bool {
    if name.len() > 1 || name.iter().all(|n| !everyday.contains(&squash(n))) {
        return true;
    }
    let alone = w
        .iter()
        .enumerate()
        .all(|(i, t)| at.contains(&i) || TITLES.contains(&t.as_str()) || t == "please");
    let before = at.start.checked_sub(1).and_then(|i| w.get(i)).map(String::as_str);
    let after = w.get(at.end).map(String::as_str);
    let cued = before.is_some_and(|b| NAME_CUES.contains(&b) || TITLES.contains(&b));
    let ends = after.is_none_or(|a| AFTER_NAME.contains(&a));
    alone || (cued && ends)
}

/// Words a visitor says in passing that are also names: common English function words, and the
/// profile's own vocabulary (FAQ keywords, department names).
pub(crate) fn everyday_words(profile: &Profile) -> HashSet<String> {
    let profile_words = profile
        .faq
        .iter()
        .flat_map(|f| f.keywords.iter())
        .chain(profile.departments.iter().map(|d| &d.name))
        .flat_map(|k| words(k))
        .map(|k| squash(&k));
    FUNCTION_WORDS
        .iter()
        .map(|w| (*w).to_owned())
        .chain(profile_words)
        .collect()
}

/// The words of each space-separated part of a name, titles left out: "Dr. Mary-Kate
/// Smith-Jones" → [["mary-kate"], ["smith-jones"]].
pub(crate) fn name_parts(name: &str) -> Vec<Vec<String>> {
    name.split_whitespace()
        .map(|part| {
            words(part)
                .into_iter()
                .filter(|t| !TITLES.contains(&t.as_str()))
                .collect::<Vec<_>>()
        })
        .filter(|part| !part.is_empty())
        .collect()
}

/// Close spellings of a name: Jaro-Winkler similarity of at least 0.9 between words of four
/// letters or more, so "Okafur" finds "Okafor" while short common words never match a name.
pub(crate) fn sounds_like(word: &str, name: &str) -> bool {
    word.chars().count() >= 4
        && name.chars().count() >= 4
        && word != name
        && strsim::jaro_winkler(word, name) >= 0.9
}

pub(crate) fn staff_directions(profile: &Profile, member: &StaffMember) -> String {
    let department = profile
        .department(&member.department)
        .map_or("", |d| d.name.as_str());
    format!(
        "{}, our {} in {department}, is on {}. If you're here to see them, tell me your name and I'll let them know you've arrived.",
        member.name, member.role, member.location
    )
}

pub(crate) fn disambiguate(profile: &Profile, staff: &[&StaffMember]) -> String {
    let options: Vec<String> = staff
        .iter()
        .map(|m| {
            let dept = profile.department(&m.department).map_or("", |d| d.name.as_str());
            format!("{} in {dept}", m.name)
        })
        .collect();
    let (last, rest) = options
        .split_last()
        .map_or((String::new(), &[][..]), |(l, r)| (l.clone(), r));
    format!("Do you mean {} or {last}?", rest.join(", "))
}
