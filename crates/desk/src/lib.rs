//! The receptionist: what Donna knows about the business and how she answers a visitor.
//!
//! | module | owns |
//! |---|---|
//! | [`profile`] | the business profile (TOML): organisation, hours, departments, staff, FAQ, policies, validated at load |
//! | [`hours`] | opening hours with holiday exceptions: "are you open now?", "when do you open next?" |
//! | [`dialogue`] | the offline multi-turn conversation: intents, slot filling, disambiguation |
//! | [`reception`] | the desk at work: tools with their side effects (visits, messages, staff events) |
//! | [`events`] | staff events |
//! | [`history`] | a conversation's turns, kept between them so it carries on anywhere |
//! | [`time_words`] | appointment times in words |
//! | [`store`] | SQLite: visits, messages, staff events and their deliveries, durable on return |
//! | [`meaning`] | what a sentence the rules do not know means, by a sentence-embedding model |
//! | [`reply`] | answering one typed or transcribed message from the profile: what to say or which tool to use |
//! | `staff_match` | finding staff by what a visitor says, and the answers that name them |
//! | `hours_answer` | answering questions about opening hours: a day, a holiday, closing, the week |
//! | [`tools`] | the function tools (schemas for the cloud, execution for every backend) |
//! | [`tool_call`] | one tool call, its arguments read, checked and typed |
//! | [`text`] | the small text normalisation every matcher shares |
//! | [`clock`] | the business's clock: one instant for answers, stamps and "today" |
//! | [`welcome`] | the kiosk's first screen: the name, the greeting, questions to tap |
//!
//! Nothing here knows about transports, audio or HTTP: the gateway, the local engine and the app
//! shell all call [`Desk`].

pub mod clock;
pub mod dialogue;
pub mod events;
mod everyday;
pub mod history;
pub mod hours;
mod hours_answer;
pub mod meaning;
pub mod profile;
pub mod reception;
pub mod reply;
mod staff_match;
pub mod store;
pub mod text;
pub mod time_words;
pub mod tool_call;
pub mod tools;
pub mod welcome;

mod error;

pub use clock::Clock;
pub use dialogue::Dialogue;
pub use error::DeskError;
pub use events::DeskEvent;
pub use profile::Profile;
pub use reception::{Reception, Recording, call_key};

use std::path::Path;

/// The longest message Donna accepts, in characters: far above anything said or typed at a
/// kiosk, far below anything that could slow the desk down.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// The example profile shipped with Donna, used when no `DONNA_PROFILE` is configured.
pub const EXAMPLE_PROFILE: &str = include_str!("../profiles/harbor-clinic.toml");

/// The receptionist for one business. Cheap to share behind an `Arc`; all methods take `&self`.
#[derive(Debug, Clone)]
pub struct Desk {
    profile: Profile,
    /// What "now" is for every answer and every stamp (see [`clock`]).
    clock: Clock,
    /// [`Desk::instructions`], written once: every session and client secret starts with it.
    instructions: std::sync::OnceLock<String>,
}

