//! Rate conversion of mono PCM16 with rubato's FFT resampler (exact for rational ratios such as
//! flite's 16 kHz to the protocol's 24 kHz).

use rubato::{FftFixedIn, Resampler};

use crate::TtsError;

/// Convert mono PCM16 from `from` Hz to `to` Hz.
pub fn resample(samples: &[i16], from: u32, to: u32) -> Result<Vec<i16>, TtsError> {
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    const CHUNK: usize = 1024;
    let mut resampler = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1)
        .map_err(|e| TtsError::Resample(e.to_string()))?;
    let delay = resampler.output_delay();
    let input: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let expected = (samples.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let mut out: Vec<f32> = Vec::with_capacity(expected + delay + CHUNK * 2);
    let mut pos = 0;
    while pos + CHUNK <= input.len() {
        let frames = resampler
            .process(&[&input[pos..pos + CHUNK]], None)
            .map_err(|e| TtsError::Resample(e.to_string()))?;
        out.extend_from_slice(&frames[0]);
        pos += CHUNK;
    }
    // The tail, then silence to flush the resampler's delay line.
    let tail = resampler
        .process_partial(Some(&[&input[pos..]]), None)
        .map_err(|e| TtsError::Resample(e.to_string()))?;
    out.extend_from_slice(&tail[0]);
    while out.len() < expected + delay {
        let flush = resampler
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| TtsError::Resample(e.to_string()))?;
        if flush[0].is_empty() {
            break;
        }
        out.extend_from_slice(&flush[0]);
    }
    Ok(out
        .iter()
        .skip(delay)
        .take(expected)
        .map(|&s| (s * 32767.0).clamp(-32768.0, 32767.0) as i16)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, ms: u32) -> Vec<i16> {
        (0..rate * ms / 1000)
            .map(|i| (12000.0 * (i as f32 * 2.0 * std::f32::consts::PI * hz / rate as f32).sin()) as i16)
            .collect()
    }

    #[test]
    fn a_tone_keeps_its_length_pitch_and_level() {
        let out = resample(&tone(16_000, 440.0, 1000), 16_000, 24_000).unwrap();
        assert_eq!(out.len(), 24_000);
        let reference = tone(24_000, 440.0, 1000);
        // Correlate the middle (edges carry the filter's ramp).
        let (a, b) = (&out[2400..21600], &reference[2400..21600]);
        let dot: f64 = a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
        let na: f64 = a.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        assert!(dot / (na * nb) > 0.99, "correlation {}", dot / (na * nb));
    }
}
