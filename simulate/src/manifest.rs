//! manifest.json (config, files with sizes and sha256, build command, summary, variance fractions) and
//! README.txt. Nothing machine- or time-dependent goes in, so both are identical for a seed.

use std::path::Path;

use serde::Serialize;

use super::bed;
use super::config::SimConfig;
use super::files::{SimSummary, FILES};
use super::genome::{SimGenome, VarianceReport};
use super::tables::VALUE_COL;
use seq2exp_formats::error::{InputError, IoContext, Result};

/// One file entry of the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub role: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Peak-call bookkeeping: how many peaks came from each source, and accessible elements missed.
#[derive(Debug, Clone, Serialize)]
pub struct PeakStats {
    pub element: usize,
    pub promoter: usize,
    pub noise: usize,
    pub missed_accessible_elements: usize,
}

/// The manifest written as manifest.json.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub format_version: u32,
    pub generator: String,
    pub motif: String,
    /// The recommended `data-prep build` command, run inside the output directory.
    pub build_command: String,
    pub model: &'static str,
    pub summary: SimSummary,
    pub variance: VarianceReport,
    pub peaks: PeakStats,
    pub files: Vec<FileEntry>,
    pub config: SimConfig,
}

/// The expression model in one line (the module docs of `simulate` give the details).
pub const MODEL: &str = "y = log10(CAGE+1) = b0 + promoter_coef*p + sum_{causal e within effect_range} \
causal_coef*h_e*r_e*C(bin(e),bin(TSS))/hic_depth + feature_weights.f + N(0, noise_sd^2); \
C(i,j) = hic_depth*(|i-j|+1)^-hic_gamma * (loop_boost if looped); decoys contribute nothing";

/// The recommended build command line (paths relative to the output directory).
pub fn build_command(cfg: &SimConfig) -> String {
    format!(
        "data-prep build --fasta genome.fa --genes genes.gtf --bigwig h3k27ac=h3k27ac.bw --bigwig dnase=dnase.bw \
--hic contacts.mcool::resolutions/{} --expression expression.csv --id-col ENSID --value-col '{VALUE_COL}' \
--features features.csv --blacklist blacklist.bed --window {} --out store.h5",
        cfg.hic_bin_size, cfg.design_window
    )
}

/// Writes `dir/manifest.json` describing the files already in `dir`.
pub fn write(genome: &SimGenome, summary: &SimSummary, dir: &Path) -> Result<()> {
    let files = FILES
        .iter()
        .map(|spec| {
            let (bytes, sha256) = seq2exp_formats::checksum::sha256_file(&dir.join(spec.name))?;
            Ok(FileEntry { path: spec.name.into(), role: spec.role.into(), bytes, sha256 })
        })
        .collect::<Result<Vec<_>>>()?;
    let [element, promoter, noise] = bed::peak_counts(genome);
    let accessible = genome.elements.iter().filter(|e| e.kind.accessible()).count();
    let manifest = Manifest {
        format: "seq2exp-simulation",
        format_version: 1,
        generator: format!("seq2exp-data-prep {}", env!("CARGO_PKG_VERSION")),
        motif: String::from_utf8_lossy(&genome.motif).into_owned(),
        build_command: build_command(&genome.config),
        model: MODEL,
        summary: summary.clone(),
        variance: genome.variance.clone(),
        peaks: PeakStats { element, promoter, noise, missed_accessible_elements: accessible - element },
        files,
        config: genome.config.clone(),
    };
    let path = dir.join("manifest.json");
    let mut text = serde_json::to_string_pretty(&manifest).map_err(|e| InputError::wrap(&path, e))?;
    text.push('\n');
    std::fs::write(&path, text).file_ctx(&path)
}

/// README.txt: what the directory is and how to build a store from it.
pub fn write_readme(genome: &SimGenome, path: &Path) -> Result<()> {
    let cfg = &genome.config;
    let text = format!(
        "Simulated seq2exp inputs (seed {seed}): {nc} chromosomes x {ng} genes, planted regulatory elements.\n\
Causal elements = accessible AND carry the motif {motif} (either strand); open decoys are accessible\n\
without it; motif decoys carry it in closed chromatin. Expression depends only on causal elements\n\
(weighted by Hi-C contact with the TSS), promoter activity, features and noise.\n\n\
Truth: truth.bed (causal elements per gene), elements.bed (all), truth_genes.tsv (terms of y).\n\
Model: {MODEL}\n\nBuild a store:\n  {cmd}\n\nmanifest.json lists the config, every file's sha256 and the variance fractions.\n",
        seed = cfg.seed,
        nc = cfg.chromosomes.len(),
        ng = cfg.genes_per_chrom,
        motif = String::from_utf8_lossy(&genome.motif),
        cmd = build_command(cfg),
    );
    std::fs::write(path, text).file_ctx(path)
}
