//! RMSNorm over the channels of a channel-major `[B, C, L]` tensor:
//! y[b, c, t] = x[b, c, t] / sqrt(mean_c x[b, ·, t]² + eps) · w[c].
//! Two reads of x and one write of y, where the same graph in stock ONNX ops makes about seven passes.

use rayon::prelude::*;

use crate::scan::dims::check;
use crate::scan::isa::isa_dispatch;
use crate::scan::{Isa, ScanError, ScanFloat};

/// Positions per task of the first pass (its sums stay in L1 while the C rows stream past).
const BLOCK: usize = 2048;

pub fn rms_norm_channels<T: ScanFloat>(
    isa: Isa,
    (batch, channels, len): (usize, usize, usize),
    eps: T,
    x: &[T],
    weight: &[T],
    y: &mut [T],
) -> Result<(), ScanError> {
    check("x", x.len(), batch * channels * len)?;
    check("y", y.len(), x.len())?;
    check("norm weight", weight.len(), channels)?;
    if !isa.is_available() {
        return Err(ScanError::IsaUnavailable(isa));
    }
    if x.is_empty() {
        return Ok(());
    }
    // 1 / rms per (batch, position).
    let mut inv = vec![T::ZERO; batch * len];
    let scale = T::from_f64(1.0 / channels as f64);
    inv.par_chunks_mut(len).enumerate().for_each(|(b, inv)| {
        let x = &x[b * channels * len..(b + 1) * channels * len];
        inv.par_chunks_mut(BLOCK).enumerate().for_each(|(k, inv)| {
            inv_rms(isa, x, len, k * BLOCK, scale, eps, inv);
        });
    });
    y.par_chunks_mut(len).zip(x.par_chunks(len)).enumerate().for_each(|(row, (y, x))| {
        let (b, c) = (row / channels, row % channels);
        scale_row(isa, x, &inv[b * len..(b + 1) * len], weight[c], y);
    });
    Ok(())
}

isa_dispatch!(fn inv_rms<T>(x: &[T], len: usize, t0: usize, scale: T, eps: T, inv: &mut [T]) => inv_rms_body);

/// inv[i] = 1 / sqrt(scale · Σ_c x[c, t0 + i]² + eps) for one block of positions.
#[inline(always)]
fn inv_rms_body<T: ScanFloat, const F: bool>(x: &[T], len: usize, t0: usize, scale: T, eps: T, inv: &mut [T]) {
    inv.iter_mut().for_each(|v| *v = T::ZERO);
    for row in x.chunks_exact(len) {
        for (s, &v) in inv.iter_mut().zip(&row[t0..]) {
            *s = v.madd_k::<F>(v, *s);
        }
    }
    for s in inv.iter_mut() {
        *s = T::ONE / scale.madd_k::<F>(*s, eps).sqrt_k();
    }
}

isa_dispatch!(fn scale_row<T>(x: &[T], inv: &[T], w: T, y: &mut [T]) => scale_row_body);

#[inline(always)]
fn scale_row_body<T: ScanFloat, const F: bool>(x: &[T], inv: &[T], w: T, y: &mut [T]) {
    for ((o, &v), &s) in y.iter_mut().zip(x).zip(inv) {
        *o = v * s * w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_definition_on_every_isa() {
        let (batch, channels, eps) = (2, 5, 1e-5);
        for len in [1, 7, BLOCK + 3] {
            let x: Vec<f32> = (0..batch * channels * len).map(|i| ((i * 53 % 97) as f32 / 20.0) - 2.4).collect();
            let w: Vec<f32> = (0..channels).map(|c| 0.5 + c as f32 * 0.25).collect();
            for isa in Isa::available() {
                let mut y = vec![f32::NAN; x.len()];
                rms_norm_channels(isa, (batch, channels, len), eps, &x, &w, &mut y).unwrap();
                for b in 0..batch {
                    for t in 0..len {
                        let at = |c: usize| (b * channels + c) * len + t;
                        let ms = (0..channels).map(|c| (x[at(c)] as f64).powi(2)).sum::<f64>() / channels as f64;
                        for c in 0..channels {
                            let want = x[at(c)] as f64 / (ms + eps as f64).sqrt() * w[c] as f64;
                            let got = y[at(c)] as f64;
                            assert!(
                                (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
                                "{isa:?} L {len} b {b} c {c} t {t}: {got} vs {want}"
                            );
                        }
                    }
                }
            }
        }
        let mut y = vec![0f32; 10];
        assert!(rms_norm_channels(Isa::Portable, (1, 5, 2), 1e-5f32, &[0.0; 10], &[1.0; 4], &mut y).is_err());
    }
}
