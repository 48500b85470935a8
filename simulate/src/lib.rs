//! Planted-truth genome simulator: a small genome whose regulatory elements are known, written in the
//! same formats as the public inputs, so a model's per-base mask can be scored against the truth.
//!
//! # What is planted
//! Each chromosome holds `genes_per_chrom` genes, one TSS per `gene_spacing` (± jitter). Inside each
//! gene's design window (TSS ± `design_window`/2, never within TSS ± 1 kb) sit non-overlapping ~300 bp
//! elements of three kinds:
//! - **causal** (1–3 per gene): accessible (DNase plateau of height h ~ U(1.5, 8), H3K27ac flanks)
//!   AND carrying 3 copies of one motif (a 12-mer drawn from the seed, random orientation);
//! - **open decoys** (2): accessible exactly like causal ones, but without the motif;
//! - **motif decoys** (2): carry the motif but sit in closed chromatin (no DNase, no H3K27ac peak).
//!
//! H3K27ac flanks are broad (800 bp beside elements, 1.2 kb beside promoters) and may spill over a
//! neighbouring element, a motif decoy included; DNase never does (closed elements read exactly 0).
//!
//! Any chance occurrence of the motif (either strand) outside planted copies is scrubbed, so "has the
//! motif" and "is planted causal or motif decoy" coincide exactly. DNase alone cannot tell causal
//! elements from open decoys, the motif alone cannot tell them from motif decoys: only both together
//! (Seq2Exp's sequence generator × signal prior) find them.
//!
//! # Expression model
//! For gene g with TSS bin t (5 kb), y = log10(CAGE + 1) is
//!
//! ```text
//! y_g = b0 + a·p_g + Σ_{causal e, |mid_e − TSS_g| ≤ effect_range} β · h_e · r_e · C(bin(mid_e), t) / depth
//!           + Σ_k w_k f_gk + ε_g,          ε_g ~ N(0, σ²)
//! C(i, j) = depth · (|i − j| + 1)^(−γ) · (loop_boost if (i, j) is a planted loop else 1)
//! ```
//! with p_g the promoter activity (= the promoter's DNase peak height, U(1, 6); H3K27ac ≈ 0.8·p),
//! h_e the element's planted DNase height, r_e ~ U(0.8, 1.2) a per-element strength, f_g the 8
//! features of features.csv, γ = 0.87, and defaults b0 = 0.9, a = 0.08, β = 0.08, σ = 0.1,
//! effect_range = 10 kb (= design window/2, so with `--window 20000` everything acting on y is visible).
//! C is the expected, noise-free contact of the SAME model whose Poisson draws fill contacts.mcool (raw
//! counts = Poisson(C · LogNormal(−s²/2, s) · bias_i · bias_j)); 30% of elements loop to their own TSS.
//! Decoys contribute nothing. CAGE = max(10^y − 1, 0), rounded to 3 decimals. With the defaults the
//! causal term explains most of the variance of y across genes; the realised fractions are in
//! `manifest.json` (`variance`).
//!
//! # Files written in the output directory
//! - `genome.fa`, `genome.fa.fai`: sequence (60 bp lines, GC ≈ 0.41, GC-rich promoters, lower-case
//!   soft-masked stretches, N runs including one at each chromosome start); names `chr1`….
//! - `dnase.bw`, `h3k27ac.bw`: f32 tracks as run-length intervals; zero is mostly omitted (reads as
//!   NaN → 0) but written explicitly in a few stretches per chromosome.
//! - `genes.gtf`: GENCODE-style gene/transcript/exon rows, versioned `gene_id "ENSGSIM….N"`, gene_name,
//!   gene_type (protein_coding or lncRNA), chromosomes spelled `1`…`X`; a few genes lack a gene row.
//! - `contacts.mcool`: cooler v3 at `/resolutions/5000` and `/resolutions/10000` (see [`mcool`]).
//! - `expression.csv`: `ENSID` (no version), `K562_CAGE_128*3_sum` (raw CAGE, matches the tracks),
//!   `GM12878_CAGE_128*3_sum` (y + N(0, 0.3²), no tracks); lncRNAs included, a few genes missing.
//! - `features.csv`: protein-coding genes, `gene_id` WITH version, `Gene name`, the 8 feature columns,
//!   `chrom`, `TSS` (1-based).
//! - `truth.bed`: causal (gene, element) pairs with their contribution (see [`bed::write_truth`]).
//! - `elements.bed`: all planted elements, name `ENSID:causal|open_decoy|motif_decoy`.
//! - `dnase_peaks.narrowPeak`: peaks "called" on the DNase track, for a peak-mask baseline.
//! - `blacklist.bed`: a few small regions away from every element and promoter.
//! - `truth_genes.tsv`: per gene, the 0-based TSS and every term of y.
//! - `manifest.json`: the config, the files (bytes, sha256), the build command, summary and variance.
//!
//! Output is bit-identical for a seed, and appears atomically (written to a sibling temp directory,
//! then renamed).

