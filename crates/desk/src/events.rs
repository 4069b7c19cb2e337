//! Staff events: what the desk tells staff (check-ins, messages, escalations, acknowledgements).
//!
//! Each event is stored before it is published, so a subscriber that reconnects and a webhook
//! that retries see the same event with the same id.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event for staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeskEvent {
    /// `evt_` followed by 24 hex digits; unique, stable across retries.
    pub id: String,
    /// `visitor.checked_in`, `visitor.acknowledged`, `visitor.checked_out`, `message.left`,
    /// `staff.notified`, or a kind given by an internal publisher.
    pub kind: String,
    /// Milliseconds since the epoch.
    pub at: i64,
    /// The member of staff concerned, when there is one.
    #[serde(default)]
    pub staff_id: Option<String>,
    /// One sentence a notification can show as is.
    pub summary: String,
    /// Kind-specific details (visit, message).
    #[serde(default)]
    pub data: Value,
}

impl DeskEvent {
    pub fn new(
        kind: impl Into<String>,
        staff_id: Option<String>,
        summary: impl Into<String>,
        data: Value,
        at: i64,
    ) -> Self {
        let bytes: [u8; 12] = rand_bytes();
        Self {
            id: format!(
                "evt_{}",
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
            kind: kind.into(),
            at,
            staff_id,
            summary: summary.into(),
            data,
        }
    }

    /// The same event under `id`: an event that one fact (a visit, a message) makes, whose
    /// id says which, so recording it again is recording nothing.
    #[must_use]
    pub fn with_id(mut self, id: String) -> Self {
        self.id = id;
        self
    }
}

/// Random bytes from the standard library's hasher seeds: unique enough for ids without a
/// dependency on a random-number crate.
fn rand_bytes<const N: usize>() -> [u8; N] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
    out
}
