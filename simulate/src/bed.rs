//! BED-family outputs (0-based, half-open, chromosomes in config order, sorted by start). Scores in
//! column 5 are integers 0–1000 as the BED spec requires; exact values go in extra columns.

use std::path::Path;

use seq2exp_formats::bed::{score, BedWriter};
use seq2exp_formats::error::{IoContext, Result};

use super::genome::{PeakSource, SimGenome};

fn create(path: &Path) -> Result<BedWriter<std::io::BufWriter<std::fs::File>>> {
    BedWriter::create(path)
}

/// truth.bed: one row per (gene, causal element within `effect_range` of its TSS).
/// Columns: chrom, start, end, gene (ENSID), score = round(1000 × contribution / max contribution),
/// `.`, contribution to y (log10 units, exact), the element's own gene (ENSID). Rows whose columns 4
/// and 8 agree are the gene's own planted causal elements; the others are neighbours' causal elements
/// acting through weaker contact.
pub fn write_truth(genome: &SimGenome, path: &Path) -> Result<()> {
    let max = genome.contributions.iter().map(|c| c.value).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let mut rows: Vec<_> = genome.contributions.iter().collect();
    rows.sort_by_key(|c| {
        let e = &genome.elements[c.element];
        (e.chrom, e.start, c.gene)
    });
    let mut w = create(path)?;
    for c in rows {
        let e = &genome.elements[c.element];
        let (gene, owner) = (&genome.genes[c.gene], &genome.genes[e.gene]);
        let rest: [&dyn std::fmt::Display; 5] =
            [&gene.stripped_id(), &score(1000.0 * c.value / max), &".", &c.value, &owner.stripped_id()];
        w.write_row(&genome.chroms[e.chrom].name, e.start, e.end, &rest).file_ctx(path)?;
    }
    w.finish().file_ctx(path).map(drop)
}

/// elements.bed: every planted element. Columns: chrom, start, end, `GENE:type` (type = causal,
/// open_decoy or motif_decoy), score = round(100 × DNase height), `.`, DNase height, H3K27ac height,
/// number of motif copies, looped to its TSS (0/1).
pub fn write_elements(genome: &SimGenome, path: &Path) -> Result<()> {
    let mut w = create(path)?;
    for e in &genome.elements {
        let name = format!("{}:{}", genome.genes[e.gene].stripped_id(), e.kind.label());
        let rest: [&dyn std::fmt::Display; 7] = [
            &name,
            &score(100.0 * e.dnase_height as f64),
            &".",
            &e.dnase_height,
            &e.h3k27ac_height,
            &e.motif_sites.len(),
            &u8::from(e.looped),
        ];
        w.write_row(&genome.chroms[e.chrom].name, e.start, e.end, &rest).file_ctx(path)?;
    }
    w.finish().file_ctx(path).map(drop)
}

/// dnase_peaks.narrowPeak (BED6+4): name `peak_N`, score = round(100 × signal), signalValue = planted
/// height, pValue = 8 × signal, qValue = 6 × signal, peak = offset of the summit (the middle).
/// Peaks cover called accessible elements (some weak ones missed), promoters, and a few noise blips.
pub fn write_peaks(genome: &SimGenome, path: &Path) -> Result<()> {
    let mut w = create(path)?;
    let mut n = 0;
    for chrom in &genome.chroms {
        for p in &chrom.peaks {
            n += 1;
            let s = p.signal as f64;
            let (name, signal) = (format!("peak_{n}"), format!("{s:.3}"));
            let (p_value, q_value) = (format!("{:.3}", 8.0 * s), format!("{:.3}", 6.0 * s));
            let rest: [&dyn std::fmt::Display; 7] =
                [&name, &score(100.0 * s), &".", &signal, &p_value, &q_value, &((p.end - p.start) / 2)];
            w.write_row(&chrom.name, p.start, p.end, &rest).file_ctx(path)?;
        }
    }
    w.finish().file_ctx(path).map(drop)
}

/// Number of called peaks by source (element, promoter, noise).
pub fn peak_counts(genome: &SimGenome) -> [usize; 3] {
    let mut out = [0; 3];
    for p in genome.chroms.iter().flat_map(|c| &c.peaks) {
        out[match p.source {
            PeakSource::Element => 0,
            PeakSource::Promoter => 1,
            PeakSource::Noise => 2,
        }] += 1;
    }
    out
}

/// blacklist.bed (BED3): small regions away from every design window.
pub fn write_blacklist(genome: &SimGenome, path: &Path) -> Result<()> {
    let mut w = create(path)?;
    for chrom in &genome.chroms {
        for &(a, b) in &chrom.blacklist {
            w.write_row(&chrom.name, a, b, &[]).file_ctx(path)?;
        }
    }
    w.finish().file_ctx(path).map(drop)
}
