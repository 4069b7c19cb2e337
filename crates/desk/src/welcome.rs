//! What the kiosk shows before anyone speaks: the business's name, Donna's greeting, and the
//! questions a visitor can tap instead of typing.

use serde::Serialize;

use crate::profile::Profile;

/// The most suggestions a screen shows: more would crowd out the conversation.
pub const MAX_SUGGESTIONS: usize = 6;

/// The kiosk's first screen for one business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Welcome {
    /// `organisation.name`.
    pub name: String,
    /// What Donna says first (`organisation.greeting`, or one made from the name).
    pub greeting: String,
    /// Questions to tap: the profile's `[kiosk] suggestions`, else ones drawn from what the
    /// profile can answer (staff to visit, hours, the first questions of its FAQ).
    pub suggestions: Vec<String>,
}

impl Welcome {
    pub fn of(profile: &Profile) -> Self {
        Self {
            name: profile.organisation.name.clone(),
            greeting: profile.greeting(),
            suggestions: if profile.suggestions.is_empty() {
                drawn_from(profile)
            } else {
                profile.suggestions.clone()
            },
        }
    }
}

/// Suggestions every profile can answer: the receptionist's own work first, then its FAQ.
fn drawn_from(profile: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    if !profile.staff.is_empty() {
        out.push("I'm here to see someone".to_owned());
    }
    out.push("What are your opening hours?".to_owned());
    for faq in &profile.faq {
        if out.len() >= MAX_SUGGESTIONS - 1 {
            break;
        }
        out.push(format!(
            "Can you tell me about {}?",
            faq.topic.replace(['-', '_'], " ")
        ));
    }
    if !profile.staff.is_empty() {
        out.push("I'd like to leave a message".to_owned());
    }
    out
}
