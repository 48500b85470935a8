//! `trainer train`: AdamW with warmup + cosine, grad-norm clipping, validation every N steps with a
//! best-by-validation-MSE checkpoint, and exact resume: the data order and the sampling RNG are functions
//! of (seed, step), and `last.safetensors` holds weights, AdamW moments and the step, so a run killed at
//! any point and restarted produces bit-identical weights on CPU.

mod autocast;
pub mod data;
pub mod evaluate;
pub mod optim;
pub mod pretrain;
pub mod run_dir;
mod step;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use seq2exp_store::{Selection, Split, StoreReader};
use tch::Device;

pub use autocast::bf16_autocast;
pub use data::PeakSource;
pub use evaluate::{predict, Predictions};
pub use optim::AdamW;
pub use run_dir::{RunConfig, RunDir, TrainState};
pub use step::{optimise, train_loop, trainable};

/// Everything a training run needs besides its configuration.
pub struct TrainOptions {
    pub store: PathBuf,
    pub out: PathBuf,
    pub device: Device,
    /// Save `last.safetensors` every this many steps (default: every validation).
    pub checkpoint_every: Option<usize>,
    /// Counts training steps (its length is set by the loop); hidden unless the caller shows one.
    pub progress: indicatif::ProgressBar,
}

/// Genes of a split of the run's fold that have a finite target.
pub fn split_genes(reader: &StoreReader, fold: usize, split: Split, target: usize) -> anyhow::Result<Vec<usize>> {
    let genes: Vec<usize> = reader
        .select(&Selection::Split { fold, split })?
        .into_iter()
        .filter(|&i| reader.targets(i).get(target).is_some_and(|t| t.is_finite()))
        .collect();
    if genes.is_empty() {
        bail!(
            "{}: fold {fold} has no {split} genes with a target; choose another --fold or check the store",
            reader.path().display()
        );
    }
    Ok(genes)
}

/// Checks that the store carries what the model reads.
pub fn check_store(reader: &StoreReader, cfg: &RunConfig) -> anyhow::Result<()> {
    let m = &cfg.model;
    if reader.window() != m.window {
        bail!(
            "{}: store windows are {} bp, the model's are {} bp (set \"window\" in --config, or build a store with --window {})",
            reader.path().display(), reader.window(), m.window, m.window
        );
    }
    let names: Vec<&str> = m.signals.iter().map(String::as_str).collect();
    reader.signal_spec(&names)?;
    let nt = reader.meta().target_names.len();
    if m.target_index >= nt.max(1) {
        bail!("{}: target index {} but the store has {nt} target column(s)", reader.path().display(), m.target_index);
    }
    Ok(())
}

/// The mask's training options need a mask with parameters of its own, and pretraining a generator that
/// reads DNA alone (its embedding is what pretraining learns).
pub fn check_schedule(cfg: &RunConfig) -> anyhow::Result<()> {
    let (t, m) = (&cfg.train, &cfg.model.mask);
    let own = m.learned() && m.mode != seq2exp_models::config::MaskMode::Hard;
    if (t.mask_warmup_steps > 0 || t.mask_lr_scale != 1.0) && !own {
        bail!("train.mask_warmup_steps and train.mask_lr_scale need a soft or discovery mask (a {:?} model has no mask parameters of its own)", m.mode);
    }
    if t.pretrain.is_some() && (!own || m.generator_reads_signals()) {
        bail!("train.pretrain needs a generator that reads DNA alone: soft, or discovery with mask.discovery.generator_signals false");
    }
    Ok(())
}

/// Trains (or resumes) the run in `opts.out` with `cfg`.
pub fn train(cfg: &RunConfig, opts: &TrainOptions) -> anyhow::Result<TrainState> {
    cfg.model.validate()?;
    cfg.train.validate()?;
    check_schedule(cfg)?;
    let reader = StoreReader::open(&opts.store)?;
    check_store(&reader, cfg)?;
    let run = RunDir::new(&opts.out);
    run.init(cfg)?;
    let peaks = peak_source(cfg, None)?;
    train_loop(cfg, opts, &run, &reader, peaks.as_ref())
}

/// The mask source of the `peakmask` baseline: a peaks BED (`bed`, else the run's `--peaks`), or without
/// one, bases whose DNase exceeds 1. None for other modes.
pub fn peak_source(cfg: &RunConfig, bed: Option<&Path>) -> anyhow::Result<Option<PeakSource>> {
    if cfg.model.mask.mode != seq2exp_models::config::MaskMode::Peakmask {
        return Ok(None);
    }
    match bed.map(Path::to_path_buf).or_else(|| cfg.peaks.as_ref().map(PathBuf::from)) {
        Some(p) => Ok(Some(PeakSource::from_bed(&p).with_context(|| format!("reading peaks {}", p.display()))?)),
        None => {
            let channel = cfg
                .model
                .signals
                .iter()
                .position(|s| s == "dnase")
                .context("peakmask without --peaks needs a dnase channel")?;
            Ok(Some(PeakSource::Threshold { channel, threshold: 1.0 }))
        }
    }
}
