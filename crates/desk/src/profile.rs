//! The business profile: parsed from TOML, then validated into the types the desk works with.
//!
//! Parsing is strict (`deny_unknown_fields`) so a misspelt key is reported, not ignored, and
//! validation checks what serde cannot: unique ids, known departments, well-formed hours and a
//! real time zone. Errors name the place in the file (`staff[2] (maria-lopez)`).

use std::collections::HashSet;
use std::path::Path;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::DeskError;
use crate::hours::{DayHours, Exception, OpeningHours};

/// A validated business profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub organisation: Organisation,
    pub timezone: TimeZone,
    pub hours: OpeningHours,
    pub departments: Vec<Department>,
    pub staff: Vec<StaffMember>,
    pub faq: Vec<FaqEntry>,
    pub policies: Policies,
    /// Questions the kiosk offers to tap (`[kiosk] suggestions`); empty means drawn from the
    /// profile (see [`crate::welcome`]).
    pub suggestions: Vec<String>,
    /// How dates are written in replies, derived from the languages and the time zone.
    pub date_style: DateStyle,
    /// What its sentences mean, once a model has read them (empty until then, and without a
    /// model): see [`crate::meaning`].
    pub understanding: crate::meaning::Understanding,
}

/// How a date is written for the visitor, in the convention of the business's country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// "Friday 25 December": the UK and most of the world.
    DayMonth,
    /// "Friday, December 25": the United States.
    MonthDay,
}

impl DateStyle {
    /// The convention of a business: a region in one of its language tags decides ("en-US" writes
    /// the month first, "en-GB" or "es-MX" the day first); without one, a time zone in the
    /// Americas (`America/...`) writes the month first and any other zone the day first. The
    /// profile has no locale of its own, and these two facts are the ones it always states.
    pub fn of(languages: &[String], timezone: &str) -> Self {
        let region = languages.iter().find_map(|tag| {
            let region = tag.split(['-', '_']).nth(1)?;
            (region.len() == 2 && region.chars().all(|c| c.is_ascii_alphabetic()))
                .then(|| region.to_ascii_uppercase())
        });
        let month_first = match region {
            Some(region) => region == "US",
            None => timezone.starts_with("America/"),
        };
        if month_first {
            Self::MonthDay
        } else {
            Self::DayMonth
        }
    }

    /// `date` with its weekday, in this style.
    pub fn format(self, date: Date) -> String {
        let pattern = match self {
            Self::DayMonth => "%A %-d %B",
            Self::MonthDay => "%A, %B %-d",
        };
        date.strftime(pattern).to_string()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    pub address: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// IANA zone name, e.g. `Europe/London`.
    pub timezone: String,
    #[serde(default = "default_languages")]
    pub languages: Vec<String>,
    /// What Donna says first; derived from the name when absent.
    #[serde(default)]
    pub greeting: Option<String>,
}

fn default_languages() -> Vec<String> {
    vec!["en".to_owned()]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub location: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub role: String,
    pub department: String,
    pub location: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub notify: Notify,
}

/// How a staff member is reached when a visitor arrives for them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// The id a staff desktop subscribes with.
    #[serde(default)]
    pub desktop: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub webhook: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqEntry {
    pub topic: String,
    pub keywords: Vec<String>,
    pub answer: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policies {
    #[serde(default)]
    pub visitor_badges: Option<String>,
    #[serde(default)]
    pub deliveries: Option<String>,
    /// Who is called over when a courier arrives: a staff id, or a department id (its first
    /// member of staff). Absent: the front desk. Checked at load, so it always resolves.
    #[serde(default)]
    pub deliveries_contact: Option<String>,
    /// What Donna does with a visitor who checks in while the business is closed.
    #[serde(default)]
    pub after_hours: AfterHours,
}

/// A check-in outside opening hours (before opening, in a lunch break, on a holiday).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterHours {
    /// Record the visit, notify the host, and tell the visitor the business is closed and that
    /// the host knows: early arrivals are real visitors.
    #[default]
    Notify,
    /// Record nothing: tell the visitor the business is closed, when it opens, and the phone
    /// number.
    Refuse,
}

/// The file as written; turned into a [`Profile`] by [`Profile::parse`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    organisation: Organisation,
    hours: HoursFile,
    #[serde(default)]
    departments: Vec<Department>,
    #[serde(default)]
    staff: Vec<StaffMember>,
    #[serde(default)]
    faq: Vec<FaqEntry>,
    #[serde(default)]
    policies: Policies,
    #[serde(default)]
    kiosk: KioskFile,
}

