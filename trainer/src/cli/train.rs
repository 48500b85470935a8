//! `trainer train --store S.h5 --out RUN_DIR [--preset tiny|paper] [--config C.json]
//! [--mode soft|hard|discovery|nomask|peakmask|signal] [--peaks BED] [--fold 11] [--steps N] [--seed N] [--device cpu|cuda]`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig, TrainConfig};
use seq2exp_store::output::DirLock;

use crate::train::{train, RunConfig, RunDir, TrainOptions};

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  trainer train --store store.h5 --out runs/soft --preset paper --mode soft --device cuda
  trainer train --store store.h5 --out runs/retrain --mode retrain --mask-from runs/soft --top 0.1
  trainer train --store demo/store.h5 --out runs/tiny --preset tiny --device cpu --steps 300")]
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
    /// soft | hard | retrain (Seq2Exp), discovery (ours: direct pooling path, smoothed generator), nomask | peakmask | signal (baselines).
    #[arg(long)]
    pub mode: Option<String>,
    /// Peaks BED/narrowPeak for `peakmask` (without it: DNase > 1).
    #[arg(long)]
    pub peaks: Option<PathBuf>,
    /// `retrain`: the trained soft or discovery run whose mask (best checkpoint) is frozen.
    #[arg(long, value_name = "RUN_DIR")]
    pub mask_from: Option<PathBuf>,
    /// `retrain`: fraction of each window's bases kept, by the frozen mask.
    #[arg(long, default_value_t = 0.1)]
    pub top: f64,
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
    let mode = a.mode.as_deref().map(parse_mode).transpose()?;
    let mut mask_from = None;
    let retrain = if mode == Some(MaskMode::Retrain) {
        let (source, best) = retrain_source(a.mask_from.as_deref())?;
        mask_from = Some(best);
        Some((source, a.top))
    } else {
        None
    };
    if a.mask_from.is_some() && mask_from.is_none() {
        anyhow::bail!("--mask-from is for --mode retrain");
    }
    let (model, mut train) = compose(a.preset, mode, a.config.as_deref(), retrain)?;
    train.fold = a.fold.unwrap_or(train.fold);
    train.steps = a.steps.unwrap_or(train.steps);
    train.seed = a.seed.unwrap_or(train.seed);
    train.batch_size = a.batch_size.unwrap_or(train.batch_size);
    train.validate_every = a.validate_every.unwrap_or(train.validate_every);
    let peaks = a.peaks.as_ref().map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()).display().to_string());
    model.validate().map_err(|e| anyhow::anyhow!("key `model.{}`: {}", e.field, e.message))?;
    Ok(RunConfig { model, train, peaks, mask_from })
}

/// `--mode NAME` as a mask mode.
pub fn parse_mode(m: &str) -> anyhow::Result<MaskMode> {
    serde_json::from_value::<MaskMode>(serde_json::Value::String(m.to_string()))
        .map_err(|_| anyhow::anyhow!("unknown --mode '{m}' (soft, hard, retrain, discovery, nomask, peakmask, signal)"))
}

/// Model and training configuration from a preset, a mode (retrain: with the frozen mask's source
/// configuration and the fraction kept) and a config file merged into them, key by key.
pub fn compose(
    preset: Preset,
    mode: Option<MaskMode>,
    config: Option<&std::path::Path>,
    retrain: Option<(Seq2ExpConfig, f64)>,
) -> anyhow::Result<(Seq2ExpConfig, TrainConfig)> {
    let mut model = Seq2ExpConfig::preset(preset);
    let mut train = TrainConfig::preset(preset);
    if let Some(mode) = mode {
        model.mask = MaskConfig::for_mode(mode);
        if mode == MaskMode::Retrain {
            let (source, top) = retrain.context("the retrain mode needs the configuration of its frozen mask")?;
            model.window = source.window;
            model.signals = source.signals.clone();
            model.mask = MaskConfig::retrain(&source, top);
        }
    }
    if let Some(p) = config {
        let bad = || format!("{}: bad configuration", p.display());
        let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
        let file: serde_json::Value = serde_json::from_str(&text).with_context(bad)?;
        let serde_json::Value::Object(sections) = file else {
            anyhow::bail!("{}: expected a JSON object with `model` and/or `train`", bad())
        };
        for (key, value) in sections {
            match key.as_str() {
                "model" => model = merge_section(model, value, "model").with_context(bad)?,
                "train" => train = merge_section(train, value, "train").with_context(bad)?,
                other => anyhow::bail!("{}: unknown section `{other}` (expected `model`, `train`)", bad()),
            }
        }
        if let Some(mode) = mode.filter(|&m| m != model.mask.mode) {
            anyhow::bail!(
                "{}: key `model.mask.mode` says {:?} but --mode says {mode:?}; give the mode in one place",
                p.display(),
                model.mask.mode
            );
        }
        // Before the flags: what fails here comes from the file (the presets are valid).
        model.validate().map_err(|e| anyhow::anyhow!("{}: key `model.{}`: {}", bad(), e.field, e.message))?;
        train.validate().map_err(|e| anyhow::anyhow!("{}: key `{}`: {}", bad(), e.field, e.message))?;
    }
    Ok((model, train))
}

