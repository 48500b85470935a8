//! Parity of an exported file with the tch forward (`Pass::Eval`) on the same genes.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use seq2exp_runtime::{InputBatch, Model, ModelInfo};
use seq2exp_store::{Batch, BatchStream, StoreReader};
use tch::{Device, Kind};

use crate::model::{ModelInput, Pass};

/// What both sides are fed.
pub struct ValidationInputs {
    pub batch: Batch,
    /// `store PATH, genes 0..n` or `synthetic`.
    pub source: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Parity {
    pub source: String,
    pub genes: usize,
    pub max_abs_expression: f32,
    /// None when the model has no mask.
    pub max_abs_mask: Option<f32>,
    pub expression_tch: Vec<f32>,
    pub expression_runtime: Vec<f32>,
    pub tch_seconds: f64,
    pub runtime_seconds: f64,
}

impl ValidationInputs {
    /// The first `genes` genes of `store` (checked against the model), or synthetic examples.
    pub fn new(model: &Model, store: Option<&Path>, genes: usize) -> anyhow::Result<Self> {
        let genes = genes.max(1);
        let Some(path) = store else {
            return Ok(Self { batch: synthetic(model.info(), genes), source: "synthetic".into() });
        };
        let reader = StoreReader::open(path)?;
        model.check_store(&reader)?;
        let n = genes.min(reader.len());
        if n == 0 {
            bail!("{}: the store has no genes to validate on", path.display());
        }
        let mut stream = BatchStream::spawn(path, (0..n).collect(), n, model.info().signal_names.clone(), 1)?;
        let batch = stream.next().context("the store yielded no batch")??;
        Ok(Self { batch, source: format!("store {}, genes 0..{n}", path.display()) })
    }
}

/// Deterministic pseudo-random inputs with every base code (4 included), a blacklisted stretch per
/// gene, non-negative signals on the scale of real tracks, and features around 0.
fn synthetic(info: &ModelInfo, n: usize) -> Batch {
    let (l, c, nf) = (info.window, info.signal_names.len(), info.n_features);
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 40) as f32 / (1u64 << 24) as f32
    };
    let dna = (0..n * l).map(|_| ((next() * 5.0) as u8).min(4)).collect();
    let signals = (0..n * l * c)
        .map(|_| {
            let u = next();
            u * u * 6.0
        })
        .collect();
    let features = (0..n * nf).map(|_| next() * 2.0 - 1.0).collect();
    let blacklist = (0..n * l).map(|i| u8::from(i % l >= l / 10 && i % l < l / 10 + l / 50)).collect();
    Batch {
        indices: (0..n).collect(),
        window: l,
        channels: c,
        n_targets: 1,
        dna,
        signals,
        blacklist,
        features,
        targets: vec![0.0; n],
    }
}

fn max_abs(a: &[f32], b: &[f32]) -> anyhow::Result<f32> {
    if a.len() != b.len() {
        bail!("output sizes differ: {} vs {}", a.len(), b.len());
    }
    // NaN on either side must fail the check, so it is turned into +inf.
    Ok(a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .map(|d| if d.is_nan() { f32::INFINITY } else { d })
        .fold(0.0, f32::max))
}

/// Runs the run's checkpoint in tch and `model` in the runtime on `inputs`.
pub fn compare(run: &Path, model: &Model, inputs: &ValidationInputs) -> anyhow::Result<Parity> {
    let (net, _) = crate::eval::load_run(run, Device::Cpu)?;
    let t0 = Instant::now();
    let out = tch::no_grad(|| net.forward(&ModelInput::from_batch(&inputs.batch, Device::Cpu), Pass::Eval));
    let expression_tch = Vec::<f32>::try_from(out.pred.to_kind(Kind::Float))?;
    let mask_tch = out.mask.map(|m| Vec::<f32>::try_from(m.to_kind(Kind::Float).flatten(0, -1))).transpose()?;
    let tch_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let pred = model.predict(&InputBatch::from_store_batch(&inputs.batch))?;
    let runtime_seconds = t1.elapsed().as_secs_f64();
    let max_abs_mask = match (&mask_tch, &pred.mask) {
        (Some(a), Some(b)) => Some(max_abs(a, b)?),
        (None, None) => None,
        (a, _) => bail!(
            "the trainer {} a mask, the exported model {}",
            if a.is_some() { "returns" } else { "has no" },
            if a.is_some() { "has none" } else { "returns one" }
        ),
    };
    Ok(Parity {
        source: inputs.source.clone(),
        genes: inputs.batch.len(),
        max_abs_expression: max_abs(&expression_tch, &pred.expression)?,
        max_abs_mask,
        expression_tch,
        expression_runtime: pred.expression,
        tch_seconds,
        runtime_seconds,
    })
}
