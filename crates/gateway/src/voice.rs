//! Batch voice (the legacy path): a recording in, speech-to-text, Donna's reply, text-to-speech.
//!
//! Cloud: OpenAI `POST /audio/transcriptions` and `POST /chat/completions`, and an ElevenLabs
//! `POST /v1/text-to-speech/{voice_id}` for the spoken reply. Local: the engine's offline
//! recogniser and voice ([`crate::local_voice`]); where the recogniser could not be loaded the
//! route answers `503 offline_speech_unavailable`.
//! What the visitor said and what Donna answered are never logged, only their lengths.

use donna_config::{BackendSettings, Secret};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

pub use crate::recording::{AudioFormat, VoiceTurn, check_wav};
use crate::upstream::Upstream;
use crate::{ApiError, UpstreamError};

/// The cloud speech services (`Secret`s print redacted).
#[derive(Debug, Clone)]
pub struct CloudVoice {
    pub openai_base_url: String,
    pub openai_api_key: Secret,
    pub transcribe_model: String,
    pub chat_model: String,
    /// ElevenLabs-style text-to-speech; without it replies come back as text only.
    pub tts: Option<Tts>,
}

#[derive(Debug, Clone)]
pub struct Tts {
    pub base_url: String,
    pub api_key: Secret,
    pub voice_id: String,
}

/// Which speech backend batch voice uses.
#[derive(Clone, Default)]
pub enum VoiceBackend {
    Cloud(Box<CloudVoice>),
    /// The local engine's offline speech.
    Offline(Box<crate::local_voice::LocalVoice>),
    /// The local backend without a speech recogniser (its model is not installed).
    Local,
    #[default]
    Unavailable,
}

impl std::fmt::Debug for VoiceBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VoiceBackend::Cloud(_) => "VoiceBackend::Cloud",
            VoiceBackend::Offline(_) => "VoiceBackend::Offline",
            VoiceBackend::Local => "VoiceBackend::Local",
            VoiceBackend::Unavailable => "VoiceBackend::Unavailable",
        })
    }
}

impl VoiceBackend {
    /// Cloud when an OpenAI key is configured and the backend is OpenAI, else local.
    pub fn from_settings(settings: &BackendSettings) -> Self {
        match (&settings.active, &settings.openai_api_key) {
            (donna_config::Backend::OpenAi, Some(key)) => VoiceBackend::Cloud(Box::new(CloudVoice {
                openai_base_url: settings.openai_base_url.clone(),
                openai_api_key: key.clone(),
                transcribe_model: settings.openai_transcribe_model.clone(),
                chat_model: settings.openai_chat_model.clone(),
                tts: settings.elevenlabs_api_key.as_ref().map(|key| Tts {
                    base_url: settings.elevenlabs_base_url.clone(),
                    api_key: key.clone(),
                    voice_id: settings.elevenlabs_voice_id.clone(),
                }),
            })),
            _ => VoiceBackend::Local,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            VoiceBackend::Cloud(_) => "openai",
            VoiceBackend::Offline(_) | VoiceBackend::Local => "local",
            VoiceBackend::Unavailable => "none",
        }
    }

    /// Run one turn: transcribe `audio`, answer with `instructions`, speak the answer.
    pub async fn turn(
        &self,
        upstream: Result<&Upstream, ApiError>,
        audio: Vec<u8>,
        format: AudioFormat,
        instructions: &str,
    ) -> Result<VoiceTurn, ApiError> {
        let cloud = match self {
            VoiceBackend::Cloud(cloud) => cloud,
            VoiceBackend::Offline(local) => return local.turn(audio, format).await,
            VoiceBackend::Local => {
                return Err(ApiError::Unavailable {
                    code: "offline_speech_unavailable",
                    message: "offline speech recognition is not available on this machine (install \
                              pocketsphinx-en-us and run `donna models install`), or set OPENAI_API_KEY \
                              for the cloud backend"
                        .to_owned(),
                });
            }
            VoiceBackend::Unavailable => {
                return Err(ApiError::Unavailable {
                    code: "voice_unavailable",
                    message: "no speech backend is configured".to_owned(),
                });
            }
        };
        let upstream = upstream?;
        let transcript = cloud.transcribe(upstream, audio, format).await?;
        if transcript.trim().is_empty() {
            return Err(ApiError::Invalid(
                "no speech was recognised in the recording".to_owned(),
            ));
        }
        let reply = cloud.reply(upstream, &transcript, instructions).await?;
        let audio = match &cloud.tts {
            Some(tts) => Some(tts.speak(upstream, &reply).await?),
            None => None,
        };
        tracing::info!(
            transcript_chars = transcript.chars().count(),
            reply_chars = reply.chars().count(),
            audio_bytes = audio.as_ref().map_or(0, Vec::len),
            "voice turn"
        );
        Ok(VoiceTurn {
            transcript,
            reply,
            audio,
            mime: "audio/mpeg",
        })
    }
}

