//! ggml's `q8_0` quantisation: blocks of 32 values along a row, each stored as an f16 scale `d`
//! and 32 signed bytes `q`, with `value ≈ d · q`.
//!
//! The arithmetic follows numpy's float32 semantics step by step, because the pinned model
//! hash was produced that way: `d = max|a| / 127` and `inv = 1 / d` are each rounded to f32,
//! `q = round(a · inv)` rounds half to even (`np.round`), a zero block gets `inv = 0`, and `d`
//! is narrowed to f16 rounding to nearest, ties to even.

use half::f16;

/// Values per block.
pub const BLOCK: usize = 32;
/// Bytes per block: the f16 scale then 32 × i8.
pub const BLOCK_BYTES: usize = 2 + BLOCK;

/// Quantise one block of 32 values into its 34-byte ggml form.
pub fn quantize_block(a: &[f32; BLOCK]) -> [u8; BLOCK_BYTES] {
    // numpy's max propagates NaN; f32::max would drop it, so NaN is tracked on the side (this
    // shape also lets the loop vectorise).
    let mut amax = 0.0f32;
    let mut nan = false;
    for x in a {
        amax = amax.max(x.abs());
        nan |= x.is_nan();
    }
    if nan {
        amax = f32::NAN;
    }
    let d = amax / 127.0;
    // Also covers a NaN scale, as numpy's `where=d > 0` does.
    let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
    let mut out = [0u8; BLOCK_BYTES];
    out[..2].copy_from_slice(&f16::from_f32(d).to_le_bytes());
    for (q, &x) in out[2..].iter_mut().zip(a) {
        // |x · inv| <= 127 up to rounding, so the saturating cast never saturates in practice;
        // NaN becomes 0, as numpy's cast does on x86.
        let v = round_half_even(x * inv) as i8;
        *q = v.to_le_bytes()[0];
    }
    out
}

/// `f32::round_ties_even` without its libm call (`rintf`, a quarter of the conversion time on
/// baseline x86-64): adding then subtracting 1.5 · 2^23 leaves only the integer part, rounded
/// by IEEE arithmetic's default mode, which is to nearest with ties to even. Exact for
/// |x| < 2^22; anything larger (or NaN, or infinite) takes the library path.
pub fn round_half_even(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0;
    if x.abs() < 4_194_304.0 {
        (x + SHIFT) - SHIFT
    } else {
        x.round_ties_even()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q_of(block: &[u8; BLOCK_BYTES]) -> Vec<i8> {
        block[2..].iter().map(|&b| i8::from_le_bytes([b])).collect()
    }

    fn d_of(block: &[u8; BLOCK_BYTES]) -> f16 {
        f16::from_le_bytes([block[0], block[1]])
    }

    #[test]
    fn zero_block_has_zero_scale_and_zero_values() {
        let b = quantize_block(&[0.0; BLOCK]);
        assert_eq!(b, [0u8; BLOCK_BYTES]);
        // Negative zeros too: the scale is +0 (|-0| = +0) and no value is written as -0.
        let b = quantize_block(&[-0.0; BLOCK]);
        assert_eq!(b, [0u8; BLOCK_BYTES]);
    }

    #[test]
    fn extremes_map_to_plus_minus_127() {
        let mut a = [0.0f32; BLOCK];
        a[0] = 2.54;
        a[1] = -2.54;
        a[2] = 1.0;
        let b = quantize_block(&a);
        let q = q_of(&b);
        assert_eq!(&q[..4], &[127, -127, 50, 0]);
        assert_eq!(d_of(&b), f16::from_f32(2.54 / 127.0));
    }

    /// With max|a| = 127 the scale is exactly 1, so a · inv is a itself and the ties are exact.
    #[test]
    fn ties_round_half_to_even() {
        let mut a = [0.0f32; BLOCK];
        a[0] = 127.0;
        let ties = [0.5f32, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -3.5];
        a[1..=ties.len()].copy_from_slice(&ties);
        let b = quantize_block(&a);
        assert_eq!(d_of(&b), f16::ONE);
        assert_eq!(&q_of(&b)[..=ties.len()], &[127, 0, 2, 2, 0, -2, -2, 126, -4]);
    }

    /// d and inv are rounded to f32 separately, as numpy does: with max|a| = 1 the scale
    /// 1/127 rounds, its inverse is not exactly 127, and the values follow from that inverse.
    #[test]
    fn uses_rounded_f32_scale_and_inverse() {
        let mut a = [0.0f32; BLOCK];
        for (i, x) in a.iter_mut().enumerate() {
            *x = (i as f32 - 15.5) / 15.5;
        }
        let b = quantize_block(&a);
        let d = 1.0f32 / 127.0;
        let inv = 1.0f32 / d;
        for (x, q) in a.iter().zip(q_of(&b)) {
            assert_eq!(f32::from(q), (x * inv).round_ties_even());
        }
        assert_eq!(d_of(&b).to_bits(), f16::from_f32(d).to_bits());
    }

    #[test]
    fn scale_narrows_to_f16_with_ties_to_even() {
        // 1 + 2^-11 lies halfway between f16 1.0 and 1 + 2^-10: ties go to the even mantissa (1.0).
        let mut a = [0.0f32; BLOCK];
        a[0] = 127.0 * (1.0 + 2f32.powi(-11));
        let b = quantize_block(&a);
        assert_eq!(a[0] / 127.0, 1.0 + 2f32.powi(-11));
        assert_eq!(d_of(&b), f16::ONE);
        // 1 + 3·2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9: ties go up to 1 + 2^-9.
        a[0] = 127.0 * (1.0 + 3.0 * 2f32.powi(-11));
        let b = quantize_block(&a);
        assert_eq!(a[0] / 127.0, 1.0 + 3.0 * 2f32.powi(-11));
        assert_eq!(d_of(&b), f16::from_f32(1.0 + 2f32.powi(-9)));
    }

    #[test]
    fn fast_rounding_matches_round_ties_even() {
        // Every half-integer tie up to ±300, then a dense sweep and some large values; the
        // comparison is on the integer value (the sign of a zero does not survive the i8 cast).
        let ties = (-600..=600).map(|k| k as f32 * 0.5);
        let sweep = (-2_000_000..=2_000_000).map(|k| k as f32 * 0.000_073);
        let big = [
            4_194_303.5f32,
            4_194_304.0,
            8_388_609.0,
            1e9,
            -1e9,
            f32::MAX,
            f32::MIN_POSITIVE,
        ];
        for x in ties.chain(sweep).chain(big) {
            assert_eq!(round_half_even(x), x.round_ties_even(), "{x}");
        }
        assert!(round_half_even(f32::NAN).is_nan());
        assert_eq!(round_half_even(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn nan_poisons_the_scale_and_zeroes_the_values() {
        let mut a = [1.0f32; BLOCK];
        a[5] = f32::NAN;
        let b = quantize_block(&a);
        assert!(d_of(&b).is_nan());
        assert!(q_of(&b).iter().all(|&q| q == 0));
    }
}
