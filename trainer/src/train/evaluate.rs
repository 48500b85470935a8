//! Deterministic forward passes over a set of genes (validation during training, `trainer eval`).

use std::path::Path;

use seq2exp_store::{Batch, BatchStream, StoreReader};
use tch::{Device, Kind, Tensor};

use super::data::PeakSource;
use crate::model::{ModelInput, Pass, Seq2Exp};

/// Predictions (and targets) for genes, in the order asked.
#[derive(Debug, Clone, Default)]
pub struct Predictions {
    pub indices: Vec<usize>,
    pub pred: Vec<f32>,
    pub target: Vec<f32>,
    /// Mean mask value per gene (NaN without a mask).
    pub mask_mean: Vec<f32>,
}

/// The model's input for a store batch, with the peak mask when the baseline needs one.
pub fn model_input(batch: &Batch, reader: &StoreReader, peaks: Option<&PeakSource>, device: Device) -> ModelInput {
    let mut input = ModelInput::from_batch(batch, device);
    if let Some(src) = peaks {
        let (l, c) = (batch.window, batch.channels);
        let masks: Vec<f32> = batch
            .indices
            .iter()
            .enumerate()
            .flat_map(|(k, &i)| {
                let g = &reader.genes()[i];
                src.window_mask(&g.chrom, g.window_start(l as u64), l, &batch.signals[k * l * c..(k + 1) * l * c], c)
            })
            .collect();
        input.peaks = Some(Tensor::from_slice(&masks).reshape([batch.len() as i64, l as i64]).to_device(device));
    }
    input
}

/// Runs the model (inference mask) over `indices`; `on_mask(store_index, mask)` sees every gene's mask.
pub fn predict(
    model: &Seq2Exp,
    store: &Path,
    indices: &[usize],
    batch_size: usize,
    peaks: Option<&PeakSource>,
    device: Device,
    mut on_mask: impl FnMut(usize, &[f32]),
) -> anyhow::Result<Predictions> {
    let reader = StoreReader::open(store)?;
    let t = model.cfg.target_index;
    let mut out = Predictions::default();
    let stream = BatchStream::spawn(store, indices.to_vec(), batch_size, model.cfg.signals.clone(), 2)?;
    for batch in stream {
        let batch = batch?;
        let input = model_input(&batch, &reader, peaks, device);
        let o = tch::no_grad(|| model.forward(&input, Pass::Eval));
        let pred: Vec<f32> = Vec::try_from(o.pred.to_kind(Kind::Float).to_device(Device::Cpu))?;
        let l = batch.window;
        let masks: Option<Vec<f32>> =
            o.mask.map(|m| Vec::try_from(m.to_kind(Kind::Float).to_device(Device::Cpu).flatten(0, -1))).transpose()?;
        for (k, &i) in batch.indices.iter().enumerate() {
            out.indices.push(i);
            out.pred.push(pred[k]);
            out.target.push(batch.targets[k * batch.n_targets + t]);
            match &masks {
                Some(m) => {
                    let gene_mask = &m[k * l..(k + 1) * l];
                    out.mask_mean.push(gene_mask.iter().sum::<f32>() / l as f32);
                    on_mask(i, gene_mask);
                }
                None => out.mask_mean.push(f32::NAN),
            }
        }
    }
    Ok(out)
}

/// Mean squared error over genes with a finite target.
pub fn mse(p: &Predictions) -> f64 {
    let (sum, n) = p
        .pred
        .iter()
        .zip(&p.target)
        .filter(|(_, t)| t.is_finite())
        .fold((0f64, 0usize), |(s, n), (p, t)| (s + ((p - t) as f64).powi(2), n + 1));
    if n == 0 {
        f64::NAN
    } else {
        sum / n as f64
    }
}
