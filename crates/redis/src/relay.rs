//! The relay loop: this gateway's events out to the channel, the other gateways' in to this
//! one's live subscribers, each event once.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use donna_desk::{DeskEvent, Reception};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{BusState, CHANNEL, CONNECT_TIMEOUT};

/// What goes on the channel: the event and the gateway it comes from, so a gateway skips its
/// own when they come back.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    origin: String,
    event: DeskEvent,
}

/// The ids of events relayed in lately: they come back through this gateway's own broadcast,
/// and must not go out again.
#[derive(Debug, Default)]
struct Recent {
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Recent {
    const KEEP: usize = 4096;

    fn insert(&mut self, id: String) {
        if self.ids.insert(id.clone()) {
            self.order.push_back(id);
            if self.order.len() > Self::KEEP
                && let Some(old) = self.order.pop_front()
            {
                self.ids.remove(&old);
            }
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }
}

/// Relay until shutdown, reconnecting with a backoff up to 5 s.
pub(crate) async fn run(
    client: redis::Client,
    reception: Arc<Reception>,
    state: watch::Sender<BusState>,
    shutdown: CancellationToken,
) {
    let origin = gateway_id();
    let mut backoff = Duration::from_millis(250);
    loop {
        let outcome = tokio::select! {
            () = shutdown.cancelled() => return,
            outcome = session(&client, &reception, &origin, &state) => outcome,
        };
        let reason = match outcome {
            Ok(()) => return,
            Err(reason) => reason,
        };
        if *state.borrow() == BusState::Live {
            tracing::warn!(%reason, "Redis lost: staff events reach only this gateway's desks until it is back");
            backoff = Duration::from_millis(250);
        }
        state.send_replace(BusState::Down { reason });
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One connection's life: `Ok` when this gateway's events end (shutdown), else why it broke.
async fn session(
    client: &redis::Client,
    reception: &Reception,
    origin: &str,
    state: &watch::Sender<BusState>,
) -> Result<(), String> {
    let connect = async {
        let publisher = client.get_multiplexed_async_connection().await?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(CHANNEL).await?;
        Ok::<_, redis::RedisError>((publisher, pubsub))
    };
    let (mut publisher, mut pubsub) = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| "Redis did not answer in time".to_owned())?
        .map_err(|e| e.to_string())?;
    let mut local = reception.subscribe();
    let mut messages = pubsub.on_message();
    let mut recent = Recent::default();
    state.send_replace(BusState::Live);
    tracing::info!("Redis: staff events are shared with the other gateways");
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else {
                    return Err("the connection to Redis closed".to_owned());
                };
                let Ok(payload) = message.get_payload::<String>() else { continue };
                match serde_json::from_str::<Envelope>(&payload) {
                    Ok(envelope) if envelope.origin != origin => {
                        recent.insert(envelope.event.id.clone());
                        reception.relay(envelope.event);
                    }
                    Ok(_) => {} // our own, back from the channel
                    Err(e) => tracing::warn!(error = %e, "an unreadable event on the Redis channel"),
                }
            }
            event = local.recv() => match event {
                Ok(event) if !recent.contains(&event.id) => {
                    let envelope = Envelope { origin: origin.to_owned(), event };
                    let payload = serde_json::to_string(&envelope).map_err(|e| e.to_string())?;
                    redis::cmd("PUBLISH")
                        .arg(CHANNEL)
                        .arg(payload)
                        .query_async::<i64>(&mut publisher)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(_) => {} // relayed in from another gateway
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the Redis relay fell behind; the other gateways' desks replay from the store");
                }
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}

/// This process's name on the channel: random, so two gateways never share one.
fn gateway_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    format!("gw_{:016x}", h.finish())
}
