//! `runtime predict` as a library call: stream the selected genes of a store through a model, write
//! `predictions.tsv` and, with masks, `masks.h5`, `mask.bw` and `elements.bed` — resumably (see
//! [`crate::output`]): rerunning the same command after a kill finishes the job and gives the same files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use seq2exp_store::output::DirLock;
use seq2exp_store::{Batch, BatchStream, StoreReader};

use crate::output::bigwig::{write_mask_bigwig, BIGWIG_NAME};
use crate::output::elements::{call_elements, write_bed, ElementParams, BED_NAME};
use crate::output::masks::{MaskFile, MaskParts, MASKS_NAME};
use crate::output::predictions::{PredictionLog, LOG_NAME, TSV_NAME};
use crate::output::{write_bytes, OutputError};
use crate::select::{select_genes, GeneFilter, Shard};
use crate::{InputBatch, Model, Prediction, RuntimeError};

pub const RUN_FILE: &str = "run.json";

#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    #[error(transparent)]
    Model(#[from] RuntimeError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Store(#[from] seq2exp_store::StoreError),
}

/// What to write besides `predictions.tsv`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaskOutputs {
    /// bigWig values are rounded to multiples of this.
    pub bigwig_quantum: f32,
    pub threshold: f32,
    pub min_length: usize,
}

impl Default for MaskOutputs {
    fn default() -> Self {
        Self { bigwig_quantum: 0.01, threshold: 0.5, min_length: 50 }
    }
}

pub struct PredictOptions {
    pub store: PathBuf,
    pub out: PathBuf,
    pub filter: GeneFilter,
    pub shard: Option<Shard>,
    pub batch: usize,
    pub masks: Option<MaskOutputs>,
    pub progress: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PredictSummary {
    pub genes: usize,
    /// Genes predicted by this invocation (the rest were finished by an earlier one).
    pub predicted: usize,
    pub seconds: f64,
    pub files: Vec<PathBuf>,
}

/// Identity of a run: a rerun into the same directory must be the same job to resume it. It records
/// the shard and the mask options too, so `runtime merge` can check shards against each other and
/// rebuild `mask.bw` as the unsharded run writes it.
fn run_identity(model: &Path, o: &PredictOptions, genes: &[&str]) -> serde_json::Value {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()).display().to_string();
    let bytes = std::fs::metadata(model).map(|m| m.len()).unwrap_or(0);
    let masks = o.masks.map(|m| {
        serde_json::json!({"bigwig_quantum": m.bigwig_quantum, "element_threshold": m.threshold, "element_min_length": m.min_length})
    });
    serde_json::json!({
        "job": "predict", "model": abs(model), "model_bytes": bytes, "store": abs(&o.store), "batch": o.batch,
        "filter": format!("{:?}", o.filter), "shard": o.shard.map(|s| format!("{}/{}", s.index, s.count)),
        "masks": masks, "genes": genes.len(), "first_gene": genes.first(), "last_gene": genes.last(),
    })
}

/// Takes `out` for this job: one job per directory at a time (the lock is held until the returned
/// guard is dropped, and released by the kernel if the process dies), and only the same job resumes.
pub(crate) fn claim_dir(out: &Path, identity: &serde_json::Value) -> Result<DirLock, OutputError> {
    std::fs::create_dir_all(out).map_err(|e| OutputError::io(out, e))?;
    let lock = DirLock::try_lock(out).map_err(|e| OutputError::io(out, e))?.ok_or_else(|| {
        OutputError::invalid(out.display(), "another job is writing to this directory (a `runtime predict` still running?); wait for it to finish or use another --out")
    })?;
    let path = out.join(RUN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let old: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| OutputError::invalid(path.display(), e.to_string()))?;
            if &old != identity {
                return Err(OutputError::invalid(out.display(), format!("holds a run of another model, store, gene selection, batch size or mask setting ({RUN_FILE}); use a new --out")));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            write_bytes(&path, serde_json::to_string_pretty(identity).expect("json"))?
        }
        Err(e) => return Err(OutputError::io(&path, e)),
    }
    Ok(lock)
}

