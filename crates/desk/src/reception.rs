//! The receptionist at work: the desk's knowledge plus the side effects of its tools — visits
//! and messages stored, staff events recorded and published.
//!
//! One `Reception` serves the whole process: the local engine runs tools through it when a
//! session did not declare them, and the app and the gateway run the model's tool calls through
//! it, so every backend checks visitors in the same way.

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::events::DeskEvent;
use crate::hours_answer::hours_answer;
use crate::profile::{AfterHours, Profile, StaffMember};
use crate::staff_match::{matching_staff, staff_directions};
use crate::store::{NewMessage, NewVisit, Store, Visit};
use crate::text::{contains_phrase, mentions_any, words};
use crate::time_words::{find_time, format_time};
use crate::tool_call::ToolCall;
use crate::tools::error;
use crate::{Desk, DeskError};

/// Under what a tool call is recorded: the visitor's conversation, and the key that makes
/// running the same call again harmless (a client retrying a turn it never heard the answer
/// to, a model's call id). Without a key every call is a new fact.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recording<'a> {
    pub conversation_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
}

/// The key of a turn's `n`th call (from 1) of `tool`, from the turn's idempotency key: a turn
/// that checks in two visitors keys each, and the same turn sent again makes the same calls in
/// the same order, so they get the same keys.
pub fn call_key(turn_key: &str, tool: &str, n: u32) -> String {
    format!("{turn_key}/{tool}/{n}")
}

impl<'a> Recording<'a> {
    /// In `conversation_id`, without a key.
    pub fn under(conversation_id: Option<&'a str>) -> Self {
        Self {
            conversation_id,
            idempotency_key: None,
        }
    }
}

/// How many events a slow subscriber may fall behind before it misses some (it is told so).
const EVENT_BACKLOG: usize = 256;

#[derive(Debug)]
pub struct Reception {
    desk: Desk,
    store: Store,
    events: broadcast::Sender<DeskEvent>,
    webhooks: Vec<String>,
}

impl Reception {
    /// `webhooks` receive every event, in addition to each staff member's own webhook.
    pub fn new(desk: Desk, store: Store, webhooks: Vec<String>) -> Self {
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        Self {
            desk,
            store,
            events,
            webhooks,
        }
    }

    /// The example profile with an in-memory store and no webhooks: for demos, tests and
    /// benchmarks, never for a real kiosk (nothing survives the process).
    pub fn example() -> Result<Self, DeskError> {
        Ok(Self::new(Desk::load(None)?, Store::open_in_memory()?, Vec::new()))
    }

    /// [`Reception::example`] with its clock stopped at `at`: tests whose answers depend on the
    /// hour (is the clinic open? what is "today"?) pin it, so they pass at any hour.
    pub fn example_at(at: jiff::Timestamp) -> Result<Self, DeskError> {
        let desk = Desk::load(None)?.with_fixed_time(at);
        Ok(Self::new(desk, Store::open_in_memory()?, Vec::new()))
    }

