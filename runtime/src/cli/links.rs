//! `runtime links --model M.onnx --store S.h5 --out DIR [--elements elements.bed] [--genes LIST]
//! [--cell-type NAME] [--shard k/n]`.

use std::path::PathBuf;

use clap::Args;

use crate::links::delete::{run_links, Candidate, Candidates, LinksOptions};
use crate::select::{GeneFilter, Shard};
use crate::{LoadOptions, Model};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  runtime links --model soft.onnx --store store.h5 --out links --cell-type K562
  runtime links --model soft.onnx --store store.h5 --elements dnase_peaks.bed --out links-peaks --shard 1/8")]
pub struct LinksArgs {
    /// Exported model (`trainer export`).
    #[arg(long)]
    pub model: PathBuf,
    /// Window store (`data-prep build`) the model reads.
    #[arg(long)]
    pub store: PathBuf,
    /// Output directory (`links.tsv`); rerunning into it resumes the same job.
    #[arg(long)]
    pub out: PathBuf,
    /// Candidate elements (BED, e.g. DNase peaks); default: the model's own elements, as in
    /// `elements.bed` (runs of the mask ≥ --element-threshold).
    #[arg(long)]
    pub elements: Option<PathBuf>,
    /// Gene ids or names: a file with one per line, or a comma-separated list.
    #[arg(long)]
    pub genes: Option<String>,
    /// The `CellType` column (match it to a CRISPRi screen with eval-links --cell-type-map).
    #[arg(long, default_value = "seq2exp")]
    pub cell_type: String,
    /// Shard k/n of the selected genes.
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Deleted windows per model call.
    #[arg(long, default_value_t = 4)]
    pub batch: usize,
    #[arg(long)]
    pub threads: Option<usize>,
    #[arg(long, default_value_t = 0.5)]
    pub element_threshold: f32,
    #[arg(long, default_value_t = 50)]
    pub element_min_length: usize,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: LinksArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.batch >= 1, "--batch must be ≥ 1");
    anyhow::ensure!(
        !a.cell_type.trim().is_empty() && !a.cell_type.contains(['\t', '\n']),
        "--cell-type must be a plain name"
    );
    let filter = match &a.genes {
        Some(list) => GeneFilter::list(list)?,
        None => GeneFilter::All,
    };
    let model = Model::load(&a.model, &LoadOptions { threads: a.threads, workers: Some(1) })?;
    let (candidates, source) = match &a.elements {
        Some(bed) => {
            let mut list: Vec<Candidate> = read_bed(bed)?;
            list.sort_by(|x, y| (x.chrom.as_str(), x.start, x.end).cmp(&(y.chrom.as_str(), y.start, y.end)));
            let bytes = std::fs::metadata(bed).map(|m| m.len()).unwrap_or(0);
            (Candidates::Given(list), format!("{} ({bytes} bytes)", bed.display()))
        }
        None => (
            Candidates::Mask { threshold: a.element_threshold, min_length: a.element_min_length },
            format!("mask >= {} for >= {} bp", a.element_threshold, a.element_min_length),
        ),
    };
    let opts = LinksOptions {
        store: a.store,
        out: a.out,
        source,
        filter,
        shard: a.shard,
        batch: a.batch,
        cell_type: a.cell_type,
        progress: !a.quiet,
    };
    let s = run_links(&model, &candidates, &opts)?;
    println!("{} links for {} genes in {:.1} s → {}", s.links, s.genes, s.seconds, s.out.display());
    Ok(())
}

/// `--elements` as candidates on the store's chromosome spelling.
fn read_bed(path: &std::path::Path) -> anyhow::Result<Vec<Candidate>> {
    Ok(crate::links::crispr::read_bed4(path)?
        .into_iter()
        .filter(|r| r.end > r.start)
        .map(|r| Candidate { chrom: crate::links::normalise_chrom(&r.chrom), start: r.start as u64, end: r.end as u64 })
        .collect())
}
