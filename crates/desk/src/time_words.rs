//! Appointment times as visitors say them: "two o'clock", "half past ten", "2:30pm", "at 3".
//!
//! Hours without am/pm are read the way a front desk would: 8–11 are morning, 12 is noon, and
//! 1–7 are afternoon. Anything that is not a real time of day ("25 o'clock") is not a time.

use jiff::civil::Time;

const NUMBERS: &[(&str, i8)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
];

const MINUTES: &[(&str, i8)] = &[
    ("oh five", 5),
    ("ten", 10),
    ("fifteen", 15),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("forty-five", 45),
    ("fifty", 50),
];

/// The first time of day mentioned in `text`, if any.
pub fn find_time(text: &str) -> Option<Time> {
    // Own tokenising: unlike `text::words`, colons stay inside "2:30".
    let text = text
        .to_lowercase()
        .replace("o'clock", " oclock")
        .replace("o clock", " oclock");
    let w: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '?' | '!' | ';' | '"' | '(' | ')'))
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    for i in 0..w.len() {
        if let Some(t) = time_at(&w, i) {
            return Some(t);
        }
    }
    None
}

/// "14:00"-style text for storage and tool arguments.
pub fn format_time(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn time_at(w: &[String], i: usize) -> Option<Time> {
    let word = w[i].as_str();
    let next = w.get(i + 1).map(String::as_str);
    match word {
        "noon" | "midday" => return Time::new(12, 0, 0, 0).ok(),
        "half" | "quarter" => {
            let (past, minutes) = match (word, next?) {
                ("half", "past") => (true, 30),
                ("quarter", "past") => (true, 15),
                ("quarter", "to") => (false, 45),
                _ => return None,
            };
            let hour = hour_word(w.get(i + 2)?)?;
            let hour = if past { hour } else { (hour + 11 - 1) % 12 + 1 };
            return make(hour, minutes, meridiem(w.get(i + 3)));
        }
        _ => {}
    }
    // "14:30", "2:30", "2:30pm"
    if let Some((h, m)) = word.split_once(':') {
        let h: i8 = h.parse().ok()?;
        let (m, suffix) = split_suffix(m);
        let m: i8 = m.parse().ok()?;
        let mer = suffix.or_else(|| meridiem(w.get(i + 1)));
        return if h > 12 { make_24(h, m) } else { make(h, m, mer) };
    }
    // "2pm", "10am"
    let (digits, suffix) = split_suffix(word);
    if suffix.is_some() {
        return make(digits.parse().ok()?, 0, suffix);
    }
    // "two", "2" — only when framed as a time: "at two", "two o'clock", "two pm", "two thirty".
    let hour = hour_word(word)?;
    let previous = i.checked_sub(1).map(|p| w[p].as_str());
    match next {
        Some("oclock") => make(hour, 0, meridiem(w.get(i + 2))),
        Some("am" | "pm" | "a.m" | "p.m") => make(hour, 0, meridiem(next.map(str::to_owned).as_ref())),
        Some(n) if minutes_word(n, w.get(i + 2)).is_some() => {
            let (minutes, used) = minutes_word(n, w.get(i + 2))?;
            make(hour, minutes, meridiem(w.get(i + 1 + used)))
        }
        _ if previous == Some("at") || previous == Some("for") => make(hour, 0, None),
        _ => None,
    }
}

fn hour_word(word: &str) -> Option<i8> {
    NUMBERS
        .iter()
        .find(|(n, _)| *n == word)
        .map(|(_, v)| *v)
        .or_else(|| word.parse::<i8>().ok().filter(|h| (1..=24).contains(h)))
}

/// Minutes after an hour word ("thirty", "fifteen", "oh five", "45"), and how many words they took.
fn minutes_word(word: &str, after: Option<&String>) -> Option<(i8, usize)> {
    if word == "oh"
        && let Some(a) = after
        && let Some((_, v)) = NUMBERS.iter().find(|(n, _)| n == a)
        && *v < 10
    {
        return Some((*v, 2));
    }
    if let Some((_, v)) = MINUTES.iter().find(|(n, _)| *n == word) {
        return Some((*v, 1));
    }
    word.parse::<i8>()
        .ok()
        .filter(|m| (10..60).contains(m) && word.len() == 2)
        .map(|m| (m, 1))
}

fn split_suffix(word: &str) -> (&str, Option<bool>) {
    for (suffix, pm) in [("am", false), ("pm", true), ("a.m", false), ("p.m", true)] {
        if let Some(rest) = word.strip_suffix(suffix)
            && !rest.is_empty()
        {
            return (rest, Some(pm));
        }
    }
    (word, None)
}

/// `Some(true)` for pm, `Some(false)` for am.
fn meridiem(word: Option<&String>) -> Option<bool> {
    match word.map(String::as_str) {
        Some("pm" | "p.m" | "afternoon" | "evening") => Some(true),
        Some("am" | "a.m" | "morning") => Some(false),
        _ => None,
    }
}

fn make(hour: i8, minute: i8, pm: Option<bool>) -> Option<Time> {
    if !(1..=12).contains(&hour) && pm.is_some() {
        return None;
    }
    if hour > 12 {
        return make_24(hour, minute);
    }
    let h24 = match (pm, hour) {
        (Some(true), 12) => 12,
        (Some(true), h) => h + 12,
        (Some(false), 12) => 0,
        (Some(false), h) => h,
        (None, h @ 1..=7) => h + 12,
        (None, h) => h,
    };
    make_24(h24, minute)
}

fn make_24(hour: i8, minute: i8) -> Option<Time> {
    if hour == 24 && minute == 0 {
        return None;
    }
    Time::new(hour, minute, 0, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<String> {
        find_time(s).map(format_time)
    }

    #[test]
    fn spoken_and_written_times() {
        let cases = [
            ("I'm here to see Maria at two", Some("14:00")),
            ("my appointment is at two o'clock", Some("14:00")),
            ("half past ten", Some("10:30")),
            ("quarter to three", Some("14:45")),
            ("quarter past nine in the morning", Some("09:15")),
            ("at 2:30pm", Some("14:30")),
            ("at 14:30", Some("14:30")),
            ("at 10am", Some("10:00")),
            ("ten thirty", Some("10:30")),
            ("three fifteen pm", Some("15:15")),
            ("at noon", Some("12:00")),
            ("at 8 pm", Some("20:00")),
            ("at eleven", Some("11:00")),
        ];
        for (text, want) in cases {
            assert_eq!(t(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn absurd_or_absent_times_are_none() {
        for text in [
            "I have two children",
            "at 25:00",
            "at 13pm",
            "room 204",
            "at 99",
            "hello",
        ] {
            assert_eq!(t(text), None, "{text}");
        }
    }
}