/// The model configuration of a trained run and the path of its best checkpoint.
fn retrain_source(run: Option<&std::path::Path>) -> anyhow::Result<(Seq2ExpConfig, String)> {
    let run = run.context("--mode retrain needs --mask-from RUN_DIR (a trained soft or discovery run)")?;
    let dir = RunDir::new(run);
    let cfg = dir.read_config()?;
    let best = dir.best();
    if !best.exists() {
        anyhow::bail!("{}: no best checkpoint yet; train the run whose mask you want to freeze first", best.display());
    }
    let best = std::fs::canonicalize(&best).unwrap_or(best);
    Ok((cfg.model, best.display().to_string()))
}

pub fn run(a: TrainArgs) -> anyhow::Result<()> {
    let cfg = run_config(&a)?;
    let device = super::device(&a.device)?;
    let opts = TrainOptions {
        store: a.store.clone(),
        out: a.out.clone(),
        device,
        checkpoint_every: a.checkpoint_every,
        progress: crate::cli::progress(0, "train"),
    };
    // One job per run directory: two would interleave their checkpoints.
    let created = !a.out.exists();
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let _lock = DirLock::try_lock(&a.out).with_context(|| a.out.display().to_string())?.with_context(|| {
        format!(
            "{}: another job is training in this run directory; wait for it to finish or use another --out",
            a.out.display()
        )
    })?;
    let state = train(&cfg, &opts).inspect_err(|_| {
        if created {
            let _ = std::fs::remove_dir(&a.out); // only while still empty: bad input leaves nothing
        }
    })?;
    let best =
        state.best_valid_mse.map_or("n/a".to_string(), |v| format!("{v:.4} at step {}", state.best_step.unwrap_or(0)));
    eprintln!("trained {} steps; best validation MSE {best} → {}", state.step, RunDir::new(&a.out).best().display());
    Ok(())
}

/// `over` merged into the config `base`; an error names the dotted key (`model.generator.n_layer`) of
/// the value that the config rejects.
fn merge_section<T: serde::Serialize + serde::de::DeserializeOwned>(
    base: T,
    over: serde_json::Value,
    section: &str,
) -> anyhow::Result<T> {
    let base = serde_json::to_value(&base)?;
    serde_json::from_value(merged(base.clone(), over.clone())).map_err(|e| match rejected_key::<T>(&base, &over) {
        Some(key) => anyhow::anyhow!("key `{section}.{key}`: {e}"),
        None => anyhow::anyhow!("in `{section}`: {e}"),
    })
}

/// The first leaf of `over` (dotted path) that `T` rejects when merged into `base` on its own.
fn rejected_key<T: serde::de::DeserializeOwned>(base: &serde_json::Value, over: &serde_json::Value) -> Option<String> {
    fn leaves(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, serde_json::Value)>) {
        match v {
            serde_json::Value::Object(o) if !o.is_empty() => o.iter().for_each(|(k, v)| {
                path.push(k.clone());
                leaves(v, path, out);
                path.pop();
            }),
            other => out.push((path.clone(), other.clone())),
        }
    }
    let mut all = Vec::new();
    leaves(over, &mut Vec::new(), &mut all);
    all.into_iter().find_map(|(path, value)| {
        let alone = path.iter().rev().fold(value, |v, k| serde_json::json!({ k: v }));
        serde_json::from_value::<T>(merged(base.clone(), alone)).is_err().then(|| path.join("."))
    })
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
