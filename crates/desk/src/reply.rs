//! Answering one message from the profile: hours, directions to staff and departments, FAQ,
//! policies, greetings, and a polite hand-over to staff for everything else.
//!
//! This is deliberately rule-based: it must work offline, instantly and predictably on a kiosk.
//! Every branch reads only the profile, so a different business gets the right answers by
//! changing its TOML, not this code.

use std::collections::HashSet;

use jiff::Zoned;
use jiff::civil::{Date, Weekday};

use crate::hours::{Status, speak_time};
use crate::profile::{Profile, StaffMember};
use crate::text::{contains_phrase, find_joined, mentions_any, squash, words};

const TITLES: &[&str] = &["dr", "doctor", "mr", "mrs", "ms", "miss", "prof", "professor"];
/// Everyday English words that are also given names or surnames somewhere ("An", "Will", "May").
pub(crate) const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "for", "from", "have", "he", "her",
    "him", "i", "if", "in", "is", "it", "may", "me", "my", "no", "not", "of", "on", "or", "our", "she", "so",
    "the", "to", "up", "us", "we", "will", "with", "yes", "you",
];
/// Words just before a name: "here to see An", "a message for Park", "Dr Park".
const NAME_CUES: &[&str] = &[
    "see", "with", "for", "to", "meet", "meeting", "visiting", "ask", "tell", "find", "call", "page",
];
/// Words that may follow a name, where they could not follow the article or noun it also is
/// ("for An at two", but "for an interview").
const AFTER_NAME: &[&str] = &[
    "at", "please", "today", "now", "that", "about", "and", "in", "from", "is", "thanks", "thank", "who",
    "if", "i", "i'm", "here", "for", "on",
];
pub(crate) const HOURS_WORDS: &[&str] = &[
    "open",
    "opening",
    "hours",
    "close",
    "closing",
    "closed",
    "shut",
    "time do you",
];
/// Words that ask when the business closes rather than whether it is open ("closed" is not one:
/// "are you closed on Sunday?" asks about the day).
const CLOSING_WORDS: &[&str] = &["close", "closing", "shut"];
/// Days asked about relative to today, as the `get_hours` tool's `day` also accepts them.
pub(crate) const RELATIVE_DAYS: [&str; 2] = ["today", "tomorrow"];
const DELIVERY_WORDS: &[&str] = &[
    "delivery",
    "deliveries",
    "deliver",
    "delivering",
    "parcel",
    "package",
    "courier",
];
const BADGE_WORDS: &[&str] = &["badge", "sign in", "visitor pass", "lanyard"];
const ADDRESS_WORDS: &[&str] = &["address", "postcode", "zip code", "phone number", "call you"];
const GREETING_WORDS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "good morning",
    "good afternoon",
    "good evening",
];
pub(crate) const THANKS_WORDS: &[&str] = &["thanks", "thank you", "cheers", "bye", "goodbye"];
pub(crate) const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

/// What the desk decides to do with a message: answer directly, or use a tool first.
///
/// The cloud model makes the same decision through function calling; the local engine asks
/// [`plan`] and emits a real function call when the session offers that tool, so the app's tool
/// execution is the same with either backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Say(String),
    Tool {
        name: &'static str,
        arguments: serde_json::Value,
    },
}

/// Donna's answer to `message` at `now` (read in the business's zone, whatever zone it is
/// given in), running any tool herself.
pub fn answer(profile: &Profile, message: &str, now: &Zoned) -> String {
    let now = &now.with_time_zone(profile.timezone.clone());
    match plan(profile, message) {
        Plan::Say(text) => text,
        Plan::Tool { name, arguments } => match name {
            crate::tools::GET_HOURS => {
                let asked = hours_query(
                    arguments["day"].as_str(),
                    arguments["holiday"].as_str(),
                    arguments["closing"].as_bool().unwrap_or(false),
                    arguments["week"].as_bool().unwrap_or(false),
                );
                hours_answer(profile, &asked, now)
            }
            _ => {
                let query = words(arguments["name"].as_str().unwrap_or(""));
                match matching_staff(profile, &query).as_slice() {
                    [one] => staff_directions(profile, one),
                    [] => "I'm sorry, I couldn't find anyone by that name. Could you spell it for me?"
                        .to_owned(),
                    many => disambiguate(profile, many),
                }
            }
        },
    }
}

