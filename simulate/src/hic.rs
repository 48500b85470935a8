//! The Hi-C model: expected contact between two bins of one chromosome is
//! `hic_depth × (|i − j| + 1)^−γ`, times `loop_boost` for looped (element bin, own-TSS bin) pairs.
//! Raw counts = Poisson(expected × LogNormal noise (mean 1) × bias_i × bias_j), intra-chromosomal,
//! within `hic_band`, zeros not stored. The causal term of expression uses `expected` (noise-free).

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

use super::config::SimConfig;
use super::genome::{Element, Gene, Pixel, SimGenome};

/// The finest-resolution bin holding base `pos`.
pub fn bin_of(cfg: &SimConfig, pos: u64) -> u32 {
    (pos / cfg.hic_bin_size) as u32
}

/// Number of bins of a chromosome of `length` at resolution `bin`.
pub fn n_bins(length: u64, bin: u64) -> u32 {
    length.div_ceil(bin) as u32
}

/// Looped pairs (bin1 < bin2): element bin ↔ its own gene's TSS bin, for elements marked `looped`.
pub(crate) fn loops(cfg: &SimConfig, genes: &[Gene], elements: &[Element]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = elements
        .iter()
        .filter(|e| e.looped)
        .filter_map(|e| {
            let tss = genes.iter().find(|g| g.index == e.gene)?.tss;
            let (a, b) = (bin_of(cfg, e.mid()), bin_of(cfg, tss));
            (a != b).then_some((a.min(b), a.max(b)))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Expected contact of bins i and j (see the module docs); `loops` sorted.
pub(crate) fn expected(cfg: &SimConfig, loops: &[(u32, u32)], i: u32, j: u32) -> f64 {
    let (a, b) = (i.min(j), i.max(j));
    let base = cfg.hic_depth * ((b - a) as f64 + 1.0).powf(-cfg.hic_gamma);
    if loops.binary_search(&(a, b)).is_ok() {
        base * cfg.loop_boost
    } else {
        base
    }
}

/// Draws the per-bin biases and the raw pixels (sorted, bin1 ≤ bin2) of one chromosome.
pub(crate) fn counts(
    cfg: &SimConfig,
    length: u64,
    loops: &[(u32, u32)],
    rng: &mut ChaCha8Rng,
) -> (Vec<f64>, Vec<Pixel>) {
    let nb = n_bins(length, cfg.hic_bin_size);
    let band = (cfg.hic_band / cfg.hic_bin_size) as u32;
    let bias: Vec<f64> = (0..nb)
        .map(|_| {
            let z: f64 = StandardNormal.sample(rng);
            if cfg.hic_bias_sd > 0.0 {
                (cfg.hic_bias_sd * z).exp()
            } else {
                1.0
            }
        })
        .collect();
    let sd = cfg.hic_noise_sd;
    let mut pixels = Vec::new();
    for i in 0..nb {
        for j in i..nb.min(i.saturating_add(band).saturating_add(1)) {
            let z: f64 = StandardNormal.sample(rng);
            let lambda =
                expected(cfg, loops, i, j) * (sd * z - sd * sd / 2.0).exp() * bias[i as usize] * bias[j as usize];
            let count = poisson(rng, lambda);
            if count > 0 {
                pixels.push(Pixel { bin1: i, bin2: j, count });
            }
        }
    }
    (bias, pixels)
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> i32 {
    if lambda <= 0.0 || !lambda.is_finite() {
        return 0;
    }
    match Poisson::new(lambda) {
        Ok(p) => p.sample(rng).min(i32::MAX as f64) as i32,
        Err(_) => lambda.round().min(i32::MAX as f64) as i32,
    }
}

/// Sums fine pixels into bins `factor` times larger, as cooler's coarsening does (stored upper-triangle
/// pixels are summed; the result stays upper-triangular and sorted).
pub fn coarsen(pixels: &[Pixel], factor: u32) -> Vec<Pixel> {
    let mut acc: BTreeMap<(u32, u32), i64> = BTreeMap::new();
    for p in pixels {
        *acc.entry((p.bin1 / factor, p.bin2 / factor)).or_default() += p.count as i64;
    }
    acc.into_iter().map(|((bin1, bin2), c)| Pixel { bin1, bin2, count: c.min(i32::MAX as i64) as i32 }).collect()
}

/// Coarsened bias: a coarse bin's weight is the mean of its fine bins' biases.
pub fn coarsen_bias(bias: &[f64], factor: usize) -> Vec<f64> {
    bias.chunks(factor).map(|c| c.iter().sum::<f64>() / c.len() as f64).collect()
}

impl SimGenome {
    /// Expected (noise-free, bias-free) contact between bins i and j of chromosome `chrom` at the finest
    /// resolution: hic_depth × (|i − j| + 1)^−γ, × loop_boost for looped pairs. The same function drives
    /// the .mcool counts and the causal term.
    pub fn expected_contact(&self, chrom: usize, i: u32, j: u32) -> f64 {
        expected(&self.config, &self.chroms[chrom].loops, i, j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarsen_keeps_total_and_upper_triangle() {
        let px = vec![
            Pixel { bin1: 0, bin2: 0, count: 5 },
            Pixel { bin1: 0, bin2: 1, count: 3 },
            Pixel { bin1: 1, bin2: 1, count: 4 },
            Pixel { bin1: 1, bin2: 2, count: 2 },
            Pixel { bin1: 2, bin2: 3, count: 1 },
        ];
        let c = coarsen(&px, 2);
        assert_eq!(
            c,
            vec![
                Pixel { bin1: 0, bin2: 0, count: 12 },
                Pixel { bin1: 0, bin2: 1, count: 2 },
                Pixel { bin1: 1, bin2: 1, count: 1 }
            ]
        );
    }

    #[test]
    fn expected_decays_and_loops_boost() {
        let cfg = SimConfig::default();
        let loops = vec![(2, 5)];
        assert!(expected(&cfg, &loops, 0, 0) > expected(&cfg, &loops, 0, 3));
        assert!((expected(&cfg, &loops, 5, 2) / expected(&cfg, &[], 2, 5) - cfg.loop_boost).abs() < 1e-12);
    }
}
