//! Fixed-point arithmetic of the integer forward pass: rounding shifts, activation quantisation,
//! `exp2`, sigmoid and sine/cosine, all in integers so that every target computes the same bits.
//!
//! Formats used throughout (documented in `FORMAT.md`, "Numerics"):
//! - residual stream and other activations: `i32` Q16.16 ([`ACT_FRAC`] fractional bits);
//! - quantisation step of an int8 activation vector: `u32` with [`STEP_FRAC`] fractional bits,
//!   in real units (`real value = q * step / 2^STEP_FRAC`);
//! - attention probabilities: [`PROB_FRAC`] fractional bits;
//! - `exp2`, sigmoid, sine and cosine results: Q30.

/// Fractional bits of the fixed-point activations (Q16.16).
pub const ACT_FRAC: u32 = 16;
/// Fractional bits of an activation quantisation step.
pub const STEP_FRAC: u32 = 23;
/// Fractional bits of an attention probability.
pub const PROB_FRAC: u32 = 20;
/// One in Q30.
pub const ONE_Q30: i64 = 1 << 30;
/// log2(e) in Q30: converts natural-log arguments to `exp2` arguments.
pub const LOG2E_Q30: u64 = 1_549_082_005;
/// ln(2) in Q62 (used to build the `exp2` table at compile time).
const LN2_Q62: i128 = 3_196_577_161_300_663_915;
/// pi/2 in Q62: converts a quarter-turn fraction to radians.
const HALF_PI_Q62: u128 = 7_244_019_458_077_122_842;
/// The RMSNorm epsilon of llama2.c (1e-5) in Q32, the unit of a mean square of Q16 values.
pub const RMS_EPS_Q32: u64 = ((1u64 << 32) + 50_000) / 100_000;

/// Shifts right by `shift` bits rounding half up (towards +inf). `shift` must be below 127.
pub fn round_shift_i128(value: i128, shift: u32) -> i128 {
    if shift == 0 {
        value
    } else {
        (value + (1i128 << (shift - 1))) >> shift
    }
}

/// Shifts right by `shift` bits rounding half up (towards +inf). `shift` must be below 63.
pub fn round_shift_i64(value: i64, shift: u32) -> i64 {
    if shift == 0 {
        value
    } else {
        (value + (1i64 << (shift - 1))) >> shift
    }
}

/// Quantises a Q16.16 vector to int8 with one step for the whole vector: `q = round(127 x / m)`
/// with `m = max |x|`, through a precomputed integer reciprocal. Returns the step
/// (`m / 127` with [`STEP_FRAC`] fractional bits); an all-zero vector has step 0.
///
/// `out` must be as long as `x`. Every `q` lies in `-127..=127`.
#[inline]
pub fn quantize_i8(x: &[i32], out: &mut [i8]) -> u32 {
    let max_abs = x.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
    if max_abs == 0 {
        out.iter_mut().for_each(|q| *q = 0);
        return 0;
    }
    // |x| * recip <= 127 * 2^40 because |x| <= max_abs: no overflow, and q <= 127.
    let recip = (127u64 << 40) / u64::from(max_abs);
    for (q, &v) in out.iter_mut().zip(x) {
        let magnitude = ((u64::from(v.unsigned_abs()) * recip + (1 << 39)) >> 40) as i8;
        *q = if v < 0 { -magnitude } else { magnitude };
    }
    // max_abs <= 2^31, so the step is below 2^38 / 127 < 2^32.
    (((u64::from(max_abs) << (STEP_FRAC - ACT_FRAC)) + 63) / 127) as u32
}

/// Values of 2^(-i/256) in Q30 for i in 0..=256, computed at compile time from a Taylor series of
/// e^(-y) in Q62.
static EXP2_NEG_TABLE: [u32; 257] = exp2_neg_table();