pub mod bed;
pub mod bigwig;
pub mod config;
pub mod expression;
pub mod fasta;
mod files;
mod generate;
pub mod genome;
pub mod gtf;
pub mod hic;
mod layout;
pub mod manifest;
pub mod mcool;
mod rng;
mod roles;
pub mod sequence;
mod signals;
pub mod tables;

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

pub use config::SimConfig;
pub use files::{FileSpec, SimSummary, FILES};
pub use generate::{generate, generate_with_progress};
pub use genome::{ElementKind, SimGenome};

use seq2exp_store::output::Staged;

use seq2exp_formats::error::{InputError, IoContext, Result};

/// Simulates a genome for `cfg` and writes it to `out_dir` (see the module docs for the files).
/// Refuses a non-empty existing `out_dir` unless `cfg.overwrite`.
pub fn simulate(cfg: &SimConfig, out_dir: &Path) -> Result<SimSummary> {
    cfg.validate()?;
    check_out_dir(out_dir, cfg.overwrite)?;
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).file_ctx(&parent)?;
    let tmp = Staged::new(out_dir).file_ctx(out_dir)?;
    std::fs::create_dir(tmp.tmp()).file_ctx(tmp.tmp())?;

    let t0 = Instant::now();
    let genome = generate_with_progress(cfg, &progress_bar(0, "chromosomes"))?;
    tracing::info!(
        genes = genome.genes.len(),
        elements = genome.elements.len(),
        secs = t0.elapsed().as_secs_f32(),
        "generated genome"
    );
    let files = write_all(&genome, tmp.tmp())?;
    let summary = SimSummary::of(&genome, files);
    manifest::write(&genome, &summary, tmp.tmp())?;
    tmp.commit_replacing().file_ctx(out_dir)?;
    tracing::info!(dir = %out_dir.display(), secs = t0.elapsed().as_secs_f32(), "simulation written");
    Ok(summary)
}

fn check_out_dir(out_dir: &Path, overwrite: bool) -> Result<()> {
    if !out_dir.exists() {
        return Ok(());
    }
    if !out_dir.is_dir() {
        return Err(InputError::new(out_dir, "output path exists and is not a directory"));
    }
    let non_empty = std::fs::read_dir(out_dir).file_ctx(out_dir)?.next().is_some();
    if non_empty && !overwrite {
        return Err(InputError::new(
            out_dir,
            "output directory exists and is not empty; choose another or allow overwrite",
        ));
    }
    Ok(())
}

fn write_all(genome: &SimGenome, dir: &Path) -> Result<Vec<String>> {
    let bar = progress_bar(FILES.len() as u64, "files");
    for spec in &FILES {
        let t = Instant::now();
        let path = dir.join(spec.name);
        write_one(genome, spec.name, &path)?;
        bar.inc(1);
        tracing::debug!(file = spec.name, secs = t.elapsed().as_secs_f32(), "wrote");
    }
    bar.finish_and_clear();
    Ok(FILES.iter().map(|f| f.name.to_string()).chain(["manifest.json".to_string()]).collect())
}

fn write_one(genome: &SimGenome, name: &str, path: &Path) -> Result<()> {
    match name {
        "genome.fa" => fasta::write(genome, path),
        "genome.fa.fai" => Ok(()), // written with genome.fa
        "dnase.bw" => bigwig::write(genome, bigwig::Which::Dnase, path),
        "h3k27ac.bw" => bigwig::write(genome, bigwig::Which::H3k27ac, path),
        "genes.gtf" => gtf::write(genome, path),
        "contacts.mcool" => mcool::write(genome, path),
        "expression.csv" => tables::write_expression(genome, path),
        "features.csv" => tables::write_features(genome, path),
        "truth.bed" => bed::write_truth(genome, path),
        "elements.bed" => bed::write_elements(genome, path),
        "dnase_peaks.narrowPeak" => bed::write_peaks(genome, path),
        "blacklist.bed" => bed::write_blacklist(genome, path),
        "truth_genes.tsv" => tables::write_truth_genes(genome, path),
        "README.txt" => manifest::write_readme(genome, path),
        other => Err(InputError::new(path, format!("no writer for {other}"))),
    }
}

/// A progress bar on stderr (drawn only on a terminal).
pub(crate) fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{spinner} simulate {msg} {pos}/{len} [{elapsed_precise}]") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}
