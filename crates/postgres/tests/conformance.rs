//! The store's contract, the same suite the SQLite store passes, on a real PostgreSQL server.

mod util;

donna_desk::conformance_tests!(donna_desk::store::Store::new(util::fresh_store()));
