//! The WebSocket transport: `GET {base_url}/realtime?model=…` with a bearer credential.
//!
//! One connection is two tasks. The writer task alone owns the sink: it sends the queued
//! events, a keep-alive ping, and the close frame, then ends. The reader task decodes text
//! frames into [`ServerEvent`]s, logs and skips frames it cannot decode, and forwards events and
//! the final close to the handle. [`WebSocketTransport::close`] signals the writer and joins
//! both tasks.
//!
//! No `OpenAI-Beta` header is sent (the GA service rejects it). permessage-deflate is not
//! offered: base64 PCM does not compress. TLS is rustls with the webpki roots, so `wss://` to
//! the cloud works without the system's certificate store.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tracing::{debug, info, warn};

use super::{CloseInfo, Connector, Incoming, Transport};
use crate::RealtimeError;
use crate::protocol::{ClientEvent, ServerEvent};

/// An open WebSocket to a realtime service, before any event is read or written.
pub type RawStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How often the writer pings an idle connection, so NATs and proxies keep it open.
const KEEPALIVE: Duration = Duration::from_secs(20);
/// How long [`WebSocketTransport::close`] waits for the server to answer the close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// Events buffered between the reader task and the client before the reader waits.
const INBOX: usize = 1024;

/// A bearer credential: an API key (`sk-…`) or an ephemeral client secret (`ek_…`).
/// Its `Debug` never shows the value, so it is safe inside logged structs.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential(String);

impl Credential {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// Read the credential from an environment variable (for example `OPENAI_API_KEY`).
    pub fn from_env(var: &str) -> Option<Self> {
        std::env::var(var).ok().filter(|v| !v.trim().is_empty()).map(Self)
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    fn kind(&self) -> &'static str {
        if self.0.starts_with("ek_") {
            "client secret"
        } else {
            "api key"
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({}, hidden)", self.kind())
    }
}

/// Connects to `{base_url}/realtime?model={model}`.
#[derive(Debug, Clone)]
pub struct WebSocketConnector {
    url: String,
    credential: Credential,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl WebSocketConnector {
    /// `base_url` is the service's HTTP base, such as `https://api.openai.com/v1` or
    /// `http://127.0.0.1:8787/v1`; `https` becomes `wss` and `http` becomes `ws`.
    pub fn new(base_url: &str, model: &str, credential: Credential) -> Result<Self, RealtimeError> {
        let url = realtime_url(base_url, model)?;
        let tls = if url.starts_with("wss://") {
            Some(Arc::new(tls_config()?))
        } else {
            None
        };
        Ok(Self { url, credential, tls })
    }

    /// The WebSocket URL this connector opens.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl WebSocketConnector {
    /// Open the connection and hand over the bare stream, for callers that relay frames
    /// themselves (the gateway's proxy); `config` bounds frame and message sizes.
    pub async fn open(&self, config: Option<WebSocketConfig>) -> Result<RawStream, RealtimeError> {
        let mut request = self
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| RealtimeError::InvalidUrl(format!("{}: {e}", self.url)))?;
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", self.credential.expose())).map_err(|_| {
                RealtimeError::Unauthorized {
                    status: None,
                    message: "the credential contains characters a header cannot carry".to_owned(),
                }
            })?;
        auth.set_sensitive(true);
        request.headers_mut().insert("authorization", auth);
        let connector = self
            .tls
            .clone()
            .map(tokio_tungstenite::Connector::Rustls)
            .or(Some(tokio_tungstenite::Connector::Plain));
        debug!(url = %self.url, credential = ?self.credential, "connecting");
        let (stream, response) =
            tokio_tungstenite::connect_async_tls_with_config(request, config, true, connector)
                .await
                .map_err(handshake_error)?;
        info!(url = %self.url, status = response.status().as_u16(), "connected");
        Ok(stream)
    }
}

impl Connector for WebSocketConnector {
    type Transport = WebSocketTransport;

    async fn connect(&self) -> Result<WebSocketTransport, RealtimeError> {
        Ok(WebSocketTransport::spawn(self.open(None).await?))
    }
}