/// Decide how to answer `message`.
pub fn plan(profile: &Profile, message: &str) -> Plan {
    let w = words(message);
    if w.is_empty() {
        return Plan::Say("Sorry, I didn't catch that. Could you say it again?".to_owned());
    }
    if !matching_staff(profile, &w).is_empty() {
        return Plan::Tool {
            name: crate::tools::LOOKUP_STAFF,
            arguments: serde_json::json!({ "name": staff_words(profile, &w) }),
        };
    }
    if mentions_any(&w, HOURS_WORDS) {
        let day = WEEKDAYS
            .iter()
            .map(|(name, _)| *name)
            .chain(RELATIVE_DAYS)
            .find(|name| w.iter().any(|t| t == name));
        let mut arguments = serde_json::json!({});
        if let Some(day) = day {
            arguments["day"] = day.into();
        }
        if let Some(holiday) = named_holiday(profile, &w) {
            arguments["holiday"] = holiday.into();
        }
        if mentions_any(&w, CLOSING_WORDS) {
            arguments["closing"] = true.into();
        } else if day.is_none() && arguments.get("holiday").is_none() && asks_week(&w) {
            arguments["week"] = true.into();
        }
        return Plan::Tool {
            name: crate::tools::GET_HOURS,
            arguments,
        };
    }
    Plan::Say(simple_answer(profile, &w))
}

/// Answers that need no tool: policies, FAQ, departments, address, courtesies.
pub(crate) fn simple_answer(profile: &Profile, w: &[String]) -> String {
    if mentions_any(w, DELIVERY_WORDS)
        && let Some(policy) = &profile.policies.deliveries
    {
        return policy.clone();
    }
    if let Some(faq) = best_faq(profile, w) {
        return faq;
    }
    if mentions_any(w, BADGE_WORDS)
        && let Some(policy) = &profile.policies.visitor_badges
    {
        return policy.clone();
    }
    if let Some(dept) = profile
        .departments
        .iter()
        .find(|d| contains_phrase(w, &words(&d.name)))
    {
        return format!("{} is on {}.", dept.name, dept.location);
    }
    if mentions_any(w, ADDRESS_WORDS) {
        let org = &profile.organisation;
        return match &org.phone {
            Some(phone) => format!("We're at {}. Our phone number is {phone}.", org.address),
            None => format!("We're at {}.", org.address),
        };
    }
    if mentions_any(w, THANKS_WORDS) {
        return "You're welcome. Have a good day!".to_owned();
    }
    if mentions_any(w, GREETING_WORDS) {
        return profile.greeting();
    }
    "I'm not sure about that one, I'm afraid. A member of our staff at the front desk will be happy to help you.".to_owned()
}

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
    w.iter()
        .filter(|t| {
            let t = squash(t);
            known.contains(&t) || known.iter().any(|k| sounds_like(&t, k))
        })
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Staff the message names. A full name beats an alias, which beats a surname, which beats a
/// first name, so "Maria Chen" picks one person while "Maria" asks which Maria. Names are
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
    let top = best.iter().map(|&(_, s)| s).max().unwrap_or(0);
    best.into_iter()
        .filter(|&(_, s)| s == top)
        .map(|(m, _)| m)
        .collect()
}

