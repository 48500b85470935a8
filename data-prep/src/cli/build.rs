//! `data-prep build`: the CLI contract is
//! `--fasta F --genes GTF|GFF3|TSV --bigwig NAME=PATH… [--hic COOL|MCOOL[::/resolutions/N]] --expression CSV
//! --id-col COL --value-col COL [--features CSV] [--blacklist BED] [--folds-csv CSV [--folds-missing error|exclude]]
//! [--window N] --out STORE.h5`.

use std::path::PathBuf;

use clap::Args;
use seq2exp_store::Compression;

use seq2exp_build::{build_store, BuildConfig, FoldsMissing};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  data-prep build --fasta hg38.fa --genes gencode.v44.gtf --bigwig h3k27ac=K562_H3K27ac.bw \\
    --bigwig dnase=K562_DNase.bw --hic 'K562.mcool::resolutions/5000' --expression cage.csv \\
    --id-col ENSID --value-col 'K562_CAGE_128*3_sum' --window 200000 --genome-build hg38 --out store.h5
  data-prep build --fasta sim/genome.fa --genes sim/genes.gtf --bigwig dnase=sim/dnase.bw \\
    --expression sim/expression.csv --id-col ENSID --value-col 'K562_CAGE_128*3_sum' --window 20000 \\
    --genome-build sim --out small.h5")]
pub struct BuildArgs {
    /// Genome FASTA with a .fai index (plain, or bgzipped with .fai and .gzi).
    #[arg(long)]
    pub fasta: PathBuf,
    /// Genes: GTF/GFF3 (protein-coding genes; TSS by strand) or a TSV/BED gene table (chr, start, end, name, score, strand).
    #[arg(long)]
    pub genes: PathBuf,
    /// A signal track as NAME=PATH.bw (repeat; stored in the order given). The model reads `h3k27ac` and `dnase`.
    #[arg(long = "bigwig", value_name = "NAME=PATH", value_parser = parse_track)]
    pub bigwigs: Vec<(String, PathBuf)>,
    /// Hi-C cooler: FILE.cool or FILE.mcool::resolutions/N. Without it, the ABC power-law contact is used.
    #[arg(long)]
    pub hic: Option<String>,
    /// Expression table (CSV/TSV); targets are log10(value + 1).
    #[arg(long)]
    pub expression: PathBuf,
    /// Gene-id column of the expression table (ids are joined without version suffixes).
    #[arg(long)]
    pub id_col: String,
    /// Value column(s) of the expression table; repeat for several targets.
    #[arg(long = "value-col", required = true)]
    pub value_cols: Vec<String>,
    /// mRNA features table with the 8 columns of docs/model.md (missing: features are 0).
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Gene-id column of the features table.
    #[arg(long, default_value = "gene_id")]
    pub feature_id_col: String,
    /// BED of regions forced out of the mask (e.g. the ENCODE blacklist).
    #[arg(long)]
    pub blacklist: Option<PathBuf>,
    /// EPInformer's split table (`ENSID,chrom,fold_1,…,fold_12,fold_enformer,Gene name`; cells train/valid/test),
    /// used as given instead of the chromosome fold rule. ENSIDs join without version suffixes; fold_enformer is
    /// checked but not stored.
    #[arg(long, value_name = "FILE")]
    pub folds_csv: Option<PathBuf>,
    /// Store genes missing from --folds-csv: `error` (default) or `exclude` (no fold: excluded in all 12).
    #[arg(long, default_value = "error", requires = "folds_csv", value_parser = folds_missing_parser())]
    pub folds_missing: FoldsMissing,
    /// Window length in bp, centred on the TSS.
    #[arg(long, default_value_t = 200_000)]
    pub window: u64,
    /// Output store (written atomically).
    #[arg(long)]
    pub out: PathBuf,
    /// Genome build name recorded in the store (e.g. hg38).
    #[arg(long, default_value = "")]
    pub genome_build: String,
    /// Keep genes of every biotype, not only protein-coding ones.
    #[arg(long)]
    pub all_biotypes: bool,
    /// Drop genes on chromosomes missing from the FASTA instead of failing.
    #[arg(long)]
    pub skip_missing_chroms: bool,
    /// Compression of DNA and signals: deflate:1 (default: smallest and fastest to read, see docs/store.md), deflate:N, lzf, none.
    #[arg(long, default_value = "deflate:1")]
    pub compression: Compression,
    /// Build only the first N genes (by position).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Write a JSON report (genes, seconds, peak RSS) here.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

fn parse_track(s: &str) -> Result<(String, PathBuf), String> {
    let (name, path) = s.split_once('=').ok_or_else(|| format!("expected NAME=PATH, got '{s}'"))?;
    if name.is_empty() || path.is_empty() {
        return Err(format!("expected NAME=PATH, got '{s}'"));
    }
    Ok((name.to_lowercase(), PathBuf::from(path)))
}

pub fn run(a: BuildArgs) -> anyhow::Result<()> {
    if let Some(t) = a.threads {
        rayon::ThreadPoolBuilder::new().num_threads(t).build_global()?;
    }
    let mut cfg = BuildConfig::new(a.fasta, a.genes, a.expression, a.out);
    cfg.bigwigs = a.bigwigs;
    cfg.hic = a.hic;
    cfg.id_col = a.id_col;
    cfg.value_cols = a.value_cols;
    cfg.features = a.features;
    cfg.feature_id_col = a.feature_id_col;
    cfg.blacklist = a.blacklist;
    cfg.folds_csv = a.folds_csv;
    cfg.folds_missing = a.folds_missing;
    cfg.window = a.window;
    cfg.genome_build = a.genome_build;
    cfg.all_biotypes = a.all_biotypes;
    cfg.skip_missing_chroms = a.skip_missing_chroms;
    cfg.compression = a.compression;
    cfg.limit = a.limit;
    cfg.command = super::command_line();
    cfg.progress = super::progress(0, "windows");
    let summary = build_store(&cfg)?;
    let rss = seq2exp_cli_util::peak_rss_bytes();
    eprintln!(
        "built {} genes in {:.1} s ({:.1} genes/s, peak RSS {:.0} MB) → {}",
        summary.genes,
        summary.seconds,
        summary.genes as f64 / summary.seconds,
        rss as f64 / 1e6,
        summary.out.display()
    );
    if let Some(path) = a.report {
        let json = serde_json::json!({ "genes": summary.genes, "seconds": summary.seconds, "window_seconds": summary.window_seconds, "peak_rss_bytes": rss });
        seq2exp_store::output::write_file(&path, serde_json::to_string_pretty(&json)?)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), seq2exp_store::output::plain_io(&e)))?;
    }
    Ok(())
}

/// `--folds-missing` accepts exactly [`FoldsMissing::NAMES`] (listed by `--help`).
fn folds_missing_parser() -> impl clap::builder::TypedValueParser<Value = FoldsMissing> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(FoldsMissing::NAMES)
        .map(|s| FoldsMissing::parse(&s).expect("clap admits only FoldsMissing::NAMES"))
}
