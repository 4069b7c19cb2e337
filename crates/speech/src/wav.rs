//! WAV in memory: what the batch voice route receives and returns, and what espeak-ng and the
//! tests hand over. Any layout hound reads (8/16/24/32-bit integer or 32-bit float, any channel
//! count) decodes to PCM16 mono; the output is always PCM16 mono.

use std::io::Cursor;

use crate::{SpeechError, resample};

/// Mono PCM16 samples and their rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    pub samples: Vec<i16>,
    pub rate: u32,
}

/// What a WAV file's header says, read without decoding its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub rate: u32,
    pub channels: u16,
    /// Sample frames the data chunk declares (a streamed file declares more than it holds).
    pub frames: u32,
}

/// Read a WAV file's header: a clear error when the bytes are not a WAV file hound can read.
pub fn header(bytes: &[u8]) -> Result<Header, SpeechError> {
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(|e| SpeechError::Wav(e.to_string()))?;
    let spec = reader.spec();
    Ok(Header {
        rate: spec.sample_rate,
        channels: spec.channels,
        frames: reader.duration(),
    })
}

/// Decode a WAV file held in memory, averaging its channels. A WAV written to a pipe (as
/// espeak-ng does) carries placeholder sizes: its samples run to the end of the bytes, and
/// they are read to there.
pub fn decode(bytes: &[u8]) -> Result<Wav, SpeechError> {
    let err = |e: hound::Error| SpeechError::Wav(e.to_string());
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(err)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    // Samples up to the first that cannot be read: the end of a streamed file, or of a
    // truncated upload, whose whole frames are still good audio.
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.into_samples::<f32>().map_while(Result::ok).collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map_while(Result::ok)
                .map(|v| v as f32 * scale)
                .collect()
        }
    };
    let samples: Vec<i16> = samples
        .chunks_exact(channels)
        .map(|frame| {
            let mean = frame.iter().sum::<f32>() / channels as f32;
            (mean * 32768.0).clamp(-32768.0, 32767.0) as i16
        })
        .collect();
    if samples.is_empty() {
        return Err(SpeechError::Wav("the WAV file has no audio".to_owned()));
    }
    Ok(Wav {
        samples,
        rate: spec.sample_rate,
    })
}

/// Decode as [`decode`] does, then resample to `rate`.
pub fn decode_at(bytes: &[u8], rate: u32) -> Result<Vec<i16>, SpeechError> {
    let wav = decode(bytes)?;
    resample::resample(&wav.samples, wav.rate, rate)
}

/// PCM16 mono samples at `rate` as a WAV file. Fails only for audio too long for WAV's 32-bit
/// sizes (over 12 hours at 48 kHz).
pub fn encode(samples: &[i16], rate: u32) -> Result<Vec<u8>, SpeechError> {
    let err = |e: hound::Error| SpeechError::Wav(e.to_string());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let count = u32::try_from(samples.len())
        .ok()
        .filter(|&n| n <= (u32::MAX - 44) / 2)
        .ok_or_else(|| SpeechError::Wav("too much audio for one WAV file".to_owned()))?;
    let mut out = Cursor::new(Vec::with_capacity(44 + samples.len() * 2));
    let mut writer = hound::WavWriter::new(&mut out, spec).map_err(err)?;
    let mut pcm16 = writer.get_i16_writer(count);
    for &s in samples {
        pcm16.write_sample(s);
    }
    pcm16.flush().map_err(err)?;
    writer.finalize().map_err(err)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone() -> Vec<i16> {
        (0..2400)
            .map(|i| ((i as f32 * 0.1).sin() * 10_000.0) as i16)
            .collect()
    }

    #[test]
    fn pcm16_mono_round_trips_exactly() {
        let bytes = encode(&tone(), 24_000).unwrap();
        let wav = decode(&bytes).unwrap();
        assert_eq!(
            wav,
            Wav {
                samples: tone(),
                rate: 24_000
            }
        );
        let head = header(&bytes).unwrap();
        assert_eq!((head.rate, head.channels, head.frames), (24_000, 1, 2400));
        assert!(header(&bytes[..30]).is_err(), "a truncated header");
    }

    #[test]
    fn stereo_float_is_averaged_and_resampled() {
        let mut bytes = Cursor::new(Vec::new());
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
        for s in tone() {
            let v = f32::from(s) / 32768.0;
            writer.write_sample(v).unwrap();
            writer.write_sample(-v).unwrap();
        }
        writer.finalize().unwrap();
        let bytes = bytes.into_inner();
        let wav = decode(&bytes).unwrap();
        assert_eq!(wav.rate, 16_000);
        assert!(wav.samples.iter().all(|&s| s == 0), "opposite channels cancel");
        let up = decode_at(&bytes, 24_000).unwrap();
        assert!((up.len() as i64 - 3600).abs() < 10, "{}", up.len());
    }

    #[test]
    fn streamed_sizes_read_to_the_end() {
        let mut bytes = encode(&tone(), 22_050).unwrap();
        // As espeak-ng writes to a pipe: sizes it could not know yet.
        bytes[4..8].copy_from_slice(&0x7fff_f024u32.to_le_bytes());
        bytes[40..44].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        assert_eq!(decode(&bytes).unwrap().samples, tone());
    }

    #[test]
    fn not_a_wav_or_no_audio_is_a_clear_error() {
        for bad in [&b"RIFF\0\0\0\0WAVEdata\0\0\0\0"[..], b"", b"ID3\x04 an mp3"] {
            let err = decode(bad).unwrap_err();
            assert!(matches!(err, SpeechError::Wav(_)), "{err}");
        }
        let err = decode(&encode(&[], 24_000).unwrap()).unwrap_err();
        assert!(err.to_string().contains("no audio"), "{err}");
    }
}
