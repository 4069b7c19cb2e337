//! The OpenAI Realtime protocol (GA), as spoken by the cloud service and by Donna's local engine.
//!
//! | module | owns |
//! |---|---|
//! | [`protocol`] | every client and server event, session config, items, responses; decoding that tolerates unknown events and fields |
//! | [`session`] | the client's view of one conversation, sans I/O: what to send when, what to show |
//! | [`transport`] | one connection: the [`transport::Transport`] trait, WebSocket, an in-memory mock |
//! | [`client`] | [`RealtimeClient`]: connect, ask, run tools, reconnect, roll over, close |
//! | [`server`] | [`InProcessServer`]: a realtime server in this process, as a gateway holds it |
//!
//! Where to start: the app uses [`RealtimeClient::connect`], [`RealtimeClient::ask_text`], a
//! [`ToolHandler`], [`RealtimeClient::subscribe`] for [`UiUpdate`]s and [`RealtimeClient::close`].
//! Only [`transport`] and [`client`] do I/O.

pub mod client;
pub mod protocol;
pub mod server;
pub mod session;
pub mod transport;

mod error;

pub use client::{ClientConfig, ConnectOptions, RealtimeClient, ReconnectPolicy, ToolHandler};
pub use error::{RETRYABLE_CLOSE_CODES, RealtimeError};
pub use server::{InProcessServer, MintRefused, MintedSecret};
pub use session::{AgentState, ClientSession, ToolCall, TurnError, TurnId, UiUpdate};
pub use transport::websocket::Credential;
