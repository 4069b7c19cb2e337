//! `POST /api/voice/chat`: a recorded question in, Donna's answer out as text and speech.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use base64::Engine as _;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AnyRole, Authed};
use crate::voice::{AudioFormat, check_wav};
use crate::{ApiError, GatewayState};

/// Longest accepted recording: about 5 minutes of 16 kHz mono PCM.
pub const MAX_AUDIO_BYTES: usize = 10 * 1024 * 1024;
/// Content types the route takes; the bytes must match what they claim.
const ACCEPTED_TYPES: &[(&str, AudioFormat)] = &[
    ("audio/wav", AudioFormat::Wav),
    ("audio/x-wav", AudioFormat::Wav),
    ("audio/wave", AudioFormat::Wav),
    ("audio/webm", AudioFormat::Webm),
    ("audio/ogg", AudioFormat::Ogg),
];

#[derive(Debug, Serialize, ToSchema)]
pub struct VoiceChatResponse {
    /// What the visitor said.
    pub transcript: String,
    /// Donna's answer.
    pub reply: String,
    /// The answer spoken, when text-to-speech is configured.
    pub audio: Option<SpokenAudio>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SpokenAudio {
    /// `audio/mpeg`.
    pub mime: &'static str,
    /// The audio, base64.
    pub base64: String,
}

/// One spoken turn with Donna.
#[utoipa::path(post, path = "/api/voice/chat", tag = "voice",
    request_body(content = Vec<u8>, description = "a recording (WAV, WebM or Ogg Opus)", content_type = "audio/wav"),
    security(("bearer" = [])),
    responses(
        (status = 200, body = VoiceChatResponse),
        (status = 401, body = crate::error::ErrorResponse),
        (status = 413, body = crate::error::ErrorResponse),
        (status = 415, description = "not a supported recording", body = crate::error::ErrorResponse),
        (status = 422, description = "no speech recognised", body = crate::error::ErrorResponse),
        (status = 429, body = crate::error::ErrorResponse),
        (status = 502, body = crate::error::ErrorResponse),
        (status = 503, description = "offline speech is not installed (local backend)", body = crate::error::ErrorResponse),
        (status = 504, body = crate::error::ErrorResponse),
    ))]
pub async fn chat(
    State(state): State<GatewayState>,
    _auth: Authed<AnyRole>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<VoiceChatResponse>, ApiError> {
    let backend = state.voice().name();
    let result = async {
        let format = audio_format(&headers, &body)?;
        let turn = state
            .voice()
            .turn(
                state.upstream(),
                body.to_vec(),
                format,
                state.desk().instructions(),
            )
            .await?;
        let mime = turn.mime;
        Ok::<_, ApiError>(VoiceChatResponse {
            transcript: turn.transcript,
            reply: turn.reply,
            audio: turn.audio.map(|bytes| SpokenAudio {
                mime,
                base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            }),
        })
    }
    .await;
    match &result {
        Ok(_) => state.metrics().voice(backend, "ok"),
        Err(e) => state.metrics().voice(backend, e.status_and_code().1),
    }
    result.map(Json)
}

fn audio_format(headers: &HeaderMap, body: &[u8]) -> Result<AudioFormat, ApiError> {
    let declared = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, claimed)) = ACCEPTED_TYPES.iter().find(|(t, _)| *t == declared) else {
        return Err(ApiError::UnsupportedFormat(
            "send the recording as audio/wav, audio/webm or audio/ogg".to_owned(),
        ));
    };
    if body.is_empty() {
        return Err(ApiError::Invalid("the recording is empty".to_owned()));
    }
    match AudioFormat::sniff(body) {
        Some(actual) if actual == *claimed => {}
        _ => {
            return Err(ApiError::UnsupportedFormat(format!(
                "the body is not a {declared} recording"
            )));
        }
    }
    if *claimed == AudioFormat::Wav {
        check_wav(body).map_err(ApiError::Invalid)?;
    }
    Ok(*claimed)
}
