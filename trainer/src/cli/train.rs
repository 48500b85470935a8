//! `trainer train --store S.h5 --out RUN_DIR [--preset tiny|paper] [--config C.json]
//! [--mode soft|hard|nomask|peakmask|signal] [--peaks BED] [--fold 11] [--steps N] [--seed N] [--device cpu|cuda]`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig, TrainConfig};

use crate::train::{train, RunConfig, RunDir, TrainOptions};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Window store built by `data-prep build`.
    #[arg(long)]
    pub store: PathBuf,
    /// Run directory (created; rerunning with the same directory resumes).
    #[arg(long)]
    pub out: PathBuf,
    /// Sizes and schedule: `paper` (reference) or `tiny` (CPU demo).
    #[arg(long, default_value = "paper")]
    pub preset: Preset,
    /// JSON with `model` and/or `train` sections (any subset of fields) merged into the preset.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// soft | hard (Seq2Exp), nomask | peakmask | signal (baselines).
    #[arg(long)]
    pub mode: Option<String>,
    /// Peaks BED/narrowPeak for `peakmask` (without it: DNase > 1).
    #[arg(long)]
    pub peaks: Option<PathBuf>,
    #[arg(long)]
    pub fold: Option<usize>,
    #[arg(long)]
    pub steps: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long)]
    pub validate_every: Option<usize>,
    /// Save the resumable checkpoint every N steps (default: at each validation).
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// cpu | cuda | auto.
    #[arg(long, default_value = "auto")]
    pub device: String,
}

/// The run configuration from preset, `--mode`, config file and flags, in that order (later wins).
/// The config file may give any subset of fields: it is merged into the preset, key by key.
pub fn run_config(a: &TrainArgs) -> anyhow::Result<RunConfig> {
    let mut model = Seq2ExpConfig::preset(a.preset);
    let mut train = TrainConfig::preset(a.preset);
    if let Some(m) = &a.mode {
        let mode: MaskMode = serde_json::from_value(serde_json::Value::String(m.clone())).map_err(|_| anyhow::anyhow!("unknown --mode '{m}' (soft, hard, nomask, peakmask, signal)"))?;
        model.mask = match mode {
            MaskMode::Hard => MaskConfig::hard(),
            _ => MaskConfig { mode, ..MaskConfig::soft() },
        };
    }
    if let Some(p) = &a.config {
        let bad = || format!("{}: bad configuration", p.display());
        let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
        let file: serde_json::Value = serde_json::from_str(&text).with_context(bad)?;
        let serde_json::Value::Object(sections) = file else { anyhow::bail!("{}: expected a JSON object with `model` and/or `train`", bad()) };
        for (key, value) in sections {
            match key.as_str() {
                "model" => model = serde_json::from_value(merged(serde_json::to_value(&model)?, value)).with_context(|| format!("{}: in `model`", bad()))?,
                "train" => train = serde_json::from_value(merged(serde_json::to_value(&train)?, value)).with_context(|| format!("{}: in `train`", bad()))?,
                other => anyhow::bail!("{}: unknown section `{other}` (expected `model`, `train`)", bad()),
            }
        }
    }
    train.fold = a.fold.unwrap_or(train.fold);
    train.steps = a.steps.unwrap_or(train.steps);
    train.seed = a.seed.unwrap_or(train.seed);
    train.batch_size = a.batch_size.unwrap_or(train.batch_size);
    train.validate_every = a.validate_every.unwrap_or(train.validate_every);
    let peaks = a.peaks.as_ref().map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()).display().to_string());
    Ok(RunConfig { model, train, peaks })
}

pub fn run(a: TrainArgs) -> anyhow::Result<()> {
    let cfg = run_config(&a)?;
    let device = super::device(&a.device)?;
    let opts = TrainOptions { store: a.store.clone(), out: a.out.clone(), device, checkpoint_every: a.checkpoint_every, progress: true };
    let state = train(&cfg, &opts)?;
    let best = state.best_valid_mse.map_or("n/a".to_string(), |v| format!("{v:.4} at step {}", state.best_step.unwrap_or(0)));
    eprintln!("trained {} steps; best validation MSE {best} → {}", state.step, RunDir::new(&a.out).best().display());
    Ok(())
}

/// `over` merged into `base`: objects key by key (recursively), anything else replaced.
fn merged(base: serde_json::Value, over: serde_json::Value) -> serde_json::Value {
    use serde_json::Value::Object;
    match (base, over) {
        (Object(mut b), Object(o)) => {
            for (k, v) in o {
                let cur = b.remove(&k).unwrap_or(serde_json::Value::Null);
                b.insert(k, merged(cur, v));
            }
            Object(b)
        }
        (_, o) => o,
    }
}
