//! Discovered elements: per gene, maximal runs of bases whose mask is ≥ a threshold, at least
//! `min_length` long, outside the promoter that every mask forces on (TSS ± its half width). Written as
//! BED6, sorted by chromosome (store order) and start: name = the gene id, score = round(1000 × mean
//! mask over the run), strand ".". One element may appear once per gene whose window contains it.

use std::collections::HashMap;
use std::path::Path;

use seq2exp_formats::bed::{self, BedWriter};

use super::masks::MaskFile;
use super::{write_bytes, OutputError};

pub const BED_NAME: &str = "elements.bed";

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ElementParams {
    pub threshold: f32,
    pub min_length: usize,
    /// Half width of the forced promoter around the window centre (left out).
    pub promoter_half_width: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub chrom: String,
    pub start: u64,
    pub end: u64,
    pub gene_id: String,
    pub mean: f32,
}

/// Runs of `mask` (a window starting at `start`) that qualify, as `[a, b)` window offsets with their mean.
pub fn runs(mask: &[f32], p: &ElementParams) -> Vec<(usize, usize, f32)> {
    let centre = mask.len() / 2;
    let promoter = centre.saturating_sub(p.promoter_half_width)..(centre + p.promoter_half_width).min(mask.len());
    let on = |k: usize| mask[k] >= p.threshold && !promoter.contains(&k);
    let mut out = Vec::new();
    let mut k = 0;
    while k < mask.len() {
        if !on(k) {
            k += 1;
            continue;
        }
        let a = k;
        while k < mask.len() && on(k) {
            k += 1;
        }
        if k - a >= p.min_length.max(1) {
            let mean = mask[a..k].iter().map(|&v| v as f64).sum::<f64>() / (k - a) as f64;
            out.push((a, k, mean as f32));
        }
    }
    out
}

/// Calls the elements of every gene of `masks`, dropping parts outside `[0, chromosome size)`.
pub fn call_elements(
    masks: &MaskFile,
    chrom_sizes: &[(String, u64)],
    p: &ElementParams,
) -> Result<Vec<Element>, OutputError> {
    let sizes: HashMap<&str, u64> = chrom_sizes.iter().map(|(c, s)| (c.as_str(), *s)).collect();
    let mut out = Vec::new();
    for r in 0..masks.len() {
        let mask = masks.mask(r)?;
        let start = masks.starts[r];
        let size = sizes.get(masks.chroms[r].as_str()).copied().unwrap_or(u64::MAX);
        for (a, b, mean) in runs(&mask, p) {
            let (s, e) = ((start + a as i64).max(0) as u64, ((start + b as i64).max(0) as u64).min(size));
            if e > s {
                out.push(Element {
                    chrom: masks.chroms[r].clone(),
                    start: s,
                    end: e,
                    gene_id: masks.gene_ids[r].clone(),
                    mean,
                });
            }
        }
    }
    let rank: HashMap<&str, usize> = chrom_sizes.iter().enumerate().map(|(i, (c, _))| (c.as_str(), i)).collect();
    out.sort_by(|x, y| {
        let key = |e: &Element| {
            (
                rank.get(e.chrom.as_str()).copied().unwrap_or(usize::MAX),
                e.chrom.clone(),
                e.start,
                e.end,
                e.gene_id.clone(),
            )
        };
        key(x).cmp(&key(y))
    });
    Ok(out)
}

pub fn write_bed(elements: &[Element], out: &Path) -> Result<(), OutputError> {
    let mut bed = BedWriter::new(Vec::new());
    for e in elements {
        let score = bed::score((e.mean * 1000.0) as f64);
        bed.write_row(&e.chrom, e.start, e.end, &[&e.gene_id, &score, &"."]).expect("in memory");
    }
    let text = bed.finish().expect("in memory");
    write_bytes(out, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_respect_threshold_length_and_promoter() {
        let mut mask = vec![0.0f32; 40];
        mask[2..8].fill(0.9); // long enough
        mask[10..12].fill(0.9); // too short
        mask[18..22].fill(1.0); // the forced promoter (centre 20 ± 2)
        mask[30..35].copy_from_slice(&[0.5, 0.6, 0.7, 0.8, 0.4]); // 30..34 at ≥ 0.5
        let p = ElementParams { threshold: 0.5, min_length: 3, promoter_half_width: 2 };
        let r = runs(&mask, &p);
        assert_eq!(r.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(), vec![(2, 8), (30, 34)]);
        assert!((r[1].2 - 0.65).abs() < 1e-6);
    }
}