/// One WebSocket connection; see the module docs.
#[derive(Debug)]
pub struct WebSocketTransport {
    outbox: Option<mpsc::Sender<Outgoing>>,
    inbox: mpsc::Receiver<Incoming>,
    ended: Option<CloseInfo>,
    writer: JoinHandle<()>,
    reader: JoinHandle<()>,
}

#[derive(Debug)]
enum Outgoing {
    Text(String),
    Close,
}

impl WebSocketTransport {
    fn spawn<S>(stream: tokio_tungstenite::WebSocketStream<S>) -> Self
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (sink, stream) = stream.split();
        let (out_tx, out_rx) = mpsc::channel(INBOX);
        let (in_tx, in_rx) = mpsc::channel(INBOX);
        Self {
            outbox: Some(out_tx),
            inbox: in_rx,
            ended: None,
            writer: tokio::spawn(write_loop(sink, out_rx)),
            reader: tokio::spawn(read_loop(stream, in_tx)),
        }
    }
}

impl Transport for WebSocketTransport {
    async fn send(&mut self, event: ClientEvent) -> Result<(), RealtimeError> {
        let gone = |ended: &Option<CloseInfo>| {
            let info = ended
                .clone()
                .unwrap_or_else(|| CloseInfo::abnormal("writer stopped"));
            RealtimeError::Closed {
                code: info.code,
                reason: info.reason,
            }
        };
        let Some(outbox) = &self.outbox else {
            return Err(gone(&self.ended));
        };
        outbox
            .send(Outgoing::Text(event.to_json()))
            .await
            .map_err(|_| gone(&self.ended))
    }

    async fn recv(&mut self) -> Incoming {
        if let Some(info) = &self.ended {
            return Incoming::Closed(info.clone());
        }
        // `mpsc::Receiver::recv` is cancel-safe, so this is too.
        let incoming = self
            .inbox
            .recv()
            .await
            .unwrap_or_else(|| Incoming::Closed(CloseInfo::abnormal("reader stopped")));
        if let Incoming::Closed(info) = &incoming {
            self.ended = Some(info.clone());
        }
        incoming
    }

    async fn close(mut self) {
        if let Some(outbox) = self.outbox.take() {
            let _ = outbox.send(Outgoing::Close).await;
        }
        // The writer ends after the close frame; the reader when the server answers it.
        let mut writer = self.writer;
        if tokio::time::timeout(CLOSE_GRACE, &mut writer).await.is_err() {
            writer.abort();
        }
        let mut reader = self.reader;
        if tokio::time::timeout(CLOSE_GRACE, &mut reader).await.is_err() {
            debug!("server did not answer the close frame; dropping the connection");
            reader.abort();
            let _ = reader.await;
        }
    }
}

/// The writer task: the only code that writes to or closes the socket.
async fn write_loop<S>(mut sink: S, mut outbox: mpsc::Receiver<Outgoing>)
where
    S: futures_util::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.reset(); // the first tick would fire at once
    loop {
        tokio::select! {
            next = outbox.recv() => match next {
                Some(Outgoing::Text(text)) => {
                    if let Err(e) = sink.send(Message::text(text)).await {
                        debug!(error = %e, "send failed; writer stops");
                        return;
                    }
                }
                // An explicit close, or the handle was dropped.
                Some(Outgoing::Close) | None => {
                    let frame = CloseFrame {
                        code: CloseCode::Normal,
                        reason: "OK".into(),
                    };
                    if let Err(e) = sink.send(Message::Close(Some(frame))).await {
                        debug!(error = %e, "close frame not sent");
                    }
                    return;
                }
            },
            _ = keepalive.tick() => {
                if let Err(e) = sink.send(Message::Ping(Default::default())).await {
                    debug!(error = %e, "ping failed; writer stops");
                    return;
                }
            }
        }
    }
}

