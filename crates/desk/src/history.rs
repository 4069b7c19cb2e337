//! A conversation's history, kept in the store between turns under the conversation's id, so
//! the conversation carries on wherever its next turn lands: on another gateway after the one
//! it began on died, or in a new realtime session. A model reads it as context; the offline
//! dialogue reads it with [`crate::Dialogue::recall`].

use serde::{Deserialize, Serialize};

use crate::DeskError;

/// The most turns kept: a visit at the desk takes a handful, and a conversation left running
/// on a tablet must not grow without end. The oldest go first.
pub const MAX_EXCHANGES: usize = 40;

/// One thing said or done in a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Said {
    Visitor {
        text: String,
    },
    /// A tool Donna ran, with what it answered (a check-in done, staff to choose between).
    Tool {
        name: String,
        arguments: String,
        output: String,
    },
    Donna {
        text: String,
    },
}

/// One turn: the visitor's words, the tools they led to, Donna's answer; and the idempotency
/// key the client sent the turn with, so the same turn sent again is answered from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The turn's number in the conversation, from 1: whoever reads the history knows which
    /// turns it has seen (its own) and which it has not (taken on another gateway).
    pub n: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub said: Vec<Said>,
}

impl Exchange {
    /// What the visitor said in this turn.
    pub fn visitor(&self) -> Option<&str> {
        self.said.iter().find_map(|s| match s {
            Said::Visitor { text } => Some(text.as_str()),
            _ => None,
        })
    }

    /// Donna's answer in this turn.
    pub fn answer(&self) -> Option<&str> {
        self.said.iter().rev().find_map(|s| match s {
            Said::Donna { text } => Some(text.as_str()),
            _ => None,
        })
    }
}

/// A conversation's turns, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct History(Vec<Exchange>);

impl History {
    /// Read a history as [`History::to_json`] wrote it.
    pub fn parse(json: &str) -> Result<Self, DeskError> {
        serde_json::from_str(json).map_err(|e| DeskError::InvalidInput {
            field: "conversation history",
            problem: e.to_string(),
        })
    }

    pub fn to_json(&self) -> String {
        // A tree of strings always serialises.
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".to_owned())
    }

    pub fn exchanges(&self) -> &[Exchange] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Everything said, in order.
    pub fn said(&self) -> impl Iterator<Item = &Said> {
        self.0.iter().flat_map(|e| e.said.iter())
    }

    /// The number the next turn gets.
    pub fn next_turn(&self) -> u64 {
        self.0.last().map_or(1, |e| e.n + 1)
    }

    /// The turns after turn `seen`, oldest first.
    pub fn after(&self, seen: u64) -> impl Iterator<Item = &Exchange> {
        self.0.iter().filter(move |e| e.n > seen)
    }

    /// Add the next turn, sent with `key`, dropping the oldest beyond [`MAX_EXCHANGES`].
    pub fn push(&mut self, key: Option<&str>, said: Vec<Said>) {
        let n = self.next_turn();
        self.0.push(Exchange {
            n,
            key: key.map(str::to_owned),
            said,
        });
        let excess = self.0.len().saturating_sub(MAX_EXCHANGES);
        self.0.drain(..excess);
    }

    /// The answer already given to the turn sent with `key`, when that turn was the last and
    /// said `message`: the client never heard it, and sends the turn again. The same key with
    /// other words is a client's bug.
    pub fn answered(&self, key: &str, message: &str) -> Result<Option<&str>, DeskError> {
        let Some(last) = self.0.last().filter(|e| e.key.as_deref() == Some(key)) else {
            return Ok(None);
        };
        if last.visitor() != Some(message) {
            return Err(DeskError::KeyReused {
                what: "turn",
                key: key.to_owned(),
            });
        }
        Ok(last.answer())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn said(visitor: &str, donna: &str) -> Vec<Said> {
        vec![
            Said::Visitor {
                text: visitor.to_owned(),
            },
            Said::Donna {
                text: donna.to_owned(),
            },
        ]
    }

    #[test]
    fn a_history_reads_back_as_written() {
        let mut h = History::default();
        h.push(None, said("I'm here to see Maria", "May I have your name?"));
        h.push(
            Some("k2"),
            vec![
                Said::Visitor { text: "Jo".into() },
                Said::Tool {
                    name: "check_in_visitor".into(),
                    arguments: "{}".into(),
                    output: r#"{"ok":true}"#.into(),
                },
                Said::Donna {
                    text: "Thanks".into(),
                },
            ],
        );
        assert_eq!(History::parse(&h.to_json()).unwrap(), h);
        assert_eq!(h.said().count(), 5);
        assert_eq!(h.next_turn(), 3);
        assert_eq!(h.after(1).map(|e| e.n).collect::<Vec<_>>(), [2]);
        assert!(History::parse("{\"not\":\"a history\"}").is_err());
    }

    #[test]
    fn the_last_turn_sent_again_gets_its_answer_and_a_reused_key_is_refused() {
        let mut h = History::default();
        h.push(Some("k1"), said("Hello", "Hi there"));
        h.push(Some("k2"), said("Jo Bloggs", "Thanks Jo"));
        assert_eq!(h.answered("k2", "Jo Bloggs").unwrap(), Some("Thanks Jo"));
        // Only the last turn can be one the client never heard.
        assert_eq!(h.answered("k1", "Hello").unwrap(), None);
        assert_eq!(h.answered("k3", "Jo Bloggs").unwrap(), None);
        assert!(matches!(
            h.answered("k2", "Someone else"),
            Err(DeskError::KeyReused { .. })
        ));
    }

    #[test]
    fn a_long_conversation_keeps_its_latest_turns() {
        let mut h = History::default();
        for i in 0..MAX_EXCHANGES + 5 {
            h.push(None, said(&format!("q{i}"), "a"));
        }
        assert_eq!(h.exchanges().len(), MAX_EXCHANGES);
        assert_eq!(h.exchanges()[0].visitor(), Some("q5"));
        // Numbers go on counting: a reader that saw turn 44 has nothing new.
        assert_eq!(h.next_turn(), MAX_EXCHANGES as u64 + 6);
        assert_eq!(h.after(MAX_EXCHANGES as u64 + 5).count(), 0);
    }
}
