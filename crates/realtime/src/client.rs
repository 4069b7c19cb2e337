//! [`RealtimeClient`]: a handle over one driver task that owns the transport and the
//! [`ClientSession`].
//!
//! The driver connects, configures the session (`session.update` after `session.created`;
//! ready on `session.updated`), feeds every server event to the session, sends what the session
//! says to send, publishes [`UiUpdate`]s, runs tool calls through the [`ToolHandler`], and
//! resolves [`RealtimeClient::ask_text`] when its turn is answered. When the connection drops
//! with a retryable close (1001, 1005, 1006, 1011, 1012, 1013, 1015, or an I/O error) it
//! reconnects with exponential backoff, re-seeds the new session and resends unanswered text
//! turns; it also rolls over to a fresh session before the service's 60-minute limit, at a quiet
//! moment. It does not own audio devices or the UI.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::RealtimeError;
use crate::protocol::SessionConfig;
use crate::protocol::server::ErrorDetail;
use crate::protocol::{Item, ServerEvent};
use crate::session::{ClientSession, DEFAULT_HISTORY_LIMIT, Output, TurnId, UiUpdate};
use crate::transport::websocket::{Credential, WebSocketConnector};
use crate::transport::{CloseInfo, Connector, Incoming, Transport};

/// Runs the tools the model calls. The output string goes back to the model as is (JSON by
/// convention); report failures inside it, the model can explain them to the user.
pub trait ToolHandler: Send + Sync + 'static {
    /// Run tool `name` for the model's call `call_id` (unique to that call: running it twice
    /// is one call run again, which a handler with side effects can make harmless).
    fn call(&self, call_id: &str, name: &str, arguments: &str) -> impl Future<Output = String> + Send;
}

type BoxFuture = Pin<Box<dyn Future<Output = String> + Send>>;

/// [`ToolHandler`] made object-safe, so the client need not be generic over it.
trait DynToolHandler: Send + Sync {
    fn call_boxed(self: Arc<Self>, call_id: String, name: String, arguments: String) -> BoxFuture;
}

impl<T: ToolHandler> DynToolHandler for T {
    fn call_boxed(self: Arc<Self>, call_id: String, name: String, arguments: String) -> BoxFuture {
        Box::pin(async move { self.call(&call_id, &name, &arguments).await })
    }
}

/// When and how often to connect again after a drop.
#[derive(Debug, Clone)]
pub struct ReconnectPolicy {
    /// Attempts per drop before giving up (0 = never reconnect).
    pub max_attempts: u32,
    /// The wait before the first attempt; doubled each attempt up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Move to a fresh session after this long (the service ends sessions at 60 minutes);
    /// `None` to never roll over.
    pub rollover_after: Option<Duration>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            rollover_after: Some(Duration::from_secs(55 * 60)),
        }
    }
}

impl ReconnectPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// How the client behaves, whatever the transport.
#[derive(Clone)]
pub struct ClientConfig {
    /// Sent with `session.update` on every (re)connection.
    pub session: SessionConfig,
    pub reconnect: ReconnectPolicy,
    /// Text items kept to re-seed a new connection.
    pub history_limit: usize,
    /// How long to wait for `session.updated` after connecting.
    pub ready_timeout: Duration,
    /// Capacity of the update channel; a subscriber that falls this far behind misses updates.
    pub update_capacity: usize,
    tools: Option<Arc<dyn DynToolHandler>>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("session", &self.session)
            .field("reconnect", &self.reconnect)
            .field("history_limit", &self.history_limit)
            .field("ready_timeout", &self.ready_timeout)
            .field("tools", &self.tools.is_some())
            .finish()
    }
}

impl ClientConfig {
    pub fn new(session: SessionConfig) -> Self {
        Self {
            session,
            reconnect: ReconnectPolicy::default(),
            history_limit: DEFAULT_HISTORY_LIMIT,
            ready_timeout: Duration::from_secs(10),
            update_capacity: 1024,
            tools: None,
        }
    }

    /// Run tool calls with `handler`. Without one, tool calls only appear as
    /// [`UiUpdate::ToolCall`] and the app answers with [`RealtimeClient::tool_result`].
    pub fn with_tools(mut self, handler: impl ToolHandler) -> Self {
        self.tools = Some(Arc::new(handler));
        self
    }

    pub fn with_reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.reconnect = policy;
        self
    }
}

