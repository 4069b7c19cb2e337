//! The local dialogue: Donna's multi-turn conversation with one visitor when no language model
//! is in the loop (the offline engine). It recognises what the visitor wants, fills the slots a
//! tool needs across turns ("Which Maria?", "May I have your name?"), and hands the actual work
//! to the tools, exactly as a cloud model would through function calls.

use jiff::Zoned;
use serde_json::Value;

use crate::history::Said;
use crate::hours::Status;
use crate::meaning::{Intent, Sense, TRUST, TRUST_NAMED};
use crate::profile::StaffMember;
use crate::profile::{AfterHours, Profile};
use crate::reply::{self, Plan};
use crate::staff_match::{disambiguate, matching_staff};
use crate::text::{lower_first, mentions_any, words};
use crate::time_words::{find_time, format_time};
use crate::tool_call::ToolCall;
use crate::tools;
use crate::{Reception, Recording};

mod choice;
mod utterance;

use choice::choose;
use utterance::{
    extract_name, first_word, message_body, one_line_visit, own_name, self_introduction, visit_purpose,
    wanted_name,
};

const CANCEL: &[&str] = &[
    "never mind",
    "nevermind",
    "cancel",
    "forget it",
    "changed my mind",
    "no thanks",
    "not anymore",
];
const MESSAGE: &[&str] = &[
    "leave a message",
    "take a message",
    "pass on a message",
    "message for",
    "give a message",
    "leave a note",
];
const VISIT: &[&str] = &[
    "here to see",
    "here for",
    "appointment",
    "meeting with",
    "to see",
    "check in",
    "checking in",
    "i'm visiting",
    "visiting",
    "expecting me",
    "interview",
];

const LEAVING: &[&str] = &[
    "checking out",
    "check out",
    "i'm leaving",
    "im leaving",
    "leaving now",
    "sign out",
    "signing out",
];
const HELP: &[&str] = &[
    "need help",
    "need some help",
    "can someone help",
    "speak to someone",
    "talk to someone",
    "speak to a person",
    "real person",
    "a human",
    "emergency",
];
const DELIVERY: &[&str] = &["delivery", "parcel", "package", "courier"];

/// Donna's answer: the last of what a turn said.
fn answer_of(said: Vec<Said>) -> String {
    match said.into_iter().next_back() {
        Some(Said::Donna { text }) => text,
        _ => String::new(),
    }
}

