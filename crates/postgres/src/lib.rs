//! Donna's store on PostgreSQL (`DONNA_DATABASE_URL=postgres://...`): visits, messages, staff
//! events and webhook deliveries shared by every gateway of a front desk, with the contract the
//! embedded SQLite store keeps (see `donna_desk::store`), proven by the same suite.
//!
//! The desk calls its store synchronously, from inside async tasks and plain threads alike
//! (a tool runs in the middle of a realtime session's event handling). So the store owns a
//! small runtime of its own with a pool of `tokio-postgres` connections, and each call is a
//! future run there while the caller waits for its commit, as it waits for SQLite's `fsync`.
//! Every call is bounded ([`QUERY_TIMEOUT`]): a database that stops answering is an error, not
//! a visitor left hanging.

mod schema;
mod tls;

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use donna_desk::DeskError;
use donna_desk::store::{
    DELIVERY_LEASE_MS, DeliveryOutcome, Message, NewMessage, NewVisit, PendingDelivery, Recorded,
    SavedConversation, Storage, Visit,
};
use tokio_postgres::{NoTls, Row};

/// The longest one store call may take, waiting for a connection included.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections per gateway: the desk's writes are short, so a few serve many kiosks.
const POOL_SIZE: usize = 8;

/// Why the store could not start.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error("DONNA_DATABASE_URL is not a PostgreSQL connection string: {0}")]
    Url(String),
    #[error("cannot start the PostgreSQL store: {0}")]
    Start(String),
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
    #[error("PostgreSQL at {at}: {source}")]
    Connect {
        at: String,
        #[source]
        source: DeskError,
    },
}

/// The lock that stores events one at a time across the gateways (see `record_event`); any
/// number, the same in every gateway, other than the migrations'.
const EVENTS_LOCK: i64 = 0x646f_6e6e_615f_6576; // "donna_ev"

/// The store, on a pool of connections to one database.
pub struct PostgresStore {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
    /// `host:port/database`, for messages: never the user or the password.
    at: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connect to `url` (`postgres://user:password@host:port/database`, or the key=value
    /// form) and bring the schema up to date. Several gateways starting at once migrate one at
    /// a time.
    pub fn connect(url: &str) -> Result<Self, PostgresError> {
        Self::connect_with(url, None)
    }

    /// [`PostgresStore::connect`], over TLS when `url` says `sslmode=require`, verifying the
    /// server against `ca_pem` (a private certificate authority, PEM) or the system's.
    pub fn connect_with(url: &str, ca_pem: Option<&[u8]>) -> Result<Self, PostgresError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| PostgresError::Url(e.to_string()))?;
        let tls = tls::connector(&mut config, ca_pem)?;
        let at = describe(&config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("donna-postgres")
            .enable_all()
            .build()
            .map_err(|e| PostgresError::Start(e.to_string()))?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let encrypted = tls.is_some();
        let manager = match tls {
            Some(tls) => Manager::from_config(config, tls, manager_config),
            None => Manager::from_config(config, NoTls, manager_config),
        };
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(QUERY_TIMEOUT))
            .create_timeout(Some(QUERY_TIMEOUT))
            .build()
            .map_err(|e| PostgresError::Start(e.to_string()))?;
        let store = Self {
            pool,
            runtime: Some(runtime),
            at,
        };
        let pool = store.pool.clone();
        store
            .block(async move { schema::migrate(&pool).await })
            .map_err(|source| PostgresError::Connect {
                at: store.at.clone(),
                source,
            })?;
        tracing::info!(at = %store.at, tls = encrypted, "store: PostgreSQL");
        Ok(store)
    }

    /// Where the store is, as `host:port/database`.
    pub fn location(&self) -> &str {
        &self.at
    }

    /// Run `work` on the store's runtime and wait for it, bounded by [`QUERY_TIMEOUT`].
    fn block<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, DeskError>> + Send + 'static,
    ) -> Result<T, DeskError> {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| database("the store is closed"))?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let outcome = match tokio::time::timeout(QUERY_TIMEOUT, work).await {
                Ok(outcome) => outcome,
                Err(_) => Err(database("PostgreSQL did not answer in time")),
            };
            let _ = tx.send(outcome);
        });
        rx.recv().map_err(|_| database("the store's worker stopped"))?
    }

    /// Run `work` with a pooled connection.
    fn with<T, F, Fut>(&self, work: F) -> Result<T, DeskError>
    where
        T: Send + 'static,
        F: FnOnce(deadpool_postgres::Object) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, DeskError>> + Send,
    {
        let pool = self.pool.clone();
        self.block(async move {
            let client = pool.get().await.map_err(|e| database(causes(&e)))?;
            work(client).await
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which an async caller may not do: let it end on its own.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `host:port/database` of a connection string (the first host when there are several).
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or("(default)"))
}

/// An error with what caused it, down to the first cause: a pool's "error performing TLS
/// handshake" says nothing until its cause says "invalid peer certificate: UnknownIssuer".
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}

