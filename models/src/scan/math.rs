//! Branch-free f32 approximations of exp, softplus and sigmoid.
//!
//! Written as straight-line code with selects instead of branches so that loops over arrays of
//! them vectorise. The `*_fused` variants use fused multiply-adds (what the AVX2/AVX-512 kernels
//! run); called outside such a kernel they still give the same, correctly fused results.

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 1.5·2^23: adding it rounds to an integer held in the low mantissa bits.
const SHIFT: f32 = 12_582_912.0;
/// ln 2 split so that n·LN2_HI is exact for |n| ≤ 255 (Cody–Waite reduction without FMA).
#[allow(clippy::excessive_precision)] // 355/512, written out exactly
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Arguments are clamped to [EXP_LO, EXP_HI]. At EXP_LO the reduced exponent n is −127, whose
/// 2^n bit pattern is +0.0, so everything at or below it gives exactly 0 with no extra select.
/// (Between −87.68 and −87.34, where e^x < f32::MIN_POSITIVE, the result is a tiny or subnormal
/// number.)
pub const EXP_LO: f32 = -88.0;
/// 127.5·ln 2 keeps 2^n finite: larger arguments saturate at e^EXP_HI ≈ 2.6e38 instead of +inf.
pub const EXP_HI: f32 = 88.376_26;
/// Minimax polynomial for e^r − 1 on |r| ≤ ln2/2 (ARM optimized-routines expf, ≈1.5 ulp).
const C0: f32 = 0.008_247_39;
const C1: f32 = 0.041_899_767;
const C2: f32 = 0.166_683_96;
const C3: f32 = 0.499_991_27;
const C4: f32 = 0.999_999_4;

/// The same polynomial for 2^r on |r| ≤ 1/2 (coefficients scaled by powers of ln 2).
const D0: f32 = 0.001_319_604_7;
const D1: f32 = 0.009_671_937;
const D2: f32 = 0.055_509_87;
const D3: f32 = 0.240_222_32;
const D4: f32 = 0.693_146_77;
/// 2^EXP2_LO is built with exponent field 0, i.e. exactly 0.
pub const EXP2_LO: f32 = -127.0;
/// Below 127.5, so that rounding cannot reach exponent 128.
pub const EXP2_HI: f32 = 127.49;

#[inline(always)]
pub(crate) fn madd<const F: bool>(a: f32, b: f32, c: f32) -> f32 {
    if F {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// e^x in f32 without FMA. Relative error ≈ 2e-7 where e^x is a normal float; x ≤ EXP_LO (including
/// −inf) gives exactly 0; x ≥ EXP_HI gives e^EXP_HI ≈ 2.6e38 (saturates, no +inf); NaN gives NaN.
/// Branch-free: two clamps, a polynomial and an exponent-field construction.
pub fn exp_f32(x: f32) -> f32 {
    exp_impl::<false>(x)
}

/// [`exp_f32`] with fused multiply-adds.
pub fn exp_f32_fused(x: f32) -> f32 {
    exp_impl::<true>(x)
}

#[inline(always)]
pub(crate) fn exp_impl<const F: bool>(x: f32) -> f32 {
    // Clamps written so that NaN passes through (comparisons with NaN are false).
    let x = if x < EXP_LO { EXP_LO } else { x };
    let x = if x > EXP_HI { EXP_HI } else { x };
    let z = madd::<F>(x, LOG2E, SHIFT);
    let n = z - SHIFT;
    let r = madd::<F>(n, -LN2_HI, x);
    let r = madd::<F>(n, -LN2_LO, r);
    // The low bits of z hold n ∈ [−127, 127]; shifting them into the exponent field gives 2^n
    // (and +0.0 for n = −127).
    let scale = f32::from_bits((z.to_bits() << 23).wrapping_add(0x3f80_0000));
    let r2 = r * r;
    let p = madd::<F>(C0, r, C1);
    let q = madd::<F>(C2, r, C3);
    let q = madd::<F>(p, r2, q);
    let poly = madd::<F>(q, r2, C4 * r);
    madd::<F>(poly, scale, scale)
}

/// 2^t in f32 without FMA: what the scan uses for exp(δ·A) = 2^(δ·A·log2 e), with A·log2 e
/// precomputed, which saves the multiply by log2 e and the two-step reduction. Relative error
/// ≈ 2e-7 where 2^t is a normal float; t ≤ EXP2_LO gives exactly 0, t ≥ EXP2_HI saturates, NaN
/// gives NaN.
pub fn exp2_f32(t: f32) -> f32 {
    exp2_impl::<false>(t)
}

/// [`exp2_f32`] with fused multiply-adds.
pub fn exp2_f32_fused(t: f32) -> f32 {
    exp2_impl::<true>(t)
}

#[inline(always)]
pub(crate) fn exp2_impl<const F: bool>(t: f32) -> f32 {
    let t = if t < EXP2_LO { EXP2_LO } else { t };
    let t = if t > EXP2_HI { EXP2_HI } else { t };
    let z = t + SHIFT;
    let n = z - SHIFT;
    let r = t - n; // exact: t and n are within 1/2 of each other
    let scale = f32::from_bits((z.to_bits() << 23).wrapping_add(0x3f80_0000));
    let r2 = r * r;
    let p = madd::<F>(D0, r, D1);
    let q = madd::<F>(D2, r, D3);
    let q = madd::<F>(p, r2, q);
    let poly = madd::<F>(q, r2, D4 * r);
    madd::<F>(poly, scale, scale)
}

/// ln(1 + e) for e ∈ [0, 1] via 2·atanh(s), s = e/(2+e) ≤ 1/3; truncation error < 2e-8 relative.
#[inline(always)]
fn ln1p_unit<const F: bool>(e: f32) -> f32 {
    let s = e / (2.0 + e);
    let s2 = s * s;
    let p = madd::<F>(s2, 1.0 / 13.0, 1.0 / 11.0);
    let p = madd::<F>(p, s2, 1.0 / 9.0);
    let p = madd::<F>(p, s2, 1.0 / 7.0);
    let p = madd::<F>(p, s2, 1.0 / 5.0);
    let p = madd::<F>(p, s2, 1.0 / 3.0);
    let p = madd::<F>(p, s2, 1.0);
    2.0 * s * p
}

/// softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^−|x|), no threshold; relative error ≲ 5e-7.
pub fn softplus_f32(x: f32) -> f32 {
    softplus_impl::<false>(x)
}

/// [`softplus_f32`] with fused multiply-adds.
pub fn softplus_f32_fused(x: f32) -> f32 {
    softplus_impl::<true>(x)
}

#[inline(always)]
pub(crate) fn softplus_impl<const F: bool>(x: f32) -> f32 {
    let e = exp_impl::<F>(-x.abs());
    let relu = if x > 0.0 { x } else { 0.0 };
    relu + ln1p_unit::<F>(e)
}

/// sigmoid(x) = 1 / (1 + e^−x), without NaN: 1 for large x; for x ≤ −EXP_HI, where e^−x
/// saturates, ≈ 4.2e-39 instead of a smaller value or 0.
pub fn sigmoid_f32(x: f32) -> f32 {
    sigmoid_impl::<false>(x)
}

/// [`sigmoid_f32`] with fused multiply-adds.
pub fn sigmoid_f32_fused(x: f32) -> f32 {
    sigmoid_impl::<true>(x)
}

#[inline(always)]
pub(crate) fn sigmoid_impl<const F: bool>(x: f32) -> f32 {
    1.0 / (1.0 + exp_impl::<F>(-x))
}
