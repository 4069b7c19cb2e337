//! The function tools Donna may call, defined once for both backends: exported as OpenAI
//! function-tool schemas for the cloud session, planned by [`crate::reply::plan`] in the local
//! engine, and always executed here, in Rust, by whoever runs the session (never the webview).

use jiff::Zoned;
use serde_json::{Value, json};

use crate::profile::Profile;
use crate::reply::{disambiguate, hours_answer, matching_staff, staff_directions};
use crate::text::words;

pub const LOOKUP_STAFF: &str = "lookup_staff";
pub const GET_HOURS: &str = "get_hours";

/// The tools as OpenAI function-tool definitions (the `tools` of a session).
pub fn definitions() -> Vec<Value> {
    vec![
        json!({
            "type": "function",
            "name": LOOKUP_STAFF,
            "description": "Find a member of staff by name, alias or surname. Returns matching people with their role, department and where to find them.",
            "parameters": {
                "type": "object",
                "properties": { "name": { "type": "string", "description": "The name as the visitor said it" } },
                "required": ["name"],
                "additionalProperties": false
            }
        }),
        json!({
            "type": "function",
            "name": GET_HOURS,
            "description": "Opening hours: whether the business is open now, or its hours on a given weekday, including holidays.",
            "parameters": {
                "type": "object",
                "properties": {
                    "day": {
                        "type": "string",
                        "enum": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
                        "description": "A weekday; omit for today and right now"
                    }
                },
                "additionalProperties": false
            }
        }),
    ]
}

/// Run tool `name` with JSON `arguments` as the model sent them; the result is the JSON string
/// returned to the model as `function_call_output`. Bad arguments are a result too
/// (`{"error": ...}`), because the model must be told, not the visitor.
pub fn execute(profile: &Profile, name: &str, arguments: &str, now: &Zoned) -> String {
    let args: Value = match serde_json::from_str(arguments) {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(_) | Err(_) => return error("arguments must be a JSON object"),
    };
    match name {
        LOOKUP_STAFF => {
            let Some(query) = args
                .get("name")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
            else {
                return error("name: required, a non-empty string");
            };
            let matches: Vec<Value> = matching_staff(profile, &words(query))
                .into_iter()
                .map(|m| {
                    json!({
                        "id": m.id,
                        "name": m.name,
                        "role": m.role,
                        "department": profile.department(&m.department).map(|d| d.name.clone()),
                        "location": m.location,
                    })
                })
                .collect();
            json!({ "query": query, "matches": matches }).to_string()
        }
        GET_HOURS => {
            let day = match args.get("day") {
                None | Some(Value::Null) => None,
                Some(Value::String(d))
                    if crate::reply::WEEKDAYS.iter().any(|(n, _)| n == &d.to_lowercase()) =>
                {
                    Some(d.to_lowercase())
                }
                Some(_) => return error("day: must be a weekday name such as \"monday\""),
            };
            let query = day.as_deref().map(words).unwrap_or_default();
            let open_now = matches!(profile.hours.status_at(now), crate::hours::Status::Open { .. });
            json!({ "day": day, "open_now": open_now, "summary": hours_answer(profile, &query, now) })
                .to_string()
        }
        other => error(&format!("unknown tool \"{other}\"")),
    }
}

/// Say a tool's result to the visitor, as the local engine's reply after the function call.
/// The output may come from any client, so anything unexpected gets a safe sentence.
pub fn speak(name: &str, output: &str, profile: &Profile) -> String {
    let fallback = "Let me get a member of staff to help you with that.".to_owned();
    let Ok(value) = serde_json::from_str::<Value>(output) else {
        return fallback;
    };
    match name {
        LOOKUP_STAFF => {
            let ids: Vec<&str> = value["matches"]
                .as_array()
                .map(|m| m.iter().filter_map(|x| x["id"].as_str()).collect())
                .unwrap_or_default();
            let staff: Vec<_> = ids
                .iter()
                .filter_map(|id| profile.staff.iter().find(|s| s.id == *id))
                .collect();
            match staff.as_slice() {
                [] => match value["query"].as_str() {
                    Some(q) => format!(
                        "I'm sorry, I couldn't find anyone called {q} here. Could you spell the name for me?"
                    ),
                    None => fallback,
                },
                [one] => staff_directions(profile, one),
                many => disambiguate(profile, many),
            }
        }
        GET_HOURS => value["summary"].as_str().map_or(fallback, str::to_owned),
        _ => fallback,
    }
}

fn error(message: &str) -> String {
    json!({ "error": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EXAMPLE_PROFILE;

    fn setup() -> (Profile, Zoned) {
        let p = Profile::parse(EXAMPLE_PROFILE, "example").unwrap();
        let now = jiff::civil::date(2026, 11, 26)
            .at(10, 0, 0, 0)
            .to_zoned(p.timezone.clone())
            .unwrap();
        (p, now)
    }

    #[test]
    fn definitions_are_flat_function_tools() {
        for tool in definitions() {
            assert_eq!(tool["type"], "function");
            assert!(tool["name"].is_string() && tool.get("function").is_none());
            assert_eq!(tool["parameters"]["type"], "object");
        }
    }

    #[test]
    fn lookup_staff_returns_data_and_speaks_it() {
        let (p, now) = setup();
        let out = execute(&p, LOOKUP_STAFF, r#"{"name":"maria"}"#, &now);
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["matches"].as_array().unwrap().len(), 2);
        assert!(speak(LOOKUP_STAFF, &out, &p).starts_with("Do you mean Maria Lopez"));
        let out = execute(&p, LOOKUP_STAFF, r#"{"name":"Zed Nobody"}"#, &now);
        assert!(speak(LOOKUP_STAFF, &out, &p).contains("couldn't find anyone called Zed Nobody"));
    }

    #[test]
    fn bad_arguments_are_reported_to_the_model() {
        let (p, now) = setup();
        assert_eq!(
            execute(&p, LOOKUP_STAFF, "{}", &now),
            r#"{"error":"name: required, a non-empty string"}"#
        );
        assert_eq!(
            execute(&p, LOOKUP_STAFF, "[1]", &now),
            r#"{"error":"arguments must be a JSON object"}"#
        );
        assert!(execute(&p, GET_HOURS, r#"{"day":"someday"}"#, &now).contains("weekday"));
        assert!(execute(&p, "open_the_doors", "{}", &now).contains("unknown tool"));
        assert_eq!(
            speak(LOOKUP_STAFF, "not json", &p),
            "Let me get a member of staff to help you with that."
        );
    }

    #[test]
    fn get_hours_knows_now_and_weekdays() {
        let (p, now) = setup();
        let v: Value = serde_json::from_str(&execute(&p, GET_HOURS, "{}", &now)).unwrap();
        assert_eq!(v["open_now"], true);
        assert_eq!(v["summary"], "Yes, we're open now, until 8 pm today.");
        let out = execute(&p, GET_HOURS, r#"{"day":"Sunday"}"#, &now);
        assert_eq!(speak(GET_HOURS, &out, &p), "On Sunday we're closed.");
    }
}
