//! The gateway client of a staff desktop.

use std::time::Duration;

use donna_config::Secret;
use donna_desk::DeskEvent;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
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

/// A message as `GET /api/messages` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRow {
    pub id: i64,
    pub for_staff_id: String,
    pub from_name: String,
    #[serde(default)]
    pub contact: Option<String>,
    pub body: String,
    pub created_at: i64,
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

    /// Today's messages, newest first.
    pub async fn messages_today(&self) -> Result<Vec<MessageRow>, StaffError> {
        let resp = self
            .send(self.http.get(format!("{}/api/messages", self.base)))
            .await?;
        resp.json().await.map_err(|e| StaffError::Decode(e.to_string()))
    }

    /// The front desk's time zone (IANA, `Europe/London`): the page shows times in it, not in
    /// the zone of the computer it runs on, which may be anywhere.
    pub async fn time_zone(&self) -> Result<String, StaffError> {
        #[derive(Deserialize)]
        struct Clock {
            time_zone: String,
        }
        let resp = self
            .send(self.http.get(format!("{}/api/clock", self.base)))
            .await?;
        let clock: Clock = resp.json().await.map_err(|e| StaffError::Decode(e.to_string()))?;
        Ok(clock.time_zone)
    }

    /// Tell the gateway this staff member is on their way to visit `id`.
    pub async fn acknowledge(&self, id: i64) -> Result<(), StaffError> {
        self.post_visit(id, "ack").await.map(|_| ())
    }

    /// Tell the gateway visitor `id` has left; the visit as stored, with when they left.
    pub async fn check_out(&self, id: i64) -> Result<VisitRow, StaffError> {
        #[derive(Deserialize)]
        struct CheckedOut {
            visit: VisitRow,
        }
        let resp = self.post_visit(id, "checkout").await?;
        let body: CheckedOut = resp.json().await.map_err(|e| StaffError::Decode(e.to_string()))?;
        Ok(body.visit)
    }

    async fn post_visit(&self, id: i64, action: &str) -> Result<reqwest::Response, StaffError> {
        self.send(self.http.post(format!("{}/api/visits/{id}/{action}", self.base)))
            .await
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

    /// Follow the event stream, sending each event to `tx` and the state of the link to `link`,
    /// reconnecting with backoff until `shutdown` or until the token is refused (then the error
    /// is returned).
    ///
    /// Nothing is lost across a reconnect: the stream resumes after the last event received
    /// (`Last-Event-ID`), and the gateway replays what was published in between. A stream that
    /// stays silent longer than the gateway's keep-alives allow is taken for dead and reopened;
    /// the backoff starts again from its shortest after every good connection.
    pub async fn follow(
        &self,
        tx: mpsc::Sender<DeskEvent>,
        link: watch::Sender<Link>,
        shutdown: CancellationToken,
    ) -> Result<(), StaffError> {
        let mut backoff = FIRST_BACKOFF;
        let mut last_id: Option<String> = None;
        loop {
            let mut connected = false;
            let outcome = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                r = self.follow_once(&tx, &link, &mut last_id, &mut connected) => r,
            };
            if connected {
                backoff = FIRST_BACKOFF;
            }
            let state = match outcome {
                Err(StaffError::Refused(status)) => {
                    link.send_replace(Link::Refused(StaffError::Refused(status).to_string()));
                    return Err(StaffError::Refused(status));
                }
                Err(e @ StaffError::Unreachable(_)) => {
                    // Logged when it starts, not at every attempt while the gateway is down.
                    if !matches!(*link.borrow(), Link::Unreachable(_)) {
                        tracing::warn!(error = %e, "gateway unreachable; retrying");
                    }
                    Link::Unreachable(e.to_string())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event stream interrupted; reconnecting");
                    Link::Reconnecting(e.to_string())
                }
                Ok(()) => {
                    tracing::info!("event stream ended; reconnecting");
                    Link::Reconnecting("the gateway closed the event stream".to_owned())
                }
            };
            if tx.is_closed() {
                return Ok(());
            }
            link.send_replace(state);
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn follow_once(
        &self,
        tx: &mpsc::Sender<DeskEvent>,
        link: &watch::Sender<Link>,
        last_id: &mut Option<String>,
        connected: &mut bool,
    ) -> Result<(), StaffError> {
        // No timeout on the whole request: a stream lasts as long as it is fed. Each wait for
        // the next chunk is bounded instead.
        let mut request = self
            .http
            .get(format!("{}/api/voice/events", self.base))
            .bearer_auth(self.token.expose());
        if let Some(id) = last_id.as_deref() {
            request = request.header("last-event-id", id);
        }
        let mut resp = tokio::time::timeout(Duration::from_secs(10), request.send())
            .await
            .map_err(|_| StaffError::Unreachable("timed out".to_owned()))?
            .map_err(|e| StaffError::Unreachable(without_url(&e)))?;
        match resp.status().as_u16() {
            200..=299 => {}
            status @ (401 | 403) => return Err(StaffError::Refused(status)),
            status => {
                return Err(StaffError::Http {
                    status,
                    message: "the event stream was refused".to_owned(),
                });
            }
        }
        *connected = true;
        link.send_replace(Link::Connected);
        let mut parser = SseParser::default();
        loop {
            let chunk = tokio::time::timeout(STREAM_IDLE, resp.chunk())
                .await
                .map_err(|_| StaffError::Unreachable("the event stream went quiet".to_owned()))?
                .map_err(|e| StaffError::Unreachable(without_url(&e)))?;
            let Some(chunk) = chunk else { return Ok(()) };
            for event in parser.push(&String::from_utf8_lossy(&chunk)) {
                if let Some(id) = &event.id {
                    *last_id = Some(id.clone());
                }
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
    }
}

/// The first wait before reconnecting, and the longest.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(15);
/// How long the stream may stay silent: the gateway sends a keep-alive every 15 s.
const STREAM_IDLE: Duration = Duration::from_secs(45);

/// The state of a staff desktop's link to its gateway, for the window's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum Link {
    Connecting,
    Connected,
    /// The stream broke; why, and a reconnect is under way.
    Reconnecting(String),
    /// The gateway cannot be reached (down, or the wrong address); retrying.
    Unreachable(String),
    /// The token was refused: nothing will work until a new one is configured.
    Refused(String),
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
