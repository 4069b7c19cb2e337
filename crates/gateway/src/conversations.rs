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

use donna_desk::{Dialogue, Reception, Recording};

/// A boxed future, so the backend can be a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a conversation could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("the assistant did not answer: {0}")]
    Backend(String),
}

/// Answers messages within conversations; tool calls run server-side.
pub trait ChatBackend: Send + Sync + 'static {
    /// Donna's answer to `message` in conversation `id` (created on first use). With `key`
    /// (the client's idempotency key for this turn), what the turn stores is stored once
    /// however often the turn is sent.
    fn ask<'a>(
        &'a self,
        id: &'a str,
        message: &'a str,
        key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<String, ChatError>>;
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

/// The ids the gateway issued and when each was last used.
pub struct Conversations {
    backend: Arc<dyn ChatBackend>,
    limits: ConversationLimits,
    open: Mutex<HashMap<String, Instant>>,
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
    pub fn new(backend: Arc<dyn ChatBackend>, limits: ConversationLimits) -> Self {
        Self {
            backend,
            limits,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The conversation to use: `id` when it is live, a new one when `id` is `None`.
    pub async fn resolve(&self, id: Option<&str>) -> Lookup {
        let now = Instant::now();
        let (expired, lookup) = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            let mut expired: Vec<String> = open
                .iter()
                .filter(|(_, t)| now.duration_since(**t) > self.limits.idle)
                .map(|(k, _)| k.clone())
                .collect();
            for k in &expired {
                open.remove(k);
            }
            let lookup = match id {
                Some(id) if open.contains_key(id) => {
                    open.insert(id.to_owned(), now);
                    Lookup::Ready(id.to_owned())
                }
                Some(_) => Lookup::Unknown,
                None => {
                    if open.len() >= self.limits.max_open
                        && let Some(oldest) = open.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone())
                    {
                        open.remove(&oldest);
                        expired.push(oldest);
                    }
                    let id = new_conversation_id();
                    open.insert(id.clone(), now);
                    Lookup::Ready(id)
                }
            };
            (expired, lookup)
        };
        for id in expired {
            self.backend.end(&id).await;
        }
        lookup
    }

    /// Whether `id` is a conversation the gateway issued and that has not expired.
    pub fn is_open(&self, id: &str) -> bool {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(id).is_some_and(|t| t.elapsed() <= self.limits.idle)
    }

    /// End conversation `id` now (the visitor left, the screen was wiped); false when it is
    /// not open. Its backend state goes with it, so nothing of it answers the next visitor.
    pub async fn end(&self, id: &str) -> bool {
        let was_open = self
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
            .is_some();
        if was_open {
            self.backend.end(id).await;
        }
        was_open
    }

    pub async fn ask(&self, id: &str, message: &str, key: Option<&str>) -> Result<String, ChatError> {
        self.backend.ask(id, message, key).await
    }

    pub fn open_count(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
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
    dialogues: Mutex<HashMap<String, Dialogue>>,
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
        message: &'a str,
        key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<String, ChatError>> {
        Box::pin(async move {
            let mut dialogues = self.dialogues.lock().unwrap_or_else(|p| p.into_inner());
            let dialogue = dialogues.entry(id.to_owned()).or_default();
            let recording = Recording {
                conversation_id: Some(id),
                idempotency_key: key,
            };
            Ok(dialogue.turn(&self.reception, message, recording))
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
