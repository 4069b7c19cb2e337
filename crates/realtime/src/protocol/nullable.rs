//! Fields where "absent", "null" and a value mean three different things (`session.update`:
//! absent keeps, `null` clears). Use with `Option<Option<T>>`.

use serde::{Deserialize, Deserializer};

/// Deserialise a present field (null or not) as `Some(..)`; absence is handled by `#[serde(default)]`.
pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
