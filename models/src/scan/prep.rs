//! Per-call preparation shared by forward and backward: A = −exp(a_log) and, when N is not a
//! multiple of the block width, zero-padded copies of A, B and C. Padded lanes have A = 0 and
//! B = C = 0, so their state stays exactly 0 and contributes nothing to y or to any gradient.

use std::borrow::Cow;

use super::dims::{ScanDims, ScanInputs};
use super::float::ScanFloat;
use super::vec16::padded;

pub(crate) struct Prepared<'a, T: Clone> {
    /// N rounded up to a multiple of the block width.
    pub np: usize,
    /// `[D, np]`: A = −exp(a_log), evaluated in f64 then rounded.
    pub a: Vec<T>,
    /// `[D, np]`: A·log2 e, so that exp(δA) = 2^(δ·a2).
    pub a2: Vec<T>,
    /// `[B, L, np]`
    pub b: Cow<'a, [T]>,
    /// `[B, L, np]`
    pub c: Cow<'a, [T]>,
}

fn pad_rows<'a, T: ScanFloat>(src: &'a [T], n: usize, np: usize) -> Cow<'a, [T]> {
    if n == np {
        return Cow::Borrowed(src);
    }
    let rows = src.len() / n;
    let mut out = vec![T::ZERO; rows * np];
    for (dst, s) in out.chunks_exact_mut(np).zip(src.chunks_exact(n)) {
        dst[..n].copy_from_slice(s);
    }
    Cow::Owned(out)
}

impl<'a, T: ScanFloat> Prepared<'a, T> {
    /// `inputs` must already be validated against `dims`.
    pub fn new(dims: ScanDims, inputs: &ScanInputs<'a, T>) -> Self {
        let n = dims.state;
        let np = padded(n);
        let mut a = vec![T::ZERO; dims.dim * np];
        let mut a2 = vec![T::ZERO; dims.dim * np];
        let rows = a.chunks_exact_mut(np).zip(a2.chunks_exact_mut(np));
        for ((dst, dst2), src) in rows.zip(inputs.a_log.chunks_exact(n)) {
            for ((x, x2), &al) in dst.iter_mut().zip(dst2.iter_mut()).zip(src) {
                let v = -al.to_f64().exp();
                *x = T::from_f64(v);
                *x2 = T::from_f64(v * std::f64::consts::LOG2_E);
            }
        }
        Self { np, a, a2, b: pad_rows(inputs.b, n, np), c: pad_rows(inputs.c, n, np) }
    }
}

/// Per-channel scalar parameters: (D_d, bias_d), absent ones as 0.
#[inline]
pub(crate) fn channel_scalars<T: ScanFloat>(inputs: &ScanInputs<'_, T>, d: usize) -> (T, T) {
    let skip = inputs.d_skip.map_or(T::ZERO, |s| s[d]);
    let bias = inputs.delta_bias.map_or(T::ZERO, |s| s[d]);
    (skip, bias)
}

/// δ for one run of positions: softplus(delta + bias) or delta + bias; also δ·u.
#[inline(always)]
pub(crate) fn delta_run<T: ScanFloat, const F: bool>(
    delta: &[T],
    u: &[T],
    bias: T,
    softplus: bool,
    dt: &mut [T],
    dtu: &mut [T],
) {
    // Two loops rather than a branch inside one, so each vectorises over positions.
    if softplus {
        for (o, &x) in dt.iter_mut().zip(delta) {
            *o = (x + bias).softplus_k::<F>();
        }
    } else {
        for (o, &x) in dt.iter_mut().zip(delta) {
            *o = x + bias;
        }
    }
    for ((o, &d), &x) in dtu.iter_mut().zip(dt.iter()).zip(u) {
        *o = d * x;
    }
}

/// Split off the first `n` elements of `*s`.
pub(crate) fn take<'g, T>(s: &mut &'g mut [T], n: usize) -> &'g mut [T] {
    let (head, tail) = std::mem::take(s).split_at_mut(n);
    *s = tail;
    head
}

/// Hint the CPU to bring `s` into cache (no effect on results; a no-op off x86-64).
#[inline]
pub(crate) fn prefetch<T>(s: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let bytes = std::mem::size_of_val(s);
        let p = s.as_ptr().cast::<i8>();
        for off in (0..bytes).step_by(64) {
            // SAFETY: prefetch never faults, and every address is inside `s` anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(off)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = s;
}
