//! Open sessions counted by every gateway together, for the realtime proxy's caps: how many may
//! be open at once in all and per caller, whichever gateway each is on.
//!
//! Each open session is a member of two sorted sets, all sessions and its caller's, scored by
//! the time its lease ends on Redis's clock. Taking a place is one Lua script (drop the expired,
//! count, add), so two gateways can never both take the last place. The gateway renews its
//! sessions' leases while they are open and removes them when they end; a gateway that dies
//! without saying so loses its places when their leases run out ([`LEASE`]).
//!
//! Renewals and releases go through one task, in the order they were asked for, so a renewal
//! can never bring back a session already released. A renewal adds a session that Redis lost
//! (Redis restarted, or was down past the lease), so the counts come back with Redis.
//!
//! A Redis that does not answer is not waited for: taking a place gives up after
//! [`crate::CHECK_TIMEOUT`] and is left alone for [`crate::RETRY_AFTER`] after a failure; the
//! gateway then caps with its own counts alone.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc;

use crate::{Address, CHECK_TIMEOUT, Link, RedisError};

/// How long a session keeps its place without being renewed: a gateway that dies frees its
/// places this long after.
pub const LEASE: Duration = Duration::from_secs(30);

/// KEYS[1]: every session, KEYS[2]: the caller's sessions. ARGV[1]: the session, ARGV[2]: the
/// lease (ms), ARGV[3]: the cap in all, ARGV[4]: the caller's cap. Returns 0 when the place is
/// taken, 1 when the cap in all is reached, 2 when the caller's is.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('ZADD', KEYS[2], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
redis.call('PEXPIRE', KEYS[2], lease)
return 0
";

/// KEYS[1]: every session, KEYS[2..]: each session's caller set. ARGV[1]: the lease (ms),
/// ARGV[2..]: the sessions, in the order of their keys.
const RENEW: &str = r"
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[1], until_ms, ARGV[i])
  redis.call('ZADD', KEYS[i], until_ms, ARGV[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
";

/// Which cap a place was refused under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCap {
    /// The cap on sessions in all.
    Total,
    /// The caller's own cap.
    Identity,
}

/// What the renewal task is asked to do, in order.
#[derive(Debug)]
enum Change {
    Held { session: String, identity: String },
    Released { session: String, identity: String },
}

/// The proxy's session counts in Redis, under `donna:<prefix>:`.
pub struct SharedSessions {
    link: Link,
    prefix: &'static str,
    lease: Duration,
    acquire: redis::Script,
    /// The task that renews and releases; started with the first place taken, since it needs
    /// the runtime the gateway runs on.
    changes: OnceLock<mpsc::UnboundedSender<Change>>,
}

impl std::fmt::Debug for SharedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSessions")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl SharedSessions {
    /// Counts under `donna:<prefix>:` in the Redis at `url`, with leases of [`LEASE`];
    /// connects at the first call.
    pub fn new(address: impl Into<Address>, prefix: &'static str) -> Result<Self, RedisError> {
        Self::with_lease(address, prefix, LEASE)
    }

    /// The same with another lease (tests shorten it to see a dead gateway's places freed).
    pub fn with_lease(
        address: impl Into<Address>,
        prefix: &'static str,
        lease: Duration,
    ) -> Result<Self, RedisError> {
        Ok(Self {
            link: Link::new(address.into())?,
            prefix,
            lease: lease.max(Duration::from_millis(100)),
            acquire: redis::Script::new(ACQUIRE),
            changes: OnceLock::new(),
        })
    }

    /// Take a place for `session` of `identity` under both caps: `Ok(None)` when taken (it is
    /// renewed until [`SharedSessions::release`]), `Ok(Some(cap))` when refused; `Err` when
    /// Redis cannot answer now, and then nothing was taken.
    pub async fn acquire(
        &self,
        session: &str,
        identity: &str,
        max_total: u64,
        max_per_identity: u64,
    ) -> Result<Option<SessionCap>, String> {
        let verdict: i64 = self
            .link
            .call(|mut connection| async move {
                self.acquire
                    .key(self.all_key())
                    .key(identity_key(self.prefix, identity))
                    .arg(session)
                    .arg(millis(self.lease))
                    .arg(max_total)
                    .arg(max_per_identity)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        match verdict {
            0 => {
                self.send(Change::Held {
                    session: session.to_owned(),
                    identity: identity.to_owned(),
                });
                Ok(None)
            }
            1 => Ok(Some(SessionCap::Total)),
            _ => Ok(Some(SessionCap::Identity)),
        }
    }

    /// Give back the place of `session`; it returns at once, the removal follows in order.
    pub fn release(&self, session: &str, identity: &str) {
        self.send(Change::Released {
            session: session.to_owned(),
            identity: identity.to_owned(),
        });
    }

    fn send(&self, change: Change) {
        let changes = self.changes.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let keeper = Keeper {
                client: self.link.client().clone(),
                all: self.all_key(),
                prefix: self.prefix,
                lease: self.lease,
            };
            tokio::spawn(keeper.run(rx));
            tx
        });
        // The task ends only with the runtime, when nothing is left to count.
        let _ = changes.send(change);
    }

    fn all_key(&self) -> String {
        format!("donna:{}:all", self.prefix)
    }
}