/// Where and as whom to connect over WebSocket, and the client's behaviour.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `https://api.openai.com/v1`, or the local engine's `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    pub model: String,
    pub credential: Credential,
    pub client: ClientConfig,
}

impl ConnectOptions {
    pub fn new(
        base_url: impl Into<String>,
        model: impl Into<String>,
        credential: Credential,
        session: SessionConfig,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            credential,
            client: ClientConfig::new(session),
        }
    }
}

enum Command {
    SendText {
        text: String,
        reply: Option<oneshot::Sender<Result<String, RealtimeError>>>,
        turn: oneshot::Sender<TurnId>,
    },
    ToolResult {
        call_id: String,
        output: String,
    },
    Recall(Vec<Item>),
    Cancel,
    Truncate(u64),
    AppendAudio(Vec<u8>),
    CommitAudio,
    Forget,
    RollOver,
    Close(oneshot::Sender<()>),
}

/// A connected conversation; see the module docs. Dropping it stops the driver task too, but
/// [`RealtimeClient::close`] closes the connection cleanly and waits for it.
#[derive(Debug)]
pub struct RealtimeClient {
    commands: mpsc::Sender<Command>,
    updates: broadcast::Sender<UiUpdate>,
    driver: JoinHandle<()>,
}

impl RealtimeClient {
    /// Connect over WebSocket and wait until the session is configured.
    pub async fn connect(options: ConnectOptions) -> Result<Self, RealtimeError> {
        let connector = WebSocketConnector::new(&options.base_url, &options.model, options.credential)?;
        Self::connect_with(connector, options.client).await
    }

    /// Connect through any [`Connector`] (WebSocket, WebRTC, a test double) and wait until the
    /// session is configured. The first connection is not retried: its error is returned.
    pub async fn connect_with<C: Connector>(
        connector: C,
        config: ClientConfig,
    ) -> Result<Self, RealtimeError> {
        let transport = connector.connect().await?;
        let (commands, command_rx) = mpsc::channel(256);
        let (updates, _) = broadcast::channel(config.update_capacity.max(1));
        let (ready_tx, ready_rx) = oneshot::channel();
        let ready_timeout = config.ready_timeout;
        let driver = Driver {
            session: ClientSession::new(config.session.clone()).with_history_limit(config.history_limit),
            connector,
            config,
            commands: command_rx,
            updates: updates.clone(),
            pending: HashMap::new(),
            tool_results: mpsc::unbounded_channel(),
            ready: Some(ready_tx),
        };
        let driver = tokio::spawn(driver.run(transport));
        match tokio::time::timeout(ready_timeout, ready_rx).await {
            Ok(Ok(Ok(()))) => Ok(Self {
                commands,
                updates,
                driver,
            }),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err(RealtimeError::ClientClosed),
            Err(_) => {
                driver.abort();
                Err(RealtimeError::Timeout("session.updated"))
            }
        }
    }

    /// Updates from now on: captions, states, tool calls, turn results, errors.
    pub fn subscribe(&self) -> broadcast::Receiver<UiUpdate> {
        self.updates.subscribe()
    }

    /// Send a user text and wait for the assistant's final text of that turn (after any tool
    /// round trips). Survives reconnects: the turn is sent again on the new connection.
    pub async fn ask_text(&self, text: impl Into<String>) -> Result<String, RealtimeError> {
        let (reply, answer) = oneshot::channel();
        self.submit_text(text.into(), Some(reply)).await?;
        answer.await.map_err(|_| RealtimeError::ClientClosed)?
    }

    /// Send a user text without waiting; its result arrives as [`UiUpdate::TurnCompleted`] or
    /// [`UiUpdate::TurnFailed`] with the returned id.
    pub async fn send_text(&self, text: impl Into<String>) -> Result<TurnId, RealtimeError> {
        self.submit_text(text.into(), None).await
    }

    async fn submit_text(
        &self,
        text: String,
        reply: Option<oneshot::Sender<Result<String, RealtimeError>>>,
    ) -> Result<TurnId, RealtimeError> {
        let (turn_tx, turn_rx) = oneshot::channel();
        self.command(Command::SendText {
            text,
            reply,
            turn: turn_tx,
        })
        .await?;
        turn_rx.await.map_err(|_| RealtimeError::ClientClosed)
    }

