//! Durable storage of everything Donna tells a visitor she has done: visits, messages, staff
//! events and their delivery state, in SQLite under the data dir.
//!
//! Durability is the contract: every write is one transaction in WAL mode with
//! `synchronous=FULL`, and a method returns only after its commit, so once Donna says "I've let
//! Maria know" the fact survives a `kill -9` or a power cut. SQL is parameterised everywhere;
//! visitor input never becomes SQL text.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::DeskError;

/// Schema versions, applied in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE visits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        visitor_name TEXT NOT NULL,
        host_staff_id TEXT NOT NULL,
        appointment_time TEXT,
        purpose TEXT,
        conversation_id TEXT,
        checked_in_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        acknowledged_by TEXT,
        checked_out_at INTEGER
    );
    CREATE INDEX visits_checked_in_at ON visits (checked_in_at);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        for_staff_id TEXT NOT NULL,
        from_name TEXT NOT NULL,
        contact TEXT,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        staff_id TEXT,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE deliveries (
        event_id TEXT NOT NULL REFERENCES events (id),
        target TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at INTEGER NOT NULL,
        PRIMARY KEY (event_id, target)
    );",
    // A client that retries a turn it never heard the answer to (the gateway died after the
    // commit) sends the same key: the visit or message is stored once.
    "ALTER TABLE visits ADD COLUMN idempotency_key TEXT;
    CREATE UNIQUE INDEX visits_idempotency_key ON visits (idempotency_key);
    ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
    CREATE UNIQUE INDEX messages_idempotency_key ON messages (idempotency_key);",
];

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