/// How strongly the words `w` name `member`: 4 full name, 3 alias, 2 surname, 1 first name or a
/// close spelling, 0 not at all.
fn name_score(member: &StaffMember, w: &[String], everyday: &HashSet<String>) -> u8 {
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
fn said_as_name(
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
fn everyday_words(profile: &Profile) -> HashSet<String> {
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
fn name_parts(name: &str) -> Vec<Vec<String>> {
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
fn sounds_like(word: &str, name: &str) -> bool {
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

/// The words of a `get_hours` call, as [`hours_answer`] reads them: the day, the holiday,
/// "closing" when the visitor asked when we close, and "week" for the hours in general.
pub(crate) fn hours_query(
    day: Option<&str>,
    holiday: Option<&str>,
    closing: bool,
    week: bool,
) -> Vec<String> {
    let closing = closing.then_some("closing");
    let week = week.then_some("week");
    [day, holiday, closing, week]
        .into_iter()
        .flatten()
        .flat_map(words)
        .collect()
}

/// The hours asked about in `w`: on a holiday named in the profile ("Thanksgiving"), on a
/// weekday ("on Friday"), tomorrow, today (or today's closing time), or else right now. A
/// question about a day is answered for that day, never with whether we happen to be open now.
pub(crate) fn hours_answer(profile: &Profile, w: &[String], now: &Zoned) -> String {
    let today = now.date();
    if let Some(date) = named_holiday(profile, w).and_then(|note| next_holiday(profile, note, today)) {
        let when = match relative_day(profile, today, date).as_str() {
            "today" => "Today".to_owned(),
            "tomorrow" => "Tomorrow".to_owned(),
            _ => format!("On {}", profile.date_style.format(date)),
        };
        return hours_on(profile, date, &when);
    }
    if let Some(&(name, day)) = WEEKDAYS.iter().find(|(name, _)| w.iter().any(|t| t == name)) {
        let date = next_weekday(today, day);
        let when = if date == today {
            "Today".to_owned()
        } else {
            format!("On {}", capitalise(name))
        };
        return hours_on(profile, date, &when);
    }
    if w.iter().any(|t| t == "tomorrow")
        && let Ok(tomorrow) = today.tomorrow()
    {
        return hours_on(profile, tomorrow, "Tomorrow");
    }
    let closing = mentions_any(w, CLOSING_WORDS);
    if closing || w.iter().any(|t| t == "today") {
        return today_answer(profile, now, closing);
    }
    if asks_week(w) {
        return week_answer(profile, now);
    }
    match profile.hours.status_at(now) {
        Status::Open { closes } => format!("Yes, we're open now, until {} today.", speak_time(closes)),
        Status::Closed { note, next_open } => {
            let why = note.map(|n| format!(" for {n}")).unwrap_or_default();
            match next_open {
                Some(_) => format!(
                    "We're closed right now{why}.{}",
                    open_again(profile, today, next_open)
                ),
                None => format!("We're closed right now{why}, and not open again in the next two weeks."),
            }
        }
    }
}

/// Today's hours, or today's closing time when `closing`: a day already over (or closed all
/// day) says so and when we open next, so "when do you close today?" at 9 pm is not answered
/// with hours that have passed.
fn today_answer(profile: &Profile, now: &Zoned, closing: bool) -> String {
    let today = now.date();
    let (hours, exception) = profile.hours.on(today);
    let note = exception.and_then(|e| e.note.as_deref());
    let next_open = || match profile.hours.status_at(now) {
        Status::Closed { next_open, .. } => open_again(profile, today, next_open),
        Status::Open { .. } => String::new(),
    };
    let Some(&(_, last_close)) = hours.ranges().last() else {
        let why = note.map(|n| format!(" for {n}")).unwrap_or_default();
        return format!("We're closed today{why}.{}", next_open());
    };
    if now.time() >= last_close {
        return format!("We've closed for today.{}", next_open());
    }
    if !closing {
        return hours_on(profile, today, "Today");
    }
    let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
    match hours.ranges() {
        [_] => format!("We close at {} today{note}.", speak_time(last_close)),
        _ => format!(
            "We close at {} today{note}; we're open {}.",
            speak_time(last_close),
            hours.describe()
        ),
    }
}

/// "What are your opening hours?", "When are you open?": the hours in general, answered with
/// the week ahead rather than with this moment ("are you open now?").
fn asks_week(w: &[String]) -> bool {
    let general = mentions_any(w, &["hours", "times", "timings", "week"])
        || (w.iter().any(|t| t == "when") && w.iter().any(|t| t == "open"));
    general && !w.iter().any(|t| t == "now")
}

/// Today's hours, then the six days after it, consecutive days with the same hours together:
/// "Today we're open 8 am to 8 pm. Then: Friday 8 am to 6:30 pm; Saturday 9 am to 1 pm; Sunday
/// closed; Monday to Wednesday 8 am to 6:30 pm." Holidays and short days are named.
fn week_answer(profile: &Profile, now: &Zoned) -> String {
    let mut groups: Vec<(Vec<Weekday>, String, Option<&str>)> = Vec::new();
    let mut date = now.date();
    for _ in 0..6 {
        let Ok(next) = date.tomorrow() else { break };
        date = next;
        let (hours, exception) = profile.hours.on(date);
        let (text, note) = (hours.describe(), exception.and_then(|e| e.note.as_deref()));
        match groups.last_mut() {
            Some((days, t, None)) if *t == text && note.is_none() => days.push(date.weekday()),
            _ => groups.push((vec![date.weekday()], text, note)),
        }
    }
    let rest: Vec<String> = groups
        .iter()
        .map(|(days, text, note)| {
            let first = weekday_name(days[0]);
            let label = match days.as_slice() {
                [_] => first,
                [_, last] => format!("{first} and {}", weekday_name(*last)),
                [.., last] => format!("{first} to {}", weekday_name(*last)),
                [] => String::new(),
            };
            let note = note.map(|n| format!(" ({n})")).unwrap_or_default();
            format!("{label}{note} {text}")
        })
        .collect();
    format!("{} Then: {}.", today_answer(profile, now, false), rest.join("; "))
}

/// " We open again tomorrow at 8 am." for the next opening, or the fortnight without one.
fn open_again(profile: &Profile, today: Date, next_open: Option<(Date, jiff::civil::Time)>) -> String {
    match next_open {
        Some((date, open)) => format!(
            " We open again {} at {}.",
            relative_day(profile, today, date),
            speak_time(open)
        ),
        None => " We're not open again in the next two weeks.".to_owned(),
    }
}

/// "{when} we're open ..." or "... closed for {note}." for one date.
fn hours_on(profile: &Profile, date: Date, when: &str) -> String {
    let (hours, exception) = profile.hours.on(date);
    match (hours.is_closed(), exception.and_then(|e| e.note.as_deref())) {
        (true, Some(note)) => format!("{when} we're closed for {note}."),
        (true, None) => format!("{when} we're closed."),
        (false, Some(note)) => format!("{when} ({note}) we're open {}.", hours.describe()),
        (false, None) => format!("{when} we're open {}.", hours.describe()),
    }
}

/// Words that do not tell one holiday from another ("the day after Thanksgiving").
const HOLIDAY_FILLER: &[&str] = &["the", "a", "of", "day", "after", "before", "on"];

/// The note of the profile's exception that `w` names: its whole note ("the day after
/// Thanksgiving"), or else all its telling words ("Thanksgiving" for "Thanksgiving Day"); of
/// several, the longest whole note or the shortest by telling words. The holidays are the
/// profile's own, so every business has its calendar and its names for it.
pub(crate) fn named_holiday<'p>(profile: &'p Profile, w: &[String]) -> Option<&'p str> {
    let w: Vec<String> = w.iter().map(|t| holiday_word(t)).collect();
    let notes = || {
        profile.hours.exceptions().iter().filter_map(|e| {
            let note = e.note.as_deref()?;
            let note_words: Vec<String> = words(note).iter().map(|t| holiday_word(t)).collect();
            Some((note, note_words))
        })
    };
    let whole = notes()
        .filter(|(_, n)| contains_phrase(&w, n))
        .max_by_key(|(_, n)| n.len());
    let telling = || {
        notes()
            .filter(|(_, n)| {
                let mut telling = n
                    .iter()
                    .filter(|t| !HOLIDAY_FILLER.contains(&t.as_str()))
                    .peekable();
                telling.peek().is_some() && telling.all(|t| w.contains(t))
            })
            .min_by_key(|(_, n)| n.len())
    };
    whole.or_else(telling).map(|(note, _)| note)
}

/// A word of a holiday's name compared without its possessive: "new year's" meets "new year".
fn holiday_word(word: &str) -> String {
    squash(word.strip_suffix("'s").unwrap_or(word))
}

/// The first date from `today` on whose exception carries `note`.
fn next_holiday(profile: &Profile, note: &str, today: Date) -> Option<Date> {
    profile
        .hours
        .exceptions()
        .iter()
        .filter(|e| e.date >= today && e.note.as_deref() == Some(note))
        .map(|e| e.date)
        .min()
}

fn best_faq(profile: &Profile, w: &[String]) -> Option<String> {
    profile
        .faq
        .iter()
        .map(|f| {
            (
                f,
                f.keywords
                    .iter()
                    .filter(|k| contains_phrase(w, &words(k)))
                    .count(),
            )
        })
        .filter(|&(_, hits)| hits > 0)
        .max_by_key(|&(_, hits)| hits)
        .map(|(f, _)| f.answer.clone())
}

/// The next date falling on `day`, today included.
fn next_weekday(today: Date, day: Weekday) -> Date {
    let ahead = (day.to_monday_zero_offset() - today.weekday().to_monday_zero_offset()).rem_euclid(7);
    today.checked_add(jiff::Span::new().days(ahead)).unwrap_or(today)
}

/// "today", "tomorrow", "on Friday" within the week, else "on" the date in the business's style.
fn relative_day(profile: &Profile, today: Date, date: Date) -> String {
    if date == today {
        return "today".to_owned();
    }
    if today.tomorrow().is_ok_and(|t| t == date) {
        return "tomorrow".to_owned();
    }
    let days = (date - today).get_days();
    if days < 7 {
        format!("on {}", weekday_name(date.weekday()))
    } else {
        format!("on {}", profile.date_style.format(date))
    }
}

fn weekday_name(day: Weekday) -> String {
    WEEKDAYS
        .iter()
        .find(|(_, d)| *d == day)
        .map_or_else(String::new, |(n, _)| capitalise(n))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EXAMPLE_PROFILE;
    use jiff::civil::date;

    fn ask(message: &str, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> String {
        let profile = Profile::parse(EXAMPLE_PROFILE, "example").unwrap();
        let now = date(y, mo, d)
            .at(h, mi, 0, 0)
            .to_zoned(profile.timezone.clone())
            .unwrap();
        answer(&profile, message, &now)
    }

    // 2026-11-26 is a Thursday: open 08:00-20:00 in the example profile.
    fn thursday(message: &str) -> String {
        ask(message, 2026, 11, 26, 10, 0)
    }

    #[test]
    fn open_now() {
        assert_eq!(
            thursday("Are you open now?"),
            "Yes, we're open now, until 8 pm today."
        );
    }

    #[test]
    fn closed_evening_points_to_tomorrow() {
        assert_eq!(
            ask("are you open?", 2026, 11, 26, 21, 0),
            "We're closed right now. We open again tomorrow at 8 am."
        );
    }

    #[test]
    fn holidays_are_named() {
        // Christmas Day 2026 is a Friday; Boxing Day and Sunday are closed too.
        assert_eq!(
            ask("what are your opening hours", 2026, 12, 25, 11, 0),
            "We're closed today for Christmas Day. We open again on Monday at 8 am. Then: Saturday \
             (Boxing Day) closed; Sunday closed; Monday to Wednesday 8 am to 6:30 pm; Thursday 8 am to 8 pm."
        );
        assert_eq!(
            ask("are you open?", 2026, 12, 25, 11, 0),
            "We're closed right now for Christmas Day. We open again on Monday at 8 am."
        );
        assert_eq!(thursday("Are you open on Sunday?"), "On Sunday we're closed.");
        assert_eq!(
            thursday("what time do you close on Saturday"),
            "On Saturday we're open 9 am to 12:30 pm."
        );
        // Asked on a Wednesday about Thursday, which is Christmas Eve's short day.
        assert_eq!(
            ask("are you open on thursday", 2026, 12, 23, 9, 0),
            "On Thursday (Christmas Eve) we're open 8 am to 1 pm."
        );
    }

    #[test]
    fn holidays_are_found_by_name() {
        assert_eq!(
            thursday("Are you open on Christmas Day?"),
            "On Friday 25 December we're closed for Christmas Day."
        );
        assert_eq!(
            thursday("are you open on christmas eve"),
            "On Thursday 24 December (Christmas Eve) we're open 8 am to 1 pm."
        );
        assert_eq!(
            ask("are you open on Boxing Day?", 2026, 12, 25, 10, 0),
            "Tomorrow we're closed for Boxing Day."
        );
        assert_eq!(
            thursday("what are your hours on new year's day"),
            "On Friday 1 January we're closed for New Year's Day."
        );
        // A holiday that has passed is not answered for a year later.
        assert_eq!(
            ask("are you open on christmas day", 2027, 1, 5, 10, 0),
            "Yes, we're open now, until 6:30 pm today."
        );
    }

    #[test]
    fn short_days_show_their_note() {
        // Christmas Eve 2026 is a Thursday with short hours.
        assert_eq!(
            ask("are you open today, thursday?", 2026, 12, 24, 9, 0),
            "Today (Christmas Eve) we're open 8 am to 1 pm."
        );
    }

    #[test]
    fn a_full_name_picks_one_person_and_a_first_name_asks_which() {
        let reply = thursday("I'm here to see Maria Chen");
        assert!(reply.starts_with("Dr Maria Chen, our General Practitioner in General Practice, is on the first floor, room 103."), "{reply}");
        assert_eq!(
            thursday("I have an appointment with Maria"),
            "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
        );
        assert!(thursday("where can I find doctor okafor").starts_with("Dr James Okafor"));
    }

    #[test]
    fn faq_policies_and_departments() {
        assert!(thursday("What's the wifi password?").contains("HarborGuest"));
        assert!(thursday("Where are the toilets, please?").contains("toilets are on the ground floor"));
        assert!(thursday("I have a parcel for you").starts_with("Deliveries go to the front desk"));
        assert!(
            thursday("Where is physiotherapy?")
                .starts_with("Physiotherapy is on the ground floor, east wing")
        );
        assert!(thursday("Do I need a badge?").starts_with("Every visitor signs in"));
        assert!(thursday("what is your address").contains("12 Harbor Street"));
    }

    #[test]
    fn greetings_thanks_and_the_unknown() {
        assert!(thursday("Hello!").starts_with("Welcome to Harbor Street Clinic"));
        assert_eq!(thursday("thank you"), "You're welcome. Have a good day!");
        assert!(thursday("Can you fix my bicycle?").contains("member of our staff"));
        assert!(thursday("   ?! ").starts_with("Sorry, I didn't catch that"));
    }
}

#[cfg(test)]
mod fuzzy_tests {
    use super::*;
    use crate::EXAMPLE_PROFILE;

    #[test]
    fn misspelt_names_still_find_one_person() {
        let p = Profile::parse(EXAMPLE_PROFILE, "example").unwrap();
        let ids = |q: &str| matching_ids(&p, q);
        assert_eq!(ids("I'm here to see doctor Okafur"), ["james-okafor"]);
        assert_eq!(ids("Priya Sha please"), ["priya-shah"]);
        assert!(ids("I would like some water").is_empty());
        assert!(ids("where is the park").is_empty());
    }

    /// The ids of the staff `query` names in `profile`.
    fn matching_ids(profile: &Profile, query: &str) -> Vec<String> {
        matching_staff(profile, &words(query))
            .iter()
            .map(|m| m.id.clone())
            .collect()
    }

    #[test]
    fn names_that_are_everyday_words_need_a_name_position() {
        let text = EXAMPLE_PROFILE
            .replace(
                "name = \"Priya Shah\"",
                "name = \"Nguyen Van An\"\naliases = [\"An\"]",
            )
            .replace("name = \"Tom Becker\"", "name = \"Dr. Helen Park\"");
        let p = Profile::parse(&text, "example").unwrap();
        let ids = |q: &str| matching_ids(&p, q);
        assert_eq!(ids("I'm here to see An"), ["priya-shah"]);
        assert_eq!(ids("a message for An that I'm late"), ["priya-shah"]);
        assert_eq!(ids("An"), ["priya-shah"]);
        assert!(ids("I have an appointment").is_empty());
        assert!(ids("I'm here for an interview").is_empty());
        assert!(ids("is there an accessible toilet").is_empty());
        assert_eq!(ids("I have an appointment with Maria Chen"), ["maria-chen"]);
        // "park" is a parking keyword of the profile: a name only where a name goes.
        assert!(ids("where can I park").is_empty());
        assert!(ids("is there parking").is_empty());
        assert_eq!(ids("where can I find Dr. Park"), ["tom-becker"]);
        assert_eq!(ids("here to see Helen"), ["tom-becker"]);
    }

    #[test]
    fn names_match_however_speech_splits_them() {
        let text = EXAMPLE_PROFILE
            .replace("name = \"Priya Shah\"", "name = \"Mary-Kate Smith-Jones\"")
            .replace("name = \"Tom Becker\"", "name = \"Siobhan O'Connor\"");
        let p = Profile::parse(&text, "example").unwrap();
        let ids = |q: &str| matching_ids(&p, q);
        assert_eq!(ids("here to see Mary Kate Smith Jones"), ["priya-shah"]);
        assert_eq!(ids("a parcel for smith jones"), ["priya-shah"]);
        assert_eq!(ids("here to see marykate"), ["priya-shah"]);
        assert_eq!(ids("a message for O Connor"), ["tom-becker"]);
        assert_eq!(ids("a message for O’Connor"), ["tom-becker"]);
        // The lookup query keeps the pieces, so the tool finds the same person.
        assert_eq!(
            staff_words(&p, &words("where is Mary Kate Smith Jones today")),
            "mary kate smith jones"
        );
    }
}
