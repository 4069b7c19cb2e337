//! The gateway's security rules through real HTTP: a server on port 0, a real client, and for
//! each rule the request that passes and the requests that must not.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod security {
    pub mod auth;
    pub mod harness;
}
