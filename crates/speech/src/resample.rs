//! Rate conversion of mono audio with rubato's FFT resampler (exact for rational ratios such as
//! flite's 16 kHz to the protocol's 24 kHz, or the protocol's 24 kHz to the recognisers' 16 kHz).
//!
//! [`resample`] and [`resample_f32`] convert a whole clip; [`Stream`] converts audio as it
//! arrives, for a recogniser that decodes while the visitor is still speaking.

use rubato::{FftFixedIn, Resampler};

use crate::SpeechError;

/// Input frames per FFT block for whole clips.
const CHUNK: usize = 1024;
/// Input frames per FFT block when streaming: 20 ms at 24 kHz, so captions lag by little.
const STREAM_CHUNK: usize = 480;

fn err(e: impl std::fmt::Display) -> SpeechError {
    SpeechError::Resample(e.to_string())
}

fn to_f32(s: i16) -> f32 {
    f32::from(s) / 32768.0
}

fn to_i16(s: f32) -> i16 {
    (s * 32767.0).clamp(-32768.0, 32767.0) as i16
}

/// Convert mono PCM16 from `from` Hz to `to` Hz.
pub fn resample(samples: &[i16], from: u32, to: u32) -> Result<Vec<i16>, SpeechError> {
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    Ok(resample_f32(samples, from, to)?.into_iter().map(to_i16).collect())
}

/// Convert mono PCM16 from `from` Hz to `to` Hz as floats in -1..1 (what whisper reads), without
/// rounding to 16 bits on the way.
pub fn resample_f32(samples: &[i16], from: u32, to: u32) -> Result<Vec<f32>, SpeechError> {
    let input: Vec<f32> = samples.iter().copied().map(to_f32).collect();
    if from == to || samples.is_empty() {
        return Ok(input);
    }
    let mut resampler = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1).map_err(err)?;
    let delay = resampler.output_delay();
    let expected = expected_len(samples.len() as u64, from, to);
    let mut out: Vec<f32> = Vec::with_capacity(expected + delay + CHUNK * 2);
    let mut pos = 0;
    while pos + CHUNK <= input.len() {
        let frames = resampler
            .process(&[&input[pos..pos + CHUNK]], None)
            .map_err(err)?;
        out.extend_from_slice(&frames[0]);
        pos += CHUNK;
    }
    // The tail, then silence to flush the resampler's delay line.
    let tail = partial(&mut resampler, &input[pos..])?;
    out.extend_from_slice(&tail);
    flush(&mut resampler, &mut out, expected + delay)?;
    Ok(out.into_iter().skip(delay).take(expected).collect())
}

fn expected_len(input: u64, from: u32, to: u32) -> usize {
    (input * u64::from(to) / u64::from(from)) as usize
}

/// Convert a last, short block (rubato pads it with silence). An empty one is no block at all:
/// rubato rejects an empty buffer.
fn partial(resampler: &mut FftFixedIn<f32>, tail: &[f32]) -> Result<Vec<f32>, SpeechError> {
    let out = if tail.is_empty() {
        resampler.process_partial::<&[f32]>(None, None)
    } else {
        resampler.process_partial(Some(&[tail]), None)
    };
    Ok(out.map_err(err)?.swap_remove(0))
}

/// Feed silence until `out` holds `want` samples (or the resampler has nothing more).
fn flush(resampler: &mut FftFixedIn<f32>, out: &mut Vec<f32>, want: usize) -> Result<(), SpeechError> {
    while out.len() < want {
        let more = resampler.process_partial::<&[f32]>(None, None).map_err(err)?;
        if more[0].is_empty() {
            break;
        }
        out.extend_from_slice(&more[0]);
    }
    Ok(())
}

