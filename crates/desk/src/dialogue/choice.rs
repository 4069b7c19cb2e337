//! Which of several candidates a visitor means when they answer "which one?": by a staff member's
//! department (its name, short name or initials) or by position.

use crate::profile::{Department, Profile};
use crate::staff_match::matching_staff;
use crate::text::words;

/// The candidate the visitor picked: by name, by department, or "the first/second one".
pub(super) fn choose(profile: &Profile, candidates: &[String], w: &[String]) -> Option<String> {
    let by_name: Vec<String> = matching_staff(profile, w)
        .iter()
        .map(|m| m.id.clone())
        .filter(|id| candidates.contains(id))
        .collect();
    if let [one] = by_name.as_slice() {
        return Some(one.clone());
    }
    let scores: Vec<(&String, usize)> = candidates
        .iter()
        .map(|id| {
            let department = profile
                .staff
                .iter()
                .find(|s| &s.id == id)
                .and_then(|s| profile.department(&s.department));
            (id, department.map_or(0, |d| department_score(d, w)))
        })
        .collect();
    let top = scores.iter().map(|&(_, score)| score).max().unwrap_or(0);
    if let [(one, _)] = scores
        .iter()
        .filter(|&&(_, score)| top > 0 && score == top)
        .collect::<Vec<_>>()
        .as_slice()
    {
        return Some((*one).clone());
    }
    let ordinal = [
        ("first", 0),
        ("second", 1),
        ("third", 2),
        ("last", candidates.len().saturating_sub(1)),
    ];
    ordinal
        .iter()
        .find(|(word, _)| w.iter().any(|t| t == word))
        .and_then(|(_, i)| candidates.get(*i).cloned())
}

/// Words of a department's name that do not tell it from another ("Department of Health").
pub(super) const DEPARTMENT_FILLER: &[&str] = &[
    "the",
    "of",
    "and",
    "for",
    "in",
    "a",
    "an",
    "to",
    "at",
    "on",
    "department",
];

/// How many of the visitor's words name `department`: words of its name and of its id, and the
/// initials of its name ("HR" for "Human Resources", "GP" for "General Practice"), so short
/// names count as well as long ones. Only the profile's own words are used.
pub(super) fn department_score(department: &Department, w: &[String]) -> usize {
    let telling = |text: &str| -> Vec<String> {
        words(&text.replace(['-', '_'], " "))
            .into_iter()
            .filter(|t| !DEPARTMENT_FILLER.contains(&t.as_str()))
            .collect()
    };
    let name = telling(&department.name);
    let mut keys: Vec<String> = name.iter().cloned().chain(telling(&department.id)).collect();
    if name.len() > 1 {
        keys.push(name.iter().filter_map(|t| t.chars().next()).collect());
    }
    keys.sort();
    keys.dedup();
    keys.iter().filter(|k| said_as_department(w, k)).count()
}

/// Whether the visitor said `key` meaning the department. A key that is also an everyday word
/// ("IT") counts only where a department is named: after "in", "from", "the"..., or alone.
pub(super) fn said_as_department(w: &[String], key: &str) -> bool {
    w.iter().enumerate().any(|(i, t)| {
        t == key
            && (!crate::staff_match::FUNCTION_WORDS.contains(&key)
                || w.len() == 1
                || i.checked_sub(1)
                    .and_then(|p| w.get(p))
                    .is_some_and(|p| ["in", "from", "of", "the", "at"].contains(&p.as_str())))
    })
}