    pub fn desk(&self) -> &Desk {
        &self.desk
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Live events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DeskEvent> {
        self.events.subscribe()
    }

    /// An event another gateway of this front desk stored and published: to this gateway's
    /// live subscribers only (it is in the shared store already, its webhooks queued there).
    pub fn relay(&self, event: DeskEvent) {
        let _ = self.events.send(event);
    }

    /// Store an event with its deliveries, then publish it to live subscribers.
    pub fn publish(&self, event: DeskEvent) -> Result<DeskEvent, DeskError> {
        let mut targets = self.webhooks.clone();
        if let Some(hook) = event
            .staff_id
            .as_deref()
            .and_then(|id| self.staff(id))
            .and_then(|s| s.notify.webhook.clone())
        {
            targets.push(hook);
        }
        let payload = serde_json::to_string(&event).map_err(|e| DeskError::InvalidInput {
            field: "event",
            problem: e.to_string(),
        })?;
        let new = self.store.record_event(
            &event.id,
            &event.kind,
            event.staff_id.as_deref(),
            &payload,
            &targets,
            event.at,
            // Deliveries run on the system clock (see `clock`): due at once, whatever the
            // business's clock says.
            jiff::Timestamp::now().as_millisecond(),
        )?;
        // No subscriber is not an error: the event is stored and webhooks will still get it.
        // An event stored before (a retried write) was sent then.
        if new {
            let _ = self.events.send(event.clone());
        }
        Ok(event)
    }

    /// A member of staff is on their way to a visitor; the kiosk tells the visitor.
    pub fn acknowledge(&self, visit_id: i64, staff_id: &str) -> Result<Visit, DeskError> {
        let staff = self.staff(staff_id).ok_or(DeskError::NotFound {
            what: "staff member",
            id: staff_id.to_owned(),
        })?;
        let visit = self
            .store
            .acknowledge(visit_id, staff_id, self.desk.clock().now_ms())?;
        self.publish(DeskEvent::new(
            "visitor.acknowledged",
            Some(staff.id.clone()),
            format!("{} is on their way.", called(staff)),
            json!({ "visit_id": visit.id, "staff_name": staff.name, "conversation_id": visit.conversation_id }),
            self.desk.clock().now_ms(),
        ))?;
        Ok(visit)
    }

    /// Visit `visit_id` is over: the visitor said goodbye at the kiosk, or staff saw them out.
    /// Checking out twice keeps the first time and tells the desks once.
    pub fn check_out(&self, visit_id: i64) -> Result<Visit, DeskError> {
        let before = self.store.visit(visit_id)?.ok_or(DeskError::NotFound {
            what: "visit",
            id: visit_id.to_string(),
        })?;
        let visit = self.store.check_out(visit_id, self.desk.clock().now_ms())?;
        if before.checked_out_at.is_none() {
            self.publish(DeskEvent::new(
                "visitor.checked_out",
                Some(visit.host_staff_id.clone()),
                format!("{} has left.", visit.visitor_name),
                json!({ "visit_id": visit.id }),
                self.desk.clock().now_ms(),
            ))?;
        }
        Ok(visit)
    }

    fn staff(&self, id: &str) -> Option<&StaffMember> {
        self.desk.profile().staff.iter().find(|s| s.id == id)
    }

    /// Run tool `name` with the model's JSON `arguments`; returns the JSON string for
    /// `function_call_output`. Refusals are results too (`{"error": ...}`): the model must be
    /// told, the visitor must not see a crash, and nothing is stored half-way.
    pub fn run_tool(&self, name: &str, arguments: &str, conversation_id: Option<&str>) -> String {
        self.run_tool_recorded(name, arguments, Recording::under(conversation_id))
    }

    /// [`Reception::run_tool`], recorded as `recording` says: run again with the same
    /// idempotency key, a check-in or a message is the one stored the first time.
    pub fn run_tool_recorded(&self, name: &str, arguments: &str, recording: Recording<'_>) -> String {
        let args: Value = serde_json::from_str(arguments).unwrap_or(Value::Null);
        match ToolCall::parse(name, &args) {
            Ok(call) => self.execute(&call, recording),
            Err(refusal) => error(&refusal),
        }
    }

    /// Run `call`, recorded under `conversation_id`; the JSON string for
    /// `function_call_output`, refusals included. A call built in code is checked as one from a
    /// model is (names trimmed and well-formed, lengths bounded) before anything is stored.
    pub fn run(&self, call: &ToolCall, recording: Recording<'_>) -> String {
        match ToolCall::parse(call.name(), &call.arguments()) {
            Ok(checked) => self.execute(&checked, recording),
            Err(refusal) => error(&refusal),
        }
    }

    fn execute(&self, call: &ToolCall, recording: Recording<'_>) -> String {
        let conversation_id = recording.conversation_id;
        let result = match call {
            ToolCall::LookupStaff { name } => self.lookup_staff(name),
            ToolCall::GetHours {
                day,
                holiday,
                closing,
                week,
            } => self.get_hours(day.as_deref(), holiday.as_deref(), *closing, *week),
            ToolCall::GetDirections { place } => self.get_directions(place),
            ToolCall::CheckInVisitor {
                visitor_name,
                host,
                appointment_time,
                purpose,
            } => self.check_in(
                visitor_name,
                host,
                appointment_time.as_deref(),
                purpose.as_deref(),
                recording,
            ),
            ToolCall::NotifyStaff { staff, reason } => self.notify_staff(staff, reason),
            ToolCall::TakeMessage {
                for_staff,
                from_name,
                message,
                contact,
            } => self.take_message(for_staff, from_name, message, contact.as_deref(), recording),
            ToolCall::EndVisit { visit_id } => self.end_visit(*visit_id, conversation_id),
        };
        let name = call.name();
        match result {
            Ok(value) => value.to_string(),
            Err(ToolError::Refused(message)) => error(&message),
            Err(ToolError::Data(value)) => value.to_string(),
            Err(ToolError::Internal(e)) => {
                tracing::error!(tool = name, error = %e, "tool failed");
                error("the desk could not complete this; ask a member of staff")
            }
        }
    }

    fn lookup_staff(&self, query: &str) -> Result<Value, ToolError> {
        let profile = self.desk.profile();
        let matches: Vec<Value> = matching_staff(profile, &words(query))
            .into_iter()
            .map(|m| self.staff_json(m))
            .collect();
        Ok(json!({ "query": query, "matches": matches }))
    }

    fn get_hours(
        &self,
        day: Option<&str>,
        holiday: Option<&str>,
        closing: bool,
        week: bool,
    ) -> Result<Value, ToolError> {
        let now = self.desk.now();
        let profile = self.desk.profile();
        if let Some(h) = holiday
            && crate::hours_answer::named_holiday(profile, &words(h)).is_none()
        {
            return Err(ToolError::Refused(format!(
                "holiday: \"{h}\" is not a holiday or special day in the calendar"
            )));
        }
        let query = crate::hours_answer::hours_query(day, holiday, closing, week);
        let open_now = matches!(profile.hours.status_at(&now), crate::hours::Status::Open { .. });
        Ok(
            json!({ "day": day, "holiday": holiday, "open_now": open_now, "summary": hours_answer(profile, &query, &now) }),
        )
    }

    fn get_directions(&self, place: &str) -> Result<Value, ToolError> {
        let profile = self.desk.profile();
        let w = words(place);
        if let [one] = matching_staff(profile, &w).as_slice() {
            return Ok(json!({ "place": place, "directions": staff_directions(profile, one) }));
        }
        if let Some(d) = profile
            .departments
            .iter()
            .find(|d| contains_phrase(&w, &words(&d.name)) || w.contains(&d.id))
        {
            return Ok(json!({ "place": place, "directions": format!("{} is on {}.", d.name, d.location) }));
        }
        if let Some(f) = profile
            .faq
            .iter()
            .find(|f| f.keywords.iter().any(|k| contains_phrase(&w, &words(k))))
        {
            return Ok(json!({ "place": place, "directions": f.answer }));
        }
        Err(ToolError::Refused(format!("no directions known for \"{place}\"")))
    }

    fn check_in(
        &self,
        visitor: &str,
        host: &str,
        time: Option<&str>,
        purpose: Option<&str>,
        recording: Recording<'_>,
    ) -> Result<Value, ToolError> {
        let host = self.resolve_staff(host)?;
        let time = match time {
            Some(t) => Some(parse_time(t).ok_or_else(|| {
                ToolError::Refused(format!("appointment_time: \"{t}\" is not a time of day"))
            })?),
            None => None,
        };
        // Outside opening hours the profile decides: refused with the hours, or recorded with
        // the visitor told that the business is closed (and the host told when they arrived).
        let profile = self.desk.profile();
        let now = self.desk.now();
        let closed = matches!(profile.hours.status_at(&now), crate::hours::Status::Closed { .. })
            .then(|| hours_answer(profile, &[], &now));
        if let Some(hours) = &closed
            && profile.policies.after_hours == AfterHours::Refuse
        {
            return Err(ToolError::Data(json!({
                "error": "closed: visitors cannot be checked in outside opening hours",
                "closed": hours,
                "phone": profile.organisation.phone,
            })));
        }
        let visit = self.store.check_in(
            &NewVisit {
                visitor_name: visitor,
                host_staff_id: &host.id,
                appointment_time: time.as_deref(),
                purpose,
                conversation_id: recording.conversation_id,
                idempotency_key: recording.idempotency_key,
            },
            self.desk.clock().now_ms(),
        )?;
        if !visit.first {
            tracing::info!(
                visit_id = visit.row.id,
                "a retried check-in: the visit stored the first time"
            );
        }
        let visit = visit.row;
        let mut summary = match &time {
            Some(t) => format!("{visitor} is at reception to see you (appointment {t})"),
            None => format!("{visitor} is at reception to see you"),
        };
        summary.push_str(if closed.is_some() {
            ", outside opening hours."
        } else {
            "."
        });
        // One event per visit, whatever retries: a retry of a check-in whose event was lost
        // (the gateway died between the two) records it now, and one that was not lost adds none.
        self.publish(
            DeskEvent::new(
                "visitor.checked_in",
                Some(host.id.clone()),
                summary,
                json!({ "visit_id": visit.id, "visitor_name": visitor, "appointment_time": time, "purpose": purpose, "after_hours": closed.is_some() }),
                visit.checked_in_at,
            )
            .with_id(format!("evt_visit_{}", visit.id)),
        )?;
        let mut out = json!({
            "status": "checked_in",
            "visit_id": visit.id,
            "visitor_name": visitor,
            "appointment_time": time,
            "host": self.staff_json(host),
        });
        if let Some(hours) = closed {
            out["closed"] = json!(hours);
        }
        Ok(out)
    }

    fn notify_staff(&self, who: &str, reason: &str) -> Result<Value, ToolError> {
        let front_desk = matches!(
            who.to_lowercase().as_str(),
            "front desk" | "reception" | "anyone" | "staff"
        );
        let staff = if front_desk {
            front_desk_staff(self.desk.profile()).ok_or_else(|| {
                ToolError::Refused("no front-desk staff in the profile; name a member of staff".to_owned())
            })?
        } else {
            self.resolve_staff(who)?
        };
        self.publish(DeskEvent::new(
            "staff.notified",
            Some(staff.id.clone()),
            format!("A visitor at reception needs help: {reason}"),
            json!({ "reason": reason }),
            self.desk.clock().now_ms(),
        ))?;
        Ok(json!({ "status": "notified", "notified": self.staff_json(staff) }))
    }

    fn take_message(
        &self,
        for_staff: &str,
        from: &str,
        body: &str,
        contact: Option<&str>,
        recording: Recording<'_>,
    ) -> Result<Value, ToolError> {
        let recipient = self.resolve_staff(for_staff)?;
        let message = self
            .store
            .add_message(
                &NewMessage {
                    for_staff_id: &recipient.id,
                    from_name: from,
                    contact,
                    body,
                    idempotency_key: recording.idempotency_key,
                },
                self.desk.clock().now_ms(),
            )?
            .row;
        self.publish(
            DeskEvent::new(
                "message.left",
                Some(recipient.id.clone()),
                format!("New message from {from}."),
                json!({ "message_id": message.id, "from_name": from, "message": body, "contact": contact }),
                message.created_at,
            )
            .with_id(format!("evt_message_{}", message.id)),
        )?;
        Ok(json!({ "status": "stored", "message_id": message.id, "for_staff": self.staff_json(recipient) }))
    }

    fn end_visit(&self, visit_id: Option<i64>, conversation_id: Option<&str>) -> Result<Value, ToolError> {
        let visit = match (visit_id, conversation_id) {
            (Some(id), _) => self.store.visit(id)?,
            (None, Some(c)) => self.store.open_visit_for_conversation(c)?,
            (None, None) => None,
        };
        let visit = visit.ok_or_else(|| ToolError::Refused("no open visit to end".to_owned()))?;
        let visit = self.check_out(visit.id)?;
        Ok(json!({ "status": "checked_out", "visit_id": visit.id }))
    }

    /// Exactly one member of staff for a name or id, or a refusal that says why.
    fn resolve_staff(&self, query: &str) -> Result<&StaffMember, ToolError> {
        let profile = self.desk.profile();
        if let Some(s) = profile.staff.iter().find(|s| s.id == query) {
            return Ok(s);
        }
        match matching_staff(profile, &words(query)).as_slice() {
            [one] => Ok(one),
            [] => Err(ToolError::Data(
                json!({ "error": format!("no member of staff called \"{query}\""), "query": query }),
            )),
            many => Err(ToolError::Data(json!({
                "error": format!("\"{query}\" matches several people; ask which one"),
                "query": query,
                "candidates": many.iter().map(|m| self.staff_json(m)).collect::<Vec<_>>(),
            }))),
        }
    }

    fn staff_json(&self, m: &StaffMember) -> Value {
        json!({
            "id": m.id,
            "name": m.name,
            "role": m.role,
            "department": self.desk.profile().department(&m.department).map(|d| d.name.clone()),
            "location": m.location,
        })
    }
}

/// Why a tool did not run.
enum ToolError {
    /// A refusal with a message for the model.
    Refused(String),
    /// A refusal with structured details (candidates to choose from).
    Data(Value),
    Internal(DeskError),
}

impl From<String> for ToolError {
    fn from(message: String) -> Self {
        ToolError::Refused(message)
    }
}

impl From<DeskError> for ToolError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::KeyReused { .. } => ToolError::Refused(e.to_string()),
            e => ToolError::Internal(e),
        }
    }
}

