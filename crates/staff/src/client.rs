//! The gateway client of a staff desktop.

use std::time::Duration;

use donna_config::Secret;
use donna_desk::DeskEvent;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::sse::SseParser;

/// What can go wrong talking to the gateway.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    #[error("gateway URL \"{0}\" is not an http(s) URL")]
    BadUrl(String),
    #[error("cannot reach the gateway: {0}")]
    Unreachable(String),
    #[error(
        "the gateway refused the staff token (HTTP {0}); mint a new one with `donna token mint --role staff`"
    )]
    Refused(u16),
    #[error("the gateway answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("unexpected answer from the gateway: {0}")]
    Decode(String),
}

/// A visit as `GET /api/visits` lists it (the gateway's JSON, not the store's row).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitRow {
    pub id: i64,
    pub visitor_name: String,
    pub host_staff_id: String,
    #[serde(default)]
    pub appointment_time: Option<String>,
    pub checked_in_at: i64,
    #[serde(default)]
    pub acknowledged_at: Option<i64>,
    #[serde(default)]
    pub checked_out_at: Option<i64>,
}

/// A staff desktop's connection to its gateway.
#[derive(Debug, Clone)]
pub struct StaffClient {
    http: reqwest::Client,
    base: String,
    token: Secret,
}

impl StaffClient {
    pub fn new(base: &str, token: Secret) -> Result<Self, StaffError> {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(StaffError::BadUrl(base.to_owned()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| StaffError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// Today's visits, newest first.
    pub async fn visits_today(&self) -> Result<Vec<VisitRow>, StaffError> {
        let resp = self
            .send(self.http.get(format!("{}/api/visits", self.base)))
            .await?;
        resp.json().await.map_err(|e| StaffError::Decode(e.to_string()))
    }

    /// Tell the gateway this staff member is on their way to visit `id`.
    pub async fn acknowledge(&self, id: i64) -> Result<(), StaffError> {
        self.send(self.http.post(format!("{}/api/visits/{id}/ack", self.base)))
            .await
            .map(|_| ())
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, StaffError> {
        let resp = req
            .bearer_auth(self.token.expose())
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| StaffError::Unreachable(without_url(&e)))?;
        match resp.status().as_u16() {
            200..=299 => Ok(resp),
            status @ (401 | 403) => Err(StaffError::Refused(status)),
            status => {
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                let message = body["error"]["message"]
                    .as_str()
                    .unwrap_or("no details")
                    .to_owned();
                Err(StaffError::Http { status, message })
            }
        }
    }

    /// Follow the event stream, sending each event to `tx`, reconnecting with backoff until
    /// `shutdown` or until the token is refused (then the error is returned).
    pub async fn follow(
        &self,
        tx: mpsc::Sender<DeskEvent>,
        shutdown: CancellationToken,
    ) -> Result<(), StaffError> {
        let mut backoff = Duration::from_millis(250);
        loop {
            let outcome = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                r = self.follow_once(&tx) => r,
            };
            match outcome {
                Err(StaffError::Refused(status)) => return Err(StaffError::Refused(status)),
                Err(e) => tracing::warn!(error = %e, "event stream interrupted; reconnecting"),
                Ok(()) => tracing::info!("event stream ended; reconnecting"),
            }
            if tx.is_closed() {
                return Ok(());
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(15));
        }
    }

    async fn follow_once(&self, tx: &mpsc::Sender<DeskEvent>) -> Result<(), StaffError> {
        let mut resp = self
            .send(self.http.get(format!("{}/api/voice/events", self.base)))
            .await?;
        let mut parser = SseParser::default();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| StaffError::Unreachable(without_url(&e)))?
        {
            for event in parser.push(&String::from_utf8_lossy(&chunk)) {
                match serde_json::from_str::<DeskEvent>(&event.data) {
                    Ok(e) => {
                        if tx.send(e).await.is_err() {
                            return Ok(());
                        }
                    }
                    Err(_) => tracing::debug!(kind = ?event.event, "skipping a non-desk event"),
                }
            }
        }
        Ok(())
    }
}

/// reqwest's errors name the URL; the staff token is never in it, but keep messages short.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    }
}