/// The database. Calls are short, so one connection behind a mutex serves the whole process.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Open (creating if needed) the database at `path` and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self, DeskError> {
        // Visitors' names and messages: the file is private from its first byte, and SQLite
        // gives its -wal and -shm files the same mode.
        donna_config::private::create_file(path).map_err(|source| DeskError::StorageFile {
            path: path.to_owned(),
            source,
        })?;
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Self::init(conn)
    }

    /// A private in-memory database, for tests and tools.
    pub fn open_in_memory() -> Result<Self, DeskError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, DeskError> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let done = usize::try_from(version).unwrap_or(0);
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(done) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record a check-in, or find the one an earlier call with the same idempotency key made.
    pub fn check_in(&self, visit: &NewVisit<'_>, now_ms: i64) -> Result<Recorded<Visit>, DeskError> {
        let conn = self.conn();
        if let Some(key) = visit.idempotency_key
            && let Some(row) = conn
                .query_row(
                    &format!("{VISIT_SELECT} WHERE idempotency_key = ?1"),
                    params![key],
                    visit_row,
                )
                .optional()?
        {
            let same = row.visitor_name == visit.visitor_name
                && row.host_staff_id == visit.host_staff_id
                && row.appointment_time.as_deref() == visit.appointment_time
                && row.purpose.as_deref() == visit.purpose;
            if !same {
                return Err(DeskError::KeyReused {
                    what: "check-in",
                    key: key.to_owned(),
                });
            }
            return Ok(Recorded { row, first: false });
        }
        conn.execute(
            "INSERT INTO visits (visitor_name, host_staff_id, appointment_time, purpose, conversation_id, checked_in_at, idempotency_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![visit.visitor_name, visit.host_staff_id, visit.appointment_time, visit.purpose, visit.conversation_id, now_ms, visit.idempotency_key],
        )?;
        let id = conn.last_insert_rowid();
        drop(conn);
        let row = self.visit(id)?.ok_or(DeskError::NotFound {
            what: "visit",
            id: id.to_string(),
        })?;
        Ok(Recorded { row, first: true })
    }

    pub fn visit(&self, id: i64) -> Result<Option<Visit>, DeskError> {
        let conn = self.conn();
        Ok(conn
            .query_row(&format!("{VISIT_SELECT} WHERE id = ?1"), params![id], visit_row)
            .optional()?)
    }

    /// Record that a member of staff is on their way; the first acknowledgement wins.
    pub fn acknowledge(&self, id: i64, by: &str, now_ms: i64) -> Result<Visit, DeskError> {
        let changed = self.conn().execute(
            "UPDATE visits SET acknowledged_at = ?2, acknowledged_by = ?3 WHERE id = ?1 AND acknowledged_at IS NULL",
            params![id, now_ms, by],
        )?;
        let visit = self.visit(id)?.ok_or(DeskError::NotFound {
            what: "visit",
            id: id.to_string(),
        })?;
        if changed == 0 && visit.acknowledged_at.is_none() {
            return Err(DeskError::NotFound {
                what: "visit",
                id: id.to_string(),
            });
        }
        Ok(visit)
    }

    pub fn check_out(&self, id: i64, now_ms: i64) -> Result<Visit, DeskError> {
        self.conn().execute(
            "UPDATE visits SET checked_out_at = ?2 WHERE id = ?1 AND checked_out_at IS NULL",
            params![id, now_ms],
        )?;
        self.visit(id)?.ok_or(DeskError::NotFound {
            what: "visit",
            id: id.to_string(),
        })
    }

    /// The open visit of a conversation, if the visitor checked in during it.
    pub fn open_visit_for_conversation(&self, conversation_id: &str) -> Result<Option<Visit>, DeskError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("{VISIT_SELECT} WHERE conversation_id = ?1 AND checked_out_at IS NULL ORDER BY id DESC LIMIT 1"),
                params![conversation_id],
                visit_row,
            )
            .optional()?)
    }

    /// Visits checked in at or after `since_ms`, newest first.
    pub fn visits_since(&self, since_ms: i64) -> Result<Vec<Visit>, DeskError> {
        self.visits_between(since_ms, i64::MAX)
    }

    /// Visits checked in at or after `from_ms` and before `until_ms` (one day, say), newest first.
    pub fn visits_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Visit>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{VISIT_SELECT} WHERE checked_in_at >= ?1 AND checked_in_at < ?2 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map(params![from_ms, until_ms], visit_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Store a message, or find the one an earlier call with the same idempotency key stored.
    pub fn add_message(&self, message: &NewMessage<'_>, now_ms: i64) -> Result<Recorded<Message>, DeskError> {
        let conn = self.conn();
        if let Some(key) = message.idempotency_key
            && let Some(row) = conn
                .query_row(
                    &format!("{MESSAGE_SELECT} WHERE idempotency_key = ?1"),
                    params![key],
                    message_row,
                )
                .optional()?
        {
            let same = row.for_staff_id == message.for_staff_id
                && row.from_name == message.from_name
                && row.contact.as_deref() == message.contact
                && row.body == message.body;
            if !same {
                return Err(DeskError::KeyReused {
                    what: "message",
                    key: key.to_owned(),
                });
            }
            return Ok(Recorded { row, first: false });
        }
        conn.execute(
            "INSERT INTO messages (for_staff_id, from_name, contact, body, created_at, idempotency_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![message.for_staff_id, message.from_name, message.contact, message.body, now_ms, message.idempotency_key],
        )?;
        let row = Message {
            id: conn.last_insert_rowid(),
            for_staff_id: message.for_staff_id.to_owned(),
            from_name: message.from_name.to_owned(),
            contact: message.contact.map(str::to_owned),
            body: message.body.to_owned(),
            created_at: now_ms,
        };
        Ok(Recorded { row, first: true })
    }

    /// Messages created at or after `since_ms`, newest first.
    pub fn messages_since(&self, since_ms: i64) -> Result<Vec<Message>, DeskError> {
        self.messages_between(since_ms, i64::MAX)
    }

    /// Messages created at or after `from_ms` and before `until_ms`, newest first.
    pub fn messages_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Message>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{MESSAGE_SELECT} WHERE created_at >= ?1 AND created_at < ?2 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map(params![from_ms, until_ms], message_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The front desk's day from `day_start_ms` until `day_end_ms`.
    pub fn overview(&self, day_start_ms: i64, day_end_ms: i64) -> Result<Overview, DeskError> {
        let visits = self.visits_between(day_start_ms, day_end_ms)?;
        let waiting: Vec<Visit> = visits
            .iter()
            .filter(|v| v.acknowledged_at.is_none() && v.checked_out_at.is_none())
            .cloned()
            .collect();
        let waits: Vec<f64> = visits
            .iter()
            .filter_map(|v| v.acknowledged_at.map(|a| (a - v.checked_in_at) as f64 / 1000.0))
            .collect();
        let messages_today: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM messages WHERE created_at >= ?1 AND created_at < ?2",
            params![day_start_ms, day_end_ms],
            |r| r.get(0),
        )?;
        Ok(Overview {
            visits_today: visits.len() as i64,
            checked_out_today: visits.iter().filter(|v| v.checked_out_at.is_some()).count() as i64,
            waiting,
            average_wait_s: (!waits.is_empty()).then(|| waits.iter().sum::<f64>() / waits.len() as f64),
            messages_today,
        })
    }

    /// Store an event (stamped `created_at_ms` by the business's clock) and queue it for each
    /// delivery target, first due at `due_at_ms` by the system clock the webhook worker runs
    /// on, in one transaction. An event already stored under `id` is left as it is: false.
    #[allow(clippy::too_many_arguments)] // one row's columns, named at every call
    pub fn record_event(
        &self,
        id: &str,
        kind: &str,
        staff_id: Option<&str>,
        payload: &str,
        targets: &[String],
        created_at_ms: i64,
        due_at_ms: i64,
    ) -> Result<bool, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let inserted = tx.execute(
            "INSERT INTO events (id, kind, staff_id, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO NOTHING",
            params![id, kind, staff_id, payload, created_at_ms],
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        for target in targets {
            tx.execute(
                "INSERT INTO deliveries (event_id, target, state, next_attempt_at) VALUES (?1, ?2, 'pending', ?3)",
                params![id, target, due_at_ms],
            )?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// The events stored after the one with id `after`, oldest first, at most `limit` of them
    /// (a staff desktop that reconnects resumes there). An unknown id gives none.
    pub fn events_after(&self, after: &str, limit: usize) -> Result<Vec<String>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT payload FROM events WHERE rowid > (SELECT rowid FROM events WHERE id = ?1) \
             ORDER BY rowid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deliveries due at `now_ms`, oldest first.
    pub fn due_deliveries(&self, now_ms: i64, limit: usize) -> Result<Vec<PendingDelivery>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT d.event_id, d.target, d.attempts, e.payload FROM deliveries d JOIN events e ON e.id = d.event_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 ORDER BY d.next_attempt_at LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now_ms, limit as i64], |r| {
            Ok(PendingDelivery {
                event_id: r.get(0)?,
                target: r.get(1)?,
                attempts: r.get(2)?,
                payload: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Record one delivery attempt: delivered, retry at `retry_at_ms`, or failed for good.
    pub fn mark_delivery(
        &self,
        event_id: &str,
        target: &str,
        outcome: DeliveryOutcome<'_>,
    ) -> Result<(), DeskError> {
        let (state, error, next) = match outcome {
            DeliveryOutcome::Delivered => ("delivered", None, 0),
            DeliveryOutcome::Retry { error, at_ms } => ("pending", Some(error), at_ms),
            DeliveryOutcome::Failed { error } => ("failed", Some(error), 0),
        };
        self.conn().execute(
            "UPDATE deliveries SET state = ?3, attempts = attempts + 1, last_error = ?4, next_attempt_at = ?5
             WHERE event_id = ?1 AND target = ?2",
            params![event_id, target, state, error, next],
        )?;
        Ok(())
    }

    /// A delivery's state, attempts and last error (for staff tools and tests).
    pub fn delivery(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<(String, i64, Option<String>)>, DeskError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT state, attempts, last_error FROM deliveries WHERE event_id = ?1 AND target = ?2",
                params![event_id, target],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }
}

/// The result of one delivery attempt.
#[derive(Debug, Clone, Copy)]
pub enum DeliveryOutcome<'a> {
    Delivered,
    Retry { error: &'a str, at_ms: i64 },
    Failed { error: &'a str },
}

const VISIT_SELECT: &str = "SELECT id, visitor_name, host_staff_id, appointment_time, purpose, checked_in_at, acknowledged_at, acknowledged_by, checked_out_at, conversation_id FROM visits";

const MESSAGE_SELECT: &str = "SELECT id, for_staff_id, from_name, contact, body, created_at FROM messages";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    Ok(Message {
        id: r.get(0)?,
        for_staff_id: r.get(1)?,
        from_name: r.get(2)?,
        contact: r.get(3)?,
        body: r.get(4)?,
        created_at: r.get(5)?,
    })
}

fn visit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Visit> {
    Ok(Visit {
        id: r.get(0)?,
        visitor_name: r.get(1)?,
        host_staff_id: r.get(2)?,
        appointment_time: r.get(3)?,
        purpose: r.get(4)?,
        checked_in_at: r.get(5)?,
        acknowledged_at: r.get(6)?,
        acknowledged_by: r.get(7)?,
        checked_out_at: r.get(8)?,
        conversation_id: r.get(9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit<'a>(name: &'a str, host: &'a str) -> NewVisit<'a> {
        NewVisit {
            visitor_name: name,
            host_staff_id: host,
            appointment_time: Some("14:00"),
            purpose: None,
            conversation_id: Some("conv_1"),
            idempotency_key: None,
        }
    }

    fn message<'a>(body: &'a str, key: Option<&'a str>) -> NewMessage<'a> {
        NewMessage {
            for_staff_id: "tom-becker",
            from_name: "Cara",
            contact: None,
            body,
            idempotency_key: key,
        }
    }

    #[test]
    fn visits_flow_and_overview() {
        let s = Store::open_in_memory().unwrap();
        let a = s.check_in(&visit("Ann Lee", "maria-chen"), 1_000).unwrap().row;
        let b = s.check_in(&visit("Bob Ray", "tom-becker"), 2_000).unwrap().row;
        assert_eq!(s.open_visit_for_conversation("conv_1").unwrap().unwrap().id, b.id);
        s.acknowledge(a.id, "maria-chen", 61_000).unwrap();
        // The first acknowledgement wins.
        assert_eq!(
            s.acknowledge(a.id, "someone-else", 99_000)
                .unwrap()
                .acknowledged_by
                .as_deref(),
            Some("maria-chen")
        );
        s.check_out(a.id, 100_000).unwrap();
        s.add_message(&message("Call me", None), 3_000).unwrap();
        let o = s.overview(0, i64::MAX).unwrap();
        assert_eq!((o.visits_today, o.checked_out_today, o.messages_today), (2, 1, 1));
        assert_eq!(o.waiting.iter().map(|v| v.id).collect::<Vec<_>>(), vec![b.id]);
        assert_eq!(o.average_wait_s, Some(60.0));
    }

    #[test]
    fn a_write_retried_with_its_key_is_stored_once() {
        let s = Store::open_in_memory().unwrap();
        let keyed = NewVisit {
            idempotency_key: Some("turn-7f3a"),
            ..visit("Ann Lee", "maria-chen")
        };
        let first = s.check_in(&keyed, 1_000).unwrap();
        let again = s.check_in(&keyed, 5_000).unwrap();
        assert!(first.first && !again.first);
        assert_eq!(
            again.row, first.row,
            "the retry gets the first visit, time and all"
        );
        // Another key, or none, is another visit; the same key may also name a message.
        let other = NewVisit {
            idempotency_key: Some("turn-9c01"),
            ..visit("Ann Lee", "maria-chen")
        };
        assert!(s.check_in(&other, 6_000).unwrap().first);
        // The same key for a different visitor is a client's bug, refused, not a match.
        let reused = NewVisit {
            idempotency_key: Some("turn-7f3a"),
            ..visit("Bob Ray", "maria-chen")
        };
        assert!(matches!(
            s.check_in(&reused, 6_500),
            Err(DeskError::KeyReused { .. })
        ));
        assert!(s.check_in(&visit("Ann Lee", "maria-chen"), 7_000).unwrap().first);
        assert_eq!(s.visits_since(0).unwrap().len(), 3);

        let m = s
            .add_message(&message("Call me", Some("turn-7f3a")), 2_000)
            .unwrap();
        let m2 = s
            .add_message(&message("Call me", Some("turn-7f3a")), 3_000)
            .unwrap();
        assert!(m.first && !m2.first);
        assert_eq!(m2.row, m.row);
        assert_eq!(s.messages_since(0).unwrap().len(), 1);
    }

    #[test]
    fn an_event_recorded_twice_is_stored_and_queued_once() {
        let s = Store::open_in_memory().unwrap();
        let record = || {
            s.record_event(
                "evt_visit_1",
                "visitor.checked_in",
                None,
                "{}",
                &["http://a".into()],
                1,
                1,
            )
        };
        assert!(record().unwrap());
        assert!(!record().unwrap());
        assert_eq!(s.due_deliveries(10, 10).unwrap().len(), 1);
    }

    #[test]
    fn injection_attempts_are_stored_as_text() {
        let s = Store::open_in_memory().unwrap();
        let name = "Robert'); DROP TABLE visits;--";
        let v = s.check_in(&visit(name, "maria-chen"), 1).unwrap().row;
        assert_eq!(s.visit(v.id).unwrap().unwrap().visitor_name, name);
        assert_eq!(s.visits_since(0).unwrap().len(), 1);
    }

    #[test]
    fn deliveries_are_queued_retried_and_finished() {
        let s = Store::open_in_memory().unwrap();
        s.record_event(
            "evt_1",
            "visitor.checked_in",
            Some("maria-chen"),
            "{}",
            &["http://a".into()],
            1,
            10,
        )
        .unwrap();
        assert_eq!(s.due_deliveries(5, 10).unwrap().len(), 0, "not due yet");
        let due = s.due_deliveries(10, 10).unwrap();
        assert_eq!(due.len(), 1);
        s.mark_delivery(
            "evt_1",
            "http://a",
            DeliveryOutcome::Retry {
                error: "503",
                at_ms: 1_010,
            },
        )
        .unwrap();
        assert!(s.due_deliveries(500, 10).unwrap().is_empty());
        assert_eq!(s.due_deliveries(1_010, 10).unwrap()[0].attempts, 1);
        s.mark_delivery("evt_1", "http://a", DeliveryOutcome::Delivered)
            .unwrap();
        assert_eq!(s.delivery("evt_1", "http://a").unwrap().unwrap().0, "delivered");
    }

    #[test]
    fn reopening_keeps_data_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("donna.sqlite3");
        let id = Store::open(&path)
            .unwrap()
            .check_in(&visit("Ann", "maria-chen"), 1)
            .unwrap()
            .row
            .id;
        let again = Store::open(&path).unwrap();
        assert_eq!(again.visit(id).unwrap().unwrap().visitor_name, "Ann");
    }
}
