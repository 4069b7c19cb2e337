//! Identifiers shaped like the service's: a prefix and 21 base62 characters.

use rand::Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `prefix_` followed by 21 random base62 characters (`event_`, `item_`, `resp_`, `call_`, ...).
pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + 22);
    id.push_str(prefix);
    id.push('_');
    for _ in 0..21 {
        id.push(BASE62[rng.random_range(0..BASE62.len())] as char);
    }
    id
}

/// A client secret: `ek_` and 32 hex digits, as the service mints them.
/// What every client secret starts with.
pub const CLIENT_SECRET_PREFIX: &str = "ek_";

pub fn new_client_secret() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    format!("{CLIENT_SECRET_PREFIX}{}", hex::encode(bytes))
}

/// A fresh engine API key for a data dir that has none.
pub fn new_engine_key() -> String {
    let bytes: [u8; 24] = rand::rng().random();
    format!("sk-donna-{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = new_id("item");
        assert!(id.starts_with("item_") && id.len() == 26, "{id}");
        let ek = new_client_secret();
        assert!(ek.starts_with("ek_") && ek.len() == 35 && ek[3..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(new_engine_key(), new_engine_key());
    }
}