const fn exp2_neg_table() -> [u32; 257] {
    let mut table = [0u32; 257];
    let mut i = 0;
    while i <= 256 {
        let y = LN2_Q62 * i as i128 / 256;
        let mut term: i128 = 1 << 62;
        let mut sum: i128 = term;
        let mut n = 1;
        while n < 30 {
            term = -((term * y) >> 62) / n;
            sum += term;
            n += 1;
        }
        table[i] = ((sum + (1 << 31)) >> 32) as u32;
        i += 1;
    }
    table
}

/// 2^(-z) in Q30 for `z >= 0` in Q16: the integer part of `z` is a shift, the fraction is a
/// 257-entry table with linear interpolation (relative error below 1e-6).
///
/// Branch-free, since softmax feeds it data-dependent arguments: the shift rounds half up as
/// `(2 v + 2^w) >> (w + 1)`, which is `v` for `w = 0` and `round_shift(v, w)` otherwise, and is 0
/// for every `w > 30` (`v <= 2^30`), so capping `w` at 62 keeps the shifts in range and needs no
/// separate test for large arguments.
#[inline(always)]
pub fn exp2_neg_q30(z_q16: u64) -> u32 {
    let whole = (z_q16 >> 16).min(62);
    let value = u64::from(exp2_neg_frac_q30((z_q16 & 0xFFFF) as u32));
    ((2 * value + (1 << whole)) >> (whole + 1)) as u32
}

/// 2^(-f) in Q30 for a Q16 fraction `f < 1`: table entries `f >> 8` and the next, interpolated.
#[inline(always)]
fn exp2_neg_frac_q30(frac: u32) -> u32 {
    let index = (frac >> 8) as usize;
    let t = frac & 0xFF;
    let a = EXP2_NEG_TABLE[index];
    let b = EXP2_NEG_TABLE[index + 1];
    a - (((a - b) * t + 128) >> 8)
}

/// The logistic function of a Q16.16 argument, in Q30: `1 / (1 + e^-x)`.
pub fn sigmoid_q30(x_q16: i32) -> u32 {
    // |x| * log2(e): at most 2^31 * 2^31, in u64; the result is Q16.
    let z = (u64::from(x_q16.unsigned_abs()) * LOG2E_Q30) >> 30;
    let e = u64::from(exp2_neg_q30(z));
    let den = (1u64 << 30) + e;
    let num = if x_q16 >= 0 { 1u64 << 60 } else { e << 30 };
    ((num + den / 2) / den) as u32
}

/// SiLU of a Q16.16 value, `x * sigmoid(x)`, in Q16.16 (|silu(x)| <= |x|, so it fits).
pub fn silu_q16(x_q16: i32) -> i32 {
    round_shift_i64(i64::from(x_q16) * i64::from(sigmoid_q30(x_q16)), 30) as i32
}

