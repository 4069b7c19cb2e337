//! A fresh database per test on the private server `scripts/start-postgres.sh` starts.

#![allow(clippy::unwrap_used, dead_code)] // a failed unwrap is a failed test

use std::sync::atomic::{AtomicU32, Ordering};

use donna_postgres::PostgresStore;

/// The server's URL from the environment: the tests need a real PostgreSQL.
pub fn server_url() -> String {
    std::env::var("DONNA_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "DONNA_TEST_POSTGRES_URL is not set: run `source scripts/start-postgres.sh` first \
             (scripts/test.sh does), or point it at a PostgreSQL server you may create databases on"
        )
    })
}

/// A new empty database on the test server; its URL.
pub fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = server_url();
    let name = format!(
        "donna_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    });
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// A store on a new empty database.
pub fn fresh_store() -> PostgresStore {
    PostgresStore::connect(&fresh_database()).unwrap()
}
