//! The app's realtime session: typed chat goes through it, so the kiosk talks to either backend
//! over the same protocol. Tool calls from the model run here, in Rust, against the desk.

use std::sync::Arc;
use std::time::Duration;

use donna_config::{Backend, BackendSettings, VoiceSettings};
use donna_desk::history::{History, Said};
use donna_desk::{Desk, Reception, Recording};
use donna_gateway::conversations::{BoxFuture, ChatBackend, ChatError};
use donna_realtime::protocol::session::Tool;
use donna_realtime::protocol::{ContentPart, Item, Role, SessionConfig};
use donna_realtime::{ClientConfig, Credential, RealtimeClient, RealtimeError, ToolHandler};
use donna_voice::TurnMode;
use tokio::sync::watch;

use crate::link::{self, SessionLink};

/// How long a typed question waits for the session to come up before the desk answers alone.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// How long one answer may take over the session.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The conversation id the kiosk's own session records its visits under.
pub const KIOSK_CONVERSATION: &str = "kiosk";

/// The conversation a session's tool calls are recorded under. The kiosk's session outlives
/// its visitors, so each visit gets its own id: "check me out" or "tell them I'm here" never
/// reach the visit of the visitor before.
#[derive(Debug, Clone)]
pub(crate) struct VisitId(Arc<std::sync::RwLock<String>>);

impl VisitId {
    pub(crate) fn fixed(id: &str) -> Self {
        Self(Arc::new(std::sync::RwLock::new(id.to_owned())))
    }

    /// A new kiosk visit: `kiosk_` and 16 random hex digits.
    pub(crate) fn new_visit() -> Self {
        Self::fixed(&new_visit_id())
    }

