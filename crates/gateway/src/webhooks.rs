//! Webhook delivery: every stored staff event is POSTed to its targets, signed, and retried
//! with backoff until delivered or given up; each attempt's outcome is stored.
//!
//! Signature: `X-Donna-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
//! `X-Donna-Timestamp: <unix seconds>`, so a receiver can reject replays as well as forgeries.

use std::sync::Arc;
use std::time::Duration;

use donna_config::Secret;
use donna_desk::Reception;
use donna_desk::store::{DeliveryOutcome, PendingDelivery};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

/// How delivery is paced.
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    /// How often the queue is checked.
    pub poll: Duration,
    /// The wait before retry n is `base * 2^(n-1)`, capped at `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i64,
    pub timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(10 * 60),
            max_attempts: 8,
            timeout: Duration::from_secs(5),
        }
    }
}

/// The signature header value for `body` sent at `timestamp`.
pub fn signature(secret: &Secret, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Run deliveries until `shutdown`.
pub fn spawn(
    reception: Arc<Reception>,
    secret: Option<Secret>,
    policy: DeliveryPolicy,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(policy.timeout).build() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook client unavailable; events are stored but not delivered");
                return;
            }
        };
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(policy.poll) => {}
            }
            let now = jiff::Timestamp::now().as_millisecond();
            let due = match reception.store().due_deliveries(now, 32) {
                Ok(due) => due,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the delivery queue");
                    continue;
                }
            };
            for delivery in due {
                let outcome = attempt(&client, secret.as_ref(), &delivery).await;
                let attempts = delivery.attempts + 1;
                let result = match outcome {
                    Ok(()) => reception.store().mark_delivery(
                        &delivery.event_id,
                        &delivery.target,
                        DeliveryOutcome::Delivered,
                    ),
                    Err(error) if attempts >= policy.max_attempts => {
                        tracing::warn!(event = %delivery.event_id, target = %delivery.target, %error, "webhook delivery failed for good");
                        reception.store().mark_delivery(
                            &delivery.event_id,
                            &delivery.target,
                            DeliveryOutcome::Failed { error: &error },
                        )
                    }
                    Err(error) => {
                        let wait = policy
                            .base_backoff
                            .saturating_mul(1 << (attempts - 1).clamp(0, 20))
                            .min(policy.max_backoff);
                        let at_ms = jiff::Timestamp::now().as_millisecond() + wait.as_millis() as i64;
                        tracing::debug!(event = %delivery.event_id, target = %delivery.target, %error, "webhook delivery will be retried");
                        reception.store().mark_delivery(
                            &delivery.event_id,
                            &delivery.target,
                            DeliveryOutcome::Retry { error: &error, at_ms },
                        )
                    }
                };
                if let Err(e) = result {
                    tracing::error!(error = %e, "cannot record a delivery attempt");
                }
            }
        }
    })
}

async fn attempt(
    client: &reqwest::Client,
    secret: Option<&Secret>,
    d: &PendingDelivery,
) -> Result<(), String> {
    let timestamp = jiff::Timestamp::now().as_second();
    let mut req = client
        .post(&d.target)
        .header("content-type", "application/json")
        .header("x-donna-event-id", &d.event_id)
        .header("x-donna-timestamp", timestamp.to_string())
        .body(d.payload.clone());
    if let Some(secret) = secret {
        req = req.header("x-donna-signature", signature(secret, timestamp, &d.payload));
    }
    match req.send().await {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => Err(format!("HTTP {}", resp.status().as_u16())),
        // The error names the URL's host at most; bodies and secrets are never in it.
        Err(e) if e.is_timeout() => Err("timed out".to_owned()),
        Err(e) if e.is_connect() => Err("connection failed".to_owned()),
        Err(_) => Err("request failed".to_owned()),
    }
}
