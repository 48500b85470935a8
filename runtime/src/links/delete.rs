//! `runtime links`: enhancer–gene links by in-silico deletion.
//!
//! Deleting an element means, over its bases: DNA → N and every activity track (all signal channels
//! but Hi-C) → 0; the Hi-C channel, the blacklist and the 9 features are kept. This is the model's
//! analogue of CRISPRi: the element's sequence and its accessibility/acetylation are gone, while its
//! 3D contact with the promoter (a property of chromatin folding, which KRAB silencing does not undo)
//! stays — the same split ABC makes between activity and contact. It works for every mask mode (a
//! "mask → 0" deletion would not exist for `nomask`, and would let the mask, not the input, decide).
//!
//! Score = −Δ = REF − deleted prediction (log10 scale): positive when the element raises expression.

use std::path::PathBuf;
use std::time::Instant;

use seq2exp_store::{GeneInfo, StoreReader};

use super::table::{format_links, LinkRow, LINK_COLUMNS};
use crate::output::elements::{runs, ElementParams};
use crate::output::gene_log::{GeneLog, GeneResult};
use crate::output::{write_atomic, OutputError};
use crate::predict::{claim_dir, PredictError};
use crate::select::{select_genes, GeneFilter, Shard};
use crate::{InputBatch, Model};

pub const LINKS_NAME: &str = "links.tsv";
pub const LOG_NAME: &str = "links.log";
pub const SUMMARY_NAME: &str = "links.summary.json";

/// A candidate element (0-based, half-open), e.g. from a BED file.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub chrom: String,
    pub start: u64,
    pub end: u64,
}

/// Which elements to delete for each gene.
pub enum Candidates {
    /// The model's own elements: runs of the gene's REF mask ≥ threshold, at least `min_length` bases,
    /// outside the forced promoter (as `elements.bed`).
    Mask { threshold: f32, min_length: usize },
    /// Given elements (e.g. DNase peaks, as ABC uses), clipped to each window they overlap; sorted by
    /// chromosome and start.
    Given(Vec<Candidate>),
}

