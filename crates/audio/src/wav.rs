//! WAV files in and out: the visitor's recorded speech for tests, recordings for the benchmarks
//! and the doctor. Any sample format and channel count is read as mono f32.

use std::path::Path;

use crate::AudioError;

fn wav_err(path: &Path, e: impl std::fmt::Display) -> AudioError {
    AudioError::Wav {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Read a WAV file as mono f32 (channels averaged) and its sample rate.
pub fn read_mono(path: &Path) -> Result<(Vec<f32>, u32), AudioError> {
    let mut reader = hound::WavReader::open(path).map_err(|e| wav_err(path, e))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
        }
    }
    .map_err(|e| wav_err(path, e))?;
    let mono = samples
        .chunks(channels)
        .map(|f| f.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok((mono, spec.sample_rate))
}

/// Write mono PCM16 samples.
pub fn write_mono_i16(path: &Path, samples: &[i16], rate: u32) -> Result<(), AudioError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(|e| wav_err(path, e))?;
    for &s in samples {
        w.write_sample(s).map_err(|e| wav_err(path, e))?;
    }
    w.finalize().map_err(|e| wav_err(path, e))
}
