//! Opening hours: a weekly pattern plus dated exceptions (holidays, short days).
//!
//! Times are civil times in the business's own time zone; callers convert "now" into that zone
//! first (see [`crate::Desk::reply`]), so a kiosk whose clock runs in UTC still answers
//! "are you open now?" correctly.

use jiff::Zoned;
use jiff::civil::{Date, Time, Weekday};

/// The open ranges of one day, sorted and non-overlapping; empty means closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayHours {
    ranges: Vec<(Time, Time)>,
}

impl DayHours {
    pub fn closed() -> Self {
        Self { ranges: Vec::new() }
    }

    /// Parse `"08:00-12:30, 13:30-18:00"` or `"closed"`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        if spec.eq_ignore_ascii_case("closed") {
            return Ok(Self::closed());
        }
        let mut ranges = Vec::new();
        for part in spec.split(',') {
            let part = part.trim();
            let (open, close) = part
                .split_once('-')
                .ok_or_else(|| format!("\"{part}\" is not a range like 08:00-17:30 (or \"closed\")"))?;
            let (open, close) = (parse_time(open)?, parse_time(close)?);
            if open >= close {
                return Err(format!("\"{part}\" closes before it opens"));
            }
            if let Some(&(_, previous_close)) = ranges.last()
                && open < previous_close
            {
                return Err(format!("\"{part}\" overlaps or comes before the previous range"));
            }
            ranges.push((open, close));
        }
        Ok(Self { ranges })
    }

    pub fn is_closed(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn ranges(&self) -> &[(Time, Time)] {
        &self.ranges
    }

    /// The range containing `t`, if any (opening time inclusive, closing time exclusive).
    fn range_at(&self, t: Time) -> Option<(Time, Time)> {
        self.ranges
            .iter()
            .copied()
            .find(|&(open, close)| open <= t && t < close)
    }

    /// "8 am to 6:30 pm" or "8 am to 12:30 pm and 1:30 pm to 6 pm"; "closed" when closed.
    pub fn describe(&self) -> String {
        if self.ranges.is_empty() {
            return "closed".to_owned();
        }
        self.ranges
            .iter()
            .map(|&(o, c)| format!("{} to {}", speak_time(o), speak_time(c)))
            .collect::<Vec<_>>()
            .join(" and ")
    }
}

fn parse_time(s: &str) -> Result<Time, String> {
    let s = s.trim();
    let bad = || format!("\"{s}\" is not a time like 08:30");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    // 24:00 means "until midnight"; represent it as the last representable instant of the day.
    if h == 24 && m == 0 {
        return Ok(Time::MAX);
    }
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// A time as Donna says it: "8 am", "6:30 pm", "midnight", "noon".
pub fn speak_time(t: Time) -> String {
    let (h, m) = (t.hour(), t.minute());
    match (h, m) {
        (0, 0) | (23, 59) => "midnight".to_owned(),
        (12, 0) => "noon".to_owned(),
        _ => {
            let suffix = if h < 12 { "am" } else { "pm" };
            let h12 = if h % 12 == 0 { 12 } else { h % 12 };
            if m == 0 {
                format!("{h12} {suffix}")
            } else {
                format!("{h12}:{m:02} {suffix}")
            }
        }
    }
}

/// A dated change to the weekly pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub date: Date,
    pub hours: DayHours,
    pub note: Option<String>,
}

/// Whether the business is open at an instant, and what to tell a visitor about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Open {
        closes: Time,
    },
    Closed {
        /// Why today is different, when an exception applies ("Christmas Day").
        note: Option<String>,
        /// The next opening within the look-ahead window.
        next_open: Option<(Date, Time)>,
    },
}

/// The weekly pattern (Monday first) and its exceptions.
#[derive(Debug, Clone)]
pub struct OpeningHours {
    weekly: Vec<DayHours>,
    exceptions: Vec<Exception>,
}

/// How far ahead "when do you open next?" looks; past a fortnight the answer is not useful.
const LOOK_AHEAD_DAYS: i32 = 14;

impl OpeningHours {
    /// `weekly` holds seven days, Monday first.
    pub fn new(weekly: Vec<DayHours>, exceptions: Vec<Exception>) -> Self {
        debug_assert_eq!(weekly.len(), 7);
        Self { weekly, exceptions }
    }

    pub fn exceptions(&self) -> &[Exception] {
        &self.exceptions
    }

    /// The hours that apply on `date`, and the exception that set them, if any.
    pub fn on(&self, date: Date) -> (&DayHours, Option<&Exception>) {
        match self.exceptions.iter().find(|e| e.date == date) {
            Some(e) => (&e.hours, Some(e)),
            None => (&self.weekly[weekday_index(date.weekday())], None),
        }
    }

