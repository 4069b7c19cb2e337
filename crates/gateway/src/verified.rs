//! Tokens whose signature and claims were checked already, so that a kiosk presenting the same
//! token on every request pays for the signature once, not each time: verifying a JWT (base64,
//! an HMAC or a public-key signature, two JSON documents) costs more than the rest of most
//! routes.
//!
//! Only tokens that passed verification enter; a hit is valid only while its token is, by the
//! same clock rule (`exp` and `nbf` with the leeway). The map is bounded: when it is full it is
//! emptied, and the tokens in use re-enter as they are next presented. Lookups hash the whole
//! token with the standard library's randomly keyed hasher, so no caller can pick colliding
//! tokens, and a token is compared with another only when their hashes match.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::claims::Claims;

/// Far more tokens than devices and desks at one site; a few hundred KiB at most.
const CAPACITY: usize = 4096;

#[derive(Debug, Default)]
pub struct Verified {
    tokens: Mutex<HashMap<Box<str>, Claims>>,
}

impl Verified {
    /// The claims of `token` when it was verified before and is still valid at `now` with
    /// `leeway` seconds either side.
    pub fn get(&self, token: &str, now: u64, leeway: u64) -> Option<Claims> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(token)
            .filter(|c| c.exp.saturating_add(leeway) >= now)
            .filter(|c| c.nbf.is_none_or(|nbf| nbf <= now.saturating_add(leeway)))
            .cloned()
    }

    /// Remember `token`, which has just been verified.
    pub fn insert(&self, token: &str, claims: &Claims) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(token.into(), claims.clone());
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Role;

    fn claims(exp: u64, nbf: Option<u64>) -> Claims {
        Claims {
            sub: "kiosk-lobby".into(),
            role: Role::Kiosk,
            iss: "donna".into(),
            aud: "donna-gateway".into(),
            exp,
            iat: 0,
            nbf,
        }
    }

    #[test]
    fn a_token_is_found_only_while_it_is_valid() {
        let verified = Verified::default();
        verified.insert("t1", &claims(1_000, Some(500)));
        assert_eq!(verified.get("t1", 900, 5).map(|c| c.exp), Some(1_000));
        assert!(verified.get("t1", 1_005, 5).is_some(), "within the leeway");
        assert!(verified.get("t1", 1_006, 5).is_none(), "expired");
        assert!(
            verified.get("t1", 494, 5).is_none(),
            "not yet valid (a clock set back)"
        );
        assert!(verified.get("t2", 900, 5).is_none(), "never verified");
    }

    #[test]
    fn the_map_stays_bounded() {
        let verified = Verified::default();
        for i in 0..CAPACITY + 10 {
            verified.insert(&format!("token-{i}"), &claims(u64::MAX, None));
        }
        assert!(verified.len() <= CAPACITY);
        assert!(verified.get(&format!("token-{}", CAPACITY + 9), 0, 0).is_some());
    }
}
