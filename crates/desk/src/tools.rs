//! The function tools Donna may call, defined once for both backends: exported as OpenAI
//! function-tool schemas for the cloud session, planned by the local dialogue, and always
//! executed in Rust by [`crate::Reception::run_tool`] (never in the webview). This module holds
//! the schemas, the argument checks and the sentences that tell a visitor a tool's result.

use serde_json::{Value, json};

use crate::profile::{Profile, StaffMember};
use crate::staff_match::{disambiguate, staff_directions};
use crate::text::lower_first;

pub const LOOKUP_STAFF: &str = "lookup_staff";
pub const GET_HOURS: &str = "get_hours";
pub const GET_DIRECTIONS: &str = "get_directions";
pub const CHECK_IN_VISITOR: &str = "check_in_visitor";
pub const NOTIFY_STAFF: &str = "notify_staff";
pub const TAKE_MESSAGE: &str = "take_message";
pub const END_VISIT: &str = "end_visit";

/// Longest visitor or staff name accepted in a tool argument.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest free text (message, purpose, reason).
pub const MAX_TEXT_CHARS: usize = 1000;

fn tool(name: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "function",
        "name": name,
        "description": description,
        "parameters": { "type": "object", "properties": properties, "required": required, "additionalProperties": false }
    })
}

/// The tools as OpenAI function-tool definitions (the `tools` of a session).
pub fn definitions() -> Vec<Value> {
    vec![
        tool(
            LOOKUP_STAFF,
            "Find a member of staff by name, alias or surname. Returns matching people with their role, department and where to find them.",
            json!({ "name": { "type": "string", "description": "The name as the visitor said it" } }),
            &["name"],
        ),
        tool(
            GET_HOURS,
            "Opening hours: whether the business is open now, its hours today, tomorrow, on a given weekday or holiday, when it closes today, or the week ahead.",
            json!({
                "day": { "type": "string", "enum": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tomorrow"], "description": "The day asked about: a weekday, 'today' or 'tomorrow'; omit for right now" },
                "holiday": { "type": "string", "description": "A holiday or special day by name, as the visitor said it, e.g. 'Christmas Day'" },
                "closing": { "type": "boolean", "description": "true when the visitor asks what time we close" },
                "week": { "type": "boolean", "description": "true when the visitor asks for the opening hours in general: today's and the days after" }
            }),
            &[],
        ),
        tool(
            GET_DIRECTIONS,
            "Directions to a member of staff, a department, or a facility such as the toilets, lift or car park.",
            json!({ "place": { "type": "string", "description": "Who or what the visitor wants to find" } }),
            &["place"],
        ),
        tool(
            CHECK_IN_VISITOR,
            "Check a visitor in for a member of staff and notify that person. Ask for the visitor's name first if you do not know it.",
            json!({
                "visitor_name": { "type": "string", "description": "The visitor's full name" },
                "host": { "type": "string", "description": "The staff member's name or id" },
                "appointment_time": { "type": "string", "description": "Appointment time, e.g. 14:00 or 'two o'clock'" },
                "purpose": { "type": "string", "description": "Why they are visiting, if said" }
            }),
            &["visitor_name", "host"],
        ),
        tool(
            NOTIFY_STAFF,
            "Ask a member of staff (or the front desk) to come and help, with the reason.",
            json!({
                "staff": { "type": "string", "description": "Name or id; use 'front desk' when no one in particular" },
                "reason": { "type": "string" }
            }),
            &["staff", "reason"],
        ),
        tool(
            TAKE_MESSAGE,
            "Leave a message for a member of staff.",
            json!({
                "for_staff": { "type": "string", "description": "The recipient's name or id" },
                "from_name": { "type": "string", "description": "Who the message is from" },
                "message": { "type": "string" },
                "contact": { "type": "string", "description": "How to reach the sender, if given" }
            }),
            &["for_staff", "from_name", "message"],
        ),
        tool(
            END_VISIT,
            "Check the visitor out at the end of their visit.",
            json!({ "visit_id": { "type": "integer", "description": "The visit to end; omit for this conversation's visit" } }),
            &[],
        ),
    ]
}

/// Read a required string argument, trimmed and bounded.
pub(crate) fn text_arg(args: &Value, name: &'static str, max: usize) -> Result<String, String> {
    match args.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() && s.trim().chars().count() <= max => {
            Ok(s.trim().to_owned())
        }
        Some(Value::String(s)) if s.trim().is_empty() => Err(format!("{name}: must not be empty")),
        Some(Value::String(_)) => Err(format!("{name}: at most {max} characters")),
        Some(_) => Err(format!("{name}: must be a string")),
        None => Err(format!("{name}: required")),
    }
}

/// Read an optional string argument (absent, null or empty means none).
pub(crate) fn optional_text_arg(
    args: &Value,
    name: &'static str,
    max: usize,
) -> Result<Option<String>, String> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(_) => text_arg(args, name, max).map(Some),
    }
}