/// A resampler for audio that arrives in pieces of any size. Output is the same as converting
/// the whole clip at once with [`resample`] (up to the block boundaries' rounding), delayed by at
/// most one 20 ms block until [`Stream::finish`].
pub struct Stream {
    resampler: Option<FftFixedIn<f32>>,
    from: u32,
    to: u32,
    /// Input not yet making up a whole block.
    pending: Vec<f32>,
    /// Output samples still to drop at the start: the filter's delay.
    skip: usize,
    taken_in: u64,
    given_out: u64,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Stream {
    pub fn new(from: u32, to: u32) -> Result<Self, SpeechError> {
        let resampler = if from == to {
            None
        } else {
            Some(FftFixedIn::<f32>::new(from as usize, to as usize, STREAM_CHUNK, 2, 1).map_err(err)?)
        };
        let skip = resampler.as_ref().map_or(0, |r| r.output_delay());
        Ok(Self {
            resampler,
            from,
            to,
            pending: Vec::with_capacity(STREAM_CHUNK * 2),
            skip,
            taken_in: 0,
            given_out: 0,
        })
    }

    /// Convert what can be converted of `samples` and append it to `out`.
    pub fn push(&mut self, samples: &[i16], out: &mut Vec<i16>) -> Result<(), SpeechError> {
        self.taken_in += samples.len() as u64;
        let Some(resampler) = self.resampler.as_mut() else {
            out.extend_from_slice(samples);
            return Ok(());
        };
        self.pending.extend(samples.iter().copied().map(to_f32));
        let mut pos = 0;
        let mut converted = Vec::new();
        while pos + STREAM_CHUNK <= self.pending.len() {
            let frames = resampler
                .process(&[&self.pending[pos..pos + STREAM_CHUNK]], None)
                .map_err(err)?;
            converted.extend_from_slice(&frames[0]);
            pos += STREAM_CHUNK;
        }
        self.pending.drain(..pos);
        self.emit(converted, out);
        Ok(())
    }

    /// Convert the rest, append it to `out`, and make the stream ready for a new clip.
    pub fn finish(&mut self, out: &mut Vec<i16>) -> Result<(), SpeechError> {
        let expected = expected_len(self.taken_in, self.from, self.to);
        if let Some(resampler) = self.resampler.as_mut() {
            let mut converted = partial(resampler, &self.pending)?;
            let still_owed = (expected as u64).saturating_sub(self.given_out) as usize + self.skip;
            flush(resampler, &mut converted, still_owed)?;
            converted.truncate(still_owed);
            resampler.reset();
            self.emit(converted, out);
        }
        self.pending.clear();
        self.skip = self.resampler.as_ref().map_or(0, |r| r.output_delay());
        self.taken_in = 0;
        self.given_out = 0;
        Ok(())
    }

    fn emit(&mut self, converted: Vec<f32>, out: &mut Vec<i16>) {
        let drop = self.skip.min(converted.len());
        self.skip -= drop;
        let before = out.len();
        out.extend(converted.into_iter().skip(drop).map(to_i16));
        self.given_out += (out.len() - before) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, ms: u32) -> Vec<i16> {
        (0..rate * ms / 1000)
            .map(|i| (12000.0 * (i as f32 * 2.0 * std::f32::consts::PI * hz / rate as f32).sin()) as i16)
            .collect()
    }

    fn correlation(a: &[i16], b: &[i16]) -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum();
        let na: f64 = a.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        let nb: f64 = b.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        dot / (na * nb)
    }

    #[test]
    fn a_tone_keeps_its_length_pitch_and_level() {
        let out = resample(&tone(16_000, 440.0, 1000), 16_000, 24_000).unwrap();
        assert_eq!(out.len(), 24_000);
        let reference = tone(24_000, 440.0, 1000);
        // Correlate the middle (edges carry the filter's ramp).
        let c = correlation(&out[2400..21600], &reference[2400..21600]);
        assert!(c > 0.99, "correlation {c}");
    }

    #[test]
    fn streaming_in_odd_pieces_matches_the_whole_clip() {
        let input = tone(24_000, 300.0, 1000);
        let whole = resample(&input, 24_000, 16_000).unwrap();
        let mut stream = Stream::new(24_000, 16_000).unwrap();
        for round in 0..2 {
            let mut out = Vec::new();
            for piece in input.chunks(333) {
                stream.push(piece, &mut out).unwrap();
            }
            stream.finish(&mut out).unwrap();
            assert_eq!(out.len(), whole.len(), "round {round}");
            let c = correlation(&out[800..15200], &whole[800..15200]);
            assert!(c > 0.999, "round {round}: correlation {c}");
        }
    }

    #[test]
    fn floats_for_whisper_stay_in_range() {
        let out = resample_f32(&tone(24_000, 440.0, 200), 24_000, 16_000).unwrap();
        assert_eq!(out.len(), 3200);
        assert!(out.iter().all(|s| s.abs() <= 1.0));
        assert!(out.iter().any(|s| s.abs() > 0.3));
    }
}