impl CloudVoice {
    async fn transcribe(
        &self,
        upstream: &Upstream,
        audio: Vec<u8>,
        format: AudioFormat,
    ) -> Result<String, ApiError> {
        const SERVICE: &str = "openai transcription";
        let part = Part::bytes(audio)
            .file_name(format.file_name())
            .mime_str(format.mime())
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let form = Form::new()
            .part("file", part)
            .text("model", self.transcribe_model.clone())
            .text("response_format", "json");
        let request = upstream
            .client()
            .post(format!("{}/audio/transcriptions", self.openai_base_url))
            .bearer_auth(self.openai_api_key.expose())
            .multipart(form);
        let answer = upstream.json(SERVICE, request).await?;
        answer["text"].as_str().map(str::to_owned).ok_or_else(|| {
            UpstreamError::BadResponse {
                service: SERVICE,
                detail: "no text in the transcription".to_owned(),
            }
            .into()
        })
    }

    async fn reply(
        &self,
        upstream: &Upstream,
        transcript: &str,
        instructions: &str,
    ) -> Result<String, ApiError> {
        const SERVICE: &str = "openai chat";
        let body = json!({
            "model": self.chat_model,
            "messages": [
                { "role": "system", "content": instructions },
                { "role": "user", "content": transcript },
            ],
            "max_tokens": 300,
        });
        let request = upstream
            .client()
            .post(format!("{}/chat/completions", self.openai_base_url))
            .bearer_auth(self.openai_api_key.expose())
            .json(&body);
        let answer: Value = upstream.json(SERVICE, request).await?;
        answer["choices"][0]["message"]["content"]
            .as_str()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                UpstreamError::BadResponse {
                    service: SERVICE,
                    detail: "no message content in the completion".to_owned(),
                }
                .into()
            })
    }
}

impl Tts {
    async fn speak(&self, upstream: &Upstream, text: &str) -> Result<Vec<u8>, ApiError> {
        const SERVICE: &str = "text-to-speech";
        let request = upstream
            .client()
            .post(format!(
                "{}/v1/text-to-speech/{}?output_format=mp3_44100_128",
                self.base_url, self.voice_id
            ))
            .header("xi-api-key", self.api_key.expose())
            .header("accept", "audio/mpeg")
            .json(&json!({ "text": text, "model_id": "eleven_multilingual_v2" }));
        let response = upstream.send(SERVICE, request).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| UpstreamError::from_reqwest(SERVICE, upstream.timeout_s(), e))?;
        if bytes.is_empty() {
            return Err(UpstreamError::BadResponse {
                service: SERVICE,
                detail: "empty audio".to_owned(),
            }
            .into());
        }
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(samples: usize) -> Vec<u8> {
        donna_speech::wav::encode(&vec![0; samples], 24_000).unwrap()
    }

    #[test]
    fn formats_are_sniffed_and_wav_headers_checked() {
        let good = wav(100);
        assert_eq!(AudioFormat::sniff(&good), Some(AudioFormat::Wav));
        assert!(check_wav(&good).is_ok());
        assert_eq!(AudioFormat::sniff(b"OggS\0\x02"), Some(AudioFormat::Ogg));
        assert_eq!(
            AudioFormat::sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0]),
            Some(AudioFormat::Webm)
        );
        assert_eq!(AudioFormat::sniff(b"ID3\x03mp3"), None);
        assert!(check_wav(&wav(0)).is_err(), "no samples");
        let mut stereo_96k = wav(10);
        stereo_96k[24..28].copy_from_slice(&96_000u32.to_le_bytes());
        assert!(check_wav(&stereo_96k).is_err());
        assert!(check_wav(&good[..30]).is_err(), "truncated");
    }
}