    /// Answer a tool call yourself (when no [`ToolHandler`] is configured).
    pub async fn tool_result(
        &self,
        call_id: impl Into<String>,
        output: impl Into<String>,
    ) -> Result<(), RealtimeError> {
        self.command(Command::ToolResult {
            call_id: call_id.into(),
            output: output.into(),
        })
        .await
    }

    /// Give the conversation what was said and done before this client took part (messages,
    /// function calls and their outputs), before the next turn; see
    /// [`crate::session::ClientSession::recall`].
    pub async fn recall(&self, items: Vec<Item>) -> Result<(), RealtimeError> {
        self.command(Command::Recall(items)).await
    }

    /// Stop the assistant's current response.
    pub async fn cancel(&self) -> Result<(), RealtimeError> {
        self.command(Command::Cancel).await
    }

    /// The user heard `played_ms` of the current assistant audio before it was cut off.
    pub async fn truncate(&self, played_ms: u64) -> Result<(), RealtimeError> {
        self.command(Command::Truncate(played_ms)).await
    }

    /// Append microphone audio in the session's input format (PCM16 24 kHz mono by default).
    pub async fn append_audio(&self, pcm: Vec<u8>) -> Result<(), RealtimeError> {
        self.command(Command::AppendAudio(pcm)).await
    }

    /// Push-to-talk release: commit the buffered audio and ask for a response.
    pub async fn commit_audio(&self) -> Result<(), RealtimeError> {
        self.command(Command::CommitAudio).await
    }

    /// Start afresh for the next visitor on the same connection: what is under way is
    /// cancelled and the whole conversation deleted on the server (see
    /// [`crate::session::ClientSession::forget`]). Turns still waiting fail as cancelled.
    pub async fn forget(&self) -> Result<(), RealtimeError> {
        self.command(Command::Forget).await
    }

    /// Move to a fresh connection at the next quiet moment, as the scheduled roll-over does:
    /// through a [`crate::transport::failover::Failover`] this returns to the preferred route
    /// once it is back. Nothing in flight is cut off.
    pub async fn roll_over(&self) -> Result<(), RealtimeError> {
        self.command(Command::RollOver).await
    }

    /// Close the connection (close code 1000) and wait for the driver to end. Turns still
    /// waiting fail with [`RealtimeError::ClientClosed`].
    pub async fn close(self) -> Result<(), RealtimeError> {
        let (done_tx, done_rx) = oneshot::channel();
        if self.commands.send(Command::Close(done_tx)).await.is_ok() {
            let _ = done_rx.await;
        }
        self.driver.await.map_err(|_| RealtimeError::ClientClosed)
    }

    async fn command(&self, command: Command) -> Result<(), RealtimeError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| RealtimeError::ClientClosed)
    }
}

type ToolOutput = (String, String);

/// Why one connection ended.
enum End {
    /// The connection closed or broke, after this `error` event if any.
    Dropped(CloseInfo, Option<ErrorDetail>),
    /// Time for a fresh session.
    Rollover,
    /// The app closed the client.
    Shutdown(Option<oneshot::Sender<()>>),
}

struct Driver<C: Connector> {
    connector: C,
    config: ClientConfig,
    session: ClientSession,
    commands: mpsc::Receiver<Command>,
    updates: broadcast::Sender<UiUpdate>,
    pending: HashMap<TurnId, oneshot::Sender<Result<String, RealtimeError>>>,
    /// Outputs of tool runs, `(call_id, output)`, back from their tasks.
    tool_results: (
        mpsc::UnboundedSender<ToolOutput>,
        mpsc::UnboundedReceiver<ToolOutput>,
    ),
    /// Reports the first `session.updated` (or the failure before it) to `connect_with`.
    ready: Option<oneshot::Sender<Result<(), RealtimeError>>>,
}