/// Sine and cosine of an angle given in turns as a wrapping Q64 fraction, both in Q30.
///
/// The angle is reduced to a quarter wave, where degree-13 (sine) and degree-14 (cosine) Taylor
/// polynomials in Q30 are accurate to about 1e-9.
pub fn sin_cos_q30(phase: u64) -> (i32, i32) {
    let quadrant = phase >> 62;
    let quarter_fraction = u128::from(phase & ((1u64 << 62) - 1));
    let x = ((quarter_fraction * HALF_PI_Q62) >> 94) as i64;
    let x2 = (x * x) >> 30;
    let mut sin_poly = ONE_Q30;
    for divisor in [156, 110, 72, 42, 20, 6] {
        sin_poly = ONE_Q30 - ((x2 * sin_poly) >> 30) / divisor;
    }
    let s = ((x * sin_poly) >> 30) as i32;
    let mut c = ONE_Q30;
    for divisor in [182, 132, 90, 56, 30, 12, 2] {
        c = ONE_Q30 - ((x2 * c) >> 30) / divisor;
    }
    let c = c as i32;
    match quadrant {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// Rotates the pair `(a, b)` (Q16.16) by the angle whose sine and cosine are given in Q30.
///
/// The results are Q16.16 in `i64`: a rotation can lengthen a coordinate up to `sqrt(2)` times,
/// so the caller converts with a checked conversion.
pub fn rotate_q16(a: i32, b: i32, sin_q30: i32, cos_q30: i32) -> (i64, i64) {
    let (a, b) = (i64::from(a), i64::from(b));
    let (s, c) = (i64::from(sin_q30), i64::from(cos_q30));
    (
        round_shift_i64(a * c - b * s, 30),
        round_shift_i64(a * s + b * c, 30),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp2_table_matches_libm() {
        for z in (0..(20u64 << 16)).step_by(977) {
            let expected = libm::exp2(-(z as f64) / 65536.0) * (1u64 << 30) as f64;
            let got = f64::from(exp2_neg_q30(z));
            assert!(
                (got - expected).abs() <= expected * 2e-6 + 1.0,
                "z={z}: {got} vs {expected}"
            );
        }
        assert_eq!(exp2_neg_q30(0), 1 << 30);
        assert_eq!(exp2_neg_q30(64 << 16), 0);
    }

    #[test]
    fn exp2_shift_equals_rounded_shift_with_cutoff() {
        // The definition the branch-free form must reproduce: 0 beyond a shift of 40, else the
        // interpolated value shifted right rounding half up.
        let reference = |z: u64| -> u32 {
            let whole = z >> 16;
            if whole > 40 {
                return 0;
            }
            let value = exp2_neg_frac_q30((z & 0xFFFF) as u32);
            round_shift_i64(i64::from(value), whole as u32) as u32
        };
        for whole in (0..70u64).chain([1 << 20, 1 << 47]) {
            for frac in (0..0x1_0000u64).step_by(61).chain([0xFFFF]) {
                let z = (whole << 16) | frac;
                assert_eq!(exp2_neg_q30(z), reference(z), "z={z:#x}");
            }
        }
        assert_eq!(exp2_neg_q30(u64::MAX), 0);
    }

    #[test]
    fn sin_cos_match_libm() {
        for k in 0..4096u64 {
            let phase = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let angle = phase as f64 / 18_446_744_073_709_551_616.0 * core::f64::consts::TAU;
            let (s, c) = sin_cos_q30(phase);
            let scale = (1u64 << 30) as f64;
            assert!(
                (f64::from(s) / scale - libm::sin(angle)).abs() < 1e-8,
                "sin {k}"
            );
            assert!(
                (f64::from(c) / scale - libm::cos(angle)).abs() < 1e-8,
                "cos {k}"
            );
        }
    }

    #[test]
    fn sigmoid_and_silu_match_libm() {
        for x in (-(20 << 16)..(20 << 16)).step_by(4099) {
            let real = f64::from(x) / 65536.0;
            let expected = 1.0 / (1.0 + libm::exp(-real));
            let got = f64::from(sigmoid_q30(x)) / (1u64 << 30) as f64;
            assert!((got - expected).abs() < 3e-6, "sigmoid({real})");
            let silu = f64::from(silu_q16(x)) / 65536.0;
            assert!((silu - real * expected).abs() < 1e-4 + real.abs() * 3e-6);
        }
    }

    #[test]
    fn quantize_is_symmetric_and_bounded() {
        let x = [i32::MIN + 1, -5, 0, 7, i32::MAX, 1 << 20];
        let mut q = [0i8; 6];
        let step = quantize_i8(&x, &mut q);
        assert_eq!(q, [-127, 0, 0, 0, 127, 0]);
        assert_eq!(step, ((((i32::MAX as u64) << 7) + 63) / 127) as u32);
        let x = [-(1 << 16), 1 << 15, 3 << 14];
        let step = quantize_i8(&x, &mut q[..3]);
        assert_eq!(&q[..3], &[-127, 64, 95]);
        assert_eq!(step, (((1u64 << 23) + 63) / 127) as u32);
        assert_eq!(quantize_i8(&[0, 0], &mut q[..2]), 0);
    }
}
