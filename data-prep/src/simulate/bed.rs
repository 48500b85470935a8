//! BED-family outputs (0-based, half-open, chromosomes in config order, sorted by start). Scores in
//! column 5 are integers 0–1000 as the BED spec requires; exact values go in extra columns.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::model::{Genome, PeakSource};
use seq2exp_formats::error::{IoContext, Result};

fn create(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::new(File::create(path).file_ctx(path)?))
}

fn score(x: f64) -> u32 {
    (x.round().clamp(0.0, 1000.0)) as u32
}

/// truth.bed: one row per (gene, causal element within `effect_range` of its TSS).
/// Columns: chrom, start, end, gene (ENSID), score = round(1000 × contribution / max contribution),
/// `.`, contribution to y (log10 units, exact), the element's own gene (ENSID). Rows whose columns 4
/// and 8 agree are the gene's own planted causal elements; the others are neighbours' causal elements
/// acting through weaker contact.
pub fn write_truth(genome: &Genome, path: &Path) -> Result<()> {
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
        writeln!(
            w,
            "{}\t{}\t{}\t{}\t{}\t.\t{}\t{}",
            genome.chroms[e.chrom].name,
            e.start,
            e.end,
            gene.stripped_id(),
            score(1000.0 * c.value / max),
            c.value,
            owner.stripped_id()
        )
        .file_ctx(path)?;
    }
    w.flush().file_ctx(path)
}

/// elements.bed: every planted element. Columns: chrom, start, end, `GENE:type` (type = causal,
/// open_decoy or motif_decoy), score = round(100 × DNase height), `.`, DNase height, H3K27ac height,
/// number of motif copies, looped to its TSS (0/1).
pub fn write_elements(genome: &Genome, path: &Path) -> Result<()> {
    let mut w = create(path)?;
    for e in &genome.elements {
        writeln!(
            w,
            "{}\t{}\t{}\t{}:{}\t{}\t.\t{}\t{}\t{}\t{}",
            genome.chroms[e.chrom].name,
            e.start,
            e.end,
            genome.genes[e.gene].stripped_id(),
            e.kind.label(),
            score(100.0 * e.dnase_height as f64),
            e.dnase_height,
            e.h3k27ac_height,
            e.motif_sites.len(),
            u8::from(e.looped)
        )
        .file_ctx(path)?;
    }
    w.flush().file_ctx(path)
}

/// dnase_peaks.narrowPeak (BED6+4): name `peak_N`, score = round(100 × signal), signalValue = planted
/// height, pValue = 8 × signal, qValue = 6 × signal, peak = offset of the summit (the middle).
/// Peaks cover called accessible elements (some weak ones missed), promoters, and a few noise blips.
pub fn write_peaks(genome: &Genome, path: &Path) -> Result<()> {
    let mut w = create(path)?;
    let mut n = 0;
    for chrom in &genome.chroms {
        for p in &chrom.peaks {
            n += 1;
            let s = p.signal as f64;
            writeln!(
                w,
                "{}\t{}\t{}\tpeak_{n}\t{}\t.\t{:.3}\t{:.3}\t{:.3}\t{}",
                chrom.name,
                p.start,
                p.end,
                score(100.0 * s),
                s,
                8.0 * s,
                6.0 * s,
                (p.end - p.start) / 2
            )
            .file_ctx(path)?;
        }
    }
    w.flush().file_ctx(path)
}

/// Number of called peaks by source (element, promoter, noise).
pub fn peak_counts(genome: &Genome) -> [usize; 3] {
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
pub fn write_blacklist(genome: &Genome, path: &Path) -> Result<()> {
    let mut w = create(path)?;
    for chrom in &genome.chroms {
        for &(a, b) in &chrom.blacklist {
            writeln!(w, "{}\t{a}\t{b}", chrom.name).file_ctx(path)?;
        }
    }
    w.flush().file_ctx(path)
}
