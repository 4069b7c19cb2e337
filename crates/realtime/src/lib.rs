//! The OpenAI Realtime protocol (GA), as spoken by the cloud service and by Donna's local engine.
//!
//! | module | owns |
//! |---|---|
//! | [`protocol`] | every client and server event, session config, items, responses; decoding that tolerates unknown events and fields |
//! | [`session`] | the client's view of one conversation, sans I/O: what to send when, what to show |
//!
//! Nothing here does I/O.

pub mod protocol;
pub mod session;

mod error;

pub use error::RealtimeError;
