//! Local HTTP servers that speak the upstream services' protocols (OpenAI's REST API with its
//! error shapes, ElevenLabs' text-to-speech, the legacy marketing backend), and misbehave on
//! request: errors, slowness, garbage.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::{Value, json};

use super::harness::{engine, spawn};

/// How a fake service behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// An error in the service's own shape.
    Error,
    /// Answers after 3 s.
    Slow,
    /// 200 with a body that is not what the protocol promises.
    Garbage,
}

/// What the fake services saw.
#[derive(Debug, Default)]
pub struct Seen {
    pub requests: Vec<(String, HeaderMap, Vec<u8>)>,
}

#[derive(Clone)]
struct Fake {
    key: String,
    mode: Mode,
    seen: Arc<Mutex<Seen>>,
}

fn openai_error(status: StatusCode, code: &str, message: &str) -> Response {
    let kind = if status.is_server_error() {
        "server_error"
    } else {
        "invalid_request_error"
    };
    (
        status,
        Json(json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })),
    )
        .into_response()
}

fn bearer_ok(headers: &HeaderMap, key: &str) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {key}"))
}

async fn behave(mode: Mode) -> Option<Response> {
    match mode {
        Mode::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            None
        }
        Mode::Error => Some(openai_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The server had an error",
        )),
        Mode::Garbage => Some((StatusCode::OK, "<html>definitely not json").into_response()),
        Mode::Normal => None,
    }
}

async fn transcriptions(State(fake): State<Fake>, headers: HeaderMap, mut form: Multipart) -> Response {
    if !bearer_ok(&headers, &fake.key) {
        return openai_error(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "Incorrect API key provided: sk-wr***ng.",
        );
    }
    let (mut file, mut model) = (None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("file") => file = Some((field.file_name().map(str::to_owned), field.bytes().await.unwrap())),
            Some("model") => model = Some(field.text().await.unwrap()),
            _ => {}
        }
    }
    let Some((Some(name), bytes)) = file else {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_value",
            "'file' is a required property",
        );
    };
    if model.is_none() {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_value",
            "'model' is a required property",
        );
    }
    fake.seen
        .lock()
        .unwrap()
        .requests
        .push(("transcriptions".into(), headers, bytes.to_vec()));
    if let Some(r) = behave(fake.mode).await {
        return r;
    }
    if !(name.ends_with(".wav") || name.ends_with(".webm") || name.ends_with(".ogg")) {
        return openai_error(StatusCode::BAD_REQUEST, "invalid_value", "Invalid file format.");
    }
    Json(json!({ "text": "When does Dr. Novak see patients?" })).into_response()
}

async fn completions(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    if !bearer_ok(&headers, &fake.key) {
        return openai_error(
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
            "Incorrect API key provided.",
        );
    }
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    fake.seen
        .lock()
        .unwrap()
        .requests
        .push(("chat".into(), headers, body.to_vec()));
    if req["model"].as_str().is_none() || !req["messages"].is_array() {
        return openai_error(
            StatusCode::BAD_REQUEST,
            "invalid_value",
            "model and messages are required",
        );
    }
    if let Some(r) = behave(fake.mode).await {
        return r;
    }
    Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": req["model"],
        "choices": [{ "index": 0, "finish_reason": "stop",
                      "message": { "role": "assistant", "content": "Dr. Novak sees patients on weekdays from 9." } }],
    }))
    .into_response()
}

async fn tts(
    State(fake): State<Fake>,
    Path(voice): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if headers.get("xi-api-key").and_then(|v| v.to_str().ok()) != Some(fake.key.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "detail": { "status": "invalid_api_key", "message": "Invalid API key" } })),
        )
            .into_response();
    }
    fake.seen
        .lock()
        .unwrap()
        .requests
        .push((format!("tts:{voice}"), headers, body.to_vec()));
    match fake.mode {
        Mode::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
        Mode::Error => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "detail": { "status": "voice_not_found", "message": "A voice with that ID was not found." } })),
            )
                .into_response();
        }
        Mode::Garbage => return (StatusCode::OK, Vec::<u8>::new()).into_response(),
        Mode::Normal => {}
    }
    (
        [("content-type", "audio/mpeg")],
        b"ID3\x04fake-mp3-frames".to_vec(),
    )
        .into_response()
}

pub struct FakeService {
    pub base: String,
    pub seen: Arc<Mutex<Seen>>,
    _shutdown: tokio_util::sync::DropGuard,
}

/// An OpenAI-compatible server: transcription and chat are fakes; client secrets are the local
/// engine itself, the real implementation of that protocol in this repository.
pub async fn openai(key: &str, mode: Mode) -> FakeService {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let fake = Fake {
        key: key.to_owned(),
        mode,
        seen: seen.clone(),
    };
    let secrets = match mode {
        Mode::Normal => engine(key).router(),
        _ => Router::new().route(
            "/v1/realtime/client_secrets",
            post(move || async move {
                behave(mode).await.unwrap_or_else(|| {
                    Json(json!({ "value": "ek_slow", "expires_at": 1, "session": {} })).into_response()
                })
            }),
        ),
    };
    let router = Router::new()
        .route("/v1/audio/transcriptions", post(transcriptions))
        .route("/v1/chat/completions", post(completions))
        .with_state(fake)
        .merge(secrets);
    let (base, shutdown) = spawn(router).await;
    FakeService {
        base: format!("{base}/v1"),
        seen,
        _shutdown: shutdown.drop_guard(),
    }
}

/// An ElevenLabs-style text-to-speech server.
pub async fn elevenlabs(key: &str, mode: Mode) -> FakeService {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let fake = Fake {
        key: key.to_owned(),
        mode,
        seen: seen.clone(),
    };
    let router = Router::new()
        .route("/v1/text-to-speech/{voice}", post(tts))
        .with_state(fake);
    let (base, shutdown) = spawn(router).await;
    FakeService {
        base,
        seen,
        _shutdown: shutdown.drop_guard(),
    }
}

/// The legacy marketing backend: echoes what it got as JSON.
pub async fn marketing(mode: Mode) -> FakeService {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = seen.clone();
    let handler =
        move |Path(path): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap, body: Bytes| {
            let seen = seen2.clone();
            async move {
                seen.lock()
                    .unwrap()
                    .requests
                    .push((path.clone(), headers.clone(), body.to_vec()));
                match mode {
                    Mode::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
                    Mode::Error => {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "Traceback: /srv/app.py line 3")
                            .into_response();
                    }
                    Mode::Garbage => return (StatusCode::OK, vec![b'x'; 6 * 1024 * 1024]).into_response(),
                    Mode::Normal => {}
                }
                if path == "simple/missing" {
                    return (
                        StatusCode::NOT_FOUND,
                        Json(json!({ "detail": "no such campaign" })),
                    )
                        .into_response();
                }
                (
                    [
                        ("etag", "\"v1\""),
                        ("set-cookie", "session=upstream"),
                        ("x-internal", "yes"),
                    ],
                    Json(json!({
                        "path": path, "query": query,
                        "body": String::from_utf8_lossy(&body),
                        "subject": headers.get("x-donna-subject").and_then(|v| v.to_str().ok()),
                        "authorization": headers.get("authorization").is_some(),
                    })),
                )
                    .into_response()
            }
        };
    let router = Router::new().route("/{*path}", any(handler));
    let (base, shutdown) = spawn(router).await;
    FakeService {
        base,
        seen,
        _shutdown: shutdown.drop_guard(),
    }
}