/// What a department or role is called when it is the front desk.
const FRONT_DESK_WORDS: &[&str] = &["reception", "receptionist", "front desk", "lobby", "concierge"];

/// Who answers for "the front desk": someone in a department whose id or name says it is the
/// front desk, else someone whose role does. Profiles name that department as they like
/// ("reception", "front-desk", "Lobby"), so no one id is assumed.
fn front_desk_staff(profile: &Profile) -> Option<&StaffMember> {
    let is_front_desk = |text: &str| mentions_any(&words(&text.replace(['-', '_'], " ")), FRONT_DESK_WORDS);
    let desks: Vec<&str> = profile
        .departments
        .iter()
        .filter(|d| is_front_desk(&d.id) || is_front_desk(&d.name))
        .map(|d| d.id.as_str())
        .collect();
    profile
        .staff
        .iter()
        .find(|s| desks.contains(&s.department.as_str()))
        .or_else(|| profile.staff.iter().find(|s| is_front_desk(&s.role)))
}

/// "14:00", "2pm", "two o'clock" → "14:00".
fn parse_time(text: &str) -> Option<String> {
    let direct = text.trim().split_once(':').and_then(|(h, m)| {
        let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
        jiff::civil::Time::new(h, m, 0, 0).ok()
    });
    direct
        .or_else(|| find_time(&format!("at {text}")))
        .map(format_time)
}

