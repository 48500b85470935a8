//! The numbers of the report: per model, the regression metrics over the evaluated genes, the mask
//! ratio and the element-recovery curve; beside them the DNase peak mask and raw DNase.
//!
//! Element recovery is `trainer eval`'s: every base of each evaluated gene's window is labelled by
//! whether a truth interval covers it, the central promoter `[L/2 − h, L/2 + h)` (forced into every
//! mask) is left out, and the average precision of each score over the remaining bases is pooled over
//! the genes ([`ApAccumulator`]). The mask ratio is the mean mask over every base, promoter included.

use seq2exp_formats::error::InputError;
use seq2exp_models::metrics::{regression_metrics, ApAccumulator, PrCurve, RegressionMetrics};

use crate::inputs::{Inputs, ModelRun};

/// The forced promoter of a window: `[L/2 − half_width, L/2 + half_width)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promoter {
    pub window: usize,
    pub half_width: usize,
}

impl Promoter {
    pub fn new(window: usize, half_width: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(
            2 * half_width <= window,
            "--promoter-half-width {half_width}: the promoter does not fit in the store's {window}-base windows"
        );
        Ok(Self { window, half_width })
    }

    /// Whether base `p` of a window counts in recovery (outside the promoter), as `trainer eval` keeps it.
    pub fn keep(&self, p: usize) -> bool {
        p < self.window / 2 - self.half_width || p >= self.window / 2 + self.half_width
    }

    /// The values of `v` at the kept positions, in order.
    pub fn kept<T: Copy>(&self, v: &[T]) -> Vec<T> {
        v.iter().enumerate().filter(|(p, _)| self.keep(*p)).map(|(_, x)| *x).collect()
    }
}

/// One row of the metrics table.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMetrics {
    pub name: String,
    pub regression: RegressionMetrics,
    /// (observed, predicted) per evaluated gene, for the scatter.
    pub pairs: Vec<(f64, f64)>,
    /// Mean mask over every base of the evaluated genes; `None` without a mask.
    pub mask_ratio: Option<f64>,
    /// AUPRC of the mask against the truth; `None` without a mask or without truth.
    pub auprc: Option<f64>,
}

/// What a precision–recall curve scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scorer {
    Mask,
    Peaks,
    Dnase,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamedCurve {
    pub name: String,
    pub scorer: Scorer,
    pub curve: PrCurve,
}

/// Element recovery over the evaluated genes.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery {
    /// Each learned mask, then the DNase peak mask and raw DNase where available.
    pub curves: Vec<NamedCurve>,
    pub positive_fraction: f64,
    /// Bases scored (promoters left out).
    pub bases: usize,
}

/// Everything computed from the masks and the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    pub models: Vec<ModelMetrics>,
    /// `None` without --truth, or when the truth has no base in the evaluated windows.
    pub recovery: Option<Recovery>,
}

/// Regression metrics of `run` over the evaluated genes; every one must have a prediction.
pub fn regression(inputs: &Inputs, run: &ModelRun) -> anyhow::Result<(RegressionMetrics, Vec<(f64, f64)>)> {
    let mut pairs = Vec::with_capacity(inputs.genes.len());
    for &i in &inputs.genes {
        let id = inputs.id(i);
        let &p = run.predictions.get(id).ok_or_else(|| {
            InputError::new(run.dir.join(crate::inputs::PREDICTIONS), format!("no prediction for gene {id}"))
        })?;
        pairs.push((inputs.store.targets(i)[inputs.target] as f64, p));
    }
    let (obs, pred): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    Ok((regression_metrics(&pred, &obs), pairs))
}

/// Accumulators of one pass over the evaluated genes.
struct Pass {
    ratio: Vec<(f64, usize)>,
    masks: Vec<ApAccumulator>,
    peaks: Option<ApAccumulator>,
    dnase: Option<ApAccumulator>,
    promoter_off: Vec<bool>,
}