/// Runs (or resumes) a prediction job with `model` (`model_path` is recorded for resumption checks).
pub fn predict_store(model: &Model, model_path: &Path, o: &PredictOptions) -> Result<PredictSummary, PredictError> {
    let started = Instant::now();
    let reader = StoreReader::open(&o.store)?;
    model.check_store(&reader)?;
    let info = model.info();
    let cfg = &info.config;
    if o.masks.is_some() && !info.has_mask {
        return Err(OutputError::invalid(
            model_path.display(),
            format!("--masks: this model ({} mode) has no mask output", info.mask_mode),
        )
        .into());
    }
    let order = select_genes(&reader, &o.filter, o.shard)?;
    let ids: Vec<&str> = reader.genes().iter().map(|g| g.id.as_str()).collect();
    let selected: Vec<&str> = order.iter().map(|&i| ids[i]).collect();
    let _lock = claim_dir(&o.out, &run_identity(model_path, o, &selected))?;
    if let Some(files) = finished(&o.out, o.masks.is_some()) {
        tracing::info!(out = %o.out.display(), "this job is already complete");
        return Ok(PredictSummary {
            genes: order.len(),
            predicted: 0,
            seconds: started.elapsed().as_secs_f64(),
            files,
        });
    }
    let mut log = PredictionLog::open(&o.out, &ids)?;
    let mut parts = o.masks.map(|_| MaskParts::open(&o.out, info.window)).transpose()?;
    let batch = o.batch.max(1);
    // Whole batches of the selection, always composed the same way, so a resumed gene is computed in
    // the same batch as in an uninterrupted run.
    let pending: Vec<usize> =
        order.chunks(batch).filter(|c| c.iter().any(|&g| !log.is_done(g))).flatten().copied().collect();
    let bar = if o.progress {
        seq2exp_cli_util::progress(order.len() as u64, "genes")
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_position((order.len() - pending.len()) as u64);
    tracing::info!(genes = order.len(), pending = pending.len(), out = %o.out.display(), "predicting");
    let mut predicted = 0;
    if !pending.is_empty() {
        let stream =
            BatchStream::spawn(&o.store, pending.clone(), batch, info.signal_names.clone(), 2 * model.workers())?;
        for_each_prediction(model, stream, |b, pred| {
            if let (Some(p), Some(mask)) = (parts.as_mut(), &pred.mask) {
                p.write(&b.indices, mask)?;
            }
            let rows: Vec<(usize, &str, f32)> =
                b.indices.iter().zip(&pred.expression).map(|(&g, &v)| (g, ids[g], v)).collect();
            predicted += rows.iter().filter(|r| !log.is_done(r.0)).count();
            log.append(&rows)?;
            bar.inc(b.indices.len() as u64);
            Ok(())
        })?;
    }
    bar.finish_and_clear();
    let target =
        (!reader.meta().target_names.is_empty()).then(|| cfg.target_index.min(reader.meta().target_names.len() - 1));
    // The mask files first, predictions.tsv last: its presence (with the log gone) marks a finished job.
    let mut files = Vec::new();
    if let (Some(m), Some(p)) = (o.masks, parts) {
        files.extend(finish_masks(&reader, &order, &o.out, p, &m, cfg.mask.promoter_half_width)?);
    }
    files.insert(0, log.finish(&reader, &order, target, &o.out)?);
    Ok(PredictSummary { genes: order.len(), predicted, seconds: started.elapsed().as_secs_f64(), files })
}

/// Runs every batch of `stream` through `model` and hands each result to `write` on this thread, in
/// completion order (the outputs are ordered at the end). One thread per worker pulls batches and
/// predicts, so several workers predict at once; the first error stops them all.
fn for_each_prediction<F>(model: &Model, stream: BatchStream, mut write: F) -> Result<(), PredictError>
where
    F: FnMut(&Batch, Prediction) -> Result<(), PredictError>,
{
    let stream = Mutex::new(stream);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Batch, Prediction), PredictError>>(model.workers());
        for _ in 0..model.workers() {
            let (tx, stream, stop) = (tx.clone(), &stream, &stop);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some(next) = stream.lock().unwrap_or_else(|p| p.into_inner()).next() else { break };
                    let result = next.map_err(PredictError::from).and_then(|b| {
                        let pred = model.predict(&InputBatch::from_store_batch(&b))?;
                        Ok((b, pred))
                    });
                    if tx.send(result).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let outcome = rx.iter().try_for_each(|r| r.and_then(|(b, p)| write(&b, p)));
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        outcome
    })
}

/// The files of a job that already finished in `out` (`predictions.tsv` present, its log gone).
fn finished(out: &Path, masks: bool) -> Option<Vec<PathBuf>> {
    let tsv = out.join(TSV_NAME);
    if !tsv.is_file() || out.join(LOG_NAME).exists() {
        return None;
    }
    let mut files = vec![tsv];
    if masks {
        files.extend([MASKS_NAME, BIGWIG_NAME, BED_NAME].map(|n| out.join(n)));
    }
    files.iter().all(|f| f.is_file()).then_some(files)
}

fn finish_masks(
    reader: &StoreReader,
    order: &[usize],
    out: &Path,
    parts: MaskParts,
    m: &MaskOutputs,
    promoter_half_width: usize,
) -> Result<Vec<PathBuf>, OutputError> {
    let h5 = parts.finish(reader, order, out)?;
    let sizes = reader.meta().chrom_sizes.clone();
    let params = ElementParams { threshold: m.threshold, min_length: m.min_length, promoter_half_width };
    let elements = call_elements(&MaskFile::open(&h5)?, &sizes, &params)?;
    write_bed(&elements, &out.join(BED_NAME))?;
    write_mask_bigwig(MaskFile::open(&h5)?, &sizes, m.bigwig_quantum, &out.join(BIGWIG_NAME))?;
    tracing::info!(elements = elements.len(), "wrote masks, {BIGWIG_NAME} and {BED_NAME}");
    Ok(vec![h5, out.join(BIGWIG_NAME), out.join(BED_NAME)])
}