/// A person's name: letters (any script), spaces, hyphens, apostrophes and dots only.
pub(crate) fn person_name(args: &Value, name: &'static str) -> Result<String, String> {
    let value = text_arg(args, name, MAX_NAME_CHARS)?;
    let ok = value
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | '’'))
        && value.chars().any(char::is_alphabetic);
    if ok {
        Ok(value)
    } else {
        Err(format!("{name}: \"{value}\" does not look like a name"))
    }
}

/// The result JSON for a refused call.
pub(crate) fn error(message: &str) -> String {
    json!({ "error": message }).to_string()
}

/// Say a tool's result to the visitor (the local engine's reply after a function call). The
/// output may come from any client, so anything unexpected gets a safe sentence.
pub fn speak(name: &str, output: &str, profile: &Profile) -> String {
    let fallback = "Let me get a member of staff to help you with that.".to_owned();
    let Ok(value) = serde_json::from_str::<Value>(output) else {
        return fallback;
    };
    let staff_of = |v: &Value| -> Vec<&StaffMember> {
        v.as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|x| x["id"].as_str())
                    .filter_map(|id| profile.staff.iter().find(|s| s.id == id))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Some(candidates) = value.get("candidates") {
        let staff = staff_of(candidates);
        if staff.len() > 1 {
            return disambiguate(profile, &staff);
        }
    }
    if let Some(err) = value.get("error").and_then(Value::as_str) {
        return if let Some(hours) = value["closed"].as_str() {
            let phone = value["phone"]
                .as_str()
                .map(|p| format!(" If it's urgent, please call {p}."))
                .unwrap_or_default();
            format!("I'm sorry, {}{phone}", lower_first(hours))
        } else if err.contains("no member of staff") {
            format!(
                "I'm sorry, I couldn't find {}. Could you spell the name for me?",
                value["query"].as_str().unwrap_or("that person")
            )
        } else {
            "I'm sorry, I couldn't do that. Let me get a member of staff to help you.".to_owned()
        };
    }
    let first_name = |v: &Value| {
        v.as_str()
            .and_then(|n| n.split_whitespace().next())
            .unwrap_or("")
            .to_owned()
    };
    match name {
        LOOKUP_STAFF => match staff_of(&value["matches"]).as_slice() {
            [] => match value["query"].as_str() {
                Some(q) => format!(
                    "I'm sorry, I couldn't find anyone called {q} here. Could you spell the name for me?"
                ),
                None => fallback,
            },
            [one] => staff_directions(profile, one),
            many => disambiguate(profile, many),
        },
        GET_HOURS => value["summary"].as_str().map_or(fallback, str::to_owned),
        GET_DIRECTIONS => value["directions"].as_str().map_or(fallback, str::to_owned),
        CHECK_IN_VISITOR => {
            let (visitor, host) = (
                first_name(&value["visitor_name"]),
                value["host"]["name"].as_str().unwrap_or("them"),
            );
            match value["closed"].as_str() {
                Some(hours) => format!(
                    "Thank you, {visitor}. {hours} I've let {host} know you're here, so they can come and meet you."
                ),
                None => format!(
                    "Thank you, {visitor}. I've let {host} know you're here. Please take a seat in the waiting area; they're on {}.",
                    value["host"]["location"].as_str().unwrap_or("site")
                ),
            }
        }
        NOTIFY_STAFF => format!(
            "I've let {} know. Someone will be with you shortly.",
            value["notified"]["name"].as_str().unwrap_or("the team")
        ),
        TAKE_MESSAGE => format!(
            "Thank you. I've passed your message to {}.",
            value["for_staff"]["name"].as_str().unwrap_or("them")
        ),
        END_VISIT => "You're all checked out. Thank you for visiting, and have a good day!".to_owned(),
        _ => fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_flat_function_tools() {
        let defs = definitions();
        assert_eq!(defs.len(), 7);
        for tool in defs {
            assert_eq!(tool["type"], "function");
            assert!(tool["name"].is_string() && tool.get("function").is_none());
            assert_eq!(tool["parameters"]["type"], "object");
        }
    }

    #[test]
    fn argument_checks() {
        let args = json!({ "visitor_name": "  Ann O'Neil ", "bad": 5, "empty": " ", "long": "x".repeat(81) });
        assert_eq!(person_name(&args, "visitor_name").unwrap(), "Ann O'Neil");
        assert_eq!(text_arg(&args, "bad", 10).unwrap_err(), "bad: must be a string");
        assert_eq!(
            text_arg(&args, "empty", 10).unwrap_err(),
            "empty: must not be empty"
        );
        assert!(person_name(&args, "long").unwrap_err().contains("at most 80"));
        assert_eq!(text_arg(&args, "missing", 10).unwrap_err(), "missing: required");
        let injection = json!({ "n": "Robert'); DROP TABLE visits;--" });
        assert!(
            person_name(&injection, "n")
                .unwrap_err()
                .contains("does not look like a name")
        );
        assert_eq!(optional_text_arg(&json!({ "p": null }), "p", 10).unwrap(), None);
    }
}
