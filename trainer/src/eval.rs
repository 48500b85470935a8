//! `trainer eval`: regression metrics of a trained run on a split and, given the simulator's truth BED,
//! element recovery: average precision of the per-base mask against planted elements, beside the peak
//! mask and raw DNase as predictors of the same bases. The central promoter (forced into every mask) is
//! left out of the recovery metrics, since no element is planted there.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;
use seq2exp_models::metrics::{regression_metrics, ApAccumulator, MetricsTable, RegressionMetrics};
use seq2exp_store::{BatchStream, Split, StoreReader};
use serde::Serialize;
use tch::Device;

use crate::model::Seq2Exp;
use crate::train::run_dir::{load, restore_weights, RunDir};
use crate::train::{peak_source, predict, split_genes};

pub struct EvalOptions {
    pub run: PathBuf,
    pub store: PathBuf,
    pub split: Split,
    pub fold: Option<usize>,
    pub truth: Option<PathBuf>,
    pub peaks: Option<PathBuf>,
    /// BED of all planted elements, named `GENE:kind` (the simulator's elements.bed): adds the mean
    /// mask per kind, which shows whether the generator tells causal elements from decoys.
    pub elements: Option<PathBuf>,
    pub device: Device,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub split: String,
    pub fold: usize,
    pub checkpoint: String,
    pub metrics: RegressionMetrics,
    /// Mean of the (inference) mask over every base of the evaluated genes, the forced promoter included
    /// (the reference's definition; for binary masks, the fraction of bases selected).
    pub mask_ratio: Option<f64>,
    /// AUPRC of the model's mask, the peak mask and raw DNase against planted elements.
    pub recovery: Option<Recovery>,
    /// Mean mask over the bases of each element kind (and `background`: bases in no element).
    pub mask_by_kind: Option<BTreeMap<String, f64>>,
    /// Per element kind, the distribution of each element's own mean mask: what tells whether causal
    /// elements stand above open decoys by more than chance (compare means in standard errors).
    pub element_mask: Option<BTreeMap<String, ElementStats>>,
}

/// Mean and standard error, over elements, of the per-element mean mask.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ElementStats {
    pub elements: usize,
    pub mean: f64,
    pub se: f64,
}

