//! The local dialogue: Donna's multi-turn conversation with one visitor when no language model
//! is in the loop (the offline engine). It recognises what the visitor wants, fills the slots a
//! tool needs across turns ("Which Maria?", "May I have your name?"), and hands the actual work
//! to the tools, exactly as a cloud model would through function calls.

use jiff::Zoned;
use serde_json::{Value, json};

use crate::hours::Status;
use crate::profile::{AfterHours, Department, Profile};
use crate::reply::{Plan, plan as plan_one};
use crate::staff_match::{disambiguate, matching_staff};
use crate::text::{lower_first, mentions_any, words};
use crate::time_words::{find_time, format_time};
use crate::tools;

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
/// Words that introduce a thing rather than a person: "here for an interview", "for my 3
/// o'clock", "to see the doctor" name no one, so they are never looked up as a name.
const DETERMINERS: &[&str] = &[
    "a", "an", "the", "my", "our", "your", "his", "her", "their", "this", "some",
];
/// Nouns that say what a visit is for, which people say without an article too ("here for
/// interview"): a phrase ending in one is a purpose, never a name.
const PURPOSE_NOUNS: &[&str] = &[
    "interview",
    "appointment",
    "meeting",
    "consultation",
    "viewing",
    "inspection",
    "induction",
    "training",
    "collection",
];

/// Whether `phrase` ends in one of [`PURPOSE_NOUNS`].
fn names_a_purpose(phrase: &str) -> bool {
    phrase
        .split_whitespace()
        .last()
        .map(|w| w.to_lowercase())
        .is_some_and(|w| PURPOSE_NOUNS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
}

/// Words that end a purpose or a wanted name: "an interview with ...", "Bob Smith at two".
const PHRASE_ENDS: &[&str] = &[
    "at", "for", "about", "please", "today", "with", "and", "to", "now", "this", "tomorrow",
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
const NAME_PREFIXES: &[&str] = &[
    "my name is",
    "my name's",
    "name is",
    "it's",
    "it is",
    "this is",
    "i'm",
    "i am",
    "call me",
];

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
    last_call: Option<(String, Value)>,
    /// What to add after that tool's result is told (a delivery's policy after the call-over).
    then_say: Option<String>,
    /// The member of staff whose directions were just given: a visitor who then says who they
    /// are is checked in for them, as the directions offered.
    directed_to: Option<String>,
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
            Plan::Tool { name, arguments } => Some(((*name).to_owned(), arguments.clone())),
            Plan::Say(_) => None,
        };
        plan
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
                tools::CHECK_IN_VISITOR => {
                    let arg = |key: &str| {
                        self.last_call
                            .as_ref()
                            .and_then(|(_, a)| a[key].as_str().map(str::to_owned))
                    };
                    Goal::Visit {
                        time: arg("appointment_time"),
                        purpose: arg("purpose"),
                    }
                }
                tools::TAKE_MESSAGE => Goal::Message,
                _ => Goal::Find,
            };
            self.pending = Some(Pending::ChooseHost {
                candidates: ids,
                goal,
            });
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

        let staff = matching_staff(profile, &w);
        let ids = |s: &[&crate::profile::StaffMember]| s.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        if mentions_any(&w, MESSAGE) {
            return match staff.as_slice() {
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
            };
        }
        if mentions_any(&w, HELP) {
            return Plan::Tool {
                name: tools::NOTIFY_STAFF,
                arguments: json!({ "staff": "front desk", "reason": message.trim() }),
            };
        }
        if mentions_any(&w, DELIVERY) && !mentions_any(&w, &["where", "how", "when"]) {
            // A courier at the desk: call over the person the parcel is for, else whoever the
            // profile says takes deliveries, else the front desk; then tell them the policy.
            let who = match (staff.as_slice(), profile.deliveries_contact()) {
                ([one], _) => one.id.clone(),
                (_, Some(contact)) => contact.id.clone(),
                _ => "front desk".to_owned(),
            };
            self.then_say = profile.policies.deliveries.clone();
            return Plan::Tool {
                name: tools::NOTIFY_STAFF,
                arguments: json!({ "staff": who, "reason": format!("Delivery at reception: {}", message.trim()) }),
            };
        }
        if mentions_any(&w, LEAVING) {
            return Plan::Tool {
                name: tools::END_VISIT,
                arguments: json!({}),
            };
        }
        if let Some(name) = introduced_name(message) {
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
            return match staff.as_slice() {
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
            };
        }
        if let [_, _, ..] = staff.as_slice() {
            self.pending = Some(Pending::ChooseHost {
                candidates: ids(&staff),
                goal: Goal::Find,
            });
            return say(&disambiguate(profile, &staff));
        }
        plan_one(profile, message)
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
                            Plan::Tool {
                                name: tools::LOOKUP_STAFF,
                                arguments: json!({ "name": name }),
                            }
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
            Some(name) => Plan::Tool {
                name: tools::CHECK_IN_VISITOR,
                arguments: json!({ "visitor_name": name, "host": host, "appointment_time": time, "purpose": purpose }),
            },
            None => {
                self.pending = Some(Pending::VisitorName { host, time, purpose });
                say("Thank you. May I have your name, please?")
            }
        }
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
    Plan::Tool {
        name: tools::TAKE_MESSAGE,
        arguments: json!({ "for_staff": for_staff, "from_name": from, "message": body }),
    }
}

