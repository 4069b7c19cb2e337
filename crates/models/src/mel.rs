//! The mel filterbank whisper.cpp reads from the model file: librosa's
//! `filters.mel(sr=16000, n_fft=400, n_mels)` with the Slaney mel scale and Slaney area
//! normalisation.
//!
//! Computed in `f64` and only then narrowed to `f32`, in the same order of operations as numpy,
//! because the installed file must be byte-identical to the pinned hash: a reordered sum or a
//! different zero sign changes bits. In particular numpy's `maximum(0, -0.0)` yields `-0.0`
//! (the first filter's first bin), which Rust's `f64::max` would not promise.

/// Sample rate whisper works at.
pub const SAMPLE_RATE: f64 = 16_000.0;
/// FFT size of whisper's 25 ms window.
pub const N_FFT: usize = 400;

/// Hz where the Slaney scale turns from linear to logarithmic.
const MIN_LOG_HZ: f64 = 1000.0;
/// The same point in mels (1000 Hz / (200/3) Hz per mel).
const MIN_LOG_MEL: f64 = 15.0;

fn f_sp() -> f64 {
    200.0 / 3.0
}

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz to mels on the Slaney scale.
pub fn hz_to_mel(f: f64) -> f64 {
    if f >= MIN_LOG_HZ {
        MIN_LOG_MEL + (f.max(1e-10) / MIN_LOG_HZ).ln() / logstep()
    } else {
        f / f_sp()
    }
}

/// Mels to Hz on the Slaney scale.
pub fn mel_to_hz(m: f64) -> f64 {
    if m >= MIN_LOG_MEL {
        MIN_LOG_HZ * (logstep() * (m - MIN_LOG_MEL)).exp()
    } else {
        f_sp() * m
    }
}

/// `numpy.linspace(start, stop, num)` with its exact arithmetic: `i * step + start`, and the
/// last point set to `stop`.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    if num == 1 {
        return vec![start];
    }
    let div = (num - 1) as f64;
    let delta = stop - start;
    let step = delta / div;
    let mut y: Vec<f64> = (0..num)
        .map(|i| {
            let i = i as f64;
            if step == 0.0 {
                i / div * delta + start
            } else {
                i * step + start
            }
        })
        .collect();
    y[num - 1] = stop;
    y
}

/// `numpy.maximum`: NaN propagates, and on a tie (`0.0` vs `-0.0`) the second operand wins.
fn np_maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() || a > b { a } else { b }
}

/// `numpy.minimum`, with the same tie rule as [`np_maximum`].
fn np_minimum(a: f64, b: f64) -> f64 {
    if a.is_nan() || a < b { a } else { b }
}

/// The filterbank as `n_mels` rows of `1 + n_fft / 2` weights, row-major, in `f64`.
pub fn filterbank_f64(n_mels: usize, n_fft: usize, sample_rate: f64) -> Vec<f64> {
    let n_bins = 1 + n_fft / 2;
    let fft_freqs = linspace(0.0, sample_rate / 2.0, n_bins);
    let mel_f: Vec<f64> = linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0), n_mels + 2)
        .into_iter()
        .map(mel_to_hz)
        .collect();
    let fdiff: Vec<f64> = mel_f.windows(2).map(|w| w[1] - w[0]).collect();
    let mut weights = vec![0.0; n_mels * n_bins];
    for (i, row) in weights.chunks_exact_mut(n_bins).enumerate() {
        // Slaney normalisation: each triangle has unit area.
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (w, &f) in row.iter_mut().zip(&fft_freqs) {
            let lower = -(mel_f[i] - f) / fdiff[i];
            let upper = (mel_f[i + 2] - f) / fdiff[i + 1];
            *w = np_maximum(0.0, np_minimum(lower, upper)) * enorm;
        }
    }
    weights
}

