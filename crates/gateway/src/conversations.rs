//! Browser chat conversations: one per visitor, each with its own state on the backend.
//!
//! The gateway issues conversation ids (unguessable, so one tablet cannot read another
//! visitor's conversation), expires idle ones and caps how many live at once; the
//! [`ChatBackend`] holds what a conversation is (a realtime session in the app, the offline
//! dialogue in [`LocalChat`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use donna_desk::history::{History, Said};
use donna_desk::{DeskError, Dialogue, Reception, Recording};

/// A boxed future, so the backend can be a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How often a gateway clears the store of conversations idle everywhere.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Why a conversation could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("the assistant did not answer: {0}")]
    Backend(String),
    /// The conversation was ended (on any gateway) or expired.
    #[error("the conversation has ended")]
    Ended,
    /// The store could not read or keep the conversation, or the turn's key was used for
    /// other words.
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// Answers messages within conversations; tool calls run server-side.
pub trait ChatBackend: Send + Sync + 'static {
    /// Donna's turn in conversation `id` (created on first use): everything said and done in
    /// it, the visitor's `message` first and her answer last. `earlier` is the conversation so
    /// far as every gateway keeps it: the turns this backend did not take (they were taken on
    /// another gateway) it reads before answering. With `key` (the client's idempotency key
    /// for this turn), what the turn stores is stored once however often the turn is sent.
    fn ask<'a>(
        &'a self,
        id: &'a str,
        earlier: &'a History,
        message: &'a str,
        key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Said>, ChatError>>;
    /// Forget conversation `id` (idle or evicted).
    fn end<'a>(&'a self, id: &'a str) -> BoxFuture<'a, ()>;
}

/// How long a conversation lives without a message, and how many may live at once.
#[derive(Debug, Clone, Copy)]
pub struct ConversationLimits {
    pub idle: Duration,
    pub max_open: usize,
}

impl Default for ConversationLimits {
    fn default() -> Self {
        // A visit at the desk takes minutes; a tablet left alone should start fresh.
        Self {
            idle: Duration::from_secs(10 * 60),
            max_open: 200,
        }
    }
}

/// A conversation this gateway is serving: when it was last used here, and whether it has
/// had a turn (one whose history is gone was ended on another gateway).
#[derive(Debug, Clone, Copy)]
struct Open {
    used: Instant,
    answered: bool,
}

/// The conversations this gateway serves, and their history in the store, where every
/// gateway of the desk finds it: a kiosk whose gateway died carries its visit on through
/// another, mid check-in.
pub struct Conversations {
    backend: Arc<dyn ChatBackend>,
    limits: ConversationLimits,
    reception: Arc<Reception>,
    open: Mutex<HashMap<String, Open>>,
    swept: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Conversations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversations")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The outcome of looking a conversation up.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    Ready(String),
    Unknown,
}

impl Conversations {
    /// Conversations answered by `backend`, their history kept in `reception`'s store.
    pub fn new(backend: Arc<dyn ChatBackend>, limits: ConversationLimits, reception: Arc<Reception>) -> Self {
        Self {
            backend,
            limits,
            reception,
            open: Mutex::new(HashMap::new()),
            swept: Mutex::new(None),
        }
    }

    fn open(&self) -> std::sync::MutexGuard<'_, HashMap<String, Open>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The conversation to use: `id` when it is live (here, or in the store from another
    /// gateway), a new one when `id` is `None`.
    pub async fn resolve(&self, id: Option<&str>) -> Result<Lookup, ChatError> {
        let now = Instant::now();
        let (expired, lookup) = {
            let mut open = self.open();
            let mut expired: Vec<String> = open
                .iter()
                .filter(|(_, o)| now.duration_since(o.used) > self.limits.idle)
                .map(|(k, _)| k.clone())
                .collect();
            for k in &expired {
                open.remove(k);
            }
            let lookup = match id {
                Some(id) => match open.get_mut(id) {
                    Some(o) => {
                        o.used = now;
                        Lookup::Ready(id.to_owned())
                    }
                    None => Lookup::Unknown,
                },
                None => {
                    if open.len() >= self.limits.max_open
                        && let Some(oldest) = open.iter().min_by_key(|(_, o)| o.used).map(|(k, _)| k.clone())
                    {
                        open.remove(&oldest);
                        expired.push(oldest);
                    }
                    let id = new_conversation_id();
                    open.insert(
                        id.clone(),
                        Open {
                            used: now,
                            answered: false,
                        },
                    );
                    Lookup::Ready(id)
                }
            };
            (expired, lookup)
        };
        // Idle here is not idle everywhere: the store's copy stays until it is idle there.
        for id in expired {
            self.backend.end(&id).await;
        }
        self.sweep(now);
        match (lookup, id) {
            (Lookup::Unknown, Some(id)) if self.live_in_store(id)? => {
                self.open().insert(
                    id.to_owned(),
                    Open {
                        used: now,
                        answered: false,
                    },
                );
                Ok(Lookup::Ready(id.to_owned()))
            }
            (lookup, _) => Ok(lookup),
        }
    }

