//! The one error type of this crate.

/// What can go wrong speaking the protocol.
#[derive(Debug, thiserror::Error)]
pub enum RealtimeError {
    /// A frame that could not be decoded into an event; see [`crate::protocol::DecodeError`].
    #[error(transparent)]
    Decode(#[from] crate::protocol::DecodeError),
}
