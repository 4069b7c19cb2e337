//! Durable storage of everything Donna tells a visitor she has done: visits, messages, staff
//! events and their delivery state.
//!
//! Two engines behind one contract ([`Storage`]): SQLite in the data dir, the zero-setup
//! default for a kiosk, and PostgreSQL (the `donna-postgres` crate) for several gateways that
//! must see one front desk. The contract, proven against both by one suite (`conformance`):
//! - a write returns only after its commit, so once Donna says "I've let Maria know" the fact
//!   survives a `kill -9` of the gateway;
//! - a write with an idempotency key is stored once however often it is sent, and the same key
//!   with other content is refused ([`DeskError::KeyReused`]);
//! - the first acknowledgement of a visit wins, as does the first check-out;
//! - an event is stored once under its id, and its deliveries are handed to one worker at a
//!   time ([`DELIVERY_LEASE_MS`]);
//! - a conversation's history is kept whole under its id until it is forgotten, the last
//!   save winning.
//!
//! SQL is parameterised everywhere; visitor input never becomes SQL text.

mod sqlite;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;

use std::path::Path;

use serde::Serialize;

use crate::DeskError;

pub use sqlite::SqliteStore;

/// How long the deliveries [`Storage::due_deliveries`] hands to a worker stay its own: another
/// gateway's worker does not get them before, and a worker that died lets them go after.
pub const DELIVERY_LEASE_MS: i64 = 5 * 60 * 1000;

/// A visitor's visit, from check-in to check-out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Visit {
    pub id: i64,
    pub visitor_name: String,
    pub host_staff_id: String,
    pub appointment_time: Option<String>,
    pub purpose: Option<String>,
    pub checked_in_at: i64,
    pub acknowledged_at: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub checked_out_at: Option<i64>,
    /// The conversation (kiosk or browser) the visitor checked in from.
    #[serde(skip)]
    pub conversation_id: Option<String>,
}

/// A message left for a member of staff.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: i64,
    pub for_staff_id: String,
    pub from_name: String,
    pub contact: Option<String>,
    pub body: String,
    pub created_at: i64,
}

/// What a check-in records.
#[derive(Debug, Clone)]
pub struct NewVisit<'a> {
    pub visitor_name: &'a str,
    pub host_staff_id: &'a str,
    pub appointment_time: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub conversation_id: Option<&'a str>,
    /// The same key twice is the same check-in: the second gets the first's visit.
    pub idempotency_key: Option<&'a str>,
}

/// A row a write produced, or found: `first` is false when an earlier write with the same
/// idempotency key had already stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded<T> {
    pub row: T,
    pub first: bool,
}

/// What a message records.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub for_staff_id: &'a str,
    pub from_name: &'a str,
    pub contact: Option<&'a str>,
    pub body: &'a str,
    /// The same key twice is the same message: the second gets the first's row.
    pub idempotency_key: Option<&'a str>,
}

impl NewVisit<'_> {
    /// `row`, found under this check-in's idempotency key, if it records this same check-in;
    /// else the key was reused for another request, a client's bug the caller is told of.
    pub fn replayed(&self, row: Visit) -> Result<Recorded<Visit>, DeskError> {
        let same = row.visitor_name == self.visitor_name
            && row.host_staff_id == self.host_staff_id
            && row.appointment_time.as_deref() == self.appointment_time
            && row.purpose.as_deref() == self.purpose;
        replayed(same, row, "check-in", self.idempotency_key)
    }
}

impl NewMessage<'_> {
    /// `row`, found under this message's idempotency key, if it records this same message.
    pub fn replayed(&self, row: Message) -> Result<Recorded<Message>, DeskError> {
        let same = row.for_staff_id == self.for_staff_id
            && row.from_name == self.from_name
            && row.contact.as_deref() == self.contact
            && row.body == self.body;
        replayed(same, row, "message", self.idempotency_key)
    }
}

fn replayed<T>(same: bool, row: T, what: &'static str, key: Option<&str>) -> Result<Recorded<T>, DeskError> {
    if same {
        Ok(Recorded { row, first: false })
    } else {
        Err(DeskError::KeyReused {
            what,
            key: key.unwrap_or_default().to_owned(),
        })
    }
}

/// A conversation's history as kept between turns, so that another gateway can carry the
/// conversation on when the one it began on is gone.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedConversation {
    /// What was said, as its writer encoded it: the store keeps it and does not read it.
    pub history: String,
    pub updated_at_ms: i64,
}

/// The front-desk summary for staff (all times in milliseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub visits_today: i64,
    pub waiting: Vec<Visit>,
    pub checked_out_today: i64,
    /// Mean time from check-in to a staff member's acknowledgement, over today's acknowledged visits.
    pub average_wait_s: Option<f64>,
    pub messages_today: i64,
}

/// A webhook delivery waiting for (another) attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDelivery {
    pub event_id: String,
    pub target: String,
    pub attempts: i64,
    pub payload: String,
}

