//! A run directory: `config.json` (model + training configuration), `last.safetensors` (weights, AdamW
//! moments and the training state, for resuming), `best.safetensors` (best validation MSE, for eval and
//! export), `metrics.jsonl`, and with `train.pretrain`, `pretrained.safetensors` and `pretrain.jsonl`.
//! Every checkpoint is replaced atomically, so a kill leaves the previous one intact.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use seq2exp_models::config::{Seq2ExpConfig, TrainConfig};
use serde::{Deserialize, Serialize};
use tch::Tensor;

use crate::checkpoint::{read_weights, state_dict, write_weights};
use crate::model::Seq2Exp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub model: Seq2ExpConfig,
    pub train: TrainConfig,
    /// Peaks BED of the `peakmask` baseline, if any.
    #[serde(default)]
    pub peaks: Option<String>,
    /// The checkpoint the retrain variant's frozen mask is read from (when the run starts; a resumed run
    /// reads it from its own checkpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_from: Option<String>,
}

/// Where training stands after a step; saved in checkpoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Steps completed.
    pub step: usize,
    pub best_valid_mse: Option<f64>,
    pub best_step: Option<usize>,
    pub adam_t: i64,
}

pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf() }
    }
    pub fn config(&self) -> PathBuf {
        self.path.join("config.json")
    }
    pub fn last(&self) -> PathBuf {
        self.path.join("last.safetensors")
    }
    pub fn best(&self) -> PathBuf {
        self.path.join("best.safetensors")
    }
    pub fn metrics(&self) -> PathBuf {
        self.path.join("metrics.jsonl")
    }
    /// The pretrained generator (`train.pretrain`) and its loss per step.
    pub fn pretrained(&self) -> PathBuf {
        self.path.join("pretrained.safetensors")
    }
    pub fn pretrain_log(&self) -> PathBuf {
        self.path.join("pretrain.jsonl")
    }

    pub fn read_config(&self) -> anyhow::Result<RunConfig> {
        let p = self.config();
        let text = std::fs::read_to_string(&p)
            .with_context(|| format!("{}: not a run directory (no config.json)", self.path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: bad run configuration", p.display()))
    }

    /// Writes config.json for a new run, or checks that a resumed run's configuration is unchanged.
    pub fn init(&self, cfg: &RunConfig) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.path).with_context(|| format!("creating {}", self.path.display()))?;
        if self.config().exists() {
            let old = self.read_config()?;
            if &old != cfg {
                bail!("{}: this run was started with another configuration; use a new --out directory (or the same flags) to resume", self.config().display());
            }
            return Ok(());
        }
        seq2exp_store::output::write_file(&self.config(), serde_json::to_string_pretty(cfg)?)
            .map_err(|e| anyhow::anyhow!("{}: {}", self.config().display(), seq2exp_store::output::plain_io(&e)))
    }
}

/// Saves the model's weights (plus optional extra tensors, e.g. optimiser moments) with the run
/// configuration and training state in the file's metadata.
pub fn save(
    path: &Path,
    model: &Seq2Exp,
    extra: Vec<(String, Tensor)>,
    cfg: &RunConfig,
    state: &TrainState,
) -> anyhow::Result<()> {
    let mut tensors = state_dict(&model.vs, &model.tied_names());
    tensors.extend(extra);
    let meta = HashMap::from([
        ("format".to_string(), "seq2exp-checkpoint".to_string()),
        ("config".to_string(), serde_json::to_string(cfg)?),
        ("state".to_string(), serde_json::to_string(state)?),
    ]);
    write_weights(path, &tensors, &meta)?;
    Ok(())
}

/// A checkpoint read back: its tensors by name, run configuration and state.
pub struct Loaded {
    pub tensors: HashMap<String, Tensor>,
    pub config: RunConfig,
    pub state: TrainState,
}

pub fn load(path: &Path) -> anyhow::Result<Loaded> {
    let (tensors, meta) = read_weights(path)?;
    let get = |k: &str| {
        meta.get(k).with_context(|| format!("{}: not a seq2exp checkpoint (no '{k}' metadata)", path.display()))
    };
    let config =
        serde_json::from_str(get("config")?).with_context(|| format!("{}: bad config metadata", path.display()))?;
    let state =
        serde_json::from_str(get("state")?).with_context(|| format!("{}: bad state metadata", path.display()))?;
    Ok(Loaded { tensors: tensors.into_iter().collect(), config, state })
}

/// Copies checkpoint tensors into the model's variables; every variable must be present with its shape.
pub fn restore_weights(model: &Seq2Exp, tensors: &HashMap<String, Tensor>, path: &Path) -> anyhow::Result<()> {
    for (name, mut var) in model.vs.variables() {
        let t = tensors.get(&name).with_context(|| format!("{}: no tensor {name}", path.display()))?;
        if t.size() != var.size() {
            bail!("{}: tensor {name} has shape {:?}, the model expects {:?}", path.display(), t.size(), var.size());
        }
        tch::no_grad(|| var.copy_(t));
    }
    Ok(())
}
