//! The staff desktop's side of the gateway: it follows the live event stream
//! (`GET /api/voice/events`, server-sent events), lists today's visitors, and tells the gateway
//! when a staff member is on their way (`POST /api/visits/{id}/ack`).
//!
//! | module | owns |
//! |---|---|
//! | [`sse`] | parsing the server-sent-events wire format, incrementally |
//! | [`client`] | the HTTP client, the reconnecting subscription |

pub mod client;
pub mod sse;

pub use client::{Link, StaffClient, StaffError};
/// The events the client follows, as the gateway sends them.
pub use donna_desk::DeskEvent;
