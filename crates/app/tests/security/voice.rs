//! `POST /api/voice/chat`: offline, a real recording (espeak-ng) through the engine's recogniser
//! and voice, and 503 where no recogniser could be loaded; the cloud path runs against servers
//! that speak OpenAI's and ElevenLabs' protocols.

use std::time::Duration;

use base64::Engine as _;
use donna_config::Secret;
use donna_gateway::GatewayConfig;
use donna_gateway::auth::Role;
use donna_gateway::voice::{CloudVoice, Tts, VoiceBackend};
use serde_json::Value;

use super::harness::{
    CANARY, LogCapture, Options, Server, error_body, error_of, start, start_with_options, token,
};
use super::upstreams::{FakeService, Mode, elevenlabs, openai};

const XI_KEY: &str = "xi-canary-0a1b2c3d4e5f";

fn wav(samples: usize) -> Vec<u8> {
    donna_speech::wav::encode(&vec![0; samples], 16_000).unwrap()
}

async fn cloud(openai: &FakeService, tts: Option<&FakeService>, timeout: Duration) -> Server {
    let config = GatewayConfig {
        upstream_timeout: timeout,
        ..GatewayConfig::default()
    };
    start_with_options(Options {
        config,
        voice: VoiceBackend::Cloud(Box::new(CloudVoice {
            openai_base_url: openai.base.clone(),
            openai_api_key: Secret::new(CANARY),
            transcribe_model: "gpt-4o-mini-transcribe".into(),
            chat_model: "gpt-4o-mini".into(),
            tts: tts.map(|t| Tts {
                base_url: t.base.clone(),
                api_key: Secret::new(XI_KEY),
                voice_id: "21m00Tcm4TlvDq8ikWAM".into(),
            }),
        })),
        ..Options::default()
    })
    .await
}

fn send(s: &Server, body: Vec<u8>, content_type: &str) -> reqwest::RequestBuilder {
    s.post("/api/voice/chat", &token("kiosk-lobby", Role::Kiosk))
        .header("content-type", content_type.to_owned())
        .body(body)
}

#[tokio::test]
async fn a_recording_is_transcribed_answered_and_spoken_offline() {
    let work = tempfile::tempdir().unwrap();
    let desk = donna_desk::Desk::load(None).unwrap();
    // "Where is physiotherapy?" is one of the desk's own sentences: the fast path alone hears it.
    let stt = donna_engine::OfflineTranscriber::new(desk.profile(), work.path(), None).unwrap();
    let s = start_with_options(Options {
        voice: VoiceBackend::Offline(Box::new(donna_gateway::local_voice::LocalVoice {
            stt: std::sync::Arc::new(stt),
            tts: std::sync::Arc::new(donna_speech::Tts::default()),
            reception: std::sync::Arc::new(donna_desk::Reception::example().unwrap()),
        })),
        ..Options::default()
    })
    .await;
    let spoken = std::process::Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "150", "--stdout", "Where is physiotherapy?"])
        .output()
        .expect("espeak-ng is installed (scripts/test.sh installs it)")
        .stdout;
    let resp = send(&s, spoken, "audio/wav").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["transcript"].as_str().unwrap().to_lowercase(),
        "where is physiotherapy",
        "{body}"
    );
    assert!(
        body["reply"].as_str().unwrap().contains("Physiotherapy"),
        "{body}"
    );
    assert_eq!(body["audio"]["mime"], "audio/wav");
    let wav = base64::engine::general_purpose::STANDARD
        .decode(body["audio"]["base64"].as_str().unwrap())
        .unwrap();
    let seconds = (wav.len() - 44) as f64 / 48_000.0;
    assert!(seconds > 1.0, "{seconds} s of speech");
    // Offline, only WAV can be decoded.
    let webm = [&[0x1A, 0x45, 0xDF, 0xA3][..], &[0; 64]].concat();
    let resp = send(&s, webm, "audio/webm").send().await.unwrap();
    assert_eq!(error_of(resp).await, (415, "unsupported_format".into()));
}

#[tokio::test]
async fn the_local_backend_without_a_recogniser_says_so() {
    let s = start().await;
    let resp = send(&s, wav(1600), "audio/wav").send().await.unwrap();
    assert_eq!(error_of(resp).await, (503, "offline_speech_unavailable".into()));
}

