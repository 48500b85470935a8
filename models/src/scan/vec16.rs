//! Fixed-width blocks of states. The kernels process the N states of a channel in blocks of
//! W = 16 lanes (two AVX2 vectors, one AVX-512 vector); fixed-size arrays let the compiler keep
//! a block in registers and vectorise every lane-wise loop. N is padded up to a multiple of W.

use super::float::ScanFloat;

/// Lanes per state block.
pub(crate) const W: usize = 16;

/// One block of states (or of anything indexed by state).
pub(crate) type V<T> = [T; W];

/// Number of lanes N is padded to.
pub(crate) fn padded(n: usize) -> usize {
    n.div_ceil(W) * W
}

/// First W elements of `s` as a block (`s.len() >= W`).
#[inline(always)]
pub(crate) fn load<T: ScanFloat>(s: &[T]) -> V<T> {
    let mut v = [T::ZERO; W];
    v.copy_from_slice(&s[..W]);
    v
}

/// Half a block.
pub(crate) type H<T> = [T; W / 2];

/// Σ_i x_i·y_i folded to half width: lane i holds x_i y_i + x_{i+8} y_{i+8}. Storing this (rather
/// than reducing to a scalar at once) lets the compiler keep it a plain vertical vector op.
#[inline(always)]
pub(crate) fn dot_fold<T: ScanFloat, const F: bool>(x: &V<T>, y: &V<T>) -> H<T> {
    let mut out = [T::ZERO; W / 2];
    for i in 0..W / 2 {
        out[i] = x[i + W / 2].madd_k::<F>(y[i + W / 2], x[i] * y[i]);
    }
    out
}

/// Tree sum of a half block.
#[inline(always)]
pub(crate) fn hsum_half<T: ScanFloat>(a: &H<T>) -> T {
    let mut b = [T::ZERO; 4];
    for i in 0..4 {
        b[i] = a[i] + a[i + 4];
    }
    (b[0] + b[2]) + (b[1] + b[3])
}

/// Σ s in a fixed order that vectorises: W/2 running lanes (lane j takes s[j], s[j + W/2], …),
/// then a tree over the lanes.
#[inline(always)]
pub(crate) fn lane_sum<T: ScanFloat>(s: &[T]) -> T {
    let mut acc = [T::ZERO; W / 2];
    let mut rows = s.chunks_exact(W / 2);
    for row in &mut rows {
        for j in 0..W / 2 {
            acc[j] += row[j];
        }
    }
    for (j, &x) in rows.remainder().iter().enumerate() {
        acc[j] += x;
    }
    hsum_half(&acc)
}

/// Lane-wise e^(s·A) = 2^(s·a2), with a2 = A·log2 e.
#[inline(always)]
pub(crate) fn exp_scaled<T: ScanFloat, const F: bool>(s: T, a2: &V<T>) -> V<T> {
    let mut e = [T::ZERO; W];
    for n in 0..W {
        e[n] = (s * a2[n]).exp2_k::<F>();
    }
    e
}
