//! An in-memory [`Transport`] for tests, with a peer that plays the server.
//!
//! Behaviour, which tests may rely on:
//! - [`mock_pair`] returns the client end ([`MockTransport`]) and the server end ([`MockPeer`]).
//! - Events the client sends reach [`MockPeer::recv`] in order; events the peer sends reach
//!   [`Transport::recv`] in order. Channels are unbounded: nothing blocks.
//! - [`MockPeer::close`] ends the connection with a close code; dropping the peer ends it as
//!   an abnormal drop (1006). After either, the client's `recv` returns that
//!   [`Incoming::Closed`] forever and its `send` fails with [`RealtimeError::Closed`].
//! - [`Transport::close`] (the client closing) makes [`MockPeer::recv`] return `None` once
//!   every earlier event was read, and is visible as [`MockPeer::client_closed`].
//! - [`MockConnector`] hands out scripted results, one per `connect`, in order; when the script
//!   runs out it fails with a refused connection. It counts the calls.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::{CloseInfo, Connector, Incoming, Transport};
use crate::RealtimeError;
use crate::protocol::{ClientEvent, ServerEvent};

/// A connected pair: the client's transport and the scripted server's end.
pub fn mock_pair() -> (MockTransport, MockPeer) {
    let (to_peer, from_client) = mpsc::unbounded_channel();
    let (to_client, from_peer) = mpsc::unbounded_channel();
    let closed = Arc::new(AtomicBool::new(false));
    (
        MockTransport {
            tx: Some(to_peer),
            rx: from_peer,
            ended: None,
            closed_by_client: closed.clone(),
        },
        MockPeer {
            tx: to_client,
            rx: from_client,
            closed_by_client: closed,
        },
    )
}

/// The client end of [`mock_pair`].
#[derive(Debug)]
pub struct MockTransport {
    tx: Option<mpsc::UnboundedSender<ClientEvent>>,
    rx: mpsc::UnboundedReceiver<Incoming>,
    ended: Option<CloseInfo>,
    closed_by_client: Arc<AtomicBool>,
}

impl Transport for MockTransport {
    async fn send(&mut self, event: ClientEvent) -> Result<(), RealtimeError> {
        let closed = |info: &Option<CloseInfo>| {
            let info = info.clone().unwrap_or_else(|| CloseInfo::abnormal("peer gone"));
            RealtimeError::Closed {
                code: info.code,
                reason: info.reason,
            }
        };
        if self.ended.is_some() {
            return Err(closed(&self.ended));
        }
        match &self.tx {
            Some(tx) => tx.send(event).map_err(|_| closed(&None)),
            None => Err(closed(&None)),
        }
    }

    async fn recv(&mut self) -> Incoming {
        if let Some(info) = &self.ended {
            return Incoming::Closed(info.clone());
        }
        let incoming = self
            .rx
            .recv()
            .await
            .unwrap_or_else(|| Incoming::Closed(CloseInfo::abnormal("peer dropped")));
        if let Incoming::Closed(info) = &incoming {
            self.ended = Some(info.clone());
        }
        incoming
    }

    async fn close(mut self) {
        self.closed_by_client.store(true, Ordering::SeqCst);
        self.tx = None;
    }
}

/// The server end of [`mock_pair`].
#[derive(Debug)]
pub struct MockPeer {
    tx: mpsc::UnboundedSender<Incoming>,
    rx: mpsc::UnboundedReceiver<ClientEvent>,
    closed_by_client: Arc<AtomicBool>,
}

impl MockPeer {
    /// Deliver a server event to the client (ignored once the client is gone).
    pub fn send(&self, event: ServerEvent) {
        let _ = self.tx.send(Incoming::Event(event));
    }

    /// Decode and deliver a server event written as JSON.
    pub fn send_json(&self, json: &str) -> Result<(), RealtimeError> {
        self.send(ServerEvent::parse(json)?);
        Ok(())
    }

    /// The next event the client sent, or `None` once the client closed or dropped its end.
    pub async fn recv(&mut self) -> Option<ClientEvent> {
        self.rx.recv().await
    }

    /// End the connection with this close code.
    pub fn close(self, code: u16, reason: &str) {
        let _ = self.tx.send(Incoming::Closed(CloseInfo {
            code,
            reason: reason.to_owned(),
        }));
    }

    /// True once the client called [`Transport::close`].
    pub fn client_closed(&self) -> bool {
        self.closed_by_client.load(Ordering::SeqCst)
    }
}

/// A [`Connector`] that hands out scripted connections; see the module docs.
#[derive(Debug, Default)]
pub struct MockConnector {
    script: Mutex<VecDeque<Result<MockTransport, RealtimeError>>>,
    calls: AtomicUsize,
}

impl MockConnector {
    pub fn new(script: impl IntoIterator<Item = Result<MockTransport, RealtimeError>>) -> Self {
        Self {
            script: Mutex::new(script.into_iter().collect()),
            calls: AtomicUsize::new(0),
        }
    }

    /// How many times `connect` was called.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Connector for Arc<MockConnector> {
    type Transport = MockTransport;

    async fn connect(&self) -> Result<MockTransport, RealtimeError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let next = match self.script.lock() {
            Ok(mut script) => script.pop_front(),
            Err(poisoned) => poisoned.into_inner().pop_front(),
        };
        next.unwrap_or_else(|| {
            Err(RealtimeError::Connect(std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "the mock connector's script ran out",
            )))
        })
    }
}
