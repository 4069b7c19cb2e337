//! The app's realtime session: typed chat goes through it, so the kiosk talks to either backend
//! over the same protocol. Tool calls from the model run here, in Rust, against the desk.

use std::sync::Arc;
use std::time::Duration;

use donna_config::{Backend, Settings};
use donna_desk::Desk;
use donna_realtime::protocol::SessionConfig;
use donna_realtime::protocol::session::Tool;
use donna_realtime::{ConnectOptions, Credential, RealtimeClient, RealtimeError, ToolHandler};
use donna_voice::TurnMode;
use tokio::sync::watch;

/// How long a typed question waits for the session to come up before the desk answers alone.
const CONNECT_WAIT: Duration = Duration::from_secs(5);
/// How long one answer may take over the session.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the desk's tools for the model.
pub(crate) struct DeskTools(pub(crate) Arc<Desk>);

impl ToolHandler for DeskTools {
    async fn call(&self, name: &str, arguments: &str) -> String {
        tracing::info!(tool = name, "running tool for the model");
        self.0.run_tool(name, arguments, &self.0.now())
    }
}

/// The session handle, filled in once connected.
#[derive(Debug, Clone)]
pub struct Realtime {
    desk: Arc<Desk>,
    client: watch::Receiver<Option<Arc<RealtimeClient>>>,
}

/// Where the session connects.
#[derive(Debug, Clone)]
pub struct Target {
    pub base_url: String,
    pub model: String,
    pub credential: Credential,
    pub backend: Backend,
}

impl Realtime {
    /// Start connecting in the background: to the cloud when configured (falling back to the
    /// local engine if the cloud cannot be reached), otherwise to the local engine.
    pub fn start(desk: Arc<Desk>, settings: &Settings, local_url: &str, engine_key: &str) -> Self {
        let local = Target {
            base_url: format!("{local_url}/v1"),
            model: settings.openai_realtime_model.clone(),
            credential: Credential::new(engine_key),
            backend: Backend::Local,
        };
        let cloud = match (&settings.backend, &settings.openai_api_key) {
            (Backend::OpenAi, Some(key)) => Some(Target {
                base_url: settings.openai_base_url.clone(),
                model: settings.openai_realtime_model.clone(),
                credential: Credential::new(key.expose()),
                backend: Backend::OpenAi,
            }),
            _ => None,
        };
        let (tx, rx) = watch::channel(None);
        let mode = turn_mode(settings);
        let tools = desk.clone();
        tokio::spawn(async move {
            for target in cloud.into_iter().chain(std::iter::once(local)) {
                let session = session_config(&tools, mode, target.backend);
                let options =
                    ConnectOptions::new(&target.base_url, &target.model, target.credential, session);
                let options = ConnectOptions {
                    client: options.client.with_tools(DeskTools(tools.clone())),
                    ..options
                };
                match RealtimeClient::connect(options).await {
                    Ok(client) => {
                        tracing::info!(backend = target.backend.as_str(), "realtime session ready");
                        let _ = tx.send(Some(Arc::new(client)));
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(backend = target.backend.as_str(), error = %e, "realtime session failed to start")
                    }
                }
            }
            tracing::error!("no realtime session: typed chat is answered by the desk directly");
        });
        Self { desk, client: rx }
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
        self.desk
            .reply(message, &jiff::Timestamp::now())
            .unwrap_or_else(|e| e.to_string())
    }
}

fn log_fallback(e: &RealtimeError) {
    tracing::warn!(error = %e, "realtime answer failed; the desk answers directly");
}

/// Who ends the visitor's turn: the service's VAD, Donna's own gate, or the mic button.
pub fn turn_mode(settings: &Settings) -> TurnMode {
    if settings.enable_server_vad {
        TurnMode::ServerVad
    } else if settings.enable_vad {
        TurnMode::LocalVad
    } else {
        TurnMode::PushToTalk
    }
}

/// The session Donna asks for: the desk's instructions and tools, PCM16 24 kHz audio in with
/// the turn mode's detection. Donna speaks (audio out) on the cloud; the local engine has no
/// speech synthesis yet, so there she answers in text, shown as captions.
pub fn session_config(desk: &Desk, mode: TurnMode, backend: Backend) -> SessionConfig {
    let tools = donna_desk::tools::definitions()
        .into_iter()
        .filter_map(|t| serde_json::from_value::<Tool>(t).ok())
        .collect();
    let output = match backend {
        Backend::OpenAi => "audio",
        Backend::Local => "text",
    };
    SessionConfig {
        kind: Some("realtime".to_owned()),
        output_modalities: Some(vec![output.to_owned()]),
        instructions: Some(desk.instructions()),
        tools: Some(tools),
        audio: Some(donna_voice::session_audio(mode)),
        ..SessionConfig::default()
    }
}
