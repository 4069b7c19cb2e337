//! Answering questions about opening hours: now, a day, a holiday by its name, closing time, or
//! the week ahead, in the business's own zone and date style.

use jiff::Zoned;
use jiff::civil::{Date, Weekday};

use crate::hours::{Status, speak_time};
use crate::profile::Profile;
use crate::text::{contains_phrase, mentions_any, squash, words};

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

/// Does the visitor ask about opening hours? "close" by or to something is a distance ("is
/// there a garage close by?"), not a time.
pub(crate) fn asks_hours(w: &[String]) -> bool {
    let times: Vec<String> = w
        .iter()
        .enumerate()
        .filter(|(i, t)| !(*t == "close" && w.get(i + 1).is_some_and(|n| n == "by" || n == "to")))
        .map(|(_, t)| t.clone())
        .collect();
    mentions_any(&times, HOURS_WORDS)
}

/// Words that ask when the business closes rather than whether it is open ("closed" is not one:
/// "are you closed on Sunday?" asks about the day).
pub(crate) const CLOSING_WORDS: &[&str] = &["close", "closing", "shut"];

/// Days asked about relative to today, as the `get_hours` tool's `day` also accepts them.
pub(crate) const RELATIVE_DAYS: [&str; 2] = ["today", "tomorrow"];

pub(crate) const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

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
pub(crate) fn today_answer(profile: &Profile, now: &Zoned, closing: bool) -> String {
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
pub(crate) fn asks_week(w: &[String]) -> bool {
    let general = mentions_any(w, &["hours", "times", "timings", "week"])
        || (w.iter().any(|t| t == "when") && w.iter().any(|t| t == "open"));
    general && !w.iter().any(|t| t == "now")
}

/// Today's hours, then the six days after it, consecutive days with the same hours together:
/// "Today we're open 8 am to 8 pm. Then: Friday 8 am to 6:30 pm; Saturday 9 am to 1 pm; Sunday
/// closed; Monday to Wednesday 8 am to 6:30 pm." Holidays and short days are named.
pub(crate) fn week_answer(profile: &Profile, now: &Zoned) -> String {
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
pub(crate) fn open_again(
    profile: &Profile,
    today: Date,
    next_open: Option<(Date, jiff::civil::Time)>,
) -> String {
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
pub(crate) fn hours_on(profile: &Profile, date: Date, when: &str) -> String {
    let (hours, exception) = profile.hours.on(date);
    match (hours.is_closed(), exception.and_then(|e| e.note.as_deref())) {
        (true, Some(note)) => format!("{when} we're closed for {note}."),
        (true, None) => format!("{when} we're closed."),
        (false, Some(note)) => format!("{when} ({note}) we're open {}.", hours.describe()),
        (false, None) => format!("{when} we're open {}.", hours.describe()),
    }
}

/// Words that do not tell one holiday from another ("the day after Thanksgiving").
pub(crate) const HOLIDAY_FILLER: &[&str] = &["the", "a", "of", "day", "after", "before", "on"];

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
pub(crate) fn holiday_word(word: &str) -> String {
    squash(word.strip_suffix("'s").unwrap_or(word))
}

/// The first date from `today` on whose exception carries `note`.
pub(crate) fn next_holiday(profile: &Profile, note: &str, today: Date) -> Option<Date> {
    profile
        .hours
        .exceptions()
        .iter()
        .filter(|e| e.date >= today && e.note.as_deref() == Some(note))
        .map(|e| e.date)
        .min()
}

/// The next date falling on `day`, today included.
pub(crate) fn next_weekday(today: Date, day: Weekday) -> Date {
    let ahead = (day.to_monday_zero_offset() - today.weekday().to_monday_zero_offset()).rem_euclid(7);
    today.checked_add(jiff::Span::new().days(ahead)).unwrap_or(today)
}

/// "today", "tomorrow", "on Friday" within the week, else "on" the date in the business's style.
pub(crate) fn relative_day(profile: &Profile, today: Date, date: Date) -> String {
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

pub(crate) fn weekday_name(day: Weekday) -> String {
    WEEKDAYS
        .iter()
        .find(|(_, d)| *d == day)
        .map_or_else(String::new, |(n, _)| capitalise(n))
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}