/// `[kiosk]`: what the kiosk's screen offers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KioskFile {
    #[serde(default)]
    suggestions: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursFile {
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
    #[serde(default)]
    exceptions: Vec<ExceptionFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExceptionFile {
    date: String,
    /// Absent means closed all day.
    #[serde(default)]
    hours: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

impl Profile {
    /// Read and validate the profile at `path`.
    pub fn load(path: &Path) -> Result<Self, DeskError> {
        let text = std::fs::read_to_string(path).map_err(|source| DeskError::ProfileRead {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parse and validate profile TOML; `origin` names it in errors (a path, or "built-in").
    pub fn parse(text: &str, origin: &str) -> Result<Self, DeskError> {
        let invalid = |place: &str, message: String| DeskError::ProfileInvalid {
            origin: origin.to_owned(),
            place: place.to_owned(),
            message,
        };
        let file: ProfileFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            invalid(
                &line.map_or_else(|| "file".to_owned(), |l| format!("line {l}")),
                e.message().to_owned(),
            )
        })?;

        let org = file.organisation;
        non_empty(&org.name).map_err(|m| invalid("organisation.name", m))?;
        let timezone = TimeZone::get(&org.timezone).map_err(|_| {
            invalid(
                "organisation.timezone",
                format!("unknown time zone \"{}\"", org.timezone),
            )
        })?;

        let h = file.hours;
        let week = [
            ("monday", &h.monday),
            ("tuesday", &h.tuesday),
            ("wednesday", &h.wednesday),
            ("thursday", &h.thursday),
            ("friday", &h.friday),
            ("saturday", &h.saturday),
            ("sunday", &h.sunday),
        ];
        let mut weekly = Vec::with_capacity(7);
        for (day, spec) in week {
            weekly.push(DayHours::parse(spec).map_err(|m| invalid(&format!("hours.{day}"), m))?);
        }
        let mut exceptions = Vec::with_capacity(h.exceptions.len());
        let mut seen_dates = HashSet::new();
        for (i, ex) in h.exceptions.iter().enumerate() {
            let place = format!("hours.exceptions[{i}]");
            let date: Date = ex
                .date
                .parse()
                .map_err(|_| invalid(&place, format!("\"{}\" is not a date (YYYY-MM-DD)", ex.date)))?;
            if !seen_dates.insert(date) {
                return Err(invalid(&place, format!("{date} is listed twice")));
            }
            let hours = match &ex.hours {
                Some(spec) => DayHours::parse(spec).map_err(|m| invalid(&place, m))?,
                None => DayHours::closed(),
            };
            exceptions.push(Exception {
                date,
                hours,
                note: ex.note.clone(),
            });
        }
        let hours = OpeningHours::new(weekly, exceptions);

        let mut department_ids = HashSet::new();
        for (i, d) in file.departments.iter().enumerate() {
            let place = format!("departments[{i}]");
            valid_id(&d.id).map_err(|m| invalid(&place, m))?;
            non_empty(&d.name).map_err(|m| invalid(&format!("{place} ({})", d.id), format!("name {m}")))?;
            if !department_ids.insert(d.id.as_str()) {
                return Err(invalid(&place, format!("duplicate department id \"{}\"", d.id)));
            }
        }

        let mut staff_ids = HashSet::new();
        for (i, s) in file.staff.iter().enumerate() {
            let place = format!("staff[{i}]");
            valid_id(&s.id).map_err(|m| invalid(&place, m))?;
            let place = format!("staff[{i}] ({})", s.id);
            if !staff_ids.insert(s.id.as_str()) {
                return Err(invalid(&place, format!("duplicate staff id \"{}\"", s.id)));
            }
            non_empty(&s.name).map_err(|m| invalid(&place, format!("name {m}")))?;
            if !department_ids.contains(s.department.as_str()) {
                return Err(invalid(
                    &place,
                    format!("unknown department \"{}\"", s.department),
                ));
            }
        }

        if let Some(contact) = &file.policies.deliveries_contact {
            check_deliveries_contact(contact, &file.staff, &file.departments)
                .map_err(|m| invalid("policies.deliveries_contact", m))?;
        }

        for (i, f) in file.faq.iter().enumerate() {
            let place = format!("faq[{i}] ({})", f.topic);
            if f.keywords.iter().all(|k| k.trim().is_empty()) {
                return Err(invalid(&place, "needs at least one keyword".to_owned()));
            }
            non_empty(&f.answer).map_err(|m| invalid(&place, format!("answer {m}")))?;
        }

        let date_style = DateStyle::of(&org.languages, &org.timezone);
        let suggestions = file.kiosk.suggestions;
        if suggestions.len() > crate::welcome::MAX_SUGGESTIONS {
            return Err(invalid(
                "kiosk.suggestions",
                format!(
                    "at most {} suggestions fit the screen",
                    crate::welcome::MAX_SUGGESTIONS
                ),
            ));
        }
        for (i, suggestion) in suggestions.iter().enumerate() {
            let place = format!("kiosk.suggestions[{i}]");
            non_empty(suggestion).map_err(|m| invalid(&place, m))?;
            if suggestion.chars().count() > MAX_SUGGESTION_CHARS {
                return Err(invalid(
                    &place,
                    format!("at most {MAX_SUGGESTION_CHARS} characters fit a button"),
                ));
            }
        }
        Ok(Profile {
            organisation: org,
            timezone,
            hours,
            departments: file.departments,
            staff: file.staff,
            faq: file.faq,
            policies: file.policies,
            suggestions,
            date_style,
            understanding: Default::default(),
        })
    }

    /// The department with this id; ids were checked at load, so staff departments always resolve.
    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    /// The member of staff called over for a delivery, when the profile names one
    /// (`policies.deliveries_contact`); `None` means the front desk.
    pub fn deliveries_contact(&self) -> Option<&StaffMember> {
        let contact = self.policies.deliveries_contact.as_deref()?;
        self.staff
            .iter()
            .find(|s| s.id == contact)
            .or_else(|| self.staff.iter().find(|s| s.department == contact))
    }

    /// What Donna says first.
    pub fn greeting(&self) -> String {
        self.organisation.greeting.clone().unwrap_or_else(|| {
            format!(
                "Welcome to {}. I'm Donna, the receptionist. How can I help you?",
                self.organisation.name
            )
        })
    }
}

/// A deliveries contact must name someone who can be called: a staff id, or a department with
/// at least one member of staff.
fn check_deliveries_contact(
    contact: &str,
    staff: &[StaffMember],
    departments: &[Department],
) -> Result<(), String> {
    if staff.iter().any(|s| s.id == contact) {
        return Ok(());
    }
    if !departments.iter().any(|d| d.id == contact) {
        return Err(format!("\"{contact}\" is neither a staff id nor a department id"));
    }
    if staff.iter().any(|s| s.department == contact) {
        Ok(())
    } else {
        Err(format!("department \"{contact}\" has no staff to call"))
    }
}

/// The longest suggestion a touch button shows on one or two lines.
const MAX_SUGGESTION_CHARS: usize = 60;

fn non_empty(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(())
    }
}

fn valid_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("id \"{id}\" must be 1-64 characters of a-z, 0-9, - or _"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EXAMPLE_PROFILE;

    fn err_of(text: &str) -> String {
        Profile::parse(text, "test.toml").unwrap_err().to_string()
    }

    #[test]
    fn the_example_profile_is_valid_and_complete() {
        let p = Profile::parse(EXAMPLE_PROFILE, "example").unwrap();
        assert_eq!(p.organisation.name, "Harbor Street Clinic");
        assert!(p.staff.len() >= 5);
        assert!(p.faq.iter().any(|f| f.topic == "wifi"));
        assert!(p.policies.deliveries.is_some());
        assert!(!p.hours.exceptions().is_empty());
    }

    #[test]
    fn the_law_firm_example_is_valid() {
        let text = include_str!("../profiles/northwind-legal.toml");
        let p = Profile::parse(text, "northwind-legal.toml").unwrap();
        assert_eq!(p.timezone.iana_name(), Some("America/New_York"));
        assert!(p.department("front-desk").is_some());
        assert!(p.staff.iter().any(|s| s.name == "José Álvarez"));
    }

    #[test]
    fn unknown_department_is_named_with_its_staff_member() {
        let text = EXAMPLE_PROFILE.replace("department = \"pharmacy\"", "department = \"drugs\"");
        assert_eq!(
            err_of(&text),
            "profile test.toml: staff[4] (tom-becker): unknown department \"drugs\""
        );
    }

    #[test]
    fn duplicate_staff_ids_are_rejected() {
        let text = EXAMPLE_PROFILE.replace("id = \"maria-chen\"", "id = \"maria-lopez\"");
        assert!(err_of(&text).contains("duplicate staff id \"maria-lopez\""));
    }

    #[test]
    fn bad_times_name_the_day() {
        let text = EXAMPLE_PROFILE.replace("monday = \"08:00-18:30\"", "monday = \"8am till late\"");
        assert!(
            err_of(&text).starts_with("profile test.toml: hours.monday:"),
            "{}",
            err_of(&text)
        );
        let text = EXAMPLE_PROFILE.replace("friday = \"08:00-17:00\"", "friday = \"17:00-08:00\"");
        assert!(err_of(&text).contains("hours.friday"));
        let text = EXAMPLE_PROFILE.replace("date = \"2026-12-25\"", "date = \"2026-13-40\"");
        assert!(err_of(&text).contains("hours.exceptions[1]: \"2026-13-40\" is not a date"));
    }

    #[test]
    fn unknown_keys_and_zones_are_rejected() {
        let text = EXAMPLE_PROFILE.replace("[policies]", "[policies]\nsmoking = \"no\"");
        let err = err_of(&text);
        assert!(err.contains("line") && err.contains("smoking"), "{err}");
        let text = EXAMPLE_PROFILE.replace("Europe/London", "Mars/Olympus");
        assert_eq!(
            err_of(&text),
            "profile test.toml: organisation.timezone: unknown time zone \"Mars/Olympus\""
        );
    }

    #[test]
    fn the_deliveries_contact_must_be_someone_to_call() {
        let with = |contact: &str| {
            EXAMPLE_PROFILE.replace(
                "[policies]",
                &format!("[policies]\ndeliveries_contact = \"{contact}\""),
            )
        };
        let p = Profile::parse(&with("tom-becker"), "test.toml").unwrap();
        assert_eq!(p.deliveries_contact().map(|s| s.id.as_str()), Some("tom-becker"));
        let p = Profile::parse(&with("pharmacy"), "test.toml").unwrap();
        assert_eq!(p.deliveries_contact().map(|s| s.id.as_str()), Some("tom-becker"));
        let p = Profile::parse(EXAMPLE_PROFILE, "test.toml").unwrap();
        assert!(p.deliveries_contact().is_none());
        assert_eq!(
            err_of(&with("post-room")),
            "profile test.toml: policies.deliveries_contact: \"post-room\" is neither a staff id nor a department id"
        );
        let empty_department = with("stores").replacen(
            "[[staff]]",
            "[[departments]]\nid = \"stores\"\nname = \"Stores\"\nlocation = \"the basement\"\n\n[[staff]]",
            1,
        );
        assert_eq!(
            err_of(&empty_department),
            "profile test.toml: policies.deliveries_contact: department \"stores\" has no staff to call"
        );
    }

    #[test]
    fn dates_are_written_as_the_business_writes_them() {
        let christmas = jiff::civil::date(2026, 12, 25);
        let style = |languages: &[&str], zone: &str| {
            let languages: Vec<String> = languages.iter().map(|l| (*l).to_owned()).collect();
            DateStyle::of(&languages, zone).format(christmas)
        };
        assert_eq!(style(&["en"], "Europe/London"), "Friday 25 December");
        assert_eq!(style(&["en", "es"], "America/New_York"), "Friday, December 25");
        assert_eq!(style(&["en-GB"], "America/New_York"), "Friday 25 December");
        assert_eq!(style(&["en_US"], "Europe/Berlin"), "Friday, December 25");
        assert_eq!(style(&["en"], "Australia/Sydney"), "Friday 25 December");
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = Profile::load(Path::new("/no/such/profile.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("profile /no/such/profile.toml:"), "{err}");
    }
}
