//! The embedded store: SQLite under the data dir, one connection for the process.
//!
//! Durability: every write is one transaction in WAL mode with `synchronous=FULL`, and a method
//! returns only after its commit, so once Donna says "I've let Maria know" the fact survives a
//! `kill -9` or a power cut.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    DELIVERY_LEASE_MS, DeliveryOutcome, Message, NewMessage, NewVisit, PendingDelivery, Recorded,
    SavedConversation, Storage, Visit,
};
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
    // Conversations in progress, so a restarted gateway carries them on.
    "CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        history TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX conversations_updated_at ON conversations (updated_at);",
];

/// The database. Calls are short, so one connection behind a mutex serves the whole process.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
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
}

impl Storage for SqliteStore {
    fn describe(&self) -> String {
        "sqlite".to_owned()
    }

    fn ping(&self) -> Result<(), DeskError> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Record a check-in, or find the one an earlier call with the same idempotency key made.
    fn check_in(&self, visit: &NewVisit<'_>, now_ms: i64) -> Result<Recorded<Visit>, DeskError> {
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
            return visit.replayed(row);
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

    fn visit(&self, id: i64) -> Result<Option<Visit>, DeskError> {
        let conn = self.conn();
        Ok(conn
            .query_row(&format!("{VISIT_SELECT} WHERE id = ?1"), params![id], visit_row)
            .optional()?)
    }

    /// Record that a member of staff is on their way; the first acknowledgement wins.
    fn acknowledge(&self, id: i64, by: &str, now_ms: i64) -> Result<Visit, DeskError> {
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

    fn check_out(&self, id: i64, now_ms: i64) -> Result<Visit, DeskError> {
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
    fn open_visit_for_conversation(&self, conversation_id: &str) -> Result<Option<Visit>, DeskError> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                &format!("{VISIT_SELECT} WHERE conversation_id = ?1 AND checked_out_at IS NULL ORDER BY id DESC LIMIT 1"),
                params![conversation_id],
                visit_row,
            )
            .optional()?)
    }

    /// Visits checked in at or after `from_ms` and before `until_ms` (one day, say), newest first.
    fn visits_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Visit>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{VISIT_SELECT} WHERE checked_in_at >= ?1 AND checked_in_at < ?2 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map(params![from_ms, until_ms], visit_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Store a message, or find the one an earlier call with the same idempotency key stored.
    fn add_message(&self, message: &NewMessage<'_>, now_ms: i64) -> Result<Recorded<Message>, DeskError> {
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
            return message.replayed(row);
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

    /// Messages created at or after `from_ms` and before `until_ms`, newest first.
    fn messages_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Message>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{MESSAGE_SELECT} WHERE created_at >= ?1 AND created_at < ?2 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map(params![from_ms, until_ms], message_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn count_messages_between(&self, from_ms: i64, until_ms: i64) -> Result<i64, DeskError> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM messages WHERE created_at >= ?1 AND created_at < ?2",
            params![from_ms, until_ms],
            |r| r.get(0),
        )?)
    }

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
    fn events_after(&self, after: &str, limit: usize) -> Result<Vec<String>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT payload FROM events WHERE rowid > (SELECT rowid FROM events WHERE id = ?1) \
             ORDER BY rowid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deliveries due at `now_ms`, oldest first.
    fn due_deliveries(&self, now_ms: i64, limit: usize) -> Result<Vec<PendingDelivery>, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let due: Vec<PendingDelivery> = {
            let mut stmt = tx.prepare(
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
            rows.collect::<Result<_, _>>()?
        };
        for d in &due {
            tx.execute(
                "UPDATE deliveries SET next_attempt_at = ?3 WHERE event_id = ?1 AND target = ?2",
                params![d.event_id, d.target, now_ms.saturating_add(DELIVERY_LEASE_MS)],
            )?;
        }
        tx.commit()?;
        Ok(due)
    }

    /// Record one delivery attempt: delivered, retry at `retry_at_ms`, or failed for good.
    fn mark_delivery(
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
    fn delivery(
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

    fn save_conversation(&self, id: &str, history: &str, now_ms: i64) -> Result<(), DeskError> {
        self.conn().execute(
            "INSERT INTO conversations (id, history, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET history = excluded.history, updated_at = excluded.updated_at",
            params![id, history, now_ms],
        )?;
        Ok(())
    }

    fn conversation(&self, id: &str) -> Result<Option<SavedConversation>, DeskError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT history, updated_at FROM conversations WHERE id = ?1",
                params![id],
                |r| {
                    Ok(SavedConversation {
                        history: r.get(0)?,
                        updated_at_ms: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn forget_conversation(&self, id: &str) -> Result<bool, DeskError> {
        Ok(self
            .conn()
            .execute("DELETE FROM conversations WHERE id = ?1", params![id])?
            > 0)
    }

    fn forget_conversations_before(&self, before_ms: i64) -> Result<usize, DeskError> {
        Ok(self.conn().execute(
            "DELETE FROM conversations WHERE updated_at < ?1",
            params![before_ms],
        )?)
    }
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
    use crate::store::Store;

    crate::conformance_tests!(Store::open_in_memory().unwrap());

    #[test]
    fn reopening_keeps_data_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("donna.sqlite3");
        let visit = NewVisit {
            visitor_name: "Ann",
            host_staff_id: "maria-chen",
            appointment_time: None,
            purpose: None,
            conversation_id: None,
            idempotency_key: Some("turn-1"),
        };
        let id = Store::open(&path).unwrap().check_in(&visit, 1).unwrap().row.id;
        let again = Store::open(&path).unwrap();
        assert_eq!(again.visit(id).unwrap().unwrap().visitor_name, "Ann");
        assert!(
            !again.check_in(&visit, 2).unwrap().first,
            "the key outlives the process"
        );
    }
}