pub struct LinksOptions {
    pub store: PathBuf,
    pub out: PathBuf,
    /// Names the candidate source in the job identity.
    pub source: String,
    pub filter: GeneFilter,
    pub shard: Option<Shard>,
    pub batch: usize,
    pub cell_type: String,
    pub progress: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LinksSummary {
    pub genes: usize,
    pub links: usize,
    pub seconds: f64,
    pub out: PathBuf,
}

/// Runs (or resumes) a links job.
pub fn run_links(model: &Model, candidates: &Candidates, o: &LinksOptions) -> Result<LinksSummary, PredictError> {
    let started = Instant::now();
    let reader = StoreReader::open(&o.store)?;
    model.check_store(&reader)?;
    let info = model.info().clone();
    let cfg = &info.config;
    if matches!(candidates, Candidates::Mask { .. }) && !info.has_mask {
        return Err(OutputError::invalid(
            model.path().display(),
            format!("this model ({} mode) has no mask to find elements with; give --elements BED", info.mask_mode),
        )
        .into());
    }
    let order = select_genes(&reader, &o.filter, o.shard)?;
    let abs = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()).display().to_string();
    let identity = serde_json::json!({
        "job": "links", "model": abs(model.path()), "store": abs(&o.store), "candidates": o.source,
        "filter": format!("{:?}", o.filter), "shard": o.shard.map(|s| format!("{}/{}", s.index, s.count)),
        "batch": o.batch, "cell_type": o.cell_type,
    });
    let _lock = claim_dir(&o.out, &identity)?;
    let tsv = o.out.join(LINKS_NAME);
    if tsv.is_file() && !o.out.join(LOG_NAME).exists() {
        let path = o.out.join(SUMMARY_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| OutputError::io(&path, e))?;
        return Ok(serde_json::from_str(&text).map_err(|e| OutputError::invalid(path.display(), e.to_string()))?);
    }
    let mut log = GeneLog::open(&o.out, LOG_NAME)?;
    let names: Vec<&str> = info.signal_names.iter().map(String::as_str).collect();
    let spec = reader.signal_spec(&names)?;
    let activity: Vec<bool> = names.iter().map(|n| *n != "hic").collect();
    let bar = if o.progress {
        seq2exp_cli_util::progress(order.len() as u64, "genes")
    } else {
        indicatif::ProgressBar::hidden()
    };
    for &g in &order {
        if !log.is_done(g) {
            let ex = reader.read(g, &spec)?;
            let gene = &reader.genes()[g];
            let rows = score_gene(model, gene, &ex, candidates, &activity, o, cfg.mask.promoter_half_width)?;
            log.append(g, GeneResult { rows, warnings: Default::default() })?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut text = LINK_COLUMNS.join("\t") + "\n";
    let mut n = 0;
    for &g in &order {
        for r in &log.result(g).expect("every selected gene is logged").rows {
            text.push_str(r);
            text.push('\n');
            n += 1;
        }
    }
    let summary =
        LinksSummary { genes: order.len(), links: n, seconds: started.elapsed().as_secs_f64(), out: tsv.clone() };
    write_atomic(&o.out.join(SUMMARY_NAME), |tmp| {
        std::fs::write(tmp, serde_json::to_string_pretty(&summary).expect("json")).map_err(|e| OutputError::io(tmp, e))
    })?;
    write_atomic(&tsv, |tmp| std::fs::write(tmp, &text).map_err(|e| OutputError::io(tmp, e)))?;
    log.remove()?;
    Ok(summary)
}

/// `[a, b)` window offsets of the gene's candidates.
fn windows_of(
    candidates: &Candidates,
    gene: &GeneInfo,
    l: usize,
    ref_mask: Option<&[f32]>,
    promoter: usize,
) -> Vec<(usize, usize)> {
    let ws = gene.window_start(l as u64);
    match candidates {
        Candidates::Mask { threshold, min_length } => {
            let p = ElementParams { threshold: *threshold, min_length: *min_length, promoter_half_width: promoter };
            runs(ref_mask.expect("checked: the model has a mask"), &p).into_iter().map(|(a, b, _)| (a, b)).collect()
        }
        Candidates::Given(list) => {
            let (lo, hi) = (ws, ws + l as i64);
            let first = list.partition_point(|c| c.chrom.as_str() < gene.chrom.as_str());
            list[first..]
                .iter()
                .take_while(|c| c.chrom == gene.chrom)
                .filter(|c| (c.end as i64) > lo && (c.start as i64) < hi)
                .map(|c| (((c.start as i64).max(lo) - ws) as usize, ((c.end as i64).min(hi) - ws) as usize))
                .collect()
        }
    }
}

fn score_gene(
    model: &Model,
    gene: &GeneInfo,
    ex: &seq2exp_store::Example,
    candidates: &Candidates,
    activity: &[bool],
    o: &LinksOptions,
    promoter: usize,
) -> Result<Vec<String>, PredictError> {
    let l = ex.dna.len();
    let c = activity.len();
    let predict = |dna: &[u8], signals: &[f32], n: usize, features: &[f32], blacklist: &[u8]| {
        model.predict(&InputBatch { batch: n, window: l, dna, signals, features, blacklist: Some(blacklist) })
    };
    let reference = predict(&ex.dna, &ex.signals, 1, &ex.features, &ex.blacklist)?;
    let elements = windows_of(candidates, gene, l, reference.mask.as_deref(), promoter);
    let ws = gene.window_start(l as u64);
    let tss = gene.tss as i64;
    let promoter_range = (tss - promoter as i64)..(tss + promoter as i64);
    let mut rows = Vec::with_capacity(elements.len());
    for chunk in elements.chunks(o.batch.max(1)) {
        let n = chunk.len();
        let (mut dna, mut signals) = (ex.dna.repeat(n), ex.signals.repeat(n));
        for (k, &(a, b)) in chunk.iter().enumerate() {
            dna[k * l + a..k * l + b].fill(4);
            for pos in a..b {
                for ch in (0..c).filter(|&ch| activity[ch]) {
                    signals[(k * l + pos) * c + ch] = 0.0;
                }
            }
        }
        let pred = predict(&dna, &signals, n, &ex.features.repeat(n), &ex.blacklist.repeat(n))?;
        for (k, &(a, b)) in chunk.iter().enumerate() {
            let (start, end) = ((ws + a as i64).max(0) as u64, (ws + b as i64).max(0) as u64);
            let delta = pred.expression[k] - reference.expression[0];
            let mid = (start + end) as i64 / 2;
            let is_promoter = (start as i64) < promoter_range.end && (end as i64) > promoter_range.start;
            let class = if is_promoter { "promoter" } else { "distal" };
            let mask_mean =
                reference.mask.as_ref().map(|m| m[a..b].iter().map(|&v| v as f64).sum::<f64>() / (b - a) as f64);
            let row = LinkRow {
                chr: gene.chrom.clone(),
                start,
                end,
                name: format!("{class}|{}:{start}-{end}", gene.chrom),
                class: class.to_string(),
                target_gene: gene.name.clone(),
                target_gene_tss: gene.tss,
                cell_type: o.cell_type.clone(),
                score: -(delta as f64),
                delta: delta as f64,
                mask_mean: mask_mean.unwrap_or(f64::NAN),
                distance: mid - tss,
                target_gene_id: gene.id.clone(),
            };
            // One data line (the table's own formatting and checks), logged per gene.
            let line = format_links(&[row])?;
            rows.push(line.lines().nth(1).expect("one row").to_string());
        }
    }
    Ok(rows)
}