impl<C: Connector> Driver<C> {
    async fn run(mut self, mut transport: C::Transport) {
        loop {
            let end = self.serve(&mut transport).await;
            let reason = match end {
                End::Shutdown(done) => {
                    transport.close().await;
                    self.fail_all(|| RealtimeError::ClientClosed);
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    return;
                }
                End::Rollover => {
                    info!("rolling over to a fresh session");
                    transport.close().await;
                    "session roll-over".to_owned()
                }
                End::Dropped(info, last_error) => {
                    if let Err(e) = self.check_retryable(&info, last_error.as_ref()) {
                        warn!(error = %e, "connection closed for good");
                        self.publish(UiUpdate::Error {
                            code: None,
                            message: e.to_string(),
                            benign: false,
                        });
                        let message = e.to_string();
                        if let Some(ready) = self.ready.take() {
                            let _ = ready.send(Err(e));
                        }
                        self.fail_all(|| RealtimeError::Closed {
                            code: info.code,
                            reason: message.clone(),
                        });
                        return;
                    }
                    format!("connection closed (code {}): {}", info.code, info.reason)
                }
            };
            let outputs = self.session.on_disconnected();
            self.apply_updates(outputs);
            match self.reconnect(&reason).await {
                Ok(Some(next)) => transport = next,
                Ok(None) => return, // closed by the app while reconnecting
                Err(e) => {
                    warn!(error = %e, "giving up");
                    self.publish(UiUpdate::Error {
                        code: None,
                        message: e.to_string(),
                        benign: false,
                    });
                    let (attempts, last) = match &e {
                        RealtimeError::ReconnectFailed { attempts, last } => (*attempts, last.clone()),
                        other => (0, other.to_string()),
                    };
                    if let Some(ready) = self.ready.take() {
                        let _ = ready.send(Err(e));
                    }
                    self.fail_all(|| RealtimeError::ReconnectFailed {
                        attempts,
                        last: last.clone(),
                    });
                    return;
                }
            }
        }
    }

    /// Serve one connection until it ends.
    async fn serve(&mut self, transport: &mut C::Transport) -> End {
        let connected = Instant::now();
        let rollover = self.config.reconnect.rollover_after;
        let mut rollover_due = false;
        let mut last_error: Option<ErrorDetail> = None;
        loop {
            // Without roll-over the branch is disabled; the instant only has to be valid.
            let rollover_at = connected + rollover.unwrap_or(Duration::from_secs(3600));
            let outputs = tokio::select! {
                incoming = transport.recv() => match incoming {
                    Incoming::Event(event) => {
                        if let ServerEvent::Error(e) = &event {
                            last_error = Some(e.error.clone());
                        }
                        let was_ready = self.session.is_ready();
                        let outputs = self.session.handle(event);
                        if !was_ready && self.session.is_ready() && let Some(ready) = self.ready.take() {
                            let _ = ready.send(Ok(()));
                        }
                        outputs
                    }
                    Incoming::Closed(info) => return End::Dropped(info, last_error),
                },
                command = self.commands.recv() => match command {
                    Some(Command::Close(done)) => return End::Shutdown(Some(done)),
                    None => return End::Shutdown(None),
                    Some(Command::RollOver) => {
                        debug!("roll-over asked for; waiting for a quiet moment");
                        rollover_due = true;
                        Vec::new()
                    }
                    Some(command) => self.command(command),
                },
                Some((call_id, output)) = self.tool_results.1.recv() => self.session.tool_result(&call_id, output),
                _ = tokio::time::sleep_until(rollover_at), if rollover.is_some() && !rollover_due => {
                    debug!("session roll-over due; waiting for a quiet moment");
                    rollover_due = true;
                    Vec::new()
                }
            };
            if let Err(info) = self.apply(outputs, transport).await {
                return End::Dropped(info, last_error);
            }
            if rollover_due && self.session.is_quiet() {
                return End::Rollover;
            }
        }
    }

    fn command(&mut self, command: Command) -> Vec<Output> {
        match command {
            Command::SendText { text, reply, turn } => {
                let (id, outputs) = self.session.send_text(text);
                if let Some(reply) = reply {
                    self.pending.insert(id, reply);
                }
                let _ = turn.send(id);
                outputs
            }
            Command::ToolResult { call_id, output } => self.session.tool_result(&call_id, output),
            Command::Recall(items) => self.session.recall(items),
            Command::Cancel => self.session.cancel(),
            Command::Truncate(ms) => self.session.truncate(ms),
            Command::AppendAudio(pcm) => self.session.append_audio(&pcm),
            Command::CommitAudio => self.session.commit_audio().1,
            Command::Forget => self.session.forget(),
            // Handled by the caller; a roll-over asked for while reconnecting is under way.
            Command::Close(_) | Command::RollOver => Vec::new(),
        }
    }

