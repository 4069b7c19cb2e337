//! The schema, in versions applied in order and recorded in `donna_schema`. Gateways that
//! start together take an advisory lock, so one applies what is missing and the others see it.

use deadpool_postgres::Pool;
use donna_desk::DeskError;

use crate::{causes, database, db};

/// Any number, the same in every gateway: the lock that serialises migrations.
const MIGRATION_LOCK: i64 = 0x646f_6e6e_615f_7631; // "donna_v1"

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE visits (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        visitor_name TEXT NOT NULL,
        host_staff_id TEXT NOT NULL,
        appointment_time TEXT,
        purpose TEXT,
        conversation_id TEXT,
        checked_in_at BIGINT NOT NULL,
        acknowledged_at BIGINT,
        acknowledged_by TEXT,
        checked_out_at BIGINT,
        idempotency_key TEXT UNIQUE
    );
    CREATE INDEX visits_checked_in_at ON visits (checked_in_at);
    CREATE INDEX visits_conversation_id ON visits (conversation_id);
    CREATE TABLE messages (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        for_staff_id TEXT NOT NULL,
        from_name TEXT NOT NULL,
        contact TEXT,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        idempotency_key TEXT UNIQUE
    );
    CREATE INDEX messages_created_at ON messages (created_at);
    CREATE TABLE events (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        staff_id TEXT,
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE TABLE deliveries (
        event_id TEXT NOT NULL REFERENCES events (id),
        target TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts BIGINT NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at BIGINT NOT NULL,
        PRIMARY KEY (event_id, target)
    );
    CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';",
    // Conversations in progress, so another gateway carries them on.
    "CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        history TEXT NOT NULL,
        updated_at BIGINT NOT NULL
    );
    CREATE INDEX conversations_updated_at ON conversations (updated_at);",
];

/// Bring the database's schema up to date; a database from a newer Donna is refused.
pub(crate) async fn migrate(pool: &Pool) -> Result<(), DeskError> {
    let mut client = pool.get().await.map_err(|e| database(causes(&e)))?;
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS donna_schema (version INTEGER NOT NULL)")
        .await
        .map_err(db)?;
    let done: Option<i32> = tx
        .query_one("SELECT max(version) FROM donna_schema", &[])
        .await
        .map_err(db)?
        .get(0);
    let done = usize::try_from(done.unwrap_or(0)).unwrap_or(0);
    if done > MIGRATIONS.len() {
        return Err(database(format!(
            "the database's schema is version {done}, newer than this Donna's ({}): upgrade Donna",
            MIGRATIONS.len()
        )));
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(migration).await.map_err(db)?;
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.execute("INSERT INTO donna_schema (version) VALUES ($1)", &[&version])
            .await
            .map_err(db)?;
        tracing::info!(version, "store schema migrated");
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}
