//! `runtime predict --model M.onnx --store S.h5 --out DIR [--masks] [--genes LIST] [--split test --fold 11]
//! [--shard k/n] [--threads T] [--workers W] [--batch B]`.

use std::path::PathBuf;

use clap::Args;
use seq2exp_store::Split;

use crate::predict::{predict_store, MaskOutputs, PredictOptions};
use crate::select::{GeneFilter, Shard};
use crate::{LoadOptions, Model};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  runtime predict --model soft.onnx --store store.h5 --out pred --masks
  runtime predict --model soft.onnx --store store.h5 --out pred --split test --fold 11 --shard 3/16")]
pub struct PredictArgs {
    /// Exported model (`trainer export`).
    #[arg(long)]
    pub model: PathBuf,
    /// Window store (`data-prep build`) with the model's window length and signals.
    #[arg(long)]
    pub store: PathBuf,
    /// Output directory; rerunning into it resumes the same job.
    #[arg(long)]
    pub out: PathBuf,
    /// Gene ids or names: a file with one per line, or a comma-separated list.
    #[arg(long, conflicts_with = "split")]
    pub genes: Option<String>,
    /// Only the genes of this split (train | valid | test) of --fold.
    #[arg(long)]
    pub split: Option<Split>,
    #[arg(long, default_value_t = 11)]
    pub fold: usize,
    /// Shard k/n of the selected genes (contiguous blocks; the n shards cover each gene once).
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Threads for the model (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Batches predicted at once, each by its own session on threads / workers threads. On few cores
    /// 2 workers of 1 thread beat 1 worker of 2 threads (most for the portable flavour, whose scan steps
    /// are sequential); each worker holds its own activations (at 200 kb: ~3 GB fast, ~6 GB portable).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    #[arg(long, default_value_t = 2)]
    pub batch: usize,
    /// Also write masks.h5 (per gene), mask.bw (genome-wide, max over overlapping windows) and
    /// elements.bed (runs of the mask ≥ --element-threshold).
    #[arg(long)]
    pub masks: bool,
    #[arg(long, default_value_t = 0.5)]
    pub element_threshold: f32,
    /// Shortest element reported, in bp.
    #[arg(long, default_value_t = 50)]
    pub element_min_length: usize,
    /// bigWig values are rounded to multiples of this (runs of equal value merge).
    #[arg(long, default_value_t = 0.01)]
    pub bigwig_quantum: f32,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: PredictArgs) -> anyhow::Result<()> {
    anyhow::ensure!(a.batch >= 1, "--batch must be ≥ 1");
    anyhow::ensure!(a.workers >= 1, "--workers must be ≥ 1");
    let filter = match (&a.genes, a.split) {
        (Some(list), _) => GeneFilter::list(list)?,
        (None, Some(split)) => GeneFilter::Split { fold: a.fold, split },
        (None, None) => GeneFilter::All,
    };
    // Every load error names the file.
    let model = Model::load(&a.model, &LoadOptions { threads: a.threads, workers: Some(a.workers) })?;
    let masks = a.masks.then_some(MaskOutputs {
        bigwig_quantum: a.bigwig_quantum,
        threshold: a.element_threshold,
        min_length: a.element_min_length,
    });
    let opts = PredictOptions {
        store: a.store,
        out: a.out,
        filter,
        shard: a.shard,
        batch: a.batch,
        masks,
        progress: !a.quiet,
    };
    let s = predict_store(&model, &a.model, &opts)?;
    let rate = s.predicted as f64 / s.seconds.max(1e-9);
    println!("{} genes ({} predicted now, {rate:.2} genes/s) → {}", s.genes, s.predicted, opts.out.display());
    for f in &s.files {
        println!("  {}", f.display());
    }
    Ok(())
}