fn database(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> DeskError {
    DeskError::Database(e.into())
}

fn db(e: tokio_postgres::Error) -> DeskError {
    // The server's own message ("relation does not exist", "connection refused") when it
    // has one; the driver's display alone often says only "db error".
    match e.as_db_error() {
        Some(server) => database(format!("{}: {}", server.code().code(), server.message())),
        None => database(e),
    }
}

const VISIT_COLUMNS: &str = "id, visitor_name, host_staff_id, appointment_time, purpose, checked_in_at, \
     acknowledged_at, acknowledged_by, checked_out_at, conversation_id";
const MESSAGE_COLUMNS: &str = "id, for_staff_id, from_name, contact, body, created_at";

fn visit_row(r: &Row) -> Visit {
    Visit {
        id: r.get(0),
        visitor_name: r.get(1),
        host_staff_id: r.get(2),
        appointment_time: r.get(3),
        purpose: r.get(4),
        checked_in_at: r.get(5),
        acknowledged_at: r.get(6),
        acknowledged_by: r.get(7),
        checked_out_at: r.get(8),
        conversation_id: r.get(9),
    }
}

fn message_row(r: &Row) -> Message {
    Message {
        id: r.get(0),
        for_staff_id: r.get(1),
        from_name: r.get(2),
        contact: r.get(3),
        body: r.get(4),
        created_at: r.get(5),
    }
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

fn not_found(id: i64) -> DeskError {
    DeskError::NotFound {
        what: "visit",
        id: id.to_string(),
    }
}

impl Storage for PostgresStore {
    fn describe(&self) -> String {
        format!("postgres {}", self.at)
    }

    fn ping(&self) -> Result<(), DeskError> {
        self.with(|c| async move {
            c.execute("SELECT 1", &[]).await.map_err(db)?;
            Ok(())
        })
    }

    fn check_in(&self, visit: &NewVisit<'_>, now_ms: i64) -> Result<Recorded<Visit>, DeskError> {
        let v = (
            visit.visitor_name.to_owned(),
            visit.host_staff_id.to_owned(),
            owned(visit.appointment_time),
            owned(visit.purpose),
            owned(visit.conversation_id),
            owned(visit.idempotency_key),
        );
        self.with(move |c| async move {
            let (name, host, time, purpose, conversation, key) = v;
            // Two gateways sending the same turn at once: one insert wins, the other finds it.
            let inserted = c
                .query_opt(
                    &format!(
                        "INSERT INTO visits (visitor_name, host_staff_id, appointment_time, purpose, conversation_id, checked_in_at, idempotency_key)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING {VISIT_COLUMNS}"
                    ),
                    &[&name, &host, &time, &purpose, &conversation, &now_ms, &key],
                )
                .await
                .map_err(db)?;
            if let Some(row) = inserted {
                return Ok(Recorded { row: visit_row(&row), first: true });
            }
            let row = c
                .query_one(&format!("SELECT {VISIT_COLUMNS} FROM visits WHERE idempotency_key = $1"), &[&key])
                .await
                .map_err(db)?;
            let asked = NewVisit {
                visitor_name: &name,
                host_staff_id: &host,
                appointment_time: time.as_deref(),
                purpose: purpose.as_deref(),
                conversation_id: conversation.as_deref(),
                idempotency_key: key.as_deref(),
            };
            asked.replayed(visit_row(&row))
        })
    }

    fn visit(&self, id: i64) -> Result<Option<Visit>, DeskError> {
        self.with(move |c| async move {
            let row = c
                .query_opt(
                    &format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1"),
                    &[&id],
                )
                .await
                .map_err(db)?;
            Ok(row.as_ref().map(visit_row))
        })
    }

    fn acknowledge(&self, id: i64, by: &str, now_ms: i64) -> Result<Visit, DeskError> {
        let by = by.to_owned();
        self.with(move |c| async move {
            // The first acknowledgement wins, whichever gateway it reached.
            c.execute(
                "UPDATE visits SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1 AND acknowledged_at IS NULL",
                &[&id, &now_ms, &by],
            )
            .await
            .map_err(db)?;
            let row = c
                .query_opt(&format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1"), &[&id])
                .await
                .map_err(db)?
                .ok_or_else(|| not_found(id))?;
            Ok(visit_row(&row))
        })
    }

    fn check_out(&self, id: i64, now_ms: i64) -> Result<Visit, DeskError> {
        self.with(move |c| async move {
            c.execute(
                "UPDATE visits SET checked_out_at = $2 WHERE id = $1 AND checked_out_at IS NULL",
                &[&id, &now_ms],
            )
            .await
            .map_err(db)?;
            let row = c
                .query_opt(
                    &format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1"),
                    &[&id],
                )
                .await
                .map_err(db)?
                .ok_or_else(|| not_found(id))?;
            Ok(visit_row(&row))
        })
    }

    fn open_visit_for_conversation(&self, conversation_id: &str) -> Result<Option<Visit>, DeskError> {
        let conversation = conversation_id.to_owned();
        self.with(move |c| async move {
            let row = c
                .query_opt(
                    &format!(
                        "SELECT {VISIT_COLUMNS} FROM visits WHERE conversation_id = $1 AND checked_out_at IS NULL ORDER BY id DESC LIMIT 1"
                    ),
                    &[&conversation],
                )
                .await
                .map_err(db)?;
            Ok(row.as_ref().map(visit_row))
        })
    }

    fn visits_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Visit>, DeskError> {
        self.with(move |c| async move {
            let rows = c
                .query(
                    &format!(
                        "SELECT {VISIT_COLUMNS} FROM visits WHERE checked_in_at >= $1 AND checked_in_at < $2 ORDER BY id DESC"
                    ),
                    &[&from_ms, &until_ms],
                )
                .await
                .map_err(db)?;
            Ok(rows.iter().map(visit_row).collect())
        })
    }

    fn add_message(&self, message: &NewMessage<'_>, now_ms: i64) -> Result<Recorded<Message>, DeskError> {
        let m = (
            message.for_staff_id.to_owned(),
            message.from_name.to_owned(),
            owned(message.contact),
            message.body.to_owned(),
            owned(message.idempotency_key),
        );
        self.with(move |c| async move {
            let (staff, from, contact, body, key) = m;
            let inserted = c
                .query_opt(
                    &format!(
                        "INSERT INTO messages (for_staff_id, from_name, contact, body, created_at, idempotency_key)
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING RETURNING {MESSAGE_COLUMNS}"
                    ),
                    &[&staff, &from, &contact, &body, &now_ms, &key],
                )
                .await
                .map_err(db)?;
            if let Some(row) = inserted {
                return Ok(Recorded { row: message_row(&row), first: true });
            }
            let row = c
                .query_one(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE idempotency_key = $1"), &[&key])
                .await
                .map_err(db)?;
            let asked = NewMessage {
                for_staff_id: &staff,
                from_name: &from,
                contact: contact.as_deref(),
                body: &body,
                idempotency_key: key.as_deref(),
            };
            asked.replayed(message_row(&row))
        })
    }

    fn messages_between(&self, from_ms: i64, until_ms: i64) -> Result<Vec<Message>, DeskError> {
        self.with(move |c| async move {
            let rows = c
                .query(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE created_at >= $1 AND created_at < $2 ORDER BY id DESC"
                    ),
                    &[&from_ms, &until_ms],
                )
                .await
                .map_err(db)?;
            Ok(rows.iter().map(message_row).collect())
        })
    }

    fn count_messages_between(&self, from_ms: i64, until_ms: i64) -> Result<i64, DeskError> {
        self.with(move |c| async move {
            let row = c
                .query_one(
                    "SELECT COUNT(*) FROM messages WHERE created_at >= $1 AND created_at < $2",
                    &[&from_ms, &until_ms],
                )
                .await
                .map_err(db)?;
            Ok(row.get(0))
        })
    }

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
        let e = (
            id.to_owned(),
            kind.to_owned(),
            owned(staff_id),
            payload.to_owned(),
            targets.to_vec(),
        );
        self.with(move |mut c| async move {
            let (id, kind, staff, payload, targets) = e;
            let tx = c.transaction().await.map_err(db)?;
            // Events are replayed by their sequence number, so they must commit in its order:
            // one gateway's event numbered before another's but committed after it would be
            // behind a desk that already read the later one. Storing them one at a time across
            // the gateways costs nothing at a front desk's pace.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&EVENTS_LOCK])
                .await
                .map_err(db)?;
            let inserted = tx
                .execute(
                    "INSERT INTO events (id, kind, staff_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (id) DO NOTHING",
                    &[&id, &kind, &staff, &payload, &created_at_ms],
                )
                .await
                .map_err(db)?;
            if inserted == 0 {
                return Ok(false);
            }
            for target in &targets {
                tx.execute(
                    "INSERT INTO deliveries (event_id, target, state, next_attempt_at) VALUES ($1, $2, 'pending', $3)",
                    &[&id, target, &due_at_ms],
                )
                .await
                .map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(true)
        })
    }

    fn events_after(&self, after: &str, limit: usize) -> Result<Vec<String>, DeskError> {
        let after = after.to_owned();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |c| async move {
            let rows = c
                .query(
                    "SELECT payload FROM events WHERE seq > (SELECT seq FROM events WHERE id = $1) ORDER BY seq LIMIT $2",
                    &[&after, &limit],
                )
                .await
                .map_err(db)?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn due_deliveries(&self, now_ms: i64, limit: usize) -> Result<Vec<PendingDelivery>, DeskError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let lease_until = now_ms.saturating_add(DELIVERY_LEASE_MS);
        self.with(move |c| async move {
            // Claimed in one statement: rows another gateway's worker is claiming are skipped,
            // not waited for, and what this one takes is leased to it.
            let rows = c
                .query(
                    "WITH due AS (
                         SELECT event_id, target FROM deliveries
                         WHERE state = 'pending' AND next_attempt_at <= $1
                         ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                     UPDATE deliveries d SET next_attempt_at = $3 FROM due, events e
                     WHERE d.event_id = due.event_id AND d.target = due.target AND e.id = d.event_id
                     RETURNING d.event_id, d.target, d.attempts, e.payload",
                    &[&now_ms, &limit, &lease_until],
                )
                .await
                .map_err(db)?;
            Ok(rows
                .iter()
                .map(|r| PendingDelivery {
                    event_id: r.get(0),
                    target: r.get(1),
                    attempts: r.get(2),
                    payload: r.get(3),
                })
                .collect())
        })
    }

    fn mark_delivery(
        &self,
        event_id: &str,
        target: &str,
        outcome: DeliveryOutcome<'_>,
    ) -> Result<(), DeskError> {
        let (state, error, next) = match outcome {
            DeliveryOutcome::Delivered => ("delivered", None, 0),
            DeliveryOutcome::Retry { error, at_ms } => ("pending", Some(error.to_owned()), at_ms),
            DeliveryOutcome::Failed { error } => ("failed", Some(error.to_owned()), 0),
        };
        let (event_id, target) = (event_id.to_owned(), target.to_owned());
        self.with(move |c| async move {
            c.execute(
                "UPDATE deliveries SET state = $3, attempts = attempts + 1, last_error = $4, next_attempt_at = $5
                 WHERE event_id = $1 AND target = $2",
                &[&event_id, &target, &state, &error, &next],
            )
            .await
            .map_err(db)?;
            Ok(())
        })
    }

    fn delivery(
        &self,
        event_id: &str,
        target: &str,
    ) -> Result<Option<(String, i64, Option<String>)>, DeskError> {
        let (event_id, target) = (event_id.to_owned(), target.to_owned());
        self.with(move |c| async move {
            let row = c
                .query_opt(
                    "SELECT state, attempts, last_error FROM deliveries WHERE event_id = $1 AND target = $2",
                    &[&event_id, &target],
                )
                .await
                .map_err(db)?;
            Ok(row.map(|r| (r.get(0), r.get(1), r.get(2))))
        })
    }

    fn save_conversation(&self, id: &str, history: &str, now_ms: i64) -> Result<(), DeskError> {
        let (id, history) = (id.to_owned(), history.to_owned());
        self.with(move |c| async move {
            c.execute(
                "INSERT INTO conversations (id, history, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET history = excluded.history, updated_at = excluded.updated_at",
                &[&id, &history, &now_ms],
            )
            .await
            .map_err(db)?;
            Ok(())
        })
    }

    fn conversation(&self, id: &str) -> Result<Option<SavedConversation>, DeskError> {
        let id = id.to_owned();
        self.with(move |c| async move {
            let row = c
                .query_opt(
                    "SELECT history, updated_at FROM conversations WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(db)?;
            Ok(row.map(|r| SavedConversation {
                history: r.get(0),
                updated_at_ms: r.get(1),
            }))
        })
    }

    fn forget_conversation(&self, id: &str) -> Result<bool, DeskError> {
        let id = id.to_owned();
        self.with(move |c| async move {
            let n = c
                .execute("DELETE FROM conversations WHERE id = $1", &[&id])
                .await
                .map_err(db)?;
            Ok(n > 0)
        })
    }

    fn forget_conversations_before(&self, before_ms: i64) -> Result<usize, DeskError> {
        self.with(move |c| async move {
            let n = c
                .execute("DELETE FROM conversations WHERE updated_at < $1", &[&before_ms])
                .await
                .map_err(db)?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }
}