/// The candidate the visitor picked: by name, by department, or "the first/second one".
fn choose(profile: &Profile, candidates: &[String], w: &[String]) -> Option<String> {
    let by_name: Vec<String> = matching_staff(profile, w)
        .iter()
        .map(|m| m.id.clone())
        .filter(|id| candidates.contains(id))
        .collect();
    if let [one] = by_name.as_slice() {
        return Some(one.clone());
    }
    let scores: Vec<(&String, usize)> = candidates
        .iter()
        .map(|id| {
            let department = profile
                .staff
                .iter()
                .find(|s| &s.id == id)
                .and_then(|s| profile.department(&s.department));
            (id, department.map_or(0, |d| department_score(d, w)))
        })
        .collect();
    let top = scores.iter().map(|&(_, score)| score).max().unwrap_or(0);
    if let [(one, _)] = scores
        .iter()
        .filter(|&&(_, score)| top > 0 && score == top)
        .collect::<Vec<_>>()
        .as_slice()
    {
        return Some((*one).clone());
    }
    let ordinal = [
        ("first", 0),
        ("second", 1),
        ("third", 2),
        ("last", candidates.len().saturating_sub(1)),
    ];
    ordinal
        .iter()
        .find(|(word, _)| w.iter().any(|t| t == word))
        .and_then(|(_, i)| candidates.get(*i).cloned())
}

/// Words of a department's name that do not tell it from another ("Department of Health").
const DEPARTMENT_FILLER: &[&str] = &[
    "the",
    "of",
    "and",
    "for",
    "in",
    "a",
    "an",
    "to",
    "at",
    "on",
    "department",
];

/// How many of the visitor's words name `department`: words of its name and of its id, and the
/// initials of its name ("HR" for "Human Resources", "GP" for "General Practice"), so short
/// names count as well as long ones. Only the profile's own words are used.
fn department_score(department: &Department, w: &[String]) -> usize {
    let telling = |text: &str| -> Vec<String> {
        words(&text.replace(['-', '_'], " "))
            .into_iter()
            .filter(|t| !DEPARTMENT_FILLER.contains(&t.as_str()))
            .collect()
    };
    let name = telling(&department.name);
    let mut keys: Vec<String> = name.iter().cloned().chain(telling(&department.id)).collect();
    if name.len() > 1 {
        keys.push(name.iter().filter_map(|t| t.chars().next()).collect());
    }
    keys.sort();
    keys.dedup();
    keys.iter().filter(|k| said_as_department(w, k)).count()
}

