//! The gateway's security rules through real HTTP: a server on port 0, a real client, and for
//! each rule the request that passes and the requests that must not.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod security {
    pub mod auth;
    pub mod harness;
    pub mod head;
    pub mod layers;
    pub mod marketing;
    pub mod openapi;
    pub mod ratelimit;
    pub mod scrub;
    pub mod token;
    pub mod upstreams;
    pub mod voice;
    pub mod ws_proxy;
}
