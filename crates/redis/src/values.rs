//! Short-lived values every gateway reads (the engine's client secrets), under their SHA-256
//! in Redis so that listing its keys shows no secret. Calls are synchronous and bounded
//! ([`CALL_TIMEOUT`]), like the desk's store: the engine checks a credential in the middle of
//! a request and must not hang on a dead Redis; after a failure Redis is left alone for
//! [`crate::RETRY_AFTER`].

use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{Address, Breaker, RedisError};

/// The longest one call may take, connecting included.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(250);

/// KEYS[1]: the value's key, KEYS[2]: the index of live values (their hashes, scored by expiry
/// on Redis's clock). ARGV[1]: the value, ARGV[2]: its TTL (ms), ARGV[3]: the most alive at
/// once, ARGV[4]: its hash. Returns 1 when kept, 0 when as many are alive as allowed.
const PUT_CAPPED: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
";

/// Values under one prefix in one Redis.
pub struct SharedValues {
    client: redis::Client,
    prefix: &'static str,
    put_capped: redis::Script,
    connection: Mutex<Option<redis::Connection>>,
    breaker: Breaker,
}

impl std::fmt::Debug for SharedValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedValues")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl SharedValues {
    /// Values under `donna:<prefix>:` in the Redis at `url`; connects at the first call.
    pub fn new(address: impl Into<Address>, prefix: &'static str) -> Result<Self, RedisError> {
        Ok(Self {
            client: address.into().client()?,
            prefix,
            put_capped: redis::Script::new(PUT_CAPPED),
            connection: Mutex::new(None),
            breaker: Breaker::default(),
        })
    }

    /// Keep `value` under `name` for `ttl`, unless `max` values of this prefix are alive
    /// already: `Ok(false)` then, and nothing is kept. The cap holds however many gateways
    /// put values at once.
    pub fn put(&self, name: &str, value: &str, ttl: Duration, max: usize) -> Result<bool, String> {
        let hash = hash(name);
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let kept: i64 = self.call(|c| {
            self.put_capped
                .key(self.key_of(&hash))
                .key(format!("donna:{}:index", self.prefix))
                .arg(value)
                .arg(ms)
                .arg(max)
                .arg(&hash)
                .invoke(c)
        })?;
        Ok(kept == 1)
    }

    pub fn get(&self, name: &str) -> Result<Option<String>, String> {
        let key = self.key(name);
        self.call(|c| redis::cmd("GET").arg(&key).query::<Option<String>>(c))
    }

    /// Forget `name`; true when it was there.
    pub fn remove(&self, name: &str) -> Result<bool, String> {
        let hash = hash(name);
        let (key, index) = (self.key_of(&hash), format!("donna:{}:index", self.prefix));
        self.call(|c| {
            redis::pipe()
                .cmd("DEL")
                .arg(&key)
                .cmd("ZREM")
                .arg(&index)
                .arg(&hash)
                .ignore()
                .query::<(i64,)>(c)
        })
        .map(|(n,)| n > 0)
    }

    fn key(&self, name: &str) -> String {
        self.key_of(&hash(name))
    }

    fn key_of(&self, hash: &str) -> String {
        format!("donna:{}:{hash}", self.prefix)
    }

    fn call<T>(
        &self,
        work: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        self.breaker.check()?;
        let mut slot = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = match slot.take() {
            Some(c) => Ok(c),
            None => self.connect(),
        }
        .and_then(|mut c| work(&mut c).map(|value| (c, value)));
        match outcome {
            Ok((c, value)) => {
                *slot = Some(c);
                self.breaker.record(true);
                Ok(value)
            }
            Err(e) => {
                self.breaker.record(false);
                Err(e.to_string())
            }
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let c = self.client.get_connection_with_timeout(CALL_TIMEOUT)?;
        c.set_read_timeout(Some(CALL_TIMEOUT))?;
        c.set_write_timeout(Some(CALL_TIMEOUT))?;
        Ok(c)
    }
}

/// A name's SHA-256 in hex: what Redis holds instead of the name.
fn hash(name: &str) -> String {
    hex::encode(Sha256::digest(name.as_bytes()))
}