    /// Whether the store holds conversation `id`, used within the idle limit (on any gateway).
    fn live_in_store(&self, id: &str) -> Result<bool, DeskError> {
        let idle_ms = i64::try_from(self.limits.idle.as_millis()).unwrap_or(i64::MAX);
        Ok(self
            .reception
            .store()
            .conversation(id)?
            .is_some_and(|c| c.updated_at_ms >= now_ms().saturating_sub(idle_ms)))
    }

    /// Forget, now and then, the conversations no gateway has used within the idle limit:
    /// what visitors said is not kept longer than it serves them.
    fn sweep(&self, now: Instant) {
        {
            let mut swept = self.swept.lock().unwrap_or_else(|p| p.into_inner());
            if swept.is_some_and(|t| now.duration_since(t) < SWEEP_EVERY) {
                return;
            }
            *swept = Some(now);
        }
        let idle_ms = i64::try_from(self.limits.idle.as_millis()).unwrap_or(i64::MAX);
        if let Err(e) = self
            .reception
            .store()
            .forget_conversations_before(now_ms().saturating_sub(idle_ms))
        {
            tracing::warn!(error = %e, "could not clear idle conversations from the store");
        }
    }

    /// Whether `id` is a live conversation, here or, from another gateway, in the store.
    pub async fn is_open(&self, id: &str) -> bool {
        let here = self
            .open()
            .get(id)
            .is_some_and(|o| o.used.elapsed() <= self.limits.idle);
        here || self.live_in_store(id).unwrap_or(false)
    }

    /// End conversation `id` now (the visitor left, the screen was wiped) on every gateway;
    /// false when it is not open. Its history and backend state go with it, so nothing of it
    /// answers the next visitor.
    pub async fn end(&self, id: &str) -> bool {
        let here = self.open().remove(id).is_some();
        let stored = self
            .reception
            .store()
            .forget_conversation(id)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "could not forget a conversation in the store");
                false
            });
        if here {
            self.backend.end(id).await;
        }
        here || stored
    }

    /// Donna's answer to `message` in conversation `id`, after reading the turns taken on
    /// other gateways; the turn joins the history every gateway reads. A turn sent again
    /// with its key after it was answered (the client never heard the answer) gets the same
    /// answer, and nothing runs twice.
    pub async fn ask(&self, id: &str, message: &str, key: Option<&str>) -> Result<String, ChatError> {
        let store = self.reception.store();
        let mut history = match store.conversation(id)? {
            Some(saved) => History::parse(&saved.history)?,
            None => History::default(),
        };
        let answered_here = self.open().get(id).is_some_and(|o| o.answered);
        if history.is_empty() && answered_here {
            // Ended on another gateway: this one's state of it goes too.
            self.open().remove(id);
            self.backend.end(id).await;
            return Err(ChatError::Ended);
        }
        if let Some(key) = key
            && let Some(answer) = history.answered(key, message)?
        {
            return Ok(answer.to_owned());
        }
        let said = self.backend.ask(id, &history, message, key).await?;
        history.push(key, said);
        let answer = history
            .exchanges()
            .last()
            .and_then(|e| e.answer())
            .unwrap_or_default()
            .to_owned();
        if let Some(o) = self.open().get_mut(id) {
            o.answered = true;
        }
        // The visitor has the answer either way; without the history only another gateway's
        // carrying on is lost, which the log says.
        if let Err(e) = store.save_conversation(id, &history.to_json(), now_ms()) {
            tracing::warn!(error = %e, "could not keep the conversation in the store");
        }
        Ok(answer)
    }

    pub fn open_count(&self) -> usize {
        self.open().len()
    }
}

/// Milliseconds since the epoch on the system clock: conversations idle out in real time,
/// whatever the desk's clock says.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `web_` and 32 hex digits from the OS's randomness (via std's hasher keys).
pub(crate) fn new_conversation_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::from("web_");
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The offline dialogue per conversation, running tools through the reception: what the local
/// engine does inside a session, without the protocol in between.
#[derive(Debug)]
pub struct LocalChat {
    reception: Arc<Reception>,
    /// Each conversation's dialogue, and the last turn of its history it has read.
    dialogues: Mutex<HashMap<String, (Dialogue, u64)>>,
}

impl LocalChat {
    pub fn new(reception: Arc<Reception>) -> Self {
        Self {
            reception,
            dialogues: Mutex::new(HashMap::new()),
        }
    }
}

impl ChatBackend for LocalChat {
    fn ask<'a>(
        &'a self,
        id: &'a str,
        earlier: &'a History,
        message: &'a str,
        key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Vec<Said>, ChatError>> {
        Box::pin(async move {
            let mut dialogues = self.dialogues.lock().unwrap_or_else(|p| p.into_inner());
            let (dialogue, seen) = dialogues.entry(id.to_owned()).or_default();
            let desk = self.reception.desk();
            let now = desk.now();
            for said in earlier.after(*seen).flat_map(|e| e.said.iter()) {
                dialogue.recall(desk.profile(), said, &now);
            }
            *seen = earlier.next_turn();
            let recording = Recording {
                conversation_id: Some(id),
                idempotency_key: key,
            };
            Ok(dialogue.exchange(&self.reception, message, recording))
        })
    }

    fn end<'a>(&'a self, id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.dialogues
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(id);
        })
    }
}