/// What the visitor and Donna are in the middle of.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    /// Several staff match; `goal` says what to do once one is chosen.
    ChooseHost {
        candidates: Vec<String>,
        goal: Goal,
    },
    /// Checking in for `host`; the visitor's name is missing.
    VisitorName {
        host: String,
        time: Option<String>,
        purpose: Option<String>,
    },
    /// Checking in, but for whom is not known yet (not said, or not found); the time and the
    /// purpose already given are kept for the check-in.
    VisitHost {
        time: Option<String>,
        purpose: Option<String>,
    },
    MessageRecipient,
    MessageBody {
        for_staff: String,
    },
    MessageSender {
        for_staff: String,
        body: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Goal {
    Visit {
        time: Option<String>,
        purpose: Option<String>,
    },
    Message,
    Find,
}

/// One visitor's conversation state.
#[derive(Debug, Clone, Default)]
pub struct Dialogue {
    visitor_name: Option<String>,
    pending: Option<Pending>,
    /// The tool call planned last, so its result can steer the next turn.
    last_call: Option<ToolCall>,
    /// What to add after that tool's result is told (a delivery's policy after the call-over).
    then_say: Option<String>,
    /// The member of staff whose directions were just given: a visitor who then says who they
    /// are is checked in for them, as the directions offered.
    directed_to: Option<String>,
    /// The member of staff this visitor was checked in for: asked then to let them know they
    /// are here, Donna says she already has.
    checked_in_with: Option<String>,
    /// When the visitor last said something, on the desk's clock and on the machine's
    /// monotonic one: after [`PATIENCE`] of silence on either, the next words are taken to be
    /// someone else's. A stopped demonstration clock never moves, yet real silences still pass.
    last_heard: Option<(jiff::Timestamp, std::time::Instant)>,
}

/// How long a half-finished visit (a message waiting for its words, a check-in waiting for a
/// name) waits. A visitor who walks away leaves nothing for the next one: the next visitor's
/// "Where is the toilet?" is not stored as the first one's message, nor signed with their name.
pub const PATIENCE: jiff::SignedDuration = jiff::SignedDuration::from_secs(90);

impl Dialogue {
    /// Decide the reply (or the tool to call) for the visitor's next message.
    ///
    /// `now` may be in any zone: it is read in the business's own zone, so a kiosk clock in UTC
    /// still knows a New York office is open at 7:30 pm (a London clinic hides the difference
    /// all winter).
    pub fn plan(&mut self, profile: &Profile, message: &str, now: &Zoned) -> Plan {
        let now = now.with_time_zone(profile.timezone.clone());
        if self.last_heard.is_some_and(|(stamp, instant)| {
            now.timestamp().duration_since(stamp) > PATIENCE || instant.elapsed() > PATIENCE.unsigned_abs()
        }) {
            *self = Dialogue::default();
        }
        self.last_heard = Some((now.timestamp(), std::time::Instant::now()));
        self.then_say = None;
        let plan = self.decide(profile, message, &now);
        self.last_call = match &plan {
            Plan::Tool(call) => Some(call.clone()),
            Plan::Say(_) => None,
        };
        plan
    }

    /// One whole turn at the desk: plan the answer to `message`, run the tool it needs through
    /// `reception` (recorded as `recording` says; its key is the turn's, and the tool's is made
    /// from it with [`crate::call_key`]), and say its result. Everything that
    /// answers a visitor without a realtime session in between does its turn here.
    pub fn turn(&mut self, reception: &Reception, message: &str, recording: Recording<'_>) -> String {
        answer_of(self.exchange(reception, message, recording))
    }

    /// [`Dialogue::turn`], telling everything said and done in it (the visitor's words first,
    /// Donna's answer last): what a conversation's [`crate::history`] keeps.
    pub fn exchange(&mut self, reception: &Reception, message: &str, recording: Recording<'_>) -> Vec<Said> {
        self.exchange_at(reception, message, &reception.desk().now(), recording)
    }

    /// A turn heard at `now`: the dialogue's own patience is measured on it, while the tools
    /// read the reception's clock.
    pub(crate) fn exchange_at(
        &mut self,
        reception: &Reception,
        message: &str,
        now: &Zoned,
        recording: Recording<'_>,
    ) -> Vec<Said> {
        let profile = reception.desk().profile();
        let mut said = vec![Said::Visitor {
            text: message.to_owned(),
        }];
        let answer = match self.plan(profile, message, now) {
            Plan::Say(text) => text,
            Plan::Tool(call) => {
                let key = recording
                    .idempotency_key
                    .map(|k| crate::call_key(k, call.name(), 1));
                let recording = Recording {
                    idempotency_key: key.as_deref(),
                    ..recording
                };
                let output = reception.run(&call, recording);
                let answer = self.after_tool(profile, call.name(), &output);
                said.push(Said::Tool {
                    name: call.name().to_owned(),
                    arguments: call.arguments().to_string(),
                    output,
                });
                answer
            }
        };
        said.push(Said::Donna { text: answer });
        said
    }

    /// Read something said before this dialogue took part (a conversation carried on from
    /// another gateway, or history a client gave a new session): the state moves as if it had
    /// been there, and nothing runs or is stored again.
    pub fn recall(&mut self, profile: &Profile, said: &Said, now: &Zoned) {
        match said {
            Said::Visitor { text } => {
                let _ = self.plan(profile, text, now);
            }
            Said::Tool { name, output, .. } => {
                let _ = self.after_tool(profile, name, output);
            }
            Said::Donna { .. } => {}
        }
    }

    /// The sentence for a tool's result, updating the state (a "which Maria?" from the tool
    /// becomes a pending choice, a check-in remembers the visitor).
    pub fn after_tool(&mut self, profile: &Profile, name: &str, output: &str) -> String {
        let value: Value = serde_json::from_str(output).unwrap_or(Value::Null);
        if let Some(candidates) = value.get("candidates").and_then(Value::as_array) {
            let ids: Vec<String> = candidates
                .iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect();
            let goal = match name {
                tools::CHECK_IN_VISITOR => match &self.last_call {
                    Some(ToolCall::CheckInVisitor {
                        appointment_time,
                        purpose,
                        ..
                    }) => Goal::Visit {
                        time: appointment_time.clone(),
                        purpose: purpose.clone(),
                    },
                    _ => Goal::Visit {
                        time: None,
                        purpose: None,
                    },
                },
                tools::TAKE_MESSAGE => Goal::Message,
                _ => Goal::Find,
            };
            self.pending = Some(Pending::ChooseHost {
                candidates: ids,
                goal,
            });
        }
        if name == tools::CHECK_IN_VISITOR
            && let Some(host) = value["host"]["id"].as_str()
        {
            self.checked_in_with = Some(host.to_owned());
        }
        self.directed_to = match (name, value["matches"].as_array().map(Vec::as_slice)) {
            (tools::LOOKUP_STAFF, Some([one])) => one["id"].as_str().map(str::to_owned),
            _ => None,
        };
        let said = tools::speak(name, output, profile);
        match self.then_say.take().filter(|_| name == tools::NOTIFY_STAFF) {
            Some(more) => format!("{said} {more}"),
            None => said,
        }
    }

    fn decide(&mut self, profile: &Profile, message: &str, now: &Zoned) -> Plan {
        let w = words(message);
        if w.is_empty() {
            return say("Sorry, I didn't catch that. Could you say it again?");
        }
        if mentions_any(&w, CANCEL) {
            self.pending = None;
            return say("No problem. Is there anything else I can help you with?");
        }
        if let Some(pending) = self.pending.take()
            && let Some(plan) = self.continue_pending(profile, pending, message, &w)
        {
            return plan;
        }

        // Directions were just given for someone: "I'm Ann Lee" now means Ann is here for them.
        if let Some(host) = self.directed_to.take()
            && let Some(name) = self_introduction(message)
        {
            self.visitor_name = Some(name);
            return self.visit_step(host, find_time(message).map(format_time), None);
        }
        // "I'm Jo Bloggs for Tom Becker", "Jo Bloggs to see Tom Becker": a whole check-in.
        if let Some((name, host_words)) = one_line_visit(message)
            && !mentions_any(&w, MESSAGE)
            && !mentions_any(&w, DELIVERY)
        {
            let hosts = matching_staff(profile, &words(&host_words));
            if !hosts.is_empty() {
                self.visitor_name = Some(name);
                let time = find_time(message).map(format_time);
                return match hosts.as_slice() {
                    [one] => self.visit_step(one.id.clone(), time, None),
                    many => {
                        self.pending = Some(Pending::ChooseHost {
                            candidates: many.iter().map(|m| m.id.clone()).collect(),
                            goal: Goal::Visit { time, purpose: None },
                        });
                        say(&disambiguate(profile, many))
                    }
                };
            }
        }

        let mut staff = matching_staff(profile, &w);
        // "My name is Tom Becker and I'm here to see Priya": a visitor who shares a member of
        // staff's name is introducing themselves, not asking for them.
        let own = own_name(message).filter(|name| !names_this_place(profile, name));
        if let Some(name) = &own {
            let own = words(name);
            staff.retain(|m| !name_words(&m.name).iter().all(|part| own.contains(part)));
        }
        if mentions_any(&w, MESSAGE) {
            return self.take_message(profile, message, &staff);
        }
        if asks_to_pass_on(&w)
            && let Some(plan) = self.pass_on(profile, message, &w, &staff)
        {
            return plan;
        }
        if mentions_any(&w, HELP) {
            return call_for_help(message);
        }
        if mentions_any(&w, DELIVERY) && !mentions_any(&w, &["where", "how", "when"]) {
            return self.delivery(profile, message, &staff);
        }
        if mentions_any(&w, LEAVING) {
            return Plan::Tool(ToolCall::EndVisit { visit_id: None });
        }
        if let Some(name) = own {
            self.visitor_name = Some(name.clone());
            if staff.is_empty() && !mentions_any(&w, VISIT) {
                return say(&format!(
                    "Nice to meet you, {}. How can I help you today?",
                    first_word(&name)
                ));
            }
        }
        let time = find_time(message).map(format_time);
        if mentions_any(&w, VISIT) || (!staff.is_empty() && time.is_some()) {
            return self.visit(profile, message, &staff, time, now);
        }
        // Someone named and no rule for what about them ("could you get word to Dr Okafor
        // that I'm late"): the meaning of the rest decides, else directions.
        let unnamed = without_names(message, &staff);
        if !staff.is_empty()
            && says_what_about(&unnamed)
            && let Some(sense @ Sense::Intent(Intent::Visit | Intent::Message | Intent::Delivery)) =
                profile.understanding.sense(&unnamed, TRUST_NAMED)
        {
            return self.act_on(profile, sense, message, &staff, time, now);
        }
        if let [_, _, ..] = staff.as_slice() {
            self.pending = Some(Pending::ChooseHost {
                candidates: ids(&staff),
                goal: Goal::Find,
            });
            return say(&disambiguate(profile, &staff));
        }
        if let Some(plan) = reply::by_rules(profile, message) {
            return plan;
        }
        // No rule knows these words: what do they mean?
        match profile.understanding.sense(message, TRUST) {
            Some(sense) => self.act_on(profile, sense, message, &staff, time, now),
            None => say(reply::UNSURE),
        }
    }

    /// Do what a message was understood to mean.
    fn act_on(
        &mut self,
        profile: &Profile,
        sense: Sense,
        message: &str,
        staff: &[&StaffMember],
        time: Option<String>,
        now: &Zoned,
    ) -> Plan {
        match sense {
            Sense::Intent(Intent::Visit) => self.visit(profile, message, staff, time, now),
            Sense::Intent(Intent::Message) => self.take_message(profile, message, staff),
            Sense::Intent(Intent::Help) => call_for_help(message),
            Sense::Intent(Intent::Delivery) => self.delivery(profile, message, staff),
            Sense::Intent(Intent::Leaving) => Plan::Tool(ToolCall::EndVisit { visit_id: None }),
            sense => reply::for_sense(profile, sense).unwrap_or_else(|| say(reply::UNSURE)),
        }
    }

    /// A message to pass on: for whom, when the words name nobody or several.
    fn take_message(&mut self, profile: &Profile, message: &str, staff: &[&StaffMember]) -> Plan {
        match staff {
            [] => {
                self.pending = Some(Pending::MessageRecipient);
                say("Of course. Who is the message for?")
            }
            [one] => self.message_step(one.id.clone(), message_body(message)),
            many => {
                self.pending = Some(Pending::ChooseHost {
                    candidates: ids(many),
                    goal: Goal::Message,
                });
                say(&disambiguate(profile, many))
            }
        }
    }

    /// A courier at the desk: call over the person the parcel is for, else whoever the profile
    /// says takes deliveries, else the front desk; then tell them the policy.
    fn delivery(&mut self, profile: &Profile, message: &str, staff: &[&StaffMember]) -> Plan {
        let who = match (staff, profile.deliveries_contact()) {
            ([one], _) => one.id.clone(),
            (_, Some(contact)) => contact.id.clone(),
            _ => "front desk".to_owned(),
        };
        self.then_say = profile.policies.deliveries.clone();
        Plan::Tool(ToolCall::NotifyStaff {
            staff: who,
            reason: format!("Delivery at reception: {}", message.trim()),
        })
    }

    /// A visitor here to see someone: check them in, asking for whom when the words name
    /// nobody or several, unless the business is closed and refuses visitors then.
    fn visit(
        &mut self,
        profile: &Profile,
        message: &str,
        staff: &[&StaffMember],
        time: Option<String>,
        now: &Zoned,
    ) -> Plan {
        // Closed and told to refuse: say so before asking anything. Otherwise the visit goes
        // ahead and the check-in tells the visitor the business is closed.
        if let Status::Closed { .. } = profile.hours.status_at(now)
            && profile.policies.after_hours == AfterHours::Refuse
        {
            let hours = crate::hours_answer::hours_answer(profile, &[], now);
            return say(&format!(
                "I'm sorry, {}{}",
                lower_first(&hours),
                closed_advice(profile)
            ));
        }
        let purpose = visit_purpose(message);
        match staff {
            [] => {
                let question = match wanted_name(message) {
                    Some(name) => format!(
                        "I'm sorry, I couldn't find anyone called {name} here. Could you tell me their full name or their department?"
                    ),
                    None => ask_host(message, purpose.as_deref()),
                };
                self.pending = Some(Pending::VisitHost { time, purpose });
                say(&question)
            }
            [one] => self.visit_step(one.id.clone(), time, purpose),
            many => {
                self.pending = Some(Pending::ChooseHost {
                    candidates: ids(many),
                    goal: Goal::Visit { time, purpose },
                });
                say(&disambiguate(profile, many))
            }
        }
    }

    /// Carry on with what was pending; `None` when the visitor moved on to something else.
    fn continue_pending(
        &mut self,
        profile: &Profile,
        pending: Pending,
        message: &str,
        w: &[String],
    ) -> Option<Plan> {
        match pending {
            Pending::ChooseHost { candidates, goal } => {
                let chosen = choose(profile, &candidates, w);
                match chosen {
                    Some(id) => Some(match goal {
                        Goal::Visit { time, purpose } => {
                            self.visit_step(id, time.or_else(|| find_time(message).map(format_time)), purpose)
                        }
                        Goal::Message => self.message_step(id, None),
                        Goal::Find => {
                            let name = profile
                                .staff
                                .iter()
                                .find(|s| s.id == id)
                                .map_or(id.clone(), |s| s.name.clone());
                            Plan::Tool(ToolCall::LookupStaff { name })
                        }
                    }),
                    None if is_new_request(w) => None,
                    None => {
                        let staff: Vec<_> = profile
                            .staff
                            .iter()
                            .filter(|s| candidates.contains(&s.id))
                            .collect();
                        let question = disambiguate(profile, &staff);
                        self.pending = Some(Pending::ChooseHost { candidates, goal });
                        Some(say(&format!("Sorry, I didn't catch which. {question}")))
                    }
                }
            }
            // "I'm here to see Smith-Jones" in answer to "May I have your name?" restates the
            // visit; it is not the visitor's name.
            Pending::VisitorName { host, time, purpose } => {
                match extract_name(message).filter(|_| !mentions_any(w, VISIT)) {
                    Some(name) => {
                        self.visitor_name = Some(name);
                        Some(self.visit_step(host, time, purpose))
                    }
                    None if is_new_request(w) || mentions_any(w, VISIT) => None,
                    None => {
                        self.pending = Some(Pending::VisitorName { host, time, purpose });
                        Some(say("Sorry, I didn't catch your name. Could you say it again?"))
                    }
                }
            }
            Pending::VisitHost { time, purpose } => {
                let time = time.or_else(|| find_time(message).map(format_time));
                match matching_staff(profile, w).as_slice() {
                    [one] => Some(self.visit_step(one.id.clone(), time, purpose)),
                    [] if is_new_request(w) => None,
                    [] => {
                        self.pending = Some(Pending::VisitHost { time, purpose });
                        Some(say(
                            "Sorry, I couldn't find that person. Who are you here to see?",
                        ))
                    }
                    many => {
                        let ids = many.iter().map(|m| m.id.clone()).collect();
                        self.pending = Some(Pending::ChooseHost {
                            candidates: ids,
                            goal: Goal::Visit { time, purpose },
                        });
                        Some(say(&disambiguate(profile, many)))
                    }
                }
            }
            Pending::MessageRecipient => match matching_staff(profile, w).as_slice() {
                [one] => Some(self.message_step(one.id.clone(), None)),
                [] if is_new_request(w) => None,
                [] => {
                    self.pending = Some(Pending::MessageRecipient);
                    Some(say("Sorry, I couldn't find that person. Who is the message for?"))
                }
                many => {
                    let ids = many.iter().map(|m| m.id.clone()).collect();
                    self.pending = Some(Pending::ChooseHost {
                        candidates: ids,
                        goal: Goal::Message,
                    });
                    Some(say(&disambiguate(profile, many)))
                }
            },
            Pending::MessageBody { for_staff } => {
                Some(self.message_step(for_staff, Some(message.trim().to_owned())))
            }
            Pending::MessageSender { for_staff, body } => match extract_name(message) {
                Some(name) => {
                    self.visitor_name = Some(name.clone());
                    Some(take_message(&for_staff, &name, &body))
                }
                None => {
                    self.pending = Some(Pending::MessageSender { for_staff, body });
                    Some(say(
                        "Sorry, I didn't catch your name. Who should I say the message is from?",
                    ))
                }
            },
        }
    }

    fn visit_step(&mut self, host: String, time: Option<String>, purpose: Option<String>) -> Plan {
        match &self.visitor_name {
            Some(name) => Plan::Tool(ToolCall::CheckInVisitor {
                visitor_name: name.clone(),
                host,
                appointment_time: time,
                purpose,
            }),
            None => {
                self.pending = Some(Pending::VisitorName { host, time, purpose });
                say("Thank you. May I have your name, please?")
            }
        }
    }

    /// "Could you tell Tom Becker I'm running late", "let her know I'm here": a message asked
    /// for as a favour, for the one member of staff named (or, said as "her", "him" or
    /// "them", the one the visitor was checked in for). Asked to tell the host the visitor is
    /// here, Donna says she already has. `None` when there is no one to pass it on to.
    fn pass_on(
        &mut self,
        profile: &Profile,
        message: &str,
        w: &[String],
        staff: &[&crate::profile::StaffMember],
    ) -> Option<Plan> {
        let (to, body) = match staff {
            // Named, or asked for by role ("let the pharmacist know I'm late").
            [one] => (
                one.id.clone(),
                words_after(message, &name_words(&one.name))
                    .or_else(|| words_after(message, &words(&one.role))),
            ),
            [] if mentions_any(w, PRONOUNS) => (
                self.checked_in_with.clone()?,
                words_after(
                    message,
                    &PRONOUNS.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>(),
                ),
            ),
            _ => return None,
        };
        if self.checked_in_with.as_deref() == Some(to.as_str()) && body.as_deref().is_none_or(says_arrived) {
            let name = profile
                .staff
                .iter()
                .find(|s| s.id == to)
                .map_or(to.as_str(), |s| s.name.as_str());
            return Some(say(&format!(
                "I already have: I let {name} know you're here when you checked in."
            )));
        }
        Some(self.message_step(to, body))
    }

    fn message_step(&mut self, for_staff: String, body: Option<String>) -> Plan {
        match (body, &self.visitor_name) {
            (None, _) => {
                self.pending = Some(Pending::MessageBody { for_staff });
                say("Of course. What would you like me to tell them?")
            }
            (Some(body), Some(name)) => take_message(&for_staff, name, &body),
            (Some(body), None) => {
                self.pending = Some(Pending::MessageSender { for_staff, body });
                say("Thank you. And who should I say it's from?")
            }
        }
    }
}

fn say(text: &str) -> Plan {
    Plan::Say(text.to_owned())
}

fn take_message(for_staff: &str, from: &str, body: &str) -> Plan {
    Plan::Tool(ToolCall::TakeMessage {
        for_staff: for_staff.to_owned(),
        from_name: from.to_owned(),
        message: body.to_owned(),
        contact: None,
    })
}

/// How a visitor names the member of staff they were checked in for without naming them.
const PRONOUNS: &[&str] = &["her", "him", "them"];

/// "Tell Tom ...", "let Priya know ...", "inform the doctor ...", "would you mind letting
/// her know ...": asking Donna to pass something on, not to tell the visitor ("tell me
/// where", "let me know").
fn asks_to_pass_on(w: &[String]) -> bool {
    w.iter().enumerate().any(|(i, word)| {
        let next = w.get(i + 1).map(String::as_str);
        let not_visitor = !matches!(next, Some("me" | "us") | None);
        match word.as_str() {
            "tell" | "telling" | "inform" | "informing" => not_visitor,
            "let" | "letting" => not_visitor && w[i + 1..].iter().take(4).any(|x| x == "know"),
            _ => false,
        }
    })
}

/// The lowercase words of a member of staff's name, titles left out.
fn name_words(name: &str) -> Vec<String> {
    words(name)
        .into_iter()
        .filter(|w| !matches!(w.as_str(), "dr" | "mr" | "mrs" | "ms" | "prof"))
        .collect()
}

/// What follows the last of `words` in `message` ("I'm running late" after "tell Tom Becker"),
/// without a leading "know" or "that"; `None` when nothing does.
fn words_after(message: &str, words_of: &[String]) -> Option<String> {
    let lower = message.to_lowercase();
    let end = words_of
        .iter()
        .filter_map(|word| {
            lower
                .match_indices(word.as_str())
                .filter(|(i, m)| {
                    let before = lower[..*i].chars().next_back();
                    let after = lower[i + m.len()..].chars().next();
                    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
                })
                .map(|(i, m)| i + m.len())
                .last()
        })
        .max()?;
    // Lower case can change a text's length: then the words are passed on in lower case.
    let text = if lower.len() == message.len() {
        message
    } else {
        lower.as_str()
    };
    let mut rest = text.get(end..)?.trim_start_matches([',', ':', ' ']);
    for lead in ["know", "that"] {
        if rest
            .get(..lead.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(lead))
            && let Some(after) = rest
                .get(lead.len()..)
                .filter(|a| a.is_empty() || a.starts_with([' ', ',', '.', '?', '!']))
        {
            rest = after.trim_start_matches([',', ' ']);
        }
    }
    let rest = rest.trim().trim_end_matches(['.', '?', '!']).trim();
    (!rest.is_empty()).then(|| rest.to_owned())
}

/// Whether what the visitor wants passed on is only that they have arrived.
fn says_arrived(body: &str) -> bool {
    let w = words(body);
    mentions_any(
        &w,
        &[
            "here",
            "arrived",
            "waiting",
            "in reception",
            "at reception",
            "downstairs",
        ],
    )
}

/// Whether a message starts something new rather than answering Donna's question.
fn is_new_request(w: &[String]) -> bool {
    crate::hours_answer::asks_hours(w)
        || mentions_any(w, MESSAGE)
        || mentions_any(
            w,
            &["where", "how do i", "what", "when", "can i", "do you", "is there"],
        )
}

/// Who the visitor is meeting, asked with what they already said: "Who is your interview
/// with?", "Who is your 3 pm appointment with?".
fn ask_host(message: &str, purpose: Option<&str>) -> String {
    match (purpose, find_time(message)) {
        (Some(purpose), _) => format!("Of course. Who is your {purpose} with?"),
        (None, Some(time)) => format!(
            "Of course. Who is your {} appointment with?",
            crate::hours::speak_time(time)
        ),
        (None, None) => "Of course. Who are you here to see?".to_owned(),
    }
}

fn closed_advice(profile: &Profile) -> String {
    match &profile.organisation.phone {
        Some(phone) => format!(" If it's urgent, please call {phone}."),
        None => String::new(),
    }
}

/// Someone needs a person: the front desk is called over with their words.
fn call_for_help(message: &str) -> Plan {
    Plan::Tool(ToolCall::NotifyStaff {
        staff: "front desk".to_owned(),
        reason: message.trim().to_owned(),
    })
}

/// The message with the staff it names (by name or by role) said as "someone": what is asked
/// of them reads the same whoever they are, and a model knows nothing of names.
fn without_names(message: &str, staff: &[&StaffMember]) -> String {
    const TITLES: &[&str] = &[
        "dr",
        "doctor",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "prof",
        "professor",
    ];
    let named: Vec<String> = staff
        .iter()
        .flat_map(|m| [&m.name, &m.role].into_iter().chain(&m.aliases))
        .flat_map(|n| words(n))
        .collect();
    let mut out: Vec<&str> = Vec::new();
    for token in message.split_whitespace() {
        let bare = words(token);
        let is_name = !bare.is_empty()
            && bare
                .iter()
                .all(|t| named.contains(t) || TITLES.contains(&t.as_str()));
        match (is_name, out.last()) {
            (true, Some(&"someone")) => {}
            (true, _) => out.push("someone"),
            (false, _) => out.push(token),
        }
    }
    out.join(" ")
}

/// Does a sentence whose names are taken out still say what it wants of them? "Is someone in
/// today?" asks where they are (directions); "get word to someone that I'm late" asks more.
fn says_what_about(unnamed: &str) -> bool {
    let said = words(unnamed)
        .into_iter()
        .filter(|w| w != "someone" && !crate::staff_match::FUNCTION_WORDS.contains(&w.as_str()))
        .count();
    said >= 2
}

/// Whether a "name" is the business's own ("This is Northwind" heard for "Is this
/// Northwind?"): a visitor checking where they are, never introducing themselves.
fn names_this_place(profile: &Profile, name: &str) -> bool {
    let place = words(&profile.organisation.name);
    words(name).iter().all(|w| place.contains(w))
}

fn ids(staff: &[&StaffMember]) -> Vec<String> {
    staff.iter().map(|m| m.id.clone()).collect()
}

#[cfg(test)]
mod tests;