    /// Send what the session says to send and publish the rest. A failed send means the
    /// connection is gone.
    async fn apply(&mut self, outputs: Vec<Output>, transport: &mut C::Transport) -> Result<(), CloseInfo> {
        for output in outputs {
            match output {
                Output::Send(event) => {
                    if let Err(e) = transport.send(event).await {
                        return Err(CloseInfo::abnormal(e.to_string()));
                    }
                }
                Output::Update(update) => self.on_update(update),
            }
        }
        Ok(())
    }

    /// Outputs that happen without a connection carry no sends; drop any defensively.
    fn apply_updates(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Update(update) => self.on_update(update),
                Output::Send(event) => debug!(kind = event.kind(), "nothing to send on; dropped"),
            }
        }
    }

    fn on_update(&mut self, update: UiUpdate) {
        match &update {
            UiUpdate::ToolCall(call) => {
                if let Some(tools) = &self.config.tools {
                    let tools = tools.clone();
                    let results = self.tool_results.0.clone();
                    let call = call.clone();
                    debug!(name = %call.name, call_id = %call.call_id, "running tool");
                    tokio::spawn(async move {
                        let output = tools
                            .call_boxed(call.call_id.clone(), call.name, call.arguments)
                            .await;
                        let _ = results.send((call.call_id, output));
                    });
                }
            }
            UiUpdate::TurnCompleted { turn, text } => {
                if let Some(reply) = self.pending.remove(turn) {
                    let _ = reply.send(Ok(text.clone()));
                }
            }
            UiUpdate::TurnFailed { turn, error } => {
                if let Some(reply) = self.pending.remove(turn) {
                    let _ = reply.send(Err(RealtimeError::Turn(error.clone())));
                }
            }
            _ => {}
        }
        self.publish(update);
    }

    fn publish(&self, update: UiUpdate) {
        // No subscribers is fine: the app may not listen.
        let _ = self.updates.send(update);
    }

    fn fail_all(&mut self, error: impl Fn() -> RealtimeError) {
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(error()));
        }
    }

    /// `Ok` when the close calls for a reconnect; the error to report otherwise.
    fn check_retryable(
        &self,
        info: &CloseInfo,
        last_error: Option<&ErrorDetail>,
    ) -> Result<(), RealtimeError> {
        let code = last_error.and_then(|e| e.code.as_deref()).unwrap_or("");
        if info.code == 3000 && (code == "invalid_api_key" || info.reason.contains("invalid_api_key")) {
            return Err(RealtimeError::Unauthorized {
                status: None,
                message: last_error.map_or_else(|| info.reason.clone(), |e| e.message.clone()),
            });
        }
        let error = RealtimeError::Closed {
            code: info.code,
            reason: info.reason.clone(),
        };
        // Before the first `session.updated` nothing is worth saving: report, don't retry.
        if !error.is_retryable() || self.ready.is_some() || self.config.reconnect.max_attempts == 0 {
            return Err(error);
        }
        Ok(())
    }

    /// Connect again with backoff, serving commands meanwhile (they wait in the session).
    /// `Ok(None)` when the app closed the client while waiting.
    async fn reconnect(&mut self, reason: &str) -> Result<Option<C::Transport>, RealtimeError> {
        let policy = self.config.reconnect.clone();
        let mut last = reason.to_owned();
        for attempt in 1..=policy.max_attempts {
            self.publish(UiUpdate::Reconnecting {
                attempt,
                reason: last.clone(),
            });
            let wake = Instant::now() + policy.backoff(attempt);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(wake) => break,
                    command = self.commands.recv() => match command {
                        Some(Command::Close(done)) => {
                            self.fail_all(|| RealtimeError::ClientClosed);
                            let _ = done.send(());
                            return Ok(None);
                        }
                        None => {
                            self.fail_all(|| RealtimeError::ClientClosed);
                            return Ok(None);
                        }
                        Some(command) => {
                            let outputs = self.command(command);
                            self.apply_updates(outputs);
                        }
                    },
                }
            }
            info!(attempt, "reconnecting");
            match self.connector.connect().await {
                Ok(transport) => return Ok(Some(transport)),
                Err(e) if e.is_retryable() => {
                    warn!(attempt, error = %e, "reconnect failed");
                    last = e.to_string();
                }
                Err(e) => return Err(e),
            }
        }
        Err(RealtimeError::ReconnectFailed {
            attempts: policy.max_attempts,
            last,
        })
    }
}