/// The result of one delivery attempt.
#[derive(Debug, Clone, Copy)]
pub enum DeliveryOutcome<'a> {
    Delivered,
    Retry { error: &'a str, at_ms: i64 },
    Failed { error: &'a str },
}

/// What a store does; see the module's contract. Times are milliseconds since the epoch.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// Which engine and where, for health and the doctor: never a credential.
    fn describe(&self) -> String;
    /// Is the store usable now? Cheap enough for a health check.
    fn ping(&self) -> Result<(), DeskError>;
    /// Record a check-in, or find the one an earlier call with the same idempotency key made.
    fn check_in(&self, visit: &NewVisit<'_>, now_ms: i64) -> Result<Recorded<Visit>, DeskError>;
    fn visit(&self, id: i64) -> Result<Option<Visit>, DeskError>;
    /// Record that a member of staff is on their way; the first acknowledgement wins.
    fn acknowledge(&self, id: i64, by: &str, now_ms: i64) -> Result<Visit, DeskError>;
    /// The visitor has left; the first check-out's time stays.
    fn check_out(&self, id: i64, now_ms: i64) -> Result<Visit, DeskError>;
    /// The open visit of a conversation, if the visitor checked in during it.
    fn open_visit_for_conversation(&self, conversation_id: &str) -> Result<Option<Visit>, DeskError>;
    /// Visits checked in at or after `from_ms` and before `until_ms` (one day, say), newest first.
    fn visits_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Visit>, DeskError>;
    /// Store a message, or find the one an earlier call with the same idempotency key stored.
    fn add_message(&self, message: &NewMessage<'_>, now_ms: i64) -> Result<Recorded<Message>, DeskError>;
    /// Messages created at or after `from_ms` and before `until_ms`, newest first.
    fn messages_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Message>, DeskError>;
    fn count_messages_between(&self, from_ms: i64, until_ms: i64) -> Result<i64, DeskError>;
    /// Store an event (stamped `created_at_ms` by the business's clock) and queue it for each
    /// delivery target, first due at `due_at_ms` by the system clock the webhook worker runs
    /// on, in one transaction. An event already stored under `id` is left as it is: false.
    #[allow(clippy::too_many_arguments)] // one row's columns, named at every call
    fn record_event(
        &self,
        id: &str,
        kind: &str,
        staff_id: Option<&str>,
        payload: &str,
        targets: &[String],
        created_at_ms: i64,
        due_at_ms: i64,
    ) -> Result<bool, DeskError>;
    /// The events stored after the one with id `after`, oldest first, at most `limit` of them
    /// (a staff desktop that reconnects resumes there). An unknown id gives none.
    fn events_after(&self, after: &str, limit: usize) -> Result<Vec<String>, DeskError>;
    /// Deliveries due at `now_ms`, oldest first, leased to the caller for
    /// [`DELIVERY_LEASE_MS`].
    fn due_deliveries(&self, now_ms: i64, limit: usize) -> Result<Vec<PendingDelivery>, DeskError>;
    /// Record one delivery attempt: delivered, retry at a time, or failed for good.
    fn mark_delivery(
        &self,
        event_id: &str,
        target: &str,
        outcome: DeliveryOutcome<'_>,
    ) -> Result<(), DeskError>;
    /// A delivery's state, attempts and last error (for staff tools and tests).
    fn delivery(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<(String, i64, Option<String>)>, DeskError>;
    /// Keep conversation `id`'s history, replacing what was kept, stamped `now_ms`.
    fn save_conversation(&self, id: &str, history: &str, now_ms: i64) -> Result<(), DeskError>;
    /// The history kept for conversation `id`, if any.
    fn conversation(&self, id: &str) -> Result<Option<SavedConversation>, DeskError>;
    /// Forget conversation `id` (the visitor left); false when none was kept.
    fn forget_conversation(&self, id: &str) -> Result<bool, DeskError>;
    /// Forget every conversation last saved before `before_ms` (left idle): how many.
    fn forget_conversations_before(&self, before_ms: i64) -> Result<usize, DeskError>;
}

/// The store the desk writes to, whichever engine holds it.
#[derive(Debug)]
pub struct Store(Box<dyn Storage>);

impl Store {
    /// SQLite at `path` (created if needed, its schema brought up to date).
    pub fn open(path: &Path) -> Result<Self, DeskError> {
        Ok(Self(Box::new(SqliteStore::open(path)?)))
    }

    /// A private in-memory SQLite database, for tests and tools.
    pub fn open_in_memory() -> Result<Self, DeskError> {
        Ok(Self(Box::new(SqliteStore::open_in_memory()?)))
    }

    /// Any other engine that keeps the contract.
    pub fn new(storage: impl Storage + 'static) -> Self {
        Self(Box::new(storage))
    }

    /// Visits checked in at or after `since_ms`, newest first.
    pub fn visits_since(&self, since_ms: i64) -> Result<Vec<Visit>, DeskError> {
        self.0.visits_between(since_ms, i64::MAX)
    }

    /// Messages created at or after `since_ms`, newest first.
    pub fn messages_since(&self, since_ms: i64) -> Result<Vec<Message>, DeskError> {
        self.0.messages_between(since_ms, i64::MAX)
    }

    /// The front desk's day from `day_start_ms` until `day_end_ms`.
    pub fn overview(&self, day_start_ms: i64, day_end_ms: i64) -> Result<Overview, DeskError> {
        let visits = self.0.visits_between(day_start_ms, day_end_ms)?;
        let waiting: Vec<Visit> = visits
            .iter()
            .filter(|v| v.acknowledged_at.is_none() && v.checked_out_at.is_none())
            .cloned()
            .collect();
        let waits: Vec<f64> = visits
            .iter()
            .filter_map(|v| v.acknowledged_at.map(|a| (a - v.checked_in_at) as f64 / 1000.0))
            .collect();
        Ok(Overview {
            visits_today: visits.len() as i64,
            checked_out_today: visits.iter().filter(|v| v.checked_out_at.is_some()).count() as i64,
            waiting,
            average_wait_s: (!waits.is_empty()).then(|| waits.iter().sum::<f64>() / waits.len() as f64),
            messages_today: self.0.count_messages_between(day_start_ms, day_end_ms)?,
        })
    }
}

impl std::ops::Deref for Store {
    type Target = dyn Storage;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}
