//! Protocol types: one struct per event, one enum per direction.
//!
//! Decoding ([`ClientEvent::parse`], [`ServerEvent::parse`]) reads the `type` first and then
//! only the matching struct, so a 100 ms audio chunk is scanned twice but never copied into an
//! intermediate tree. Unknown event types become `Unknown(raw)` instead of failing, and unknown
//! fields are ignored, as the protocol asks of clients. The stand-in server needs the opposite
//! (strict) view of client events; it gets it from [`DecodeError`]'s exact field paths and from
//! [`session::unknown_session_fields`].

pub mod client;
pub(crate) mod codec;
pub mod item;
pub mod response;
pub mod server;
pub mod session;

mod nullable;

pub use client::ClientEvent;
pub use codec::DecodeError;
pub use item::{ContentPart, Item, ItemStatus, Role};
pub use response::{Response, ResponseStatus};
pub use server::ServerEvent;
pub use session::{AudioFormat, SessionConfig, TurnDetection};