    /// The next visitor's visit begins.
    pub(crate) fn renew(&self) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = new_visit_id();
    }

    pub(crate) fn current(&self) -> String {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn new_visit_id() -> String {
    use rand::Rng;
    format!("{KIOSK_CONVERSATION}_{:016x}", rand::rng().random::<u64>())
}

/// Runs the desk's tools for the model, with their side effects (visits, messages, events),
/// recorded under the visit's conversation.
pub(crate) struct DeskTools {
    pub(crate) reception: Arc<Reception>,
    pub(crate) conversation: VisitId,
    pub(crate) turn: TurnKey,
}

impl ToolHandler for DeskTools {
    async fn call(&self, call_id: &str, name: &str, arguments: &str) -> String {
        tracing::info!(tool = name, "running tool for the model");
        let conversation = self.conversation.current();
        let key = self
            .turn
            .key_for(name)
            .unwrap_or_else(|| format!("call:{call_id}"));
        let output = self.reception.run_tool_recorded(
            name,
            arguments,
            Recording {
                conversation_id: Some(&conversation),
                idempotency_key: Some(&key),
            },
        );
        self.turn.ran(name, arguments, &output);
        output
    }
}

/// The turn in progress of a browser conversation: the idempotency key its client sent
/// (`Idempotency-Key` on `/api/chat`), by which the turn's check-ins and messages are keyed, so
/// the same turn sent again (to this gateway after a restart, or to another) stores nothing
/// twice (without one, each model call's id is its key); and the tools it ran, for the
/// conversation's history.
#[derive(Debug, Clone, Default)]
pub(crate) struct TurnKey(Arc<std::sync::Mutex<Option<Turn>>>);

/// The turn in progress: its key, how many calls of each tool it has made so far, and what
/// they answered.
#[derive(Debug, Default)]
struct Turn {
    key: Option<String>,
    calls: std::collections::HashMap<String, u32>,
    ran: Vec<Said>,
}

impl TurnKey {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Turn>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A turn begins, sent with `key`.
    fn begin(&self, key: Option<&str>) {
        *self.lock() = Some(Turn {
            key: key.map(str::to_owned),
            ..Turn::default()
        });
    }

    /// The turn is over: the tools it ran.
    fn finish(&self) -> Vec<Said> {
        self.lock().take().map(|t| t.ran).unwrap_or_default()
    }

    /// The key of this call of `tool` in the turn ([`donna_desk::call_key`]).
    fn key_for(&self, tool: &str) -> Option<String> {
        let mut turn = self.lock();
        let turn = turn.as_mut()?;
        let key = turn.key.as_deref()?;
        let n = turn.calls.entry(tool.to_owned()).or_insert(0);
        *n += 1;
        Some(donna_desk::call_key(key, tool, *n))
    }

    /// Tool `name` ran in the turn and answered `output`.
    fn ran(&self, name: &str, arguments: &str, output: &str) {
        if let Some(turn) = self.lock().as_mut() {
            turn.ran.push(Said::Tool {
                name: name.to_owned(),
                arguments: arguments.to_owned(),
                output: output.to_owned(),
            });
        }
    }
}

/// The conversation items that tell a new session what was said and done.
fn items_of(said: &Said) -> Vec<Item> {
    use rand::Rng;
    match said {
        Said::Visitor { text } => vec![Item::user_text(text.as_str())],
        Said::Donna { text } => vec![Item::Message {
            id: None,
            object: None,
            status: None,
            role: Role::Assistant,
            content: vec![ContentPart::OutputText { text: text.clone() }],
        }],
        Said::Tool {
            name,
            arguments,
            output,
        } => {
            let call_id = format!("call_{:016x}", rand::rng().random::<u64>());
            vec![
                Item::FunctionCall {
                    id: None,
                    object: None,
                    status: None,
                    call_id: call_id.clone(),
                    name: name.clone(),
                    arguments: arguments.clone(),
                },
                Item::function_output(call_id, output.as_str()),
            ]
        }
    }
}

/// The backends to try, in order: the gateway's own realtime proxy when `USE_WS_PROXY` is on
/// (`proxy_token` is the app's kiosk token for it), the cloud when configured, then the local
/// engine directly.
pub fn targets(
    backend: &BackendSettings,
    local_url: &str,
    engine_key: &str,
    proxy_token: Option<&str>,
) -> Vec<Target> {
    // The proxy relays to whichever backend the gateway uses; `realtime_url` adds `/realtime`.
    let proxy = proxy_token.map(|token| Target {
        base_url: loopback(local_url),
        model: backend.openai_realtime_model.clone(),
        credential: Credential::new(token),
        backend: backend.active,
        route: "proxy",
    });
    let local = Target {
        base_url: format!("{local_url}/v1"),
        model: backend.openai_realtime_model.clone(),
        credential: Credential::new(engine_key),
        backend: Backend::Local,
        route: "local",
    };
    let cloud = match (&backend.active, &backend.openai_api_key) {
        (Backend::OpenAi, Some(key)) => Some(Target {
            base_url: backend.openai_base_url.clone(),
            model: backend.openai_realtime_model.clone(),
            credential: Credential::new(key.expose()),
            backend: Backend::OpenAi,
            route: "openai",
        }),
        _ => None,
    };
    proxy
        .into_iter()
        .chain(cloud)
        .chain(std::iter::once(local))
        .collect()
}

/// Connect a session for `conversation` to the first target that answers; a dropped
/// connection reconnects to the first that answers then (see [`crate::link`]).
async fn connect(
    targets: &[Target],
    reception: &Arc<Reception>,
    conversation: &VisitId,
    turn: &TurnKey,
    session: SessionConfig,
) -> Option<RealtimeClient> {
    let tools = DeskTools {
        reception: reception.clone(),
        conversation: conversation.clone(),
        turn: turn.clone(),
    };
    let config = ClientConfig::new(session).with_tools(tools);
    match RealtimeClient::connect_with(link::failover(targets, link::Reach::Sockets).0, config).await {
        Ok(client) => Some(client),
        Err(e) => {
            tracing::warn!(error = %e, "no realtime backend answers");
            None
        }
    }
}

/// Browser conversations (`POST /api/chat`), each on its own realtime session, so the model's
/// tool calls run server-side exactly as they do for the kiosk window.
pub struct RealtimeChat {
    targets: Vec<Target>,
    reception: Arc<Reception>,
    sessions: tokio::sync::Mutex<std::collections::HashMap<String, ChatSession>>,
}

/// One browser conversation's session: the client, its turn in progress, and the last turn
/// of the conversation's history it has been given.
#[derive(Clone)]
struct ChatSession {
    client: Arc<RealtimeClient>,
    turn: TurnKey,
    seen: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for RealtimeChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeChat").finish_non_exhaustive()
    }
}

