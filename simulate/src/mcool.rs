//! contacts.mcool: the simulated contacts at the finest resolution and every coarser one, written as a
//! cooler v3 per resolution by [`seq2exp_formats::cooler::writer`].
//!
//! `bins/weight` = 1 / (per-bin bias): all ones when `hic_bias_sd` = 0, so balanced = raw counts.
//! Coarser resolutions sum the stored fine pixels, as `cooler coarsen` does.

use std::path::Path;

use seq2exp_formats::cooler::writer::{write_mcool, Level, McoolHeader};
use seq2exp_formats::error::Result;

use super::genome::{Pixel, SimGenome};
use super::hic::{coarsen, coarsen_bias, n_bins};

/// Writes every resolution (finest first) into `path`.
pub fn write(genome: &SimGenome, path: &Path) -> Result<()> {
    let cfg = &genome.config;
    let mut all = vec![cfg.hic_bin_size];
    all.extend(cfg.hic_coarser.iter().copied().filter(|&r| r != cfg.hic_bin_size));
    let levels: Vec<Level> = all.into_iter().map(|res| level(genome, res)).collect();
    let header = McoolHeader {
        chroms: genome.chroms.iter().map(|c| (c.name.clone(), c.length)).collect(),
        assembly: cfg.assembly.clone(),
        generated_by: "seq2exp-data-prep simulate".to_string(),
        chrom_enum: cfg.cooler_chrom_enum,
    };
    write_mcool(path, &header, &levels)
}

fn level(genome: &SimGenome, res: u64) -> Level {
    let factor = (res / genome.config.hic_bin_size) as u32;
    let mut chrom_offset = vec![0i64];
    let mut bins = Vec::new();
    let mut pixels = Vec::new();
    for (c, chrom) in genome.chroms.iter().enumerate() {
        let base = *chrom_offset.last().unwrap_or(&0);
        let nb = n_bins(chrom.length, res);
        let bias = coarsen_bias(&chrom.hic_bias, factor as usize);
        for b in 0..nb {
            let (start, end) = (b as u64 * res, ((b as u64 + 1) * res).min(chrom.length));
            bins.push((c as i32, start as i32, end as i32, 1.0 / bias[b as usize]));
        }
        let coarse: Vec<Pixel> = if factor == 1 { chrom.pixels.clone() } else { coarsen(&chrom.pixels, factor) };
        pixels.extend(coarse.iter().map(|p| (base + p.bin1 as i64, base + p.bin2 as i64, p.count)));
        chrom_offset.push(base + nb as i64);
    }
    Level { bin_size: res, chrom_offset, bins, pixels }
}