fn identity_key(prefix: &str, identity: &str) -> String {
    format!("donna:{prefix}:by:{identity}")
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The task that keeps this gateway's places: renews every open session's lease a third of a
/// lease apart, and removes the sessions that end.
struct Keeper {
    client: redis::Client,
    all: String,
    prefix: &'static str,
    lease: Duration,
}

impl Keeper {
    async fn run(self, mut changes: mpsc::UnboundedReceiver<Change>) {
        let renew = redis::Script::new(RENEW);
        let mut open: HashMap<String, String> = HashMap::new();
        let mut connection: Option<MultiplexedConnection> = None;
        let mut tick = tokio::time::interval(self.lease / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Some(Change::Held { session, identity }) => {
                        open.insert(session, identity);
                    }
                    Some(Change::Released { session, identity }) => {
                        open.remove(&session);
                        let mut remove = redis::pipe();
                        remove.cmd("ZREM").arg(&self.all).arg(&session).ignore();
                        remove
                            .cmd("ZREM")
                            .arg(identity_key(self.prefix, &identity))
                            .arg(&session)
                            .ignore();
                        let outcome = tokio::time::timeout(CHECK_TIMEOUT, async {
                            let mut c = self.connected(&mut connection).await?;
                            remove.query_async::<()>(&mut c).await
                        })
                        .await;
                        // On failure its lease runs out by itself.
                        settle(&mut connection, outcome, "give a proxy session's place back");
                    }
                    None => return,
                },
                _ = tick.tick() => {
                    if open.is_empty() {
                        continue;
                    }
                    let mut call = renew.key(&self.all);
                    call.arg(millis(self.lease));
                    for (session, identity) in &open {
                        call.key(identity_key(self.prefix, identity)).arg(session);
                    }
                    let outcome = tokio::time::timeout(CHECK_TIMEOUT, async {
                        let mut c = self.connected(&mut connection).await?;
                        call.invoke_async::<()>(&mut c).await
                    })
                    .await;
                    settle(&mut connection, outcome, "renew the proxy sessions' places");
                }
            }
        }
    }

    /// The cached connection, connecting first when there is none.
    async fn connected(
        &self,
        connection: &mut Option<MultiplexedConnection>,
    ) -> redis::RedisResult<MultiplexedConnection> {
        if let Some(c) = connection {
            return Ok(c.clone());
        }
        let c = self.client.get_multiplexed_async_connection().await?;
        *connection = Some(c.clone());
        Ok(c)
    }
}

/// After a failed or late call, connect afresh next time; the failure is only logged, since
/// the leases make up for a missed renewal or release.
fn settle(
    connection: &mut Option<MultiplexedConnection>,
    outcome: Result<redis::RedisResult<()>, tokio::time::error::Elapsed>,
    what: &str,
) {
    let error = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e.to_string(),
        Err(_) => "Redis did not answer in time".to_owned(),
    };
    *connection = None;
    tracing::debug!(error = %error, "could not {what} in Redis");
}
