//! `trainer import`: a state dict in the reference PyTorch model's naming plus a model configuration →
//! a run directory (`config.json`, `best.safetensors`) that `export`, `eval` and the runtime accept, so
//! models trained with the reference code deploy on seq2exp's runtime.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use seq2exp_models::config::{Seq2ExpConfig, TrainConfig};
use tch::Device;

use crate::checkpoint::read_weights;
use crate::checkpoint::reference::from_reference_state_dict;
use crate::model::Seq2Exp;
use crate::train::run_dir::{restore_weights, save, RunConfig, RunDir, TrainState};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub run: PathBuf,
    pub mode: String,
    pub tensors: usize,
}

/// Converts `weights` for `model` and writes the run directory `out` (which must not hold a run yet).
/// `model`'s signal prior is taken from the file's `prior_weights`/`signal_betas`.
pub fn import_reference_state_dict(
    weights: &Path,
    mut model: Seq2ExpConfig,
    train: TrainConfig,
    out: &Path,
) -> anyhow::Result<Imported> {
    let dir = RunDir::new(out);
    anyhow::ensure!(!dir.config().exists(), "{}: already holds a run; import into a new directory", out.display());
    let (tensors, _) = read_weights(weights)?;
    let count = tensors.len();
    let tensors: HashMap<_, _> = tensors.into_iter().collect();
    let ours = from_reference_state_dict(&mut model, &tensors).with_context(|| format!("{}", weights.display()))?;
    model.validate().map_err(|e| anyhow::anyhow!("{}: key `model.{}`: {}", weights.display(), e.field, e.message))?;
    let net = Seq2Exp::new(&model, Device::Cpu);
    // Tied twins must hold the same values: a file whose reverse-direction projections differ is not a
    // Caduceus with tied in/out projections.
    for (alias, source) in net.tied_names() {
        let (a, s) = (&ours[&alias], &ours[&source]);
        anyhow::ensure!(
            a.allclose(s, 0.0, 0.0, false),
            "{}: {alias} differs from {source}; the model ties them",
            weights.display()
        );
    }
    restore_weights(&net, &ours, weights)?;
    let cfg = RunConfig { model, train, peaks: None, mask_from: None };
    dir.init(&cfg)?;
    save(&dir.best(), &net, Vec::new(), &cfg, &TrainState::default())?;
    let mode = serde_json::to_value(cfg.model.mask.mode)?.as_str().unwrap_or_default().to_string();
    Ok(Imported { run: out.to_path_buf(), mode, tensors: count })
}