/// Computes the metrics table's rows and the recovery curves (one pass over the genes' masks).
pub fn compute(inputs: &Inputs, promoter: Promoter) -> anyhow::Result<Computed> {
    let n = inputs.models.len();
    let dnase_spec = inputs.truth.as_ref().and_then(|_| inputs.store.signal_spec(&["dnase"]).ok());
    if inputs.truth.is_some() && dnase_spec.is_none() {
        tracing::warn!("{}: no dnase track, so no raw-DNase curve", inputs.store.path().display());
    }
    let mut pass = Pass {
        ratio: vec![(0.0, 0); n],
        masks: vec![ApAccumulator::new(); n],
        peaks: inputs.truth.as_ref().and(inputs.peaks.as_ref()).map(|_| ApAccumulator::new()),
        dnase: dnase_spec.as_ref().map(|_| ApAccumulator::new()),
        promoter_off: vec![false; n],
    };
    let l = inputs.store.window();
    for &i in &inputs.genes {
        let (chrom, start) = (&inputs.store.genes()[i].chrom, inputs.window_start(i));
        let labels = inputs.truth.as_ref().map(|t| promoter.kept(&t.flags(chrom, start, l)));
        if let (Some(labels), Some(spec), Some(acc)) = (&labels, &dnase_spec, pass.dnase.as_mut()) {
            acc.extend(&promoter.kept(&inputs.store.read(i, spec)?.signals), labels);
        }
        if let (Some(labels), Some(peaks), Some(acc)) = (&labels, &inputs.peaks, pass.peaks.as_mut()) {
            let flags: Vec<f32> = peaks.flags(chrom, start, l).into_iter().map(|b| f32::from(u8::from(b))).collect();
            acc.extend(&promoter.kept(&flags), labels);
        }
        for (k, run) in inputs.models.iter().enumerate() {
            let Some(masks) = &run.masks else { continue };
            let mask = masks.mask(inputs.id(i))?;
            pass.ratio[k].0 += mask.iter().map(|&v| v as f64).sum::<f64>();
            pass.ratio[k].1 += mask.len();
            pass.promoter_off[k] |= (0..l).any(|p| !promoter.keep(p) && mask[p] != 1.0);
            if let Some(labels) = &labels {
                pass.masks[k].extend(&promoter.kept(&mask), labels);
            }
        }
    }
    finish(inputs, promoter, pass)
}

fn finish(inputs: &Inputs, promoter: Promoter, pass: Pass) -> anyhow::Result<Computed> {
    let mut curves = Vec::new();
    let mut models = Vec::new();
    let (mut bases, mut positive_fraction) = (0, None);
    for (k, (run, acc)) in inputs.models.iter().zip(pass.masks).enumerate() {
        if pass.promoter_off[k] {
            tracing::warn!(
                "{}: the mask is not 1 over TSS ± {} everywhere: is --promoter-half-width the model's?",
                run.dir.join(crate::inputs::MASKS).display(),
                promoter.half_width
            );
        }
        let has_mask = run.masks.is_some();
        (bases, positive_fraction) = (acc.len().max(bases), acc.positive_fraction().or(positive_fraction));
        let curve = has_mask.then(|| acc.curve()).flatten();
        let (regression, pairs) = regression(inputs, run)?;
        let mask_ratio = has_mask.then(|| pass.ratio[k].0 / pass.ratio[k].1.max(1) as f64);
        models.push(ModelMetrics {
            name: run.name.clone(),
            regression,
            pairs,
            mask_ratio,
            auprc: curve.as_ref().map(|c| c.ap),
        });
        if let Some(curve) = curve {
            curves.push(NamedCurve { name: run.name.clone(), scorer: Scorer::Mask, curve });
        }
    }
    for (name, scorer, acc) in [("DNase peaks", Scorer::Peaks, pass.peaks), ("raw DNase", Scorer::Dnase, pass.dnase)] {
        let Some(acc) = acc else { continue };
        (bases, positive_fraction) = (acc.len().max(bases), acc.positive_fraction().or(positive_fraction));
        if let Some(curve) = acc.curve() {
            curves.push(NamedCurve { name: name.to_string(), scorer, curve });
        }
    }
    let recovery = match positive_fraction {
        Some(f) if f > 0.0 => Some(Recovery { curves, positive_fraction: f, bases }),
        _ => None,
    };
    Ok(Computed { models, recovery })
}
