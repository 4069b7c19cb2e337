//! Batch voice on the local engine's offline speech: a WAV recording is decoded and resampled
//! to the wire format, transcribed by the engine's recogniser, answered by the desk's offline
//! dialogue (tools included), and spoken by the engine's voice as a WAV file. Recognition and
//! synthesis block for up to a couple of seconds, so they run on blocking threads.

use std::sync::Arc;

use donna_desk::Reception;
use donna_engine::Transcriber;
use donna_speech::Synthesizer;

use crate::ApiError;
use crate::conversations::{ChatBackend, LocalChat};
use crate::voice::{AudioFormat, VoiceTurn};

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
        let pcm = decode_wav(&audio).map_err(ApiError::Invalid)?;
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
        let chat = LocalChat::new(self.reception.clone());
        let id = crate::conversations::new_conversation_id();
        let reply = chat
            .ask(&id, &transcript)
            .await
            .map_err(|e| ApiError::Internal(format!("the desk could not answer: {e}")))?;
        chat.end(&id).await;
        let tts = self.tts.clone();
        let text = reply.clone();
        let spoken = tokio::task::spawn_blocking(move || tts.synthesize(&text))
            .await
            .map_err(|e| ApiError::Internal(format!("speech synthesis stopped: {e}")))?
            .map_err(|e| ApiError::Internal(format!("speech synthesis failed: {e}")))?;
        Ok(VoiceTurn {
            transcript,
            reply,
            audio: Some(wav(&spoken)),
            mime: "audio/wav",
        })
    }
}

/// A WAV recording as PCM16 mono at the wire rate: channels averaged, 8/16/24/32-bit integer
/// or 32-bit float samples, any rate the route accepts.
pub fn decode_wav(bytes: &[u8]) -> Result<Vec<i16>, String> {
    let mut pos = 12;
    let mut format = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size =
            u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]) as usize;
        let body = pos + 8;
        if id == b"fmt " && body + 16 <= bytes.len() {
            let u16_at = |i: usize| u16::from_le_bytes([bytes[body + i], bytes[body + i + 1]]);
            let rate =
                u32::from_le_bytes([bytes[body + 4], bytes[body + 5], bytes[body + 6], bytes[body + 7]]);
            format = Some((u16_at(0), u16_at(2).max(1), rate, u16_at(14)));
        } else if id == b"data" {
            let (encoding, channels, rate, bits) = format.ok_or("WAV data before its fmt chunk")?;
            let data = &bytes[body..bytes.len().min(body.saturating_add(size))];
            let float = encoding == 3;
            let width = usize::from(bits / 8);
            if (float && bits != 32) || !matches!(bits, 8 | 16 | 24 | 32) {
                return Err(format!("WAV with {bits}-bit samples is not supported"));
            }
            let frame = width * usize::from(channels);
            let mono: Vec<i16> = data
                .chunks_exact(frame)
                .map(|f| {
                    let sum: f32 = f.chunks_exact(width).map(|s| sample(s, float)).sum();
                    (sum / f32::from(channels) * 32768.0).clamp(-32768.0, 32767.0) as i16
                })
                .collect();
            if mono.is_empty() {
                return Err("WAV has no audio".to_owned());
            }
            return donna_speech::resample::resample(&mono, rate, RATE).map_err(|e| e.to_string());
        }
        pos = body.saturating_add(size).saturating_add(size & 1);
    }
    Err("WAV has no data chunk".to_owned())
}

/// One little-endian sample as -1..1.
fn sample(bytes: &[u8], float: bool) -> f32 {
    match (bytes.len(), float) {
        (4, true) => f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        (1, _) => (f32::from(bytes[0]) - 128.0) / 128.0,
        (2, _) => f32::from(i16::from_le_bytes([bytes[0], bytes[1]])) / 32768.0,
        (3, _) => (i32::from_le_bytes([0, bytes[0], bytes[1], bytes[2]]) >> 8) as f32 / 8_388_608.0,
        (4, _) => i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as f32 / 2_147_483_648.0,
        _ => 0.0,
    }
}

/// PCM16 mono at the wire rate as a WAV file.
pub fn wav(pcm: &[i16]) -> Vec<u8> {
    let data = (pcm.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + pcm.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data.to_le_bytes());
    out.extend(pcm.iter().flat_map(|s| s.to_le_bytes()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_round_trips_and_other_layouts_decode() {
        let tone: Vec<i16> = (0..2400)
            .map(|i| ((i as f32 * 0.1).sin() * 10_000.0) as i16)
            .collect();
        assert_eq!(
            decode_wav(&wav(&tone)).unwrap(),
            tone,
            "24 kHz mono passes through"
        );
        // 16 kHz stereo, both channels the same: 1.5 times as many samples come out, mono.
        let mut stereo = wav(&tone);
        stereo[22] = 2;
        stereo[24..28].copy_from_slice(&16_000u32.to_le_bytes());
        let decoded = decode_wav(&stereo).unwrap();
        assert!((decoded.len() as i64 - 1800).abs() < 10, "{}", decoded.len());
        assert!(decode_wav(b"RIFF\0\0\0\0WAVEdata\0\0\0\0").is_err());
    }
}