impl ElementStats {
    fn of(values: &[f64]) -> Self {
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n.max(1) as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
        Self { elements: n, mean, se: (var / n.max(1) as f64).sqrt() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Recovery {
    pub positive_fraction: f64,
    pub model_mask: Option<f64>,
    pub peak_mask: Option<f64>,
    pub dnase: Option<f64>,
}

/// Loads a run's best checkpoint (or its last, if no validation has run yet) into a model.
pub fn load_run(run: &Path, device: Device) -> anyhow::Result<(Seq2Exp, PathBuf)> {
    let dir = RunDir::new(run);
    let cfg = dir.read_config()?;
    let path = if dir.best().exists() { dir.best() } else { dir.last() };
    let ck = load(&path).with_context(|| format!("{}: no checkpoint to evaluate", run.display()))?;
    let model = Seq2Exp::new(&cfg.model, device);
    restore_weights(&model, &ck.tensors, &path)?;
    Ok((model, path))
}

/// Intervals per chromosome from a BED file.
fn intervals(path: &Path) -> anyhow::Result<HashMap<String, Vec<(u64, u64)>>> {
    let mut map: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
    for iv in seq2exp_formats::bed::read_intervals(path)? {
        map.entry(iv.chrom).or_default().push((iv.start, iv.end));
    }
    Ok(map)
}

pub fn evaluate(o: &EvalOptions) -> anyhow::Result<EvalReport> {
    let (model, checkpoint) = load_run(&o.run, o.device)?;
    let cfg = RunDir::new(&o.run).read_config()?;
    let fold = o.fold.unwrap_or(cfg.train.fold);
    let reader = StoreReader::open(&o.store)?;
    crate::train::check_store(&reader, &cfg)?;
    let genes = split_genes(&reader, fold, o.split, cfg.model.target_index)?;
    let run_peaks = match (&o.peaks, &cfg.peaks) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(p)) => Some(PathBuf::from(p)),
        _ => None,
    };
    let model_peaks = peak_source(&cfg, o.peaks.as_deref())?;
    let truth = o.truth.as_deref().map(intervals).transpose()?;
    let window = reader.window();
    let promoter = cfg.model.mask.promoter_half_width;
    let keep = |p: usize| p < window / 2 - promoter || p >= window / 2 + promoter;
    let mut masks: HashMap<usize, Vec<f32>> = HashMap::new();
    let (mut n, mut sum) = (0usize, 0f64);
    let preds = predict(&model, &o.store, &genes, cfg.train.batch_size, model_peaks.as_ref(), o.device, |i, m| {
        n += m.len();
        sum += m.iter().map(|&v| v as f64).sum::<f64>();
        masks.insert(i, m.iter().enumerate().filter(|(p, _)| keep(*p)).map(|(_, v)| *v).collect());
    })?;
    let metrics = regression_metrics(&preds.pred, &preds.target);
    let mask_ratio = (n > 0).then(|| sum / n as f64);
    let recovery = match &truth {
        Some(t) => Some(recovery(&reader, &o.store, &genes, t, run_peaks.as_deref(), &masks, &keep)?),
        None => None,
    };
    let (mask_by_kind, element_mask) = match &o.elements {
        Some(p) if !masks.is_empty() => {
            let (bases, elements) = mask_by_kind(&reader, p, &masks, &keep)?;
            (Some(bases), Some(elements))
        }
        _ => (None, None),
    };
    Ok(EvalReport {
        split: o.split.to_string(),
        fold,
        checkpoint: checkpoint.display().to_string(),
        metrics,
        mask_ratio,
        recovery,
        mask_by_kind,
        element_mask,
    })
}

/// Average precision of the model mask, the peak mask and raw DNase against the truth, over the same bases.
fn recovery(
    reader: &StoreReader,
    store: &Path,
    genes: &[usize],
    truth: &HashMap<String, Vec<(u64, u64)>>,
    peaks: Option<&Path>,
    masks: &HashMap<usize, Vec<f32>>,
    keep: &dyn Fn(usize) -> bool,
) -> anyhow::Result<Recovery> {
    let window = reader.window();
    let in_set = |set: &HashMap<String, Vec<(u64, u64)>>, chrom: &str, start: i64| -> Vec<bool> {
        let mut v = vec![false; window];
        for &(s, e) in set.get(chrom).map(Vec::as_slice).unwrap_or(&[]) {
            let a = (s as i64 - start).clamp(0, window as i64) as usize;
            let b = (e as i64 - start).clamp(0, window as i64) as usize;
            v[a..b].iter_mut().for_each(|x| *x = true);
        }
        v
    };
    let peak_set = peaks.map(intervals).transpose()?;
    let (mut model_ap, mut peak_ap, mut dnase_ap) = (ApAccumulator::new(), ApAccumulator::new(), ApAccumulator::new());
    let stream = BatchStream::spawn(store, genes.to_vec(), 8, vec!["dnase".into()], 2)?;
    for batch in stream {
        let batch = batch?;
        for (k, &i) in batch.indices.iter().enumerate() {
            let g = &reader.genes()[i];
            let start = g.window_start(window as u64);
            let labels: Vec<bool> = in_set(truth, &g.chrom, start)
                .into_iter()
                .enumerate()
                .filter(|(p, _)| keep(*p))
                .map(|(_, b)| b)
                .collect();
            let dnase: Vec<f32> = batch.signals[k * window..(k + 1) * window]
                .iter()
                .enumerate()
                .filter(|(p, _)| keep(*p))
                .map(|(_, v)| *v)
                .collect();
            dnase_ap.extend(&dnase, &labels);
            if let Some(m) = masks.get(&i) {
                model_ap.extend(m, &labels);
            }
            if let Some(ps) = &peak_set {
                let pm: Vec<f32> = in_set(ps, &g.chrom, start)
                    .into_iter()
                    .enumerate()
                    .filter(|(p, _)| keep(*p))
                    .map(|(_, b)| b as u8 as f32)
                    .collect();
                peak_ap.extend(&pm, &labels);
            }
        }
    }
    let positive_fraction = dnase_ap.positive_fraction().unwrap_or(0.0);
    let model_mask = if masks.is_empty() { None } else { model_ap.finish() };
    let peak_mask = if peak_set.is_some() { peak_ap.finish() } else { None };
    Ok(Recovery { positive_fraction, model_mask, peak_mask, dnase: dnase_ap.finish() })
}

pub type ElementsByChrom = HashMap<String, Vec<(u64, u64, String)>>;

/// Planted elements per chromosome, `(start, end, kind)`, the kind being the part of each BED name after
/// its last ':' (the simulator's `elements.bed` names them `GENE:causal|open_decoy|motif_decoy`).
pub fn element_kinds(elements: &Path) -> anyhow::Result<ElementsByChrom> {
    let mut by_chrom = ElementsByChrom::new();
    for iv in seq2exp_formats::bed::read_intervals(elements)? {
        let name = iv.name.unwrap_or_default();
        let kind = name.rsplit(':').next().unwrap_or("element").to_string();
        by_chrom.entry(iv.chrom).or_default().push((iv.start, iv.end, kind));
    }
    Ok(by_chrom)
}

/// Mean mask per element kind (the part of each BED name after its last ':'), over the masked genes:
/// per base, and per element (each element's mean over its kept bases in one gene's window).
type KindMeans = (BTreeMap<String, f64>, BTreeMap<String, ElementStats>);
fn mask_by_kind(
    reader: &StoreReader,
    elements: &Path,
    masks: &HashMap<usize, Vec<f32>>,
    keep: &dyn Fn(usize) -> bool,
) -> anyhow::Result<KindMeans> {
    let window = reader.window();
    let by_chrom = element_kinds(elements)?;
    let mut sums: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    let mut per_element: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut genes: Vec<&usize> = masks.keys().collect();
    genes.sort();
    for i in genes {
        let (i, mask) = (*i, &masks[i]);
        let g = &reader.genes()[i];
        let start = g.window_start(window as u64);
        let mut kind: Vec<Option<&str>> = vec![None; window];
        for (s, e, k) in by_chrom.get(&g.chrom).map(Vec::as_slice).unwrap_or(&[]) {
            let a = (*s as i64 - start).clamp(0, window as i64) as usize;
            let b = (*e as i64 - start).clamp(0, window as i64) as usize;
            kind[a..b].iter_mut().for_each(|x| *x = Some(k.as_str()));
        }
        // `mask` holds the kept positions only, in order.
        for (&v, k) in mask.iter().zip((0..window).filter(|&p| keep(p)).map(|p| kind[p])) {
            let e = sums.entry(k.unwrap_or("background").to_string()).or_default();
            e.0 += v as f64;
            e.1 += 1;
        }
        let kept: Vec<usize> = (0..window).filter(|&p| keep(p)).collect();
        for (s, e, k) in by_chrom.get(&g.chrom).map(Vec::as_slice).unwrap_or(&[]) {
            let (a, b) = ((*s as i64 - start).max(0) as usize, (*e as i64 - start).min(window as i64));
            let vals: Vec<f64> = kept
                .iter()
                .zip(mask)
                .filter(|(p, _)| (a as i64..b).contains(&(**p as i64)))
                .map(|(_, v)| *v as f64)
                .collect();
            if !vals.is_empty() {
                per_element.entry(k.clone()).or_default().push(vals.iter().sum::<f64>() / vals.len() as f64);
            }
        }
    }
    let bases = sums.into_iter().map(|(k, (s, n))| (k, s / n.max(1) as f64)).collect();
    Ok((bases, per_element.into_iter().map(|(k, v)| (k, ElementStats::of(&v))).collect()))
}

/// The readable table of a report.
pub fn table(r: &EvalReport) -> String {
    let mut extras: Vec<(&str, f64)> = Vec::new();
    if let Some(m) = r.mask_ratio {
        extras.push(("mask ratio", m));
    }
    if let Some(rec) = &r.recovery {
        for (name, v) in [("AUPRC mask", rec.model_mask), ("AUPRC peaks", rec.peak_mask), ("AUPRC DNase", rec.dnase)] {
            if let Some(v) = v {
                extras.push((name, v));
            }
        }
    }
    for (kind, v) in r.mask_by_kind.iter().flatten() {
        extras.push((kind.as_str(), *v));
    }
    let mut t = MetricsTable::new();
    t.push(format!("{} (fold {})", r.split, r.fold), r.metrics, &extras);
    t.to_string()
}