/// The filterbank narrowed to `f32`, as stored in the ggml file.
pub fn filterbank(n_mels: usize, n_fft: usize, sample_rate: f64) -> Vec<f32> {
    // `as` rounds to nearest, ties to even, like numpy's astype(float32).
    filterbank_f64(n_mels, n_fft, sample_rate)
        .into_iter()
        .map(|w| w as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_is_linear_below_1khz_and_logarithmic_above() {
        assert_eq!(hz_to_mel(0.0), 0.0);
        assert!((hz_to_mel(500.0) - 7.5).abs() < 1e-12);
        assert!((hz_to_mel(1000.0) - 15.0).abs() < 1e-12);
        // 27 mels per factor 6.4 above 1 kHz.
        assert!((hz_to_mel(6400.0) - 42.0).abs() < 1e-12);
        for f in [0.0, 123.0, 999.0, 1000.0, 4321.0, 8000.0] {
            assert!((mel_to_hz(hz_to_mel(f)) - f).abs() < 1e-9, "{f}");
        }
    }

    #[test]
    fn linspace_matches_numpy_endpoints_and_steps() {
        assert_eq!(linspace(0.0, 8000.0, 201)[1], 40.0);
        assert_eq!(linspace(0.0, 8000.0, 201)[200], 8000.0);
        assert_eq!(linspace(2.0, 2.0, 3), vec![2.0, 2.0, 2.0]);
        assert_eq!(linspace(1.0, 5.0, 1), vec![1.0]);
    }

    /// Reference values computed independently, by hand from the Slaney formulas (not by this
    /// code): filter 1 peaks at mel 2·m/81 with m = hz_to_mel(8000) = 15 + 27·ln 8 / ln 6.4.
    #[test]
    fn filterbank_matches_librosa_values() {
        let w = filterbank_f64(80, N_FFT, SAMPLE_RATE);
        assert_eq!(w.len(), 80 * 201);
        // librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)[0, 1] = 0.02486259...
        // mel_f[1] = (200/3)·m/81 = 37.239 Hz (below 1 kHz, so linear); bin 1 is 40 Hz, past
        // filter 0's peak, so the weight is (mel_f[2] - 40) / (mel_f[2] - mel_f[1]) · 2 / mel_f[2].
        let m = 15.0 + 27.0 * 8f64.ln() / 6.4f64.ln();
        let (mel1, mel2, mel3) = (
            200.0 / 3.0 * m / 81.0,
            2.0 * 200.0 / 3.0 * m / 81.0,
            3.0 * 200.0 / 3.0 * m / 81.0,
        );
        let expected = (mel2 - 40.0) / (mel2 - mel1) * 2.0 / mel2;
        assert!((w[1] - expected).abs() < 1e-12, "{} vs {expected}", w[1]);
        assert!((w[1] - 0.024_862_59).abs() < 1e-8);
        // [1, 1]: 40 Hz on filter 1's rising edge; [1, 2]: 80 Hz on its falling edge.
        let norm = 2.0 / (mel3 - mel1);
        let expected = (40.0 - mel1) / (mel2 - mel1) * norm;
        assert!((w[201 + 1] - expected).abs() < 1e-12);
        assert!((w[201 + 1] - 0.001_990_82).abs() < 1e-8);
        let expected = (mel3 - 80.0) / (mel3 - mel2) * norm;
        assert!((w[201 + 2] - expected).abs() < 1e-12);
        assert!((w[201 + 2] - 0.022_871_77).abs() < 1e-8);
        // Filter 0 and bin 0: weight 0 (its sign is the next test's business).
        assert_eq!(w[0], 0.0);
        // Every filter of the Slaney norm has area 2/(width) · width/2 = 1 in Hz·weight, so its
        // peak height is 2 / (mel_f[i+2] - mel_f[i]); sampled sums stay near 1/40 Hz⁻¹ per bin.
        for row in w.chunks_exact(201) {
            assert!(row.iter().all(|&x| x >= 0.0));
            let area: f64 = row.iter().sum::<f64>() * 40.0;
            assert!((0.3..=1.7).contains(&area), "area {area}");
        }
    }

    #[test]
    fn first_weight_keeps_numpys_negative_zero() {
        let w = filterbank(80, N_FFT, SAMPLE_RATE);
        assert_eq!(w[0].to_bits(), (-0.0f32).to_bits());
        assert_eq!(np_maximum(0.0, -0.0).to_bits(), (-0.0f64).to_bits());
        assert!(np_minimum(f64::NAN, 1.0).is_nan() && np_maximum(1.0, f64::NAN).is_nan());
    }
}
