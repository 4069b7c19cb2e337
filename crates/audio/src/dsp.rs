//! Signal building blocks shared by capture, playback, tests and benchmarks: sample conversion,
//! a chunking wrapper around rubato's resampler, the level meter, the energy VAD, and measures
//! (RMS, cross-correlation, ERLE). Nothing here touches a device.

use std::sync::Arc;

use realfft::RealFftPlanner;
use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _};

use crate::AudioError;

/// PCM16 little-endian bytes to f32 samples in [-1, 1).
pub fn pcm16_to_f32(bytes: &[u8], out: &mut Vec<f32>) {
    out.extend(
        bytes
            .chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0),
    );
}

/// f32 samples to PCM16, clamping (the cpal sample conversion, so it matches the devices).
pub fn f32_to_i16(sample: f32) -> i16 {
    use cpal::Sample as _;
    sample.clamp(-1.0, 1.0).to_sample::<i16>()
}

/// PCM16 samples to little-endian bytes, the wire format.
pub fn i16_to_bytes(samples: &[i16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * 2);
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Little-endian PCM16 bytes to samples.
pub fn bytes_to_i16(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// A mono resampler that takes any number of samples at a time and hands out fixed chunks.
/// Equal rates pass samples straight through. Buffers are sized at construction, so `push`
/// does not allocate: it may run on an audio thread.
pub struct Resampler {
    inner: Option<Box<Fft<f32>>>,
    pending: Vec<f32>,
    chunk: usize,
    out: Vec<f32>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("chunk", &self.chunk)
            .field("passthrough", &self.inner.is_none())
            .finish()
    }
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz taking input in chunks of `chunk` samples (use
    /// 10 ms of the input rate so every chunk maps to a whole number of output samples).
    pub fn new(from: u32, to: u32, chunk: usize) -> Result<Self, AudioError> {
        let inner = if from == to {
            None
        } else {
            let fft = Fft::<f32>::new(from as usize, to as usize, chunk, 1, FixedSync::Input)
                .map_err(|e| AudioError::Resample(e.to_string()))?;
            Some(Box::new(fft))
        };
        let out_len = inner.as_ref().map_or(chunk, |r| r.output_frames_max());
        Ok(Self {
            inner,
            pending: Vec::with_capacity(chunk),
            chunk,
            out: vec![0.0; out_len],
        })
    }

    /// The resampler's own delay, in output samples.
    pub fn delay(&self) -> usize {
        self.inner.as_ref().map_or(0, |r| r.output_delay())
    }

    /// Feed samples; `sink` is called with each resampled chunk as it completes.
    pub fn push(&mut self, mut input: &[f32], mut sink: impl FnMut(&[f32])) {
        while !input.is_empty() {
            let take = (self.chunk - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() == self.chunk {
                self.process_pending(&mut sink);
            }
        }
    }

    /// Resample exactly one full chunk (`input.len()` must be the chunk size); returns the
    /// output. For callers that already work in chunks (the playback source).
    pub fn process_chunk(&mut self, input: &[f32]) -> &[f32] {
        debug_assert_eq!(input.len(), self.chunk);
        match &mut self.inner {
            None => {
                let n = input.len().min(self.out.len());
                self.out[..n].copy_from_slice(&input[..n]);
                &self.out[..n]
            }
            Some(r) => {
                let out_len = self.out.len();
                let produced = match (
                    InterleavedSlice::new(input, 1, input.len()),
                    InterleavedSlice::new_mut(&mut self.out[..], 1, out_len),
                ) {
                    (Ok(i), Ok(mut o)) => r
                        .process_into_buffer(&i, &mut o, None)
                        .map(|(_, n)| n)
                        .unwrap_or(0),
                    _ => 0,
                };
                &self.out[..produced]
            }
        }
    }

    fn process_pending(&mut self, sink: &mut impl FnMut(&[f32])) {
        let pending = std::mem::take(&mut self.pending);
        sink(self.process_chunk(&pending));
        self.pending = pending;
        self.pending.clear();
    }
}

/// Resample a whole clip (tests, the doctor, file sources): output trimmed of the resampler's
/// delay so it lines up with the input.
pub fn resample_clip(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, AudioError> {
    if from == to {
        return Ok(input.to_vec());
    }
    let chunk = (from / 100) as usize;
    let mut r = Resampler::new(from, to, chunk)?;
    let delay = r.delay();
    let expected = (input.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let mut out = Vec::with_capacity(expected + delay + chunk * 2);
    r.push(input, |c| out.extend_from_slice(c));
    // Flush the delay line with silence.
    let flush = vec![0.0; chunk];
    while out.len() < expected + delay {
        r.push(&flush, |c| out.extend_from_slice(c));
    }
    out.drain(..delay.min(out.len()));
    out.truncate(expected);
    Ok(out)
}

/// Root mean square of a block.
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

/// RMS of PCM16 samples, as a fraction of full scale.
pub fn rms_i16(samples: &[i16]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    ((sum / samples.len() as f64).sqrt() / 32768.0) as f32
}

/// Level in dBFS (RMS), floored at -100.
pub fn dbfs(rms: f32) -> f32 {
    if rms <= 1e-5 { -100.0 } else { 20.0 * rms.log10() }
}

/// The level meter's reading: RMS mapped from -60..0 dBFS to 0..1, what the UI bar shows.
pub fn meter(rms: f32) -> f32 {
    ((dbfs(rms) + 60.0) / 60.0).clamp(0.0, 1.0)
}

/// Echo return loss enhancement: how much quieter the residual is than the echo, in dB.
pub fn erle_db(echo: &[f32], residual: &[f32]) -> f32 {
    let e: f64 = echo.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let r: f64 = residual
        .iter()
        .map(|&s| f64::from(s) * f64::from(s))
        .sum::<f64>()
        .max(1e-12);
    (10.0 * (e / r).log10()) as f32
}

/// Where `signal` best matches `reference`: the lag (samples by which `signal` is late) and
/// the normalised correlation at that lag (1.0 = identical shape). FFT-based, so it is quick
/// enough for seconds of audio in tests.
pub fn best_alignment(reference: &[f32], signal: &[f32]) -> (isize, f32) {
    if reference.is_empty() || signal.is_empty() {
        return (0, 0.0);
    }
    let n = (reference.len() + signal.len()).next_power_of_two();
    let mut planner = RealFftPlanner::<f32>::new();
    let fwd: Arc<dyn realfft::RealToComplex<f32>> = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut a = vec![0.0; n];
    a[..reference.len()].copy_from_slice(reference);
    let mut b = vec![0.0; n];
    b[..signal.len()].copy_from_slice(signal);
    let mut fa = fwd.make_output_vec();
    let mut fb = fwd.make_output_vec();
    if fwd.process(&mut a, &mut fa).is_err() || fwd.process(&mut b, &mut fb).is_err() {
        return (0, 0.0);
    }
    for (x, y) in fa.iter_mut().zip(&fb) {
        *x = x.conj() * y;
    }
    let mut xc = vec![0.0; n];
    if inv.process(&mut fa, &mut xc).is_err() {
        return (0, 0.0);
    }
    // xc[k] = sum reference[i] * signal[i + k] (circular; negative lags wrap to the end).
    let (mut best, mut best_v) = (0usize, f32::MIN);
    for (k, &v) in xc.iter().enumerate() {
        if v > best_v {
            best_v = v;
            best = k;
        }
    }
    let lag = if best > n / 2 {
        best as isize - n as isize
    } else {
        best as isize
    };
    (lag, normalized_correlation(reference, signal, lag))
}

/// Normalised correlation of `reference` against `signal` delayed by `lag`, over their overlap.
pub fn normalized_correlation(reference: &[f32], signal: &[f32], lag: isize) -> f32 {
    let (r, s) = if lag >= 0 {
        let lag = lag as usize;
        if lag >= signal.len() {
            return 0.0;
        }
        (reference, &signal[lag..])
    } else {
        let lag = (-lag) as usize;
        if lag >= reference.len() {
            return 0.0;
        }
        (&reference[lag..], signal)
    };
    let len = r.len().min(s.len());
    let (mut rs, mut rr, mut ss) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in r[..len].iter().zip(&s[..len]) {
        rs += f64::from(x) * f64::from(y);
        rr += f64::from(x) * f64::from(x);
        ss += f64::from(y) * f64::from(y);
    }
    if rr <= 0.0 || ss <= 0.0 {
        return 0.0;
    }
    (rs / (rr.sqrt() * ss.sqrt())) as f32
}

/// A voice activity gate on frame energy: speech starts after `attack` loud frames in a row and
/// ends after `release` quiet ones. Deterministic and cheap; it runs on the echo-cancelled
/// signal, so Donna's own voice does not open it.
///
/// While Donna is speaking the gate is *guarded*: speech must fill `guarded_attack` of the last
/// [`GUARD_WINDOW`] frames before it counts. The echo canceller lets a burst of echo through
/// whenever the echo path moves under it (the device's latency jumps after an underrun or a
/// busy moment, the reference is realigned) until it has converged again, 100-200 ms; a visitor
/// who talks over Donna talks for longer than that, with short gaps between syllables that a
/// run of loud frames in a row would not survive. The guard costs a barge-in about 150 ms more
/// than the unguarded attack, and Donna does not interrupt herself.
#[derive(Debug, Clone)]
pub struct EnergyVad {
    threshold_dbfs: f32,
    attack: u32,
    guarded_attack: u32,
    release: u32,
    loud: u32,
    /// The last frames, loud or not, newest in the lowest bit.
    recent: u32,
    quiet: u32,
    speaking: bool,
}

/// What the VAD saw in one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// Nothing changed.
    None,
    /// Speech started on this frame.
    Started,
    /// Speech ended on this frame.
    Stopped,
}

impl EnergyVad {
    /// `threshold_dbfs`: frame RMS above it counts as loud; attack/release in frames.
    pub fn new(threshold_dbfs: f32, attack: u32, release: u32) -> Self {
        Self {
            threshold_dbfs,
            attack: attack.max(1),
            guarded_attack: attack.clamp(GUARDED_ATTACK_FRAMES, GUARD_WINDOW),
            release: release.max(1),
            loud: 0,
            recent: 0,
            quiet: 0,
            speaking: false,
        }
    }

    /// Whether speech is on.
    pub fn speaking(&self) -> bool {
        self.speaking
    }

    /// Loud frames among the last [`GUARD_WINDOW`] that start speech while Donna speaks
    /// (see the type's doc).
    pub fn with_guarded_attack(mut self, frames: u32) -> Self {
        self.guarded_attack = frames.clamp(1, GUARD_WINDOW);
        self
    }

    /// Feed one frame's RMS.
    pub fn update(&mut self, rms: f32) -> VadEvent {
        self.update_guarded(rms, false)
    }

    /// Feed one frame's RMS; `guarded` while Donna's voice may be in the microphone.
    pub fn update_guarded(&mut self, rms: f32, guarded: bool) -> VadEvent {
        let loud = dbfs(rms) >= self.threshold_dbfs;
        self.recent = (self.recent << 1) | u32::from(loud);
        if loud {
            self.loud += 1;
            self.quiet = 0;
            let started = if guarded {
                (self.recent & ((1 << GUARD_WINDOW) - 1)).count_ones() >= self.guarded_attack
            } else {
                self.loud >= self.attack
            };
            if !self.speaking && started {
                self.speaking = true;
                return VadEvent::Started;
            }
        } else {
            self.quiet += 1;
            self.loud = 0;
            if self.speaking && self.quiet >= self.release {
                self.speaking = false;
                return VadEvent::Stopped;
            }
        }
        VadEvent::None
    }
}

/// The frames a guarded gate looks back over: 300 ms at 20 ms frames.
pub const GUARD_WINDOW: u32 = 15;

/// Loud frames among the last [`GUARD_WINDOW`] that start a barge-in while Donna speaks: 200 ms
/// of speech within 300 ms, more than the echo canceller's bursts while it re-converges
/// (measured on the virtual devices: 6 to 8 frames), less than a visitor's "excuse me".
pub const GUARDED_ATTACK_FRAMES: u32 = 10;

impl Default for EnergyVad {
    /// -40 dBFS, 60 ms to start (200 of 300 ms while Donna speaks) and 600 ms to stop at
    /// 20 ms frames.
    fn default() -> Self {
        Self::new(-40.0, 3, 30)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tone(freq: f32, rate: u32, secs: f32) -> Vec<f32> {
        (0..(rate as f32 * secs) as usize)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn resampling_keeps_a_tone_and_its_timing() {
        for from in [44_100, 48_000, 16_000] {
            let input = tone(440.0, from, 1.0);
            let out = resample_clip(&input, from, 24_000).unwrap();
            assert_eq!(out.len(), 24_000, "from {from}");
            let reference = tone(440.0, 24_000, 1.0);
            let c = normalized_correlation(&reference[1000..23_000], &out[1000..23_000], 0);
            assert!(c > 0.99, "from {from}: correlation {c}");
        }
    }

    #[test]
    fn alignment_finds_the_lag() {
        let mut noise = Vec::new();
        let mut x = 1u32;
        for _ in 0..4800 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            noise.push((x >> 8) as f32 / (1u32 << 24) as f32 - 0.5);
        }
        let mut late = vec![0.0; 123];
        late.extend_from_slice(&noise);
        let (lag, c) = best_alignment(&noise, &late);
        assert_eq!(lag, 123);
        assert!(c > 0.999);
        let (lag, _) = best_alignment(&late, &noise);
        assert_eq!(lag, -123);
    }

    #[test]
    fn vad_needs_attack_frames_and_releases() {
        let mut vad = EnergyVad::new(-40.0, 3, 2);
        assert_eq!(vad.update(0.1), VadEvent::None);
        assert_eq!(vad.update(0.1), VadEvent::None);
        assert_eq!(vad.update(0.1), VadEvent::Started);
        assert_eq!(vad.update(0.001), VadEvent::None);
        assert_eq!(vad.update(0.001), VadEvent::Stopped);
        // Guarded, a burst shorter than the guarded attack is not speech; speech with short
        // gaps is, once enough of the window is loud.
        let mut vad = EnergyVad::new(-40.0, 3, 30).with_guarded_attack(5);
        for _ in 0..4 {
            assert_eq!(vad.update_guarded(0.1, true), VadEvent::None);
        }
        for _ in 0..GUARD_WINDOW {
            assert_eq!(vad.update_guarded(0.001, true), VadEvent::None);
        }
        for loud in [0.1, 0.1, 0.001, 0.1, 0.001, 0.1] {
            assert_eq!(vad.update_guarded(loud, true), VadEvent::None);
        }
        assert_eq!(vad.update_guarded(0.1, true), VadEvent::Started);
    }

    #[test]
    fn pcm_round_trip() {
        let s = [0i16, 1, -1, i16::MAX, i16::MIN];
        assert_eq!(bytes_to_i16(&i16_to_bytes(&s)), s);
        let mut f = Vec::new();
        pcm16_to_f32(&i16_to_bytes(&s), &mut f);
        assert_eq!(f32_to_i16(f[3]), i16::MAX);
        assert_eq!(f32_to_i16(f[4]), i16::MIN);
    }
}