impl RealtimeChat {
    pub fn new(targets: Vec<Target>, reception: Arc<Reception>) -> Self {
        Self {
            targets,
            reception,
            sessions: tokio::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Conversation `id`'s session, connected on first use.
    async fn session(&self, id: &str) -> Result<ChatSession, ChatError> {
        let mut sessions = self.sessions.lock().await;
        if let Some(session) = sessions.get(id) {
            return Ok(session.clone());
        }
        let text = session_config(self.reception.desk(), TurnMode::PushToTalk, Backend::Local);
        let turn = TurnKey::default();
        let client = connect(&self.targets, &self.reception, &VisitId::fixed(id), &turn, text)
            .await
            .ok_or_else(|| ChatError::Backend("no realtime backend reachable".to_owned()))?;
        let session = ChatSession {
            client: Arc::new(client),
            turn,
            seen: Arc::default(),
        };
        sessions.insert(id.to_owned(), session.clone());
        Ok(session)
    }
}

impl ChatBackend for RealtimeChat {
    fn ask<'a>(
        &'a self,
        id: &'a str,
        earlier: &'a History,
        message: &'a str,
        key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Said>, ChatError>> {
        use std::sync::atomic::Ordering;
        Box::pin(async move {
            let session = self.session(id).await?;
            // The turns another gateway took: the model (or the engine's dialogue) reads them
            // as context before this one.
            let unseen: Vec<Item> = earlier
                .after(session.seen.load(Ordering::Acquire))
                .flat_map(|e| e.said.iter())
                .flat_map(items_of)
                .collect();
            if !unseen.is_empty() {
                session
                    .client
                    .recall(unseen)
                    .await
                    .map_err(|e| ChatError::Backend(e.to_string()))?;
            }
            // Read up to the last turn kept; this turn counts as seen only once it is answered,
            // so a turn another gateway takes in its place after a failure here is read next.
            session
                .seen
                .store(earlier.next_turn().saturating_sub(1), Ordering::Release);
            session.turn.begin(key);
            let answer = tokio::time::timeout(ANSWER_TIMEOUT, session.client.ask_text(message)).await;
            let ran = session.turn.finish();
            match answer {
                Ok(Ok(reply)) => {
                    session.seen.store(earlier.next_turn(), Ordering::Release);
                    let mut said = vec![Said::Visitor {
                        text: message.to_owned(),
                    }];
                    said.extend(ran);
                    said.push(Said::Donna { text: reply });
                    Ok(said)
                }
                Ok(Err(e)) => Err(ChatError::Backend(e.to_string())),
                Err(_) => Err(ChatError::Backend("timed out".to_owned())),
            }
        })
    }

    fn end<'a>(&'a self, id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let session = self.sessions.lock().await.remove(id);
            if let Some(client) = session.and_then(|s| Arc::try_unwrap(s.client).ok()) {
                let _ = client.close().await;
            }
        })
    }
}

/// The session handle, filled in once connected.
#[derive(Debug, Clone)]
pub struct Realtime {
    reception: Arc<Reception>,
    client: watch::Receiver<Option<Arc<RealtimeClient>>>,
    visit: VisitId,
    link: watch::Receiver<SessionLink>,
    guard: link::Guard,
}

/// Where the session connects.
#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: String,
    pub model: String,
    pub credential: Credential,
    pub backend: Backend,
    /// The name the session's state reports it by: "proxy", "openai" or "local".
    pub route: &'static str,
}

impl Realtime {
    /// Start connecting in the background, to the first of `targets` that answers (the cloud
    /// when configured, the local engine last), and keep connected; see [`crate::link`].
    /// Each visit may spend `visit_cap_usd` on the cloud ([`crate::cost`]).
    pub fn start(
        reception: Arc<Reception>,
        voice: &VoiceSettings,
        targets: Vec<Target>,
        visit_cap_usd: f64,
    ) -> Self {
        let (tx, rx) = watch::channel(None);
        let guard = link::Guard {
            budget: Arc::new(crate::cost::Budget::new(visit_cap_usd)),
            skip: Default::default(),
        };
        let (link_tx, link) = link::channel();
        let mode = turn_mode(voice);
        let visit = VisitId::new_visit();
        let tools = DeskTools {
            reception: reception.clone(),
            conversation: visit.clone(),
            turn: TurnKey::default(),
        };
        // One configuration for every backend: the desk's instructions, tools and voice.
        let config =
            ClientConfig::new(session_config(reception.desk(), mode, Backend::Local)).with_tools(tools);
        let session_guard = guard.clone();
        tokio::spawn(async move {
            let client = link::connect(&targets, config, link_tx, session_guard).await;
            let _ = tx.send(Some(client));
        });
        Self {
            reception,
            client: rx,
            visit,
            link,
            guard,
        }
    }