impl Desk {
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            clock: Clock::system(),
            instructions: std::sync::OnceLock::new(),
        }
    }

    /// Load the profile at `path`, or the built-in example profile when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, DeskError> {
        let profile = match path {
            Some(path) => Profile::load(path)?,
            None => Profile::parse(EXAMPLE_PROFILE, "built-in example profile")?,
        };
        Ok(Self::new(profile))
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The system prompt for a realtime session (the cloud model's persona; the local engine
    /// reports it in the session object). Kept here so both backends describe the same Donna.
    pub fn instructions(&self) -> &str {
        self.instructions.get_or_init(|| self.write_instructions())
    }

    fn write_instructions(&self) -> String {
        let p = &self.profile;
        let org = &p.organisation;
        let departments: Vec<String> = p
            .departments
            .iter()
            .map(|d| format!("{} ({})", d.name, d.location))
            .collect();
        let faq: Vec<String> = p
            .faq
            .iter()
            .map(|f| format!("- {}: {}", f.topic, f.answer))
            .collect();
        let deliveries = p
            .policies
            .deliveries
            .as_ref()
            .map(|policy| match p.deliveries_contact() {
                Some(contact) => format!("{policy} Notify {} when a delivery arrives.", contact.name),
                None => policy.clone(),
            });
        let policies: Vec<String> = [
            ("Visitor badges", p.policies.visitor_badges.as_ref()),
            ("Deliveries", deliveries.as_ref()),
        ]
        .iter()
        .filter_map(|(name, text)| text.map(|t| format!("- {name}: {t}")))
        .collect();
        format!(
            "You are Donna, the receptionist at {name}, {address}. You speak with visitors at the front-desk kiosk.\n\
             Tone: warm, calm and brief; one or two short sentences; plain words a visitor can follow while walking.\n\
             What you do: check visitors in for a member of staff (ask for their name if you do not know it, and ask which \
             person when a name is ambiguous), give directions, answer questions about opening hours, take messages, and call \
             staff over when someone needs help or a delivery arrives. Always use the tools for staff, hours, check-ins, \
             messages and notifications; never guess a name, a room or an opening time.\n\
             What you must not do: share staff members' contact details, other visitors' names or visit details, or give \
             medical, legal or financial advice. If you cannot help, offer to call a member of staff with notify_staff.\n\
             Departments: {departments}.\n\
             Common questions:\n{faq}\n\
             Policies:\n{policies}",
            name = org.name,
            address = org.address,
            departments = departments.join("; "),
            faq = faq.join("\n"),
            policies = policies.join("\n"),
        )
    }

    /// The same desk with its clock stopped at `at`, so time-dependent answers ("are you open
    /// now?") are reproducible in tests and demonstrations.
    pub fn with_fixed_time(self, at: jiff::Timestamp) -> Self {
        self.with_clock(Clock::stopped(at))
    }

    /// The same desk reading `clock`: the one clock the composition root hands every part.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The clock the desk, its store's stamps and the staff lists read.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The clock as a screen shows it: now, in the business's zone (not the device's).
    pub fn clock_reading(&self) -> clock::Reading {
        clock::Reading {
            now_ms: self.clock.now_ms(),
            time_zone: self.profile.timezone.iana_name().unwrap_or("UTC").to_owned(),
            stopped: self.clock.is_stopped(),
        }
    }

    /// The current time in the business's zone.
    pub fn now(&self) -> jiff::Zoned {
        self.clock.now().to_zoned(self.profile.timezone.clone())
    }

    /// How to answer one (already checked) message: directly, or with a tool first.
    pub fn plan(&self, message: &str) -> reply::Plan {
        reply::plan(&self.profile, message)
    }

    /// The sentence that tells the visitor a tool's result.
    pub fn speak_tool_result(&self, name: &str, output: &str) -> String {
        tools::speak(name, output, &self.profile)
    }

    /// Donna's answer to one message, as of the instant `now` (converted to the business's
    /// time zone, so "are you open now?" is right whatever the kiosk's clock zone is).
    ///
    /// The message is checked first ([`MAX_MESSAGE_CHARS`], not blank) so every entry point (IPC,
    /// HTTP, the engine) applies the same rule.
    pub fn reply(&self, message: &str, now: &jiff::Timestamp) -> Result<String, DeskError> {
        let message = self.check_message(message)?;
        Ok(reply::answer(
            &self.profile,
            message,
            &now.to_zoned(self.profile.timezone.clone()),
        ))
    }

    /// The message trimmed, or why it cannot be answered (blank, longer than [`MAX_MESSAGE_CHARS`]).
    pub fn check_message<'m>(&self, message: &'m str) -> Result<&'m str, DeskError> {
        let message = message.trim();
        if message.is_empty() {
            return Err(DeskError::InvalidMessage("must not be empty".to_owned()));
        }
        if message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DeskError::InvalidMessage(format!(
                "must be at most {MAX_MESSAGE_CHARS} characters"
            )));
        }
        Ok(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_come_from_the_profile() {
        let desk = Desk::load(None).unwrap();
        let text = desk.instructions();
        assert!(text.starts_with("You are Donna, the receptionist at Harbor Street Clinic"));
        assert!(text.contains("Physiotherapy (the ground floor, east wing"));
        assert!(text.contains("HarborGuest"));
        assert!(text.contains("must not do: share staff members' contact details"));
        // Contact details in the profile never reach the model's instructions.
        assert!(!text.contains("maria.lopez@harbor-clinic.example"));
    }
}
