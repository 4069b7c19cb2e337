//! A tool call with its arguments read and checked once, typed: what the planner decides, what
//! the model asks for once its JSON is parsed, and what [`crate::Reception::run`] executes.
//! Checks that need the profile (who a host is, which holidays exist) happen when it runs.

use serde::Serialize;
use serde_json::Value;

use crate::hours_answer::{RELATIVE_DAYS, WEEKDAYS};
use crate::tools::{self, MAX_NAME_CHARS, MAX_TEXT_CHARS, optional_text_arg, person_name, text_arg};

/// One call of one of the desk's tools (their schemas are [`crate::tools::definitions`]).
///
/// Serialised as `{"name": ..., "arguments": {...}}`, absent options left out, so the
/// arguments read as a model would write them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "name", content = "arguments", rename_all = "snake_case")]
pub enum ToolCall {
    LookupStaff {
        name: String,
    },
    GetHours {
        /// A weekday name, `today` or `tomorrow`, lower case.
        #[serde(skip_serializing_if = "Option::is_none")]
        day: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        holiday: Option<String>,
        #[serde(skip_serializing_if = "is_false")]
        closing: bool,
        #[serde(skip_serializing_if = "is_false")]
        week: bool,
    },
    GetDirections {
        place: String,
    },
    CheckInVisitor {
        visitor_name: String,
        host: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        appointment_time: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        purpose: Option<String>,
    },
    NotifyStaff {
        staff: String,
        reason: String,
    },
    TakeMessage {
        for_staff: String,
        from_name: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        contact: Option<String>,
    },
    EndVisit {
        /// The visit to end; `None` for the caller's conversation's visit.
        #[serde(skip_serializing_if = "Option::is_none")]
        visit_id: Option<i64>,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ToolCall {
    /// The tool's name, as in its schema.
    pub fn name(&self) -> &'static str {
        match self {
            ToolCall::LookupStaff { .. } => tools::LOOKUP_STAFF,
            ToolCall::GetHours { .. } => tools::GET_HOURS,
            ToolCall::GetDirections { .. } => tools::GET_DIRECTIONS,
            ToolCall::CheckInVisitor { .. } => tools::CHECK_IN_VISITOR,
            ToolCall::NotifyStaff { .. } => tools::NOTIFY_STAFF,
            ToolCall::TakeMessage { .. } => tools::TAKE_MESSAGE,
            ToolCall::EndVisit { .. } => tools::END_VISIT,
        }
    }

    /// The arguments as the JSON object a function call carries.
    pub fn arguments(&self) -> Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|mut v| v.get_mut("arguments").map(Value::take))
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
    }

    /// Read a call of tool `name` with `arguments` (a JSON object), as a model sends it. The
    /// refusal says which argument is wrong and why, for the model to correct itself.
    pub fn parse(name: &str, arguments: &Value) -> Result<Self, String> {
        if !arguments.is_object() {
            return Err("arguments must be a JSON object".to_owned());
        }
        let args = arguments;
        Ok(match name {
            tools::LOOKUP_STAFF => ToolCall::LookupStaff {
                name: text_arg(args, "name", MAX_NAME_CHARS)?,
            },
            tools::GET_HOURS => {
                let day = optional_text_arg(args, "day", 20)?.map(|d| d.to_lowercase());
                if let Some(d) = &day
                    && !WEEKDAYS.iter().any(|(n, _)| n == d)
                    && !RELATIVE_DAYS.contains(&d.as_str())
                {
                    return Err(
                        "day: must be a weekday name such as \"monday\", or \"today\" or \"tomorrow\""
                            .to_owned(),
                    );
                }
                let flag = |name: &str| match args.get(name) {
                    None | Some(Value::Null) => Ok(false),
                    Some(Value::Bool(b)) => Ok(*b),
                    Some(_) => Err(format!("{name}: must be true or false")),
                };
                let (closing, week) = (flag("closing")?, flag("week")?);
                ToolCall::GetHours {
                    day,
                    holiday: optional_text_arg(args, "holiday", MAX_NAME_CHARS)?,
                    closing,
                    week,
                }
            }
            tools::GET_DIRECTIONS => ToolCall::GetDirections {
                place: text_arg(args, "place", MAX_NAME_CHARS)?,
            },
            tools::CHECK_IN_VISITOR => ToolCall::CheckInVisitor {
                visitor_name: person_name(args, "visitor_name")?,
                host: text_arg(args, "host", MAX_NAME_CHARS)?,
                appointment_time: optional_text_arg(args, "appointment_time", 40)?,
                purpose: optional_text_arg(args, "purpose", MAX_TEXT_CHARS)?,
            },
            tools::NOTIFY_STAFF => ToolCall::NotifyStaff {
                staff: text_arg(args, "staff", MAX_NAME_CHARS)?,
                reason: text_arg(args, "reason", MAX_TEXT_CHARS)?,
            },
            tools::TAKE_MESSAGE => ToolCall::TakeMessage {
                for_staff: text_arg(args, "for_staff", MAX_NAME_CHARS)?,
                from_name: person_name(args, "from_name")?,
                message: text_arg(args, "message", MAX_TEXT_CHARS)?,
                contact: optional_text_arg(args, "contact", 200)?,
            },
            tools::END_VISIT => ToolCall::EndVisit {
                visit_id: match args.get("visit_id") {
                    None | Some(Value::Null) => None,
                    Some(Value::Number(n)) => Some(
                        n.as_i64()
                            .ok_or_else(|| "visit_id: must be an integer".to_owned())?,
                    ),
                    Some(_) => return Err("visit_id: must be an integer".to_owned()),
                },
            },
            other => return Err(format!("unknown tool \"{other}\"")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_parsed_call_gives_back_its_name_and_the_arguments_it_was_given() {
        let args = json!({ "visitor_name": " Jo Bloggs ", "host": "Maria Lopez", "purpose": "interview" });
        let call = ToolCall::parse(tools::CHECK_IN_VISITOR, &args).unwrap();
        assert_eq!(call.name(), "check_in_visitor");
        assert_eq!(
            call.arguments(),
            json!({ "visitor_name": "Jo Bloggs", "host": "Maria Lopez", "purpose": "interview" })
        );
        assert_eq!(ToolCall::parse(call.name(), &call.arguments()), Ok(call));
        let hours = ToolCall::parse(tools::GET_HOURS, &json!({ "day": "Monday" })).unwrap();
        assert_eq!(hours.arguments(), json!({ "day": "monday" }));
    }

    #[test]
    fn bad_arguments_are_refused_with_what_to_fix() {
        let refused = |name: &str, args: Value| ToolCall::parse(name, &args).unwrap_err();
        assert_eq!(
            refused("lookup_staff", json!([])),
            "arguments must be a JSON object"
        );
        assert_eq!(refused("lookup_staff", json!({})), "name: required");
        assert_eq!(
            refused("get_hours", json!({ "day": "someday" }))
                .split(':')
                .next(),
            Some("day")
        );
        assert_eq!(
            refused("get_hours", json!({ "week": "yes" })),
            "week: must be true or false"
        );
        assert!(
            refused(
                "check_in_visitor",
                json!({ "visitor_name": "R2-D2!", "host": "Maria" })
            )
            .contains("does not look like a name")
        );
        assert_eq!(
            refused("end_visit", json!({ "visit_id": "7" })),
            "visit_id: must be an integer"
        );
        assert_eq!(refused("open_doors", json!({})), "unknown tool \"open_doors\"");
    }
}