    /// How the session is connected, from now on.
    pub fn link(&self) -> watch::Receiver<SessionLink> {
        self.link.clone()
    }

    /// The conversation this session's tools record under now.
    pub(crate) fn visit(&self) -> &VisitId {
        &self.visit
    }

    /// The visit is over: the session forgets the conversation (the model's context and the
    /// engine's dialogue both), and what the tools record from now on is the next visit's.
    pub async fn end_visit(&self) {
        self.visit.renew();
        self.guard.renew();
        let client = self.client.borrow().clone();
        if let Some(client) = client {
            if let Err(e) = client.forget().await {
                tracing::warn!(error = %e, "the session could not forget the visit");
            }
            // Between visitors is the moment to try the preferred backend again.
            let preferred = {
                let link = self.link.borrow();
                link.state != link::LinkState::Live || link.preferred
            };
            if !preferred && let Err(e) = client.roll_over().await {
                tracing::warn!(error = %e, "the session could not roll over");
            }
        }
        tracing::info!("visit ended; the next visitor starts afresh");
    }

    /// The session, once connected (waiting at most `wait`).
    pub async fn client(&self, wait: Duration) -> Option<Arc<RealtimeClient>> {
        let mut rx = self.client.clone();
        tokio::time::timeout(wait, rx.wait_for(Option::is_some))
            .await
            .ok()
            .and_then(|r| r.ok().and_then(|c| c.clone()))
    }

    /// Donna's answer to a typed message: through the realtime session when it is up, by the
    /// desk directly otherwise (a kiosk must always answer).
    pub async fn ask(&self, message: &str) -> String {
        if let Some(client) = self.client(CONNECT_WAIT).await {
            match tokio::time::timeout(ANSWER_TIMEOUT, client.ask_text(message)).await {
                Ok(Ok(reply)) => {
                    tracing::info!("chat answered through the realtime session");
                    return reply;
                }
                Ok(Err(e)) => log_fallback(&e),
                Err(_) => tracing::warn!("realtime answer timed out; the desk answers directly"),
            }
        }
        tracing::info!("chat answered by the desk directly");
        self.reception
            .desk()
            .reply(message, &self.reception.desk().clock().now())
            .unwrap_or_else(|e| e.to_string())
    }
}

fn log_fallback(e: &RealtimeError) {
    tracing::warn!(error = %e, "realtime answer failed; the desk answers directly");
}

/// Who ends the visitor's turn: the service's VAD, Donna's own gate, or the mic button.
pub fn turn_mode(voice: &VoiceSettings) -> TurnMode {
    if voice.enable_server_vad {
        TurnMode::ServerVad
    } else if voice.enable_vad {
        TurnMode::LocalVad
    } else {
        TurnMode::PushToTalk
    }
}

/// The session Donna asks for: the desk's instructions and tools, PCM16 24 kHz audio in with
/// the turn mode's detection, transcripts of what the visitor says (the kiosk's captions), and
/// spoken answers. Both backends hear and speak: the local engine with its offline recogniser
/// and voice.
pub fn session_config(desk: &Desk, mode: TurnMode, _backend: Backend) -> SessionConfig {
    let tools = donna_desk::tools::definitions()
        .into_iter()
        .filter_map(|t| serde_json::from_value::<Tool>(t).ok())
        .collect();
    SessionConfig {
        kind: Some("realtime".to_owned()),
        output_modalities: Some(vec!["audio".to_owned()]),
        instructions: Some(desk.instructions().to_owned()),
        tools: Some(tools),
        audio: Some(donna_voice::session_audio(mode)),
        ..SessionConfig::default()
    }
}

/// `url` with an unspecified host (`0.0.0.0`, `[::]`) replaced by loopback: the address to dial
/// this process from itself.
pub fn loopback(url: &str) -> String {
    url.replacen("://0.0.0.0:", "://127.0.0.1:", 1)
        .replacen("://[::]:", "://[::1]:", 1)
}