/// Whether the visitor said `key` meaning the department. A key that is also an everyday word
/// ("IT") counts only where a department is named: after "in", "from", "the"..., or alone.
fn said_as_department(w: &[String], key: &str) -> bool {
    w.iter().enumerate().any(|(i, t)| {
        t == key
            && (!crate::staff_match::FUNCTION_WORDS.contains(&key)
                || w.len() == 1
                || i.checked_sub(1)
                    .and_then(|p| w.get(p))
                    .is_some_and(|p| ["in", "from", "of", "the", "at"].contains(&p.as_str())))
    })
}

/// Whether a message starts something new rather than answering Donna's question.
fn is_new_request(w: &[String]) -> bool {
    mentions_any(w, crate::hours_answer::HOURS_WORDS)
        || mentions_any(w, MESSAGE)
        || mentions_any(
            w,
            &["where", "how do i", "what", "when", "can i", "do you", "is there"],
        )
}

/// "Ann Lee", "my name is Ann Lee", "it's Ann" → the name, as the visitor wrote it.
fn extract_name(message: &str) -> Option<String> {
    let trimmed = message.trim().trim_end_matches(['.', '!', '?']).trim();
    let lower = trimmed.to_lowercase();
    let rest = NAME_PREFIXES
        .iter()
        .find_map(|p| {
            lower
                .strip_prefix(p)
                .filter(|r| r.starts_with(' '))
                .map(|r| &trimmed[trimmed.len() - r.len()..])
        })
        .unwrap_or(trimmed)
        .trim();
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let ok = (1..=4).contains(&parts.len())
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.' | '’'))
        })
        && parts.iter().any(|p| p.chars().any(char::is_alphabetic))
        && rest.chars().count() <= tools::MAX_NAME_CHARS;
    ok.then(|| {
        parts
            .iter()
            .map(|p| capitalise_name(p))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Words that are never a visitor's name, though they can follow "I'm": "I'm looking for Tom",
/// "I'm here to see Tom", "I'm a bit early for Tom".
const NOT_NAMES: &[&str] = &[
    "i",
    "i'm",
    "im",
    "we",
    "we're",
    "you",
    "he",
    "she",
    "they",
    "it",
    "it's",
    "this",
    "that",
    "here",
    "there",
    "just",
    "also",
    "still",
    "not",
    "a",
    "an",
    "the",
    "my",
    "our",
    "your",
    "his",
    "her",
    "their",
    "to",
    "for",
    "see",
    "with",
    "from",
    "at",
    "on",
    "in",
    "and",
    "or",
    "but",
    "want",
    "need",
    "would",
    "like",
    "came",
    "come",
    "have",
    "has",
    "am",
    "is",
    "are",
    "was",
    "lost",
    "early",
    "late",
    "back",
    "new",
    "sorry",
    "fine",
    "good",
    "well",
    "ok",
    "okay",
    "sure",
    "hello",
    "hi",
    "hey",
    "morning",
    "afternoon",
    "evening",
    "please",
    "thanks",
    "thank",
    "yes",
    "no",
    "someone",
    "somebody",
    "booked",
    "due",
    "expected",
    "supposed",
    "meant",
    "about",
];

/// A name the visitor gives for themselves, however they put it: "I'm Ann Lee", "my name is
/// Ann Lee", "it's Ann Lee", or the bare name of two words or more ("Ann Lee"). Never a word
/// that cannot be a name ("I'm lost", "thank you").
fn self_introduction(message: &str) -> Option<String> {
    let name = introduced_name(message).or_else(|| extract_name(message))?;
    let parts: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    let said_who = NAME_PREFIXES
        .iter()
        .any(|p| message.trim().to_lowercase().starts_with(&format!("{p} ")));
    let plausible = !parts
        .iter()
        .any(|p| NOT_NAMES.contains(&p.as_str()) || p.ends_with("ing"))
        && (said_who || parts.len() >= 2);
    plausible.then_some(name)
}

/// A whole check-in in one sentence: the visitor's name and the words naming their host, from
/// "I'm Jo Bloggs for Tom Becker", "this is Jo Bloggs to see Dr Chen", "Jo Bloggs to see Tom
/// Becker" or "I'm Jo Bloggs, here to see Tom". `None` when the part before "for" / "to see" is
/// no name ("I'm looking for Tom Becker", "I'm here to see Tom").
fn one_line_visit(message: &str) -> Option<(String, String)> {
    let lower = message.to_lowercase();
    let (at, joint) = [", here to see ", " here to see ", " to see ", " for "]
        .iter()
        .find_map(|j| lower.find(j).map(|i| (i, *j)))?;
    let who = message[..at].trim().trim_end_matches(',');
    let host = message[at + joint.len()..]
        .trim()
        .trim_end_matches(['.', '!', '?']);
    let introduced = NAME_PREFIXES
        .iter()
        .any(|p| who.to_lowercase().starts_with(&format!("{p} ")));
    let name = extract_name(who)?;
    let parts: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    let plausible = !parts
        .iter()
        .any(|p| NOT_NAMES.contains(&p.as_str()) || p.ends_with("ing"))
        && (introduced || parts.len() >= 2);
    (plausible && !host.is_empty()).then(|| (name, host.to_owned()))
}

/// A name the visitor introduced themselves with ("my name is Ann Lee, ...").
fn introduced_name(message: &str) -> Option<String> {
    let lower = message.to_lowercase();
    let start = ["my name is ", "my name's "]
        .iter()
        .find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let tail: String = message[start..]
        .chars()
        .take_while(|c| !matches!(c, ',' | '.' | '!' | '?' | ';'))
        .collect();
    let name: Vec<&str> = tail
        .split_whitespace()
        .take_while(|w| !matches!(w.to_lowercase().as_str(), "and" | "i'm" | "i" | "here"))
        .collect();
    extract_name(&name.join(" "))
}

/// The person asked for when no one matched: the words after "see"/"with"/"for". Words that
/// begin with an article or a possessive ("for an interview", "for my 3 o'clock") or hold a
/// time are what the visit is for, not who it is with, so they are no name.
fn wanted_name(message: &str) -> Option<String> {
    let name = phrase_after(
        message,
        &["to see ", "meeting with ", "appointment with ", "here for "],
    )?;
    let first = name.split_whitespace().next()?.to_lowercase();
    let is_thing = DETERMINERS.contains(&first.as_str())
        || names_a_purpose(&name)
        || name.chars().any(|c| c.is_ascii_digit())
        || find_time(&format!("at {name}")).is_some();
    (!is_thing).then_some(name)
}

/// What the visit is for, when said with an article or possessive or ending in a purpose noun:
/// "here for a job interview" → "job interview", "I have an appointment" → "appointment",
/// "here for interview" → "interview". A time ("my 3 o'clock") is the
/// appointment time, not a purpose.
fn visit_purpose(message: &str) -> Option<String> {
    let phrase = phrase_after(
        message,
        &["here for ", "here about ", "i have ", "i've got ", "in for "],
    )?;
    let mut parts = phrase.split_whitespace().peekable();
    let first = parts.peek()?.to_lowercase();
    if DETERMINERS.contains(&first.as_str()) {
        parts.next();
    } else if !names_a_purpose(&phrase) {
        return None;
    }
    let purpose = parts.collect::<Vec<_>>().join(" ");
    let is_time =
        purpose.chars().any(|c| c.is_ascii_digit()) || find_time(&format!("at {purpose}")).is_some();
    (!purpose.is_empty() && !is_time).then_some(purpose)
}

/// The words after the first of `cues` in `message`, up to a word that ends the phrase
/// ("at", "with", "please"...) or punctuation, at most three words past an opening article.
fn phrase_after(message: &str, cues: &[&str]) -> Option<String> {
    let lower = message.to_lowercase();
    let start = cues.iter().find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let tail: String = message
        .get(start..)?
        .chars()
        .take_while(|c| !matches!(c, ',' | '.' | '!' | '?' | ';'))
        .collect();
    let mut taken = Vec::new();
    for word in tail.split_whitespace() {
        let bare = word.to_lowercase();
        let bare = bare.trim_matches(|c: char| !c.is_alphanumeric());
        let opening = taken.is_empty() && DETERMINERS.contains(&bare);
        if (!opening && PHRASE_ENDS.contains(&bare)) || taken.len() >= 4 {
            break;
        }
        taken.push(word);
    }
    let phrase = taken
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned();
    (!phrase.is_empty()).then_some(phrase)
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

/// The message in "leave a message for Maria that I'm running late" / "...: running late".
fn message_body(message: &str) -> Option<String> {
    let lower = message.to_lowercase();
    let at = lower
        .find(" that ")
        .map(|i| i + 6)
        .or_else(|| lower.find(": ").map(|i| i + 2))?;
    let body = message[at..].trim();
    (!body.is_empty()).then(|| body.to_owned())
}

fn closed_advice(profile: &Profile) -> String {
    match &profile.organisation.phone {
        Some(phone) => format!(" If it's urgent, please call {phone}."),
        None => String::new(),
    }
}

fn first_word(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

/// A name part with a capital after each hyphen or apostrophe too, as such names are written:
/// "mary-kate o'neil" → "Mary-Kate O'Neil", "garcía-lópez" → "García-López". Letters already
/// capitalised are kept ("McKay").
fn capitalise_name(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    let mut start = true;
    for c in part.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '-' | '\'' | '’');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use crate::{Desk, Reception};

    /// A visitor at the kiosk: each turn runs tools through the reception, as the engine does.
    struct Visit {
        dialogue: Dialogue,
        reception: Reception,
        now: Zoned,
    }

    impl Visit {
        fn at(h: i8) -> Self {
            let desk = Desk::load(None).unwrap();
            // Thursday 26 November 2026, open 08:00-20:00.
            let now = jiff::civil::date(2026, 11, 26)
                .at(h, 0, 0, 0)
                .to_zoned(desk.profile().timezone.clone())
                .unwrap();
            // The tools read the desk's clock: the same hour as the dialogue's.
            let desk = desk.with_fixed_time(now.timestamp());
            Self {
                dialogue: Dialogue::default(),
                reception: Reception::new(desk, Store::open_in_memory().unwrap(), vec![]),
                now,
            }
        }

        fn say(&mut self, text: &str) -> String {
            let profile = self.reception.desk().profile().clone();
            match self.dialogue.plan(&profile, text, &self.now) {
                Plan::Say(reply) => reply,
                Plan::Tool { name, arguments } => {
                    let output = self
                        .reception
                        .run_tool(name, &arguments.to_string(), Some("conv_test"));
                    self.dialogue.after_tool(&profile, name, &output)
                }
            }
        }

        fn visits(&self) -> Vec<crate::store::Visit> {
            self.reception.store().visits_since(0).unwrap()
        }
    }

    /// A visitor who walks away mid-message leaves nothing for the next one.
    #[test]
    fn a_half_finished_visit_expires_after_a_silence() {
        let mut v = Visit::at(10);
        assert_eq!(
            v.say("Can I leave a message for Tom Becker?"),
            "Of course. What would you like me to tell them?"
        );
        // Within the patience, the next words are the message.
        v.now = v.now.checked_add(jiff::SignedDuration::from_secs(60)).unwrap();
        assert_eq!(
            v.say("I'm running late"),
            "Thank you. And who should I say it's from?"
        );
        // Two minutes later someone else asks the way: not a sender's name, not a message.
        v.now = v.now.checked_add(jiff::SignedDuration::from_secs(120)).unwrap();
        let reply = v.say("Where are the toilets?");
        assert!(!reply.contains("passed your message"), "{reply}");
        assert!(v.reception.store().messages_since(0).unwrap().is_empty());

        // A name given, then a long silence: the next visitor's check-in is not in that name.
        let mut v = Visit::at(10);
        v.say("My name is Ann Lee");
        v.now = v.now.checked_add(jiff::SignedDuration::from_secs(300)).unwrap();
        assert_eq!(
            v.say("I'm here to see Tom Becker"),
            "Thank you. May I have your name, please?"
        );
        assert!(v.visits().is_empty());
    }

    #[test]
    fn check_in_with_disambiguation_name_and_time() {
        let mut v = Visit::at(10);
        assert_eq!(
            v.say("Hi, I'm here to see Maria at two"),
            "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
        );
        assert_eq!(
            v.say("The one in general practice"),
            "Thank you. May I have your name, please?"
        );
        let reply = v.say("It's Ann Lee");
        assert!(
            reply.starts_with("Thank you, Ann. I've let Dr Maria Chen know you're here."),
            "{reply}"
        );
        let visits = v.visits();
        assert_eq!(visits.len(), 1);
        assert_eq!(
            (visits[0].visitor_name.as_str(), visits[0].host_staff_id.as_str()),
            ("Ann Lee", "maria-chen")
        );
        assert_eq!(visits[0].appointment_time.as_deref(), Some("14:00"));
    }

    #[test]
    fn a_known_name_checks_in_at_once() {
        let mut v = Visit::at(10);
        assert_eq!(
            v.say("Good morning, my name is Bob Ray"),
            "Nice to meet you, Bob. How can I help you today?"
        );
        let reply = v.say("I have an appointment with Doctor Okafor at half past ten");
        assert!(
            reply.starts_with("Thank you, Bob. I've let Dr James Okafor know"),
            "{reply}"
        );
        assert_eq!(v.visits()[0].appointment_time.as_deref(), Some("10:30"));
        assert_eq!(
            v.say("I'm leaving now, bye"),
            "You're all checked out. Thank you for visiting, and have a good day!"
        );
        assert!(v.visits()[0].checked_out_at.is_some());
    }

    #[test]
    fn unknown_staff_changing_ones_mind_and_after_hours() {
        let mut v = Visit::at(10);
        assert_eq!(
            v.say("I'm here to see Bob Smith"),
            "I'm sorry, I couldn't find anyone called Bob Smith here. Could you tell me their full name or their department?"
        );
        assert_eq!(
            v.say("I'm here to see Maria"),
            "Do you mean Maria Lopez in Administration or Dr Maria Chen in General Practice?"
        );
        assert_eq!(
            v.say("Actually, never mind"),
            "No problem. Is there anything else I can help you with?"
        );
        assert!(v.visits().is_empty());
        // After hours the visit is recorded (the profile's default policy) and the visitor
        // told that the business is closed.
        let mut late = Visit::at(21);
        late.say("I'm here to see Priya Shah");
        let reply = late.say("Ann Lee");
        assert!(
            reply.starts_with("Thank you, Ann. We're closed right now. We open again tomorrow at 8 am."),
            "{reply}"
        );
        assert_eq!(late.visits().len(), 1);
    }

    #[test]
    fn leaving_a_message_over_several_turns() {
        let mut v = Visit::at(11);
        assert_eq!(
            v.say("Can I leave a message?"),
            "Of course. Who is the message for?"
        );
        assert_eq!(
            v.say("Tom Becker"),
            "Of course. What would you like me to tell them?"
        );
        assert_eq!(
            v.say("The delivery for the pharmacy will come on Monday"),
            "Thank you. And who should I say it's from?"
        );
        assert_eq!(
            v.say("Cara Diaz"),
            "Thank you. I've passed your message to Tom Becker."
        );
        let messages = v.reception.store().messages_since(0).unwrap();
        assert_eq!(
            (messages[0].from_name.as_str(), messages[0].body.as_str()),
            ("Cara Diaz", "The delivery for the pharmacy will come on Monday")
        );
        // In one breath, with the name already known.
        assert_eq!(
            v.say("Please leave a message for Priya Shah that I'll be ten minutes late"),
            "Thank you. I've passed your message to Priya Shah."
        );
    }

    #[test]
    fn help_and_deliveries_call_staff_over() {
        let mut v = Visit::at(10);
        let mut rx = v.reception.subscribe();
        assert_eq!(
            v.say("I need help, I feel dizzy"),
            "I've let Sarah Nguyen know. Someone will be with you shortly."
        );
        let event = rx.try_recv().unwrap();
        assert_eq!(
            (event.kind.as_str(), event.staff_id.as_deref()),
            ("staff.notified", Some("sarah-nguyen"))
        );
        assert!(event.summary.contains("I need help, I feel dizzy"));
        assert_eq!(
            v.say("I have a parcel for Tom Becker"),
            "I've let Tom Becker know. Someone will be with you shortly. Deliveries go to the front desk on the ground floor. Medicines and cold-chain parcels are taken straight to the pharmacy."
        );
        assert!(
            v.say("Where do deliveries go?")
                .starts_with("Deliveries go to the front desk")
        );
    }

    #[test]
    fn a_clock_in_another_zone_is_read_in_the_business_zone() {
        let desk = Desk::load(None).unwrap();
        // 07:30 UTC on a summer Thursday is 08:30 in London: open, although 07:30 is not.
        let utc = jiff::civil::date(2026, 6, 25)
            .at(7, 30, 0, 0)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap();
        let mut dialogue = Dialogue::default();
        assert_eq!(
            dialogue.plan(desk.profile(), "I'm here to see Priya Shah", &utc),
            say("Thank you. May I have your name, please?")
        );
        assert_eq!(
            crate::reply::answer(desk.profile(), "are you open?", &utc),
            "Yes, we're open now, until 8 pm today."
        );
    }

    #[test]
    fn restating_the_visit_is_not_a_name() {
        let mut v = Visit::at(10);
        v.say("I'm here to see Maria Chen");
        assert_eq!(
            v.say("I'm here to see Becker"),
            "Thank you. May I have your name, please?"
        );
        assert!(v.say("Ann Lee").contains("I've let Tom Becker know"));
        assert_eq!(v.visits()[0].visitor_name, "Ann Lee");
    }

    #[test]
    fn visitor_names_are_capitalised_as_written() {
        assert_eq!(
            extract_name("mary-kate o'neil").as_deref(),
            Some("Mary-Kate O'Neil")
        );
        assert_eq!(
            extract_name("my name is maría garcía-lópez").as_deref(),
            Some("María García-López")
        );
        assert_eq!(extract_name("Ann McKay").as_deref(), Some("Ann McKay"));
    }

    #[test]
    fn purposes_and_times_are_not_names() {
        assert_eq!(
            wanted_name("I'm here to see Bob Smith at two").as_deref(),
            Some("Bob Smith")
        );
        assert_eq!(
            wanted_name("I'm here for Dr Patel, please").as_deref(),
            Some("Dr Patel")
        );
        for thing in [
            "I'm here for an interview",
            "I'm here for my 3 o'clock",
            "I'm here to see the doctor",
            "I'm here for 3pm",
            "I'm here for interview",
            "I'm here for consultation",
            "I'm here for job interview",
        ] {
            assert_eq!(wanted_name(thing), None, "{thing}");
        }
        assert_eq!(
            visit_purpose("I'm here for interview").as_deref(),
            Some("interview")
        );
        assert_eq!(
            visit_purpose("Hi, I'm here for job interview, with Ann").as_deref(),
            Some("job interview")
        );
        assert_eq!(
            visit_purpose("Hello, I'm here for a job interview with Ann at two").as_deref(),
            Some("job interview")
        );
        assert_eq!(visit_purpose("I'm here for the 2pm meeting"), None);
        assert_eq!(visit_purpose("I'm here for Dr Patel"), None);
    }

    #[test]
    fn questions_in_between_still_get_answers() {
        let mut v = Visit::at(10);
        v.say("I'm here to see Maria");
        // The visitor asks something else instead of choosing: that is answered, not lost.
        assert_eq!(v.say("Are you open on Sunday?"), "On Sunday we're closed.");
        assert!(v.say("Where are the toilets?").contains("ground floor"));
        assert!(v.say("Where can I find Okafur?").starts_with("Dr James Okafor"));
    }
}
