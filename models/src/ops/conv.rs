//! Mamba's causal depthwise conv1d followed by SiLU, forward only: the step between in_proj and
//! x_proj at inference. One pass over `[B, D, L]` replaces a grouped convolution and a separate
//! activation (two passes over a 200 MB tensor per mixer at the reference size); the runtime's fast
//! flavour runs it as the `ai.seq2exp:CausalConv1dSilu` node. The trainer keeps tch's conv, which
//! it differentiates.
//!
//! y[b, d, t] = silu(bias[d] + Σ_{j<K} w[d, j] · x[b, d, t − (K − 1) + j]), x = 0 before t = 0.

use rayon::prelude::*;

use crate::scan::dims::check;
use crate::scan::isa::isa_dispatch;
use crate::scan::{Isa, ScanError, ScanFloat};

/// Positions per block: the block's accumulators stay in L1 while the K taps pass over them.
const BLOCK: usize = 1024;

/// Runs the conv on rayon's current pool (rows of `[B·D, L]` in parallel). `weight` is `[D, K]`
/// (ONNX's and torch's `[D, 1, K]` has the same layout), `bias` `[D]`.
#[allow(clippy::too_many_arguments)]
pub fn causal_conv1d_silu<T: ScanFloat>(
    isa: Isa,
    (batch, dim, len): (usize, usize, usize),
    kernel: usize,
    x: &[T],
    weight: &[T],
    bias: &[T],
    y: &mut [T],
) -> Result<(), ScanError> {
    let bdl = batch * dim * len;
    check("x", x.len(), bdl)?;
    check("y", y.len(), bdl)?;
    check("conv weight", weight.len(), dim * kernel)?;
    check("conv bias", bias.len(), dim)?;
    if !isa.is_available() {
        return Err(ScanError::IsaUnavailable(isa));
    }
    if bdl == 0 {
        return Ok(());
    }
    y.par_chunks_mut(len).zip(x.par_chunks(len)).enumerate().for_each(|(row, (y, x))| {
        let d = row % dim;
        conv_row(isa, x, &weight[d * kernel..(d + 1) * kernel], bias[d], y);
    });
    Ok(())
}

isa_dispatch!(fn conv_row<T>(x: &[T], w: &[T], bias: T, y: &mut [T]) => conv_row_body);

/// One row, a block at a time: the accumulators start at the bias, each tap adds a shifted copy of
/// x (positions before 0 contribute nothing), then SiLU. Every loop is a plain vector loop.
#[inline(always)]
fn conv_row_body<T: ScanFloat, const F: bool>(x: &[T], w: &[T], bias: T, y: &mut [T]) {
    let (l, k) = (x.len(), w.len());
    for t0 in (0..l).step_by(BLOCK) {
        let t1 = (t0 + BLOCK).min(l);
        let acc = &mut y[t0..t1];
        acc.iter_mut().for_each(|a| *a = bias);
        for (j, &wj) in w.iter().enumerate() {
            // Tap j reads x[t − shift]; outputs with t < shift see the zero padding.
            let shift = k - 1 - j;
            let first = t0.max(shift);
            if first >= t1 {
                continue;
            }
            let src = &x[first - shift..t1 - shift];
            for (a, &v) in acc[first - t0..].iter_mut().zip(src) {
                *a = wj.madd_k::<F>(v, *a);
            }
        }
        for a in acc.iter_mut() {
            *a = *a * a.sigmoid_k::<F>();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, position by position, in f64.
    fn naive(x: &[f64], w: &[f64], bias: f64) -> Vec<f64> {
        let k = w.len();
        (0..x.len())
            .map(|t| {
                let s: f64 = (0..k).filter(|&j| t + j >= k - 1).map(|j| w[j] * x[t + j - (k - 1)]).sum();
                let a = bias + s;
                a / (1.0 + (-a).exp())
            })
            .collect()
    }

    #[test]
    fn matches_the_definition_on_every_isa_and_block_edge() {
        let (batch, dim, k) = (2, 3, 4);
        for len in [1, 3, 4, 5, BLOCK - 1, BLOCK, BLOCK + 2, 2 * BLOCK + 7] {
            let x: Vec<f64> = (0..batch * dim * len).map(|i| ((i * 37 % 101) as f64 / 25.0) - 2.0).collect();
            let w: Vec<f64> = (0..dim * k).map(|i| (i as f64 * 0.3).sin()).collect();
            let bias = [0.1, -0.5, 0.7];
            for isa in Isa::available() {
                let xf: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                let wf: Vec<f32> = w.iter().map(|&v| v as f32).collect();
                let bf: Vec<f32> = bias.iter().map(|&v| v as f32).collect();
                let mut y = vec![f32::NAN; x.len()];
                causal_conv1d_silu(isa, (batch, dim, len), k, &xf, &wf, &bf, &mut y).unwrap();
                for row in 0..batch * dim {
                    let d = row % dim;
                    let want = naive(&x[row * len..(row + 1) * len], &w[d * k..(d + 1) * k], bias[d]);
                    for (t, (&got, &want)) in y[row * len..(row + 1) * len].iter().zip(&want).enumerate() {
                        assert!(
                            (got as f64 - want).abs() <= 1e-5 * (1.0 + want.abs()),
                            "{isa:?} L {len} row {row} t {t}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn wrong_sizes_are_errors() {
        let x = vec![0f32; 12];
        let mut y = vec![0f32; 12];
        let isa = Isa::Portable;
        assert!(causal_conv1d_silu(isa, (1, 3, 4), 4, &x, &[0.0; 11], &[0.0; 3], &mut y).is_err());
        assert!(causal_conv1d_silu(isa, (1, 3, 4), 4, &x, &[0.0; 12], &[0.0; 2], &mut y).is_err());
        assert!(causal_conv1d_silu(isa, (1, 3, 5), 4, &x, &[0.0; 12], &[0.0; 3], &mut y).is_err());
    }
}
