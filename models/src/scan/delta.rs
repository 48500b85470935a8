//! The two forms of the δ input. Mamba computes δ_pre = dt_proj.weight · δ_low (rank R = 8) into a
//! `[B, D, L]` tensor; the low-rank form hands the kernel the factors instead, so that neither δ_pre
//! nor its gradient ever exists at full size: each channel's δ_pre is rebuilt one chunk at a time,
//! and the backward reduces dδ_pre straight into d δ_low and d weight.

use super::float::ScanFloat;
use super::vec16::{hsum_half, W};

/// The δ input of a scan (before bias and softplus).
#[derive(Clone, Copy, Debug)]
pub enum Delta<'a, T> {
    /// δ_pre itself, `[B, D, L]`.
    Full(&'a [T]),
    /// δ_pre[b, d, t] = Σ_r weight[d, r]·low[b, r, t], summed in order r = 0..rank.
    LowRank {
        /// `[B, rank, L]`: one row's L values are contiguous, like `u`.
        low: &'a [T],
        /// `[D, rank]` (Mamba's `dt_proj.weight`).
        weight: &'a [T],
        /// R (Mamba's `dt_rank`); 0 means δ_pre = 0.
        rank: usize,
    },
}

impl<T> Delta<'_, T> {
    /// R for the low-rank form, `None` for the full one.
    pub fn rank(&self) -> Option<usize> {
        match *self {
            Delta::Full(_) => None,
            Delta::LowRank { rank, .. } => Some(rank),
        }
    }
}

/// Where the gradient w.r.t. δ goes; must have the form of [`ScanInputs::delta`](super::ScanInputs).
#[derive(Debug)]
pub enum DeltaGrad<'a, T> {
    /// `[B, D, L]`: w.r.t. the pre-softplus, pre-bias δ (softplus' derivative included).
    Full(&'a mut [T]),
    /// The same gradient pushed through δ_pre = weight · low.
    LowRank {
        /// `[B, rank, L]`
        low: &'a mut [T],
        /// `[D, rank]`
        weight: &'a mut [T],
    },
}

/// One channel's view of δ: its full row, or its batch's low rows and its weight row.
#[derive(Clone, Copy)]
pub(crate) enum ChanDelta<'a, T> {
    /// `[L]`
    Full(&'a [T]),
    /// `low`: `[R, L]` of this channel's batch; `w`: `[R]`.
    LowRank { low: &'a [T], w: &'a [T], len: usize },
}

impl<'a, T: ScanFloat> ChanDelta<'a, T> {
    /// Channel `bd` = b·D + d of validated inputs of length `len`.
    pub fn new(delta: &Delta<'a, T>, dim: usize, len: usize, bd: usize) -> Self {
        match *delta {
            Delta::Full(all) => ChanDelta::Full(&all[bd * len..(bd + 1) * len]),
            Delta::LowRank { low, weight, rank } => {
                let (b, d) = (bd / dim, bd % dim);
                ChanDelta::LowRank {
                    low: &low[b * rank * len..(b + 1) * rank * len],
                    w: &weight[d * rank..(d + 1) * rank],
                    len,
                }
            }
        }
    }

    /// δ_pre over positions t0..t1: borrowed from the row, or built in `buf` (≥ t1 − t0 long).
    /// Forward and backward both get δ from here, so the backward sees the forward's exact values.
    #[inline(always)]
    pub fn pre<'s, const F: bool>(&self, t0: usize, t1: usize, buf: &'s mut [T]) -> &'s [T]
    where
        'a: 's,
    {
        match *self {
            ChanDelta::Full(row) => &row[t0..t1],
            ChanDelta::LowRank { low, w, len } => {
                let out = &mut buf[..t1 - t0];
                out.fill(T::ZERO);
                // One pass per rank row: each vectorises over positions, and every element sees
                // the same order r = 0..R.
                for (r, &wr) in w.iter().enumerate() {
                    let row = &low[r * len + t0..r * len + t1];
                    for (o, &x) in out.iter_mut().zip(row) {
                        *o = wr.madd_k::<F>(x, *o);
                    }
                }
                out
            }
        }
    }

    /// Backward of [`pre`](Self::pre) for one chunk of one channel: part[r, i] += w_r·dd[i]
    /// (`part` is `[R, stride]`, summed over a block's channels in channel order) and
    /// dw[r] += Σ_i dd[i]·low[r, t0 + i] (fixed-order lane sums).
    #[inline(always)]
    pub fn low_rank_backward<const F: bool>(&self, t0: usize, dd: &[T], part: &mut [T], dw: &mut [T]) {
        let ChanDelta::LowRank { low, w, len } = *self else {
            return;
        };
        let n = dd.len();
        let stride = part.len() / w.len().max(1);
        for (r, (&wr, g)) in w.iter().zip(dw.iter_mut()).enumerate() {
            for (p, &d) in part[r * stride..r * stride + n].iter_mut().zip(dd) {
                *p = wr.madd_k::<F>(d, *p);
            }
            *g += lane_dot::<T, F>(dd, &low[r * len + t0..r * len + t0 + n]);
        }
    }
}

/// Σ a·b in a fixed order that vectorises (as `lane_sum`): W/2 running lanes, then a tree.
#[inline(always)]
fn lane_dot<T: ScanFloat, const F: bool>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; W / 2];
    let (ra, rb) = (a.chunks_exact(W / 2), b.chunks_exact(W / 2));
    let (ta, tb) = (ra.remainder(), rb.remainder());
    for (x, y) in ra.zip(rb) {
        for j in 0..W / 2 {
            acc[j] = x[j].madd_k::<F>(y[j], acc[j]);
        }
    }
    for (j, (&x, &y)) in ta.iter().zip(tb).enumerate() {
        acc[j] = x.madd_k::<F>(y, acc[j]);
    }
    hsum_half(&acc)
}
