//! Batch voice on the local engine's offline speech: a WAV recording is decoded and resampled
//! to the wire format, transcribed by the engine's recogniser, answered by the desk's offline
//! dialogue (tools included), and spoken by the engine's voice as a WAV file. Recognition and
//! synthesis block for up to a couple of seconds, so they run on blocking threads.

use std::sync::Arc;

use donna_desk::Reception;
use donna_speech::Synthesizer;
use donna_speech::stt::Transcriber;

use crate::ApiError;
use crate::recording::{AudioFormat, VoiceTurn};

/// The wire rate recordings are converted to, and the rate of the spoken reply.
const RATE: u32 = 24_000;

/// The offline speech services and the desk that answers.
#[derive(Clone)]
pub struct LocalVoice {
    pub stt: Arc<dyn Transcriber>,
    pub tts: Arc<dyn Synthesizer>,
    pub reception: Arc<Reception>,
}

impl std::fmt::Debug for LocalVoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalVoice").finish_non_exhaustive()
    }
}

impl LocalVoice {
    pub async fn turn(&self, audio: Vec<u8>, format: AudioFormat) -> Result<VoiceTurn, ApiError> {
        if format != AudioFormat::Wav {
            return Err(ApiError::UnsupportedFormat(
                "the offline speech backend takes WAV recordings (PCM or float, 8-48 kHz)".to_owned(),
            ));
        }
        let pcm = donna_speech::wav::decode_at(&audio, RATE).map_err(|e| ApiError::Invalid(e.to_string()))?;
        let stt = self.stt.clone();
        let heard = tokio::task::spawn_blocking(move || stt.transcribe(&pcm))
            .await
            .map_err(|e| ApiError::Internal(format!("speech recognition stopped: {e}")))?
            .map_err(|e| ApiError::Internal(format!("speech recognition failed: {e}")))?;
        let transcript = heard.text.trim().to_owned();
        if transcript.is_empty() {
            return Err(ApiError::Invalid(
                "no speech was recognised in the recording".to_owned(),
            ));
        }
        // Each recording is a conversation of its own, as on the cloud path.
        let id = crate::conversations::new_conversation_id();
        let reply = donna_desk::Dialogue::default().turn(
            &self.reception,
            &transcript,
            donna_desk::Recording::under(Some(&id)),
        );
        let tts = self.tts.clone();
        let text = reply.clone();
        let spoken = tokio::task::spawn_blocking(move || tts.synthesize(&text))
            .await
            .map_err(|e| ApiError::Internal(format!("speech synthesis stopped: {e}")))?
            .map_err(|e| ApiError::Internal(format!("speech synthesis failed: {e}")))?;
        Ok(VoiceTurn {
            transcript,
            reply,
            audio: Some(
                donna_speech::wav::encode(&spoken, RATE)
                    .map_err(|e| ApiError::Internal(format!("the reply could not be encoded: {e}")))?,
            ),
            mime: "audio/wav",
        })
    }
}
