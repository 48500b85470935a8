//! `trainer export`: a run's checkpoint → a seq2exp ONNX file (format owned by `seq2exp_runtime::onnx`),
//! written atomically and only after the file, loaded by the runtime, reproduces the tch forward.
//!
//! Errors are `anyhow` here, as in the trainer's other run-level commands (`eval`, `train`): they are
//! reported, not matched on.

mod provenance;
mod reference;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use seq2exp_runtime::onnx::{build_model, meta, to_bytes, Weights};
use seq2exp_runtime::{Flavour, LoadOptions, Model};
use seq2exp_store::output::{plain_io, Staged};
use tch::{Device, Kind};

use crate::train::run_dir::{load, RunDir};
pub use reference::{export_reference_state_dict, ReferenceExport, SEQ2EXP_CONFIG};
pub use validate::{Parity, ValidationInputs};

pub struct ExportOptions {
    pub run: PathBuf,
    pub out: PathBuf,
    pub flavour: Flavour,
    /// Store to take validation genes from (None: deterministic synthetic inputs).
    pub store: Option<PathBuf>,
    /// Genes (or synthetic examples) to validate on.
    pub genes: usize,
    /// Largest |Δ| allowed on expression and mask.
    pub tolerance: f32,
    pub threads: Option<usize>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportReport {
    pub out: PathBuf,
    pub flavour: String,
    pub checkpoint: PathBuf,
    pub bytes: usize,
    pub parity: Parity,
    pub build_seconds: f64,
}

/// The checkpoint `export` uses: best by validation, else the last one.
pub fn checkpoint_of(run: &Path) -> PathBuf {
    let dir = RunDir::new(run);
    if dir.best().exists() {
        dir.best()
    } else {
        dir.last()
    }
}

/// Model tensors of a checkpoint as f32 by state-dict name (optimiser moments are ignored by the builder).
fn weights_of(tensors: &std::collections::HashMap<String, tch::Tensor>) -> anyhow::Result<Weights> {
    let mut w = Weights::new();
    for (name, t) in tensors {
        let t = t.to_device(Device::Cpu).to_kind(Kind::Float).contiguous();
        let shape = t.size().iter().map(|&s| s as usize).collect();
        w.insert(name.clone(), shape, Vec::<f32>::try_from(t.flatten(0, -1))?);
    }
    Ok(w)
}

pub fn export(o: &ExportOptions) -> anyhow::Result<ExportReport> {
    let t0 = Instant::now();
    let cfg = RunDir::new(&o.run).read_config()?;
    let ck_path = checkpoint_of(&o.run);
    let ck = load(&ck_path).with_context(|| format!("{}: no checkpoint to export", o.run.display()))?;
    let weights = weights_of(&ck.tensors)?;
    let prov = provenance::provenance(&o.run, &ck_path, &ck.state)?;
    let proto = build_model(&cfg.model, &weights, o.flavour, &[(meta::PROVENANCE.to_string(), prov)])
        .with_context(|| format!("exporting {}", o.run.display()))?;
    let bytes = to_bytes(&proto)?;
    drop(proto);
    let build_seconds = t0.elapsed().as_secs_f64();
    // Checked where it was written, then renamed into place; removed on every failure.
    let staged = Staged::new(&o.out).with_context(|| o.out.display().to_string())?;
    std::fs::write(staged.tmp(), &bytes).map_err(|e| anyhow::anyhow!("{}: {}", o.out.display(), plain_io(&e)))?;
    let parity = check(o, staged.tmp())?;
    staged.commit().map_err(|e| anyhow::anyhow!("{}: {}", o.out.display(), plain_io(&e)))?;
    Ok(ExportReport {
        out: o.out.clone(),
        flavour: o.flavour.to_string(),
        checkpoint: ck_path,
        bytes: bytes.len(),
        parity,
        build_seconds,
    })
}

/// Loads the written file with the runtime and compares it with the tch forward.
fn check(o: &ExportOptions, file: &Path) -> anyhow::Result<Parity> {
    let model = Model::load(file, &LoadOptions { threads: o.threads, ..Default::default() })?;
    let inputs = ValidationInputs::new(&model, o.store.as_deref(), o.genes)?;
    let parity = validate::compare(&o.run, &model, &inputs)?;
    anyhow::ensure!(
        parity.max_abs_expression <= o.tolerance && parity.max_abs_mask.is_none_or(|m| m <= o.tolerance),
        "the exported model does not reproduce the trainer (max |Δ| expression {:.3e}, mask {:?}, tolerance {:.0e}); nothing written",
        parity.max_abs_expression, parity.max_abs_mask, o.tolerance
    );
    Ok(parity)
}
