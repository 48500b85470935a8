//! `trainer train --store S.h5 --out RUN_DIR [--preset tiny|paper] [--config C.json]
//! [--mode soft|hard|discovery|nomask|peakmask|signal] [--peaks BED] [--fold 11] [--steps N] [--seed N] [--device cpu|cuda]`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use seq2exp_models::config::{MaskConfig, MaskMode, Preset, Seq2ExpConfig, TrainConfig};
use seq2exp_store::output::DirLock;

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
    /// soft | hard (Seq2Exp), discovery (ours: direct pooling path, smoothed generator), nomask | peakmask | signal (baselines).
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
        let mode: MaskMode = serde_json::from_value(serde_json::Value::String(m.clone()))
            .map_err(|_| anyhow::anyhow!("unknown --mode '{m}' (soft, hard, discovery, nomask, peakmask, signal)"))?;
        model.mask = MaskConfig::for_mode(mode);
    }
    if let Some(p) = &a.config {
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
        // Before the flags: what fails here comes from the file (the presets are valid).
        model.validate().map_err(|e| anyhow::anyhow!("{}: key `model.{}`: {}", bad(), e.field, e.message))?;
        train.validate().map_err(|e| anyhow::anyhow!("{}: key `{}`: {}", bad(), e.field, e.message))?;
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
    let opts = TrainOptions {
        store: a.store.clone(),
        out: a.out.clone(),
        device,
        checkpoint_every: a.checkpoint_every,
        progress: true,
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