/// The reader task: decodes frames and forwards events, then exactly one `Closed`.
async fn read_loop<S>(mut stream: S, inbox: mpsc::Sender<Incoming>)
where
    S: futures_util::Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let end = loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => match ServerEvent::parse(&text) {
                Ok(event) => {
                    if inbox.send(Incoming::Event(event)).await.is_err() {
                        return; // the handle is gone; nobody is listening
                    }
                }
                Err(e) => warn!(error = %e, len = text.len(), "skipping an undecodable frame"),
            },
            Some(Ok(Message::Close(frame))) => {
                break match frame {
                    Some(f) => CloseInfo {
                        code: u16::from(f.code),
                        reason: f.reason.to_string(),
                    },
                    None => CloseInfo {
                        code: 1005,
                        reason: String::new(),
                    },
                };
            }
            Some(Ok(Message::Binary(bytes))) => {
                warn!(
                    len = bytes.len(),
                    "skipping a binary frame; the protocol sends text only"
                )
            }
            Some(Ok(_)) => {} // ping, pong, raw frames: tungstenite answers pings itself
            Some(Err(tungstenite::Error::ConnectionClosed)) | None => {
                break CloseInfo::abnormal("the connection ended without a close frame");
            }
            Some(Err(e)) => break CloseInfo::abnormal(e.to_string()),
        }
    };
    debug!(code = end.code, reason = %end.reason, "connection closed");
    let _ = inbox.send(Incoming::Closed(end)).await;
    // Let tungstenite finish the closing handshake (it replies to the close frame on read).
    while let Some(Ok(_)) = stream.next().await {}
}

/// `{base}/realtime?model={model}` with `http(s)` turned into `ws(s)`.
pub fn realtime_url(base_url: &str, model: &str) -> Result<String, RealtimeError> {
    let base = base_url.trim().trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if base.starts_with("wss://") || base.starts_with("ws://") {
        base.to_owned()
    } else {
        return Err(RealtimeError::InvalidUrl(base_url.to_owned()));
    };
    Ok(format!("{ws}/realtime?model={}", query_escape(model)))
}

/// Percent-encode a query value (model names are plain, but never trust that).
fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn tls_config() -> Result<rustls::ClientConfig, RealtimeError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RealtimeError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Map a failed upgrade onto the error a user can act on.
fn handshake_error(error: tungstenite::Error) -> RealtimeError {
    match error {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let message = response
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned())
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| response.status().canonical_reason().unwrap_or("").to_owned());
            match status {
                401 => RealtimeError::Unauthorized {
                    status: Some(status),
                    message,
                },
                403 => RealtimeError::Forbidden { status, message },
                _ => RealtimeError::Http { status, message },
            }
        }
        tungstenite::Error::Io(e) => RealtimeError::Connect(e),
        tungstenite::Error::Tls(e) => RealtimeError::Tls(e.to_string()),
        tungstenite::Error::Url(e) => RealtimeError::InvalidUrl(e.to_string()),
        other => RealtimeError::WebSocket(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = |b: &str, m: &str| realtime_url(b, m).ok();
        assert_eq!(
            url("https://api.openai.com/v1", "gpt-realtime").as_deref(),
            Some("wss://api.openai.com/v1/realtime?model=gpt-realtime")
        );
        assert_eq!(
            url("http://127.0.0.1:8787/v1/", "gpt realtime&x").as_deref(),
            Some("ws://127.0.0.1:8787/v1/realtime?model=gpt%20realtime%26x")
        );
        assert_eq!(url("ftp://x", "m"), None);
    }

    #[test]
    fn the_credential_never_shows_in_debug() {
        let c = Credential::new("sk-very-secret");
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(
            format!("{:?}", Credential::new("ek_123")),
            "Credential(client secret, hidden)"
        );
        let connector = WebSocketConnector::new("http://127.0.0.1:1/v1", "m", c);
        assert!(!format!("{connector:?}").contains("very-secret"));
    }

    #[test]
    fn wss_builds_a_tls_config() {
        let connector =
            WebSocketConnector::new("https://api.openai.com/v1", "gpt-realtime", Credential::new("k"));
        assert!(connector.is_ok_and(|c| c.tls.is_some()));
    }
}