#[tokio::test]
async fn a_recording_becomes_transcript_reply_and_speech_through_the_cloud() {
    let (logs, _guard) = LogCapture::start();
    let ai = openai(CANARY, Mode::Normal).await;
    let xi = elevenlabs(XI_KEY, Mode::Normal).await;
    let s = cloud(&ai, Some(&xi), Duration::from_secs(5)).await;
    let recording = wav(1600);
    let resp = send(&s, recording.clone(), "audio/wav").send().await.unwrap();
    let text = resp.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["transcript"], "When does Dr. Novak see patients?", "{body}");
    assert_eq!(body["reply"], "Dr. Novak sees patients on weekdays from 9.");
    let audio = base64::engine::general_purpose::STANDARD
        .decode(body["audio"]["base64"].as_str().unwrap())
        .unwrap();
    assert!(audio.starts_with(b"ID3"));
    assert_eq!(body["audio"]["mime"], "audio/mpeg");
    // The upstreams got the real recording and Donna's instructions; the client got no key.
    {
        // Released before the next request: the fake server needs the same lock.
        let seen = ai.seen.lock().unwrap();
        assert_eq!(seen.requests[0].2, recording);
        let chat: Value = serde_json::from_slice(&seen.requests[1].2).unwrap();
        assert!(chat["messages"][0]["content"].as_str().unwrap().contains("Donna"));
    }
    assert_eq!(xi.seen.lock().unwrap().requests[0].0, "tts:21m00Tcm4TlvDq8ikWAM");
    assert!(!text.contains(CANARY) && !text.contains(XI_KEY));
    // Neither what the visitor said nor the keys reach the log.
    let log = logs.text();
    assert!(
        !log.contains("Novak") && !log.contains(CANARY) && !log.contains(XI_KEY),
        "{log}"
    );

    // Without text-to-speech configured, the reply comes back as text only.
    let s = cloud(&ai, None, Duration::from_secs(5)).await;
    let body: Value = send(&s, wav(1600), "audio/wav")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["audio"].is_null() && body["reply"].is_string());
}

#[tokio::test]
async fn bad_recordings_are_refused_before_any_upstream_call() {
    let ai = openai(CANARY, Mode::Normal).await;
    let s = cloud(&ai, None, Duration::from_secs(5)).await;
    let mut wrong_rate = wav(100);
    wrong_rate[24..28].copy_from_slice(&96_000u32.to_le_bytes());
    let cases = [
        (
            b"ID3\x04not-a-recording".to_vec(),
            "audio/mpeg",
            415,
            "unsupported_format",
        ),
        (
            b"ID3\x04not-a-recording".to_vec(),
            "audio/wav",
            415,
            "unsupported_format",
        ),
        (b"OggS\0\x02".to_vec(), "audio/wav", 415, "unsupported_format"),
        (wav(0), "audio/wav", 422, "invalid_request"),
        (wrong_rate, "audio/wav", 422, "invalid_request"),
        (Vec::new(), "audio/wav", 422, "invalid_request"),
        (vec![0u8; 11 * 1024 * 1024], "audio/wav", 413, "payload_too_large"),
    ];
    for (body, ctype, status, code) in cases {
        let resp = send(&s, body, ctype).send().await.unwrap();
        assert_eq!(error_of(resp).await, (status, code.into()), "{ctype} {status}");
    }
    assert!(ai.seen.lock().unwrap().requests.is_empty());
    let resp = s
        .client
        .post(s.url("/api/voice/chat"))
        .header("content-type", "audio/wav")
        .body(wav(100))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
}

#[tokio::test]
async fn upstream_failures_in_any_step_are_typed() {
    let good_ai = openai(CANARY, Mode::Normal).await;
    let bad_ai = openai(CANARY, Mode::Error).await;
    let slow_ai = openai(CANARY, Mode::Slow).await;
    let wrong_key_ai = openai("sk-someone-else", Mode::Normal).await;
    let bad_xi = elevenlabs(XI_KEY, Mode::Error).await;
    let slow_xi = elevenlabs(XI_KEY, Mode::Slow).await;
    let empty_xi = elevenlabs(XI_KEY, Mode::Garbage).await;
    let cases = [
        (&bad_ai, None, 502, "upstream_error"),
        (&slow_ai, None, 504, "upstream_timeout"),
        (&wrong_key_ai, None, 502, "upstream_error"),
        (&good_ai, Some(&bad_xi), 502, "upstream_error"),
        (&good_ai, Some(&slow_xi), 504, "upstream_timeout"),
        (&good_ai, Some(&empty_xi), 502, "upstream_error"),
    ];
    for (ai, xi, status, code) in cases {
        let s = cloud(ai, xi, Duration::from_secs(1)).await;
        let resp = send(&s, wav(1600), "audio/wav").send().await.unwrap();
        let (got_status, got_code, body) = error_body(resp).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{body}");
        let text = body.to_string();
        assert!(
            !text.contains("server had an error") && !text.contains("voice_not_found"),
            "{text}"
        );
    }
}