/// What a visitor hears a member of staff called: a one-word alias when the profile gives one
/// (the given name of "Nguyen Van An" is "An", written last), else the first word of the name
/// that is not a title.
fn called(staff: &StaffMember) -> &str {
    let one_word_alias = staff
        .aliases
        .iter()
        .map(|a| a.trim())
        .find(|a| !a.is_empty() && !a.contains(char::is_whitespace) && !is_title(a));
    one_word_alias
        .or_else(|| staff.name.split_whitespace().find(|w| !is_title(w)))
        .unwrap_or(&staff.name)
}

fn is_title(word: &str) -> bool {
    matches!(
        word.to_lowercase().trim_end_matches('.'),
        "dr" | "doctor" | "mr" | "mrs" | "ms" | "miss" | "prof"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools;

    /// The example clinic on Thursday 26 November 2026 at 10:00, open.
    fn reception() -> Reception {
        Reception::new(
            Desk::load(None)
                .unwrap()
                .with_fixed_time("2026-11-26T10:00:00Z".parse().unwrap()),
            Store::open_in_memory().unwrap(),
            vec!["http://hooks.example/all".into()],
        )
    }

    fn run(r: &Reception, name: &str, args: Value) -> Value {
        serde_json::from_str(&r.run_tool(name, &args.to_string(), Some("conv_t"))).unwrap()
    }

    #[test]
    fn check_in_stores_publishes_and_queues_webhooks() {
        let r = reception();
        let mut rx = r.subscribe();
        let out = run(
            &r,
            tools::CHECK_IN_VISITOR,
            json!({ "visitor_name": "Ann Lee", "host": "Maria Chen", "appointment_time": "two o'clock" }),
        );
        assert_eq!(out["status"], "checked_in", "{out}");
        assert_eq!(out["appointment_time"], "14:00");
        assert_eq!(out["host"]["id"], "maria-chen");
        let event = rx.try_recv().unwrap();
        assert_eq!(
            (event.kind.as_str(), event.staff_id.as_deref()),
            ("visitor.checked_in", Some("maria-chen"))
        );
        assert_eq!(
            event.summary,
            "Ann Lee is at reception to see you (appointment 14:00)."
        );
        let due = r.store().due_deliveries(i64::MAX, 10).unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].target, "http://hooks.example/all");
        assert_eq!(r.store().visits_since(0).unwrap().len(), 1);
        assert!(
            tools::speak(tools::CHECK_IN_VISITOR, &out.to_string(), r.desk().profile())
                .starts_with("Thank you, Ann. I've let Dr Maria Chen know")
        );
    }

    #[test]
    fn bad_arguments_store_nothing() {
        let r = reception();
        let cases = [
            json!({ "visitor_name": "", "host": "Maria Chen" }),
            json!({ "visitor_name": "Robert'); DROP TABLE visits;--", "host": "Maria Chen" }),
            json!({ "visitor_name": "Ann", "host": "Nobody Atall" }),
            json!({ "visitor_name": "Ann", "host": "Maria" }),
            json!({ "visitor_name": "Ann", "host": "Maria Chen", "appointment_time": "25 o'clock" }),
            json!({ "visitor_name": 42, "host": "Maria Chen" }),
            json!({ "visitor_name": "A".repeat(200), "host": "Maria Chen" }),
        ];
        for args in cases {
            let out = run(&r, tools::CHECK_IN_VISITOR, args.clone());
            assert!(out["error"].is_string(), "{args} → {out}");
        }
        assert_eq!(r.store().visits_since(0).unwrap().len(), 0);
        let ambiguous = run(
            &r,
            tools::CHECK_IN_VISITOR,
            json!({ "visitor_name": "Ann", "host": "Maria" }),
        );
        assert_eq!(ambiguous["candidates"].as_array().unwrap().len(), 2);
        assert!(
            run(&r, "open_the_doors", json!({}))["error"]
                .as_str()
                .unwrap()
                .contains("unknown tool")
        );
        assert_eq!(
            r.run_tool(tools::LOOKUP_STAFF, "[1]", None),
            r#"{"error":"arguments must be a JSON object"}"#
        );
    }

    #[test]
    fn messages_notifications_directions_and_end_of_visit() {
        let r = reception();
        let out = run(
            &r,
            tools::TAKE_MESSAGE,
            json!({ "for_staff": "Tom Becker", "from_name": "Cara Diaz", "message": "Call me back", "contact": "07700 900123" }),
        );
        assert_eq!(out["for_staff"]["id"], "tom-becker", "{out}");
        assert_eq!(r.store().messages_since(0).unwrap()[0].body, "Call me back");
        let out = run(
            &r,
            tools::NOTIFY_STAFF,
            json!({ "staff": "front desk", "reason": "wheelchair needed" }),
        );
        assert_eq!(out["notified"]["id"], "sarah-nguyen");
        let out = run(&r, tools::GET_DIRECTIONS, json!({ "place": "the toilets" }));
        assert!(out["directions"].as_str().unwrap().contains("ground floor"));
        let out = run(&r, tools::GET_DIRECTIONS, json!({ "place": "pharmacy" }));
        assert!(
            out["directions"].as_str().unwrap().starts_with("Pharmacy is on"),
            "{out}"
        );
        run(
            &r,
            tools::CHECK_IN_VISITOR,
            json!({ "visitor_name": "Ann Lee", "host": "maria-chen" }),
        );
        assert_eq!(run(&r, tools::END_VISIT, json!({}))["status"], "checked_out");
        assert!(
            run(&r, tools::END_VISIT, json!({}))["error"].is_string(),
            "nothing left to end"
        );
    }

    #[test]
    fn hours_for_a_holiday_by_name() {
        let at = jiff::civil::date(2026, 12, 21)
            .at(10, 0, 0, 0)
            .in_tz("Europe/London")
            .unwrap()
            .timestamp();
        let r = Reception::new(
            Desk::load(None).unwrap().with_fixed_time(at),
            Store::open_in_memory().unwrap(),
            vec![],
        );
        let out = run(&r, tools::GET_HOURS, json!({ "holiday": "Christmas Eve" }));
        assert_eq!(
            out["summary"],
            "On Thursday 24 December (Christmas Eve) we're open 8 am to 1 pm."
        );
        let out = run(&r, tools::GET_HOURS, json!({ "holiday": "Diwali" }));
        assert!(out["error"].as_str().unwrap().starts_with("holiday:"), "{out}");
    }

    #[test]
    fn the_front_desk_is_found_whatever_the_profile_calls_it() {
        let front_desk = |text: &str| {
            let r = Reception::new(
                Desk::new(Profile::parse(text, "test").unwrap()),
                Store::open_in_memory().unwrap(),
                vec![],
            );
            run(
                &r,
                tools::NOTIFY_STAFF,
                json!({ "staff": "front desk", "reason": "help" }),
            )["notified"]["id"]
                .clone()
        };
        let renamed = crate::EXAMPLE_PROFILE
            .replace(
                "id = \"reception\"\nname = \"Reception\"",
                "id = \"front-desk\"\nname = \"Front Desk\"",
            )
            .replace("department = \"reception\"", "department = \"front-desk\"");
        assert!(!renamed.contains("\"reception\""));
        assert_eq!(front_desk(&renamed), "sarah-nguyen");
        // No such department at all: the receptionist by role.
        let by_role = renamed
            .replace(
                "id = \"front-desk\"\nname = \"Front Desk\"",
                "id = \"admin-2\"\nname = \"Welcome\"",
            )
            .replace("department = \"front-desk\"", "department = \"admin-2\"");
        assert!(!by_role.contains("department = \"front-desk\""));
        assert_eq!(front_desk(&by_role), "sarah-nguyen");
    }

    #[test]
    fn staff_are_called_by_their_one_word_alias_or_first_name() {
        let staff = |name: &str, aliases: &[&str]| StaffMember {
            id: "x".into(),
            name: name.into(),
            role: "Paralegal".into(),
            department: "d".into(),
            location: "here".into(),
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            notify: Default::default(),
        };
        assert_eq!(called(&staff("Nguyen Van An", &["An", "Mr Nguyen"])), "An");
        assert_eq!(called(&staff("Dr. Helen Park", &["Doctor Park"])), "Helen");
        assert_eq!(called(&staff("Dr Maria Chen", &["Dr"])), "Maria");
    }

    #[test]
    fn acknowledgement_is_stored_and_announced() {
        let r = reception();
        let out = run(
            &r,
            tools::CHECK_IN_VISITOR,
            json!({ "visitor_name": "Ann Lee", "host": "Maria Lopez" }),
        );
        let mut rx = r.subscribe();
        let visit = r
            .acknowledge(out["visit_id"].as_i64().unwrap(), "maria-lopez")
            .unwrap();
        assert!(visit.acknowledged_at.is_some());
        let event = rx.try_recv().unwrap();
        assert_eq!(
            (event.kind.as_str(), event.summary.as_str()),
            ("visitor.acknowledged", "Maria is on their way.")
        );
    }
}
