//! Rate limits kept by every gateway together: GCRA (the algorithm the gateway's own limiter
//! runs) as one Lua script, so reading and moving a key's theoretical arrival time is atomic
//! however many gateways count the same client at once, and timed by Redis's own clock, so the
//! gateways' clocks need not agree.
//!
//! A Redis that does not answer is not waited for: a check gives up after
//! [`CHECK_TIMEOUT`], and for [`crate::RETRY_AFTER`] after a failure no check tries it at all, so a
//! dead Redis costs a request nothing; the gateway then limits with its own count.

use std::time::Duration;

use crate::{Address, Link, RedisError};

/// The longest a check may wait for Redis.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(250);

/// KEYS[1]: the client's key. ARGV[1]: the emission interval (µs between requests at the
/// rate), ARGV[2]: the burst tolerance (µs: interval × (burst − 1)). Returns 0 to let the
/// request through, else the µs to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if allow_at > now then return allow_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.floor((next_tat - now) / 1000) + 1)
return 0
";

/// The shared limits' connection to Redis.
pub struct SharedLimits {
    link: Link,
    script: redis::Script,
}

impl std::fmt::Debug for SharedLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLimits").finish_non_exhaustive()
    }
}

impl SharedLimits {
    /// Limits in the Redis at `url`; connects at the first check.
    pub fn new(address: impl Into<Address>) -> Result<Self, RedisError> {
        Ok(Self {
            link: Link::new(address.into())?,
            script: redis::Script::new(GCRA),
        })
    }

    /// Count one request of `key` against `max` requests per `per_s` seconds (all at once at
    /// most `max`): `Ok(None)` to let it through, `Ok(Some(wait))` to refuse it; `Err` when
    /// Redis cannot answer now.
    pub async fn check(&self, key: &str, max: u32, per_s: u32) -> Result<Option<Duration>, String> {
        let interval_us = u64::from(per_s.max(1)) * 1_000_000 / u64::from(max.max(1));
        let tolerance_us = interval_us * u64::from(max.max(1) - 1);
        let wait_us: i64 = self
            .link
            .call(|mut connection| async move {
                self.script
                    .key(format!("donna:rate:{key}"))
                    .arg(interval_us)
                    .arg(tolerance_us)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok((wait_us > 0).then(|| Duration::from_micros(wait_us.unsigned_abs())))
    }
}
