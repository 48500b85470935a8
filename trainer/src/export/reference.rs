//! `trainer export --format reference-state-dict`: a run's checkpoint as a safetensors state dict in the
//! reference PyTorch model's naming (`checkpoint::reference`), loadable by its `load_state_dict`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::checkpoint_of;
use crate::checkpoint::reference::to_reference_state_dict;
use crate::checkpoint::write_weights;
use crate::train::run_dir::{load, RunDir};

/// Metadata key holding our model configuration (as imported, with the head reading raw features).
pub const SEQ2EXP_CONFIG: &str = "seq2exp_config";

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceExport {
    pub out: PathBuf,
    pub checkpoint: PathBuf,
    pub tensors: usize,
    pub parameters: usize,
}

/// Writes `out` atomically; refuses configurations the reference cannot express (one clear error).
pub fn export_reference_state_dict(run: &Path, out: &Path) -> anyhow::Result<ReferenceExport> {
    let cfg = RunDir::new(run).read_config()?;
    let ck_path = checkpoint_of(run);
    let ck = load(&ck_path).with_context(|| format!("{}: no checkpoint to export", run.display()))?;
    let tensors = to_reference_state_dict(&cfg.model, &ck.tensors)
        .with_context(|| format!("{}: cannot write a reference state dict", run.display()))?;
    let mut model = cfg.model.clone();
    model.head.standardize_features = false;
    let meta = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        (SEQ2EXP_CONFIG.to_string(), serde_json::to_string(&model)?),
    ]);
    write_weights(out, &tensors, &meta)?;
    let parameters = tensors.iter().map(|(_, t)| t.numel()).sum();
    Ok(ReferenceExport { out: out.to_path_buf(), checkpoint: ck_path, tensors: tensors.len(), parameters })
}