    /// The regular hours for a weekday, ignoring exceptions.
    pub fn regular(&self, day: Weekday) -> &DayHours {
        &self.weekly[weekday_index(day)]
    }

    /// Open or closed at `now` (which must already be in the business's zone).
    pub fn status_at(&self, now: &Zoned) -> Status {
        let (today, exception) = self.on(now.date());
        if let Some((_, closes)) = today.range_at(now.time()) {
            return Status::Open { closes };
        }
        Status::Closed {
            note: exception.and_then(|e| e.note.clone()),
            next_open: self.next_open(now.date(), now.time()),
        }
    }

    /// The first opening strictly after `time` on `date`, looking ahead a fortnight.
    fn next_open(&self, date: Date, time: Time) -> Option<(Date, Time)> {
        let later_today = self
            .on(date)
            .0
            .ranges
            .iter()
            .map(|r| r.0)
            .find(|&open| open > time);
        if let Some(open) = later_today {
            return Some((date, open));
        }
        let mut day = date;
        for _ in 0..LOOK_AHEAD_DAYS {
            day = day.tomorrow().ok()?;
            if let Some(&(open, _)) = self.on(day).0.ranges.first() {
                return Some((day, open));
            }
        }
        None
    }
}

fn weekday_index(day: Weekday) -> usize {
    // Monday is 0; the offset is always in 0..=6.
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};
    use jiff::tz::TimeZone;

    fn week() -> OpeningHours {
        let mut weekly = vec![DayHours::parse("08:00-12:00, 13:00-18:00").unwrap(); 5];
        weekly.push(DayHours::parse("09:00-12:30").unwrap());
        weekly.push(DayHours::closed());
        let exceptions = vec![Exception {
            date: date(2026, 12, 25),
            hours: DayHours::closed(),
            note: Some("Christmas Day".into()),
        }];
        OpeningHours::new(weekly, exceptions)
    }

    fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Zoned {
        date(y, mo, d).at(h, mi, 0, 0).to_zoned(TimeZone::UTC).unwrap()
    }

    #[test]
    fn parse_rejects_nonsense() {
        assert!(DayHours::parse("closed").unwrap().is_closed());
        assert_eq!(DayHours::parse("8:00-17:00").unwrap().ranges().len(), 1);
        assert!(DayHours::parse("08:00").is_err());
        assert!(DayHours::parse("25:00-26:00").is_err());
        assert!(DayHours::parse("09:00-08:00").is_err());
        assert!(DayHours::parse("08:00-12:00, 11:00-13:00").is_err());
        assert!(DayHours::parse("08:0-12:00").is_err());
        assert_eq!(DayHours::parse("18:00-24:00").unwrap().ranges()[0].1, Time::MAX);
    }

    #[test]
    fn open_and_lunch_break() {
        let h = week();
        // 2026-11-26 is a Thursday.
        assert_eq!(
            h.status_at(&at(2026, 11, 26, 10, 0)),
            Status::Open {
                closes: time(12, 0, 0, 0)
            }
        );
        assert_eq!(
            h.status_at(&at(2026, 11, 26, 12, 15)),
            Status::Closed {
                note: None,
                next_open: Some((date(2026, 11, 26), time(13, 0, 0, 0)))
            }
        );
        // Closing time itself is closed.
        assert!(matches!(
            h.status_at(&at(2026, 11, 26, 18, 0)),
            Status::Closed { .. }
        ));
    }

    #[test]
    fn weekend_and_holiday_look_ahead() {
        let h = week();
        // Saturday afternoon: next opening is Monday 8:00.
        assert_eq!(
            h.status_at(&at(2026, 11, 28, 14, 0)),
            Status::Closed {
                note: None,
                next_open: Some((date(2026, 11, 30), time(8, 0, 0, 0)))
            }
        );
        // Christmas Day (a Friday) is closed with its note; next is Saturday 9:00.
        assert_eq!(
            h.status_at(&at(2026, 12, 25, 10, 0)),
            Status::Closed {
                note: Some("Christmas Day".into()),
                next_open: Some((date(2026, 12, 26), time(9, 0, 0, 0)))
            }
        );
    }

    #[test]
    fn spoken_times() {
        assert_eq!(speak_time(time(8, 0, 0, 0)), "8 am");
        assert_eq!(speak_time(time(18, 30, 0, 0)), "6:30 pm");
        assert_eq!(speak_time(time(12, 0, 0, 0)), "noon");
        assert_eq!(speak_time(time(0, 0, 0, 0)), "midnight");
        assert_eq!(
            DayHours::parse("08:00-12:00, 13:00-18:00").unwrap().describe(),
            "8 am to noon and 1 pm to 6 pm"
        );
    }
}
