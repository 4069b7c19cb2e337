//! The OpenAI Realtime protocol (GA), as spoken by the cloud service and by Donna's local engine.
//!
//! | module | owns |
//! |---|---|
//! | [`protocol`] | every client and server event, session config, items, responses; decoding that tolerates unknown events and fields |
//!
//! Nothing here does I/O.

pub mod protocol;

mod error;

pub use error::RealtimeError;
