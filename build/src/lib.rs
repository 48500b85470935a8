//! `data-prep build`: assembles every gene's window from the readers into the window store.
//!
//! Steps: open and cross-check the inputs (`inputs`), choose the genes and join their targets and
//! features (`genes`), then build windows in parallel (rayon, in bounded chunks) while a writer thread
//! streams finished windows into the store (`window`). The store appears only when complete.

mod folds;
mod genes;
mod hic;
mod inputs;
mod provenance;
mod window;

pub use folds::{folds_header, FoldTable, FoldsMissing};
pub use genes::{GeneJoin, JoinReport};
pub use hic::{powerlaw, powerlaw_row, process_row, GAMMA};
pub use inputs::Inputs;

use std::path::PathBuf;

use seq2exp_store::Compression;

/// Everything `data-prep build` needs. Paths are as given by the user.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub fasta: PathBuf,
    pub genes: PathBuf,
    /// (track name, bigWig path), in stored channel order.
    pub bigwigs: Vec<(String, PathBuf)>,
    /// `FILE.cool`, `FILE.mcool::resolutions/N` or `FILE.mcool::/resolutions/N`.
    pub hic: Option<String>,
    pub expression: PathBuf,
    pub id_col: String,
    pub value_cols: Vec<String>,
    pub features: Option<PathBuf>,
    pub feature_id_col: String,
    pub blacklist: Option<PathBuf>,
    /// EPInformer's split table, taken as given instead of the chromosome fold rule.
    pub folds_csv: Option<PathBuf>,
    /// What to do with store genes the folds table lacks.
    pub folds_missing: FoldsMissing,
    pub window: u64,
    pub out: PathBuf,
    pub genome_build: String,
    /// Keep genes of every biotype, not only protein-coding ones.
    pub all_biotypes: bool,
    /// Drop (and report) genes on chromosomes the FASTA lacks, instead of failing.
    pub skip_missing_chroms: bool,
    pub compression: Compression,
    /// Only the first N genes (benchmarks, smoke runs).
    pub limit: Option<usize>,
    /// Genes per parallel chunk: bounds memory to about `chunk × window × (1 + 4·tracks)` bytes.
    pub chunk: usize,
    pub command: String,
    /// Counts finished windows (its length is set here); hidden unless the caller shows one.
    pub progress: indicatif::ProgressBar,
}

impl BuildConfig {
    pub fn new(fasta: PathBuf, genes: PathBuf, expression: PathBuf, out: PathBuf) -> Self {
        Self {
            fasta,
            genes,
            bigwigs: Vec::new(),
            hic: None,
            expression,
            id_col: "ENSID".into(),
            value_cols: Vec::new(),
            features: None,
            feature_id_col: "gene_id".into(),
            blacklist: None,
            folds_csv: None,
            folds_missing: FoldsMissing::Error,
            window: 200_000,
            out,
            genome_build: String::new(),
            all_biotypes: false,
            skip_missing_chroms: false,
            compression: Compression::default(),
            limit: None,
            chunk: 16,
            command: String::new(),
            progress: indicatif::ProgressBar::hidden(),
        }
    }
}

/// What a build did, for the CLI and tests.
#[derive(Debug, Clone)]
pub struct BuildSummary {
    pub out: PathBuf,
    pub genes: usize,
    /// Whole build, including one-off setup (input checksums, whole-file signal totals, Hi-C marginals).
    pub seconds: f64,
    /// Building and writing the windows only.
    pub window_seconds: f64,
    pub report: JoinReport,
}

pub use window::build_store;
