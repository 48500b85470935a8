//! `runtime vep`: the effect of each VCF allele on the predicted expression of every store gene whose
//! window contains it (docs in the README, "Variant effects").
//!
//! Per gene the REF window is predicted once; its ALT windows ([`edit`]) are predicted in batches of a
//! fixed composition (the gene's alleles in VCF order), so results do not depend on thread counts. A job
//! resumes from its log ([`crate::output::gene_log`]); `vep.tsv` is written last, atomically, after the
//! same rows as `vep.parquet` ([`parquet`]).

pub mod edit;
pub mod parquet;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use seq2exp_store::{GeneInfo, StoreReader, Strand};

use crate::output::elements::{runs, ElementParams};
use crate::output::gene_log::{GeneLog, GeneResult};
use crate::output::{write_atomic, OutputError};
use crate::predict::{claim_dir, PredictError};
use crate::select::{select_genes, GeneFilter, Shard};
use crate::{InputBatch, Model};
use edit::{build_alt, realign, Edit, RefWindow, Source};
use seq2exp_formats::chrom::normalise as canonical;
use seq2exp_formats::vcf::{read_variants, Variant};
use seq2exp_formats::InputError;

pub const TSV_NAME: &str = "vep.tsv";
pub const LOG_NAME: &str = "vep.log";
pub const WARNINGS_NAME: &str = "vep.warnings.tsv";
pub const SUMMARY_NAME: &str = "vep.summary.json";
/// Columns of `vep.tsv`. `delta` = alt − ref on the model's log10(CAGE + 1) scale; `tss_distance` is the
/// variant's first edited base minus the TSS along the gene's strand (negative = upstream).
pub const COLUMNS: [&str; 15] = [
    "chrom",
    "pos",
    "ref",
    "alt",
    "variant_id",
    "gene_id",
    "gene_name",
    "strand",
    "tss_distance",
    "ref_prediction",
    "alt_prediction",
    "delta",
    "mask_ref",
    "mask_alt",
    "in_element",
];

/// Reference bases outside the store's windows (a FASTA), as DNA codes; `N` (4) off the chromosome.
pub trait Flanks {
    fn codes(&self, chrom: &str, start: i64, end: i64) -> Result<Vec<u8>, String>;
}

#[derive(Debug, thiserror::Error)]
pub enum VepError {
    #[error(transparent)]
    Predict(#[from] PredictError),
    #[error(transparent)]
    Input(#[from] InputError),
}

impl From<OutputError> for VepError {
    fn from(e: OutputError) -> Self {
        Self::Predict(e.into())
    }
}
impl From<crate::RuntimeError> for VepError {
    fn from(e: crate::RuntimeError) -> Self {
        Self::Predict(e.into())
    }
}
impl From<seq2exp_store::StoreError> for VepError {
    fn from(e: seq2exp_store::StoreError) -> Self {
        Self::Predict(e.into())
    }
}

pub struct VepOptions {
    pub store: PathBuf,
    pub vcf: PathBuf,
    pub out: PathBuf,
    /// Recorded in the job identity (its bases come through [`Flanks`]).
    pub fasta: Option<PathBuf>,
    pub filter: GeneFilter,
    pub shard: Option<Shard>,
    /// ALT windows per model call.
    pub batch: usize,
    /// Count alleles on chromosomes the store lacks instead of failing.
    pub allow_missing_chroms: bool,
    /// `in_element`: runs of the REF mask ≥ threshold of at least this many bases (as `elements.bed`).
    pub element_threshold: f32,
    pub element_min_length: usize,
    pub progress: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct VepSummary {
    pub alleles: usize,
    pub genes: usize,
    /// Variant–gene pairs scored.
    pub pairs: usize,
    /// Alleles (or allele–gene pairs) not scored, by reason.
    pub skipped: BTreeMap<String, usize>,
    pub seconds: f64,
    pub files: Vec<PathBuf>,
}

/// A variant with its edit, on the store's spelling of its chromosome.
struct Placed<'a> {
    index: usize,
    v: &'a Variant,
    edit: Edit,
}

fn identity(model: &Path, o: &VepOptions) -> serde_json::Value {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()).display().to_string();
    let bytes = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    serde_json::json!({
        "job": "vep", "model": abs(model), "model_bytes": bytes(model), "store": abs(&o.store),
        "vcf": abs(&o.vcf), "vcf_bytes": bytes(&o.vcf), "fasta": o.fasta.as_deref().map(abs),
        "filter": format!("{:?}", o.filter), "shard": o.shard.map(|s| format!("{}/{}", s.index, s.count)),
        "batch": o.batch, "element": [o.element_threshold, o.element_min_length as f32],
    })
}

/// Runs (or resumes) a vep job.
pub fn run_vep(model: &Model, o: &VepOptions, flanks: Option<&dyn Flanks>) -> Result<VepSummary, VepError> {
    let started = Instant::now();
    let reader = StoreReader::open(&o.store)?;
    model.check_store(&reader)?;
    let info = model.info().clone();
    let cfg = &info.config;
    let (variants, symbolic) = read_variants(&o.vcf)?;
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut record_warnings: Vec<(usize, String)> = Vec::new();
    if !symbolic.is_empty() {
        skipped.insert("symbolic_allele".into(), symbolic.len());
    }

    // Alleles by chromosome, sorted by edit start.
    let store_chroms: BTreeSet<&str> = reader.genes().iter().map(|g| g.chrom.as_str()).collect();
    let mut by_chrom: HashMap<String, Vec<Placed>> = HashMap::new();
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for (index, v) in variants.iter().enumerate() {
        let chrom = canonical(&v.chrom);
        if !store_chroms.contains(chrom.as_str()) {
            *missing.entry(v.chrom.clone()).or_default() += 1;
            record_warnings.push((index, "chrom_not_in_store".into()));
            continue;
        }
        by_chrom.entry(chrom).or_default().push(Placed { index, v, edit: Edit::from_vcf(v.pos, &v.reference, &v.alt) });
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|(c, n)| format!("{c} ({n} allele(s))")).collect();
        if !o.allow_missing_chroms {
            return Err(OutputError::invalid(
                o.vcf.display(),
                format!(
                    "chromosome(s) not in the store {}: {}; pass --allow-missing-chroms to count and skip them",
                    o.store.display(),
                    list.join(", ")
                ),
            )
            .into());
        }
        skipped.insert("chrom_not_in_store".into(), missing.values().sum());
    }
    for list in by_chrom.values_mut() {
        list.sort_by_key(|p| (p.edit.start, p.index));
    }
    let window = info.window;
    let outside = count_outside_windows(&by_chrom, reader.genes(), window as u64);
    if outside > 0 {
        skipped.insert("outside_gene_windows".into(), outside);
    }

    let order = select_genes(&reader, &o.filter, o.shard)?;
    let _lock = claim_dir(&o.out, &identity(model.path(), o))?;
    let tsv = o.out.join(TSV_NAME);
    if tsv.is_file() && !o.out.join(LOG_NAME).exists() {
        let path = o.out.join(SUMMARY_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| OutputError::io(&path, e))?;
        tracing::info!(out = %o.out.display(), "this job is already complete");
        return Ok(serde_json::from_str(&text).map_err(|e| OutputError::invalid(path.display(), e.to_string()))?);
    }
    let mut log = GeneLog::open(&o.out, LOG_NAME)?;
    let spec = reader.signal_spec(&info.signal_names.iter().map(String::as_str).collect::<Vec<_>>())?;
    let params = ElementParams {
        threshold: o.element_threshold,
        min_length: o.element_min_length,
        promoter_half_width: cfg.mask.promoter_half_width,
    };
    let bar = if o.progress {
        seq2exp_cli_util::progress(order.len() as u64, "genes")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let pending = order.iter().filter(|&&g| !log.is_done(g)).count();
    bar.set_position((order.len() - pending) as u64);
    tracing::info!(alleles = variants.len(), genes = order.len(), pending, out = %o.out.display(), "scoring variants");
    for &g in &order {
        if log.is_done(g) {
            continue;
        }
        let gene = &reader.genes()[g];
        let placed = in_window(by_chrom.get(&gene.chrom).map_or(&[][..], Vec::as_slice), gene, window as u64);
        let result = if placed.is_empty() {
            GeneResult::default()
        } else {
            let ex = reader.read(g, &spec)?;
            score_gene(model, gene, &ex, &placed, o.batch.max(1), flanks, &params)?
        };
        log.append(g, result)?;
        bar.inc(1);
    }
    bar.finish_and_clear();

    // Outputs: warnings and summary, then vep.tsv (its presence, with the log gone, marks a finished job).
    let mut rows = Vec::new();
    let mut warnings: Vec<(&Variant, String, String)> =
        symbolic.iter().map(|v| (v, ".".to_string(), "symbolic_allele".to_string())).collect();
    warnings.extend(record_warnings.into_iter().map(|(i, r)| (&variants[i], ".".to_string(), r)));
    for &g in &order {
        let r = log.result(g).expect("every selected gene is logged");
        rows.extend(r.rows.iter().cloned());
        for (i, reason) in &r.warnings {
            *skipped.entry(reason.clone()).or_default() += 1;
            warnings.push((&variants[*i], reader.genes()[g].id.clone(), reason.clone()));
        }
    }
    warnings.sort_by_key(|(v, gene, _)| (v.line, v.alt.clone(), gene.clone()));
    let warn_path = o.out.join(WARNINGS_NAME);
    write_atomic(&warn_path, |tmp| {
        let mut s = String::from("line\tchrom\tpos\tref\talt\tgene_id\treason\n");
        for (v, gene, reason) in &warnings {
            s.push_str(&format!("{}\t{}\t{}\t{}\t{}\t{gene}\t{reason}\n", v.line, v.chrom, v.pos, v.reference, v.alt));
        }
        std::fs::write(tmp, s).map_err(|e| OutputError::io(tmp, e))
    })?;
    let files = vec![tsv.clone(), warn_path, o.out.join(SUMMARY_NAME), o.out.join(parquet::PARQUET_NAME)];
    let summary = VepSummary {
        alleles: variants.len(),
        genes: order.len(),
        pairs: rows.len(),
        skipped,
        seconds: started.elapsed().as_secs_f64(),
        files: files.clone(),
    };
    write_atomic(&files[2], |tmp| {
        std::fs::write(tmp, serde_json::to_string_pretty(&summary).expect("json")).map_err(|e| OutputError::io(tmp, e))
    })?;
    let row_refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    parquet::write_parquet(&files[3], &row_refs, &tsv)?;
    write_atomic(&tsv, |tmp| {
        let mut s = COLUMNS.join("\t");
        s.push('\n');
        for r in &rows {
            s.push_str(r);
            s.push('\n');
        }
        std::fs::write(tmp, s).map_err(|e| OutputError::io(tmp, e))
    })?;
    log.remove()?;
    Ok(summary)
}

/// Alleles whose edit lies in no gene window of the store.
fn count_outside_windows(by_chrom: &HashMap<String, Vec<Placed>>, genes: &[GeneInfo], window: u64) -> usize {
    let mut inside = BTreeSet::new();
    for g in genes {
        for p in in_window(by_chrom.get(&g.chrom).map_or(&[][..], Vec::as_slice), g, window) {
            inside.insert(p.index);
        }
    }
    by_chrom.values().map(Vec::len).sum::<usize>() - inside.len()
}

/// The alleles (sorted by edit start) whose edit starts inside `gene`'s window.
fn in_window<'a, 'b>(list: &'b [Placed<'a>], gene: &GeneInfo, window: u64) -> Vec<&'b Placed<'a>> {
    let start = gene.window_start(window);
    let end = start + window as i64;
    let first = list.partition_point(|p| p.edit.start < start);
    list[first..].iter().take_while(|p| p.edit.start < end).collect()
}

fn fmt_opt(v: Option<f32>) -> String {
    v.map_or("NA".into(), |x| x.to_string())
}

/// Scores one gene's alleles: REF once, ALT windows in batches.
fn score_gene(
    model: &Model,
    gene: &GeneInfo,
    ex: &seq2exp_store::Example,
    placed: &[&Placed],
    batch: usize,
    flanks: Option<&dyn Flanks>,
    params: &ElementParams,
) -> Result<GeneResult, VepError> {
    let l = ex.dna.len();
    let c = ex.signals.len() / l;
    let ws = gene.window_start(l as u64);
    let tss = gene.tss as i64;
    let ref_input = InputBatch {
        batch: 1,
        window: l,
        dna: &ex.dna,
        signals: &ex.signals,
        features: &ex.features,
        blacklist: Some(&ex.blacklist),
    };
    let reference = model.predict(&ref_input)?;
    let ref_mask = reference.mask.clone();
    let elements = ref_mask.as_ref().map(|m| runs(m, params)).unwrap_or_default();
    let w = RefWindow { start: ws, dna: &ex.dna, signals: &ex.signals, channels: c, blacklist: &ex.blacklist };
    let mut result = GeneResult::default();
    // (placed, ALT index of the edit) of the alleles to predict, with their inputs.
    let mut jobs: Vec<(&Placed, usize)> = Vec::new();
    let (mut dna, mut signals, mut blacklist) = (Vec::new(), Vec::new(), Vec::new());
    let (mut d1, mut s1, mut b1) = (Vec::new(), Vec::new(), Vec::new());
    for p in placed {
        if let Some(reason) = ref_mismatch(p, &w) {
            result.warnings.insert((p.index, reason));
            continue;
        }
        let sources = match realign(&p.edit, ws, l, tss) {
            Ok(s) => s,
            Err(e) => {
                let reason =
                    serde_json::to_value(e).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
                result.warnings.insert((p.index, reason));
                continue;
            }
        };
        let needs_flanks = sources.iter().any(|s| matches!(s, Source::Reference(q) if *q < ws || *q >= ws + l as i64));
        let built = match (needs_flanks, flanks) {
            (true, None) => {
                result.warnings.insert((p.index, "needs_fasta".into()));
                continue;
            }
            (_, f) => build_alt(
                &sources,
                &p.edit,
                &w,
                |a, b| f.expect("flanks checked").codes(&gene.chrom, a, b),
                &mut d1,
                &mut s1,
                &mut b1,
            ),
        };
        built.map_err(|m| OutputError::invalid(format!("FASTA, {}:{}", gene.chrom, p.v.pos), m))?;
        dna.extend_from_slice(&d1);
        signals.extend_from_slice(&s1);
        blacklist.extend_from_slice(&b1);
        let shift = if !p.edit.is_substitution() && p.edit.start <= tss { p.edit.delta() } else { 0 };
        jobs.push((p, (p.edit.start - ws - shift).clamp(0, l as i64 - 1) as usize));
    }
    let features: Vec<f32> = (0..jobs.len()).flat_map(|_| ex.features.iter().copied()).collect();
    let nf = ex.features.len();
    for (k, chunk) in jobs.chunks(batch).enumerate() {
        let (a, b) = (k * batch, k * batch + chunk.len());
        let input = InputBatch {
            batch: chunk.len(),
            window: l,
            dna: &dna[a * l..b * l],
            signals: &signals[a * l * c..b * l * c],
            features: &features[a * nf..b * nf],
            blacklist: Some(&blacklist[a * l..b * l]),
        };
        let pred = model.predict(&input)?;
        for (j, (p, alt_at)) in chunk.iter().enumerate() {
            let at = (p.edit.start - ws) as usize;
            let mask_ref = ref_mask.as_ref().map(|m| m[at]);
            let mask_alt = pred.mask.as_ref().map(|m| m[j * l + alt_at]);
            let in_element = ref_mask.as_ref().map(|_| elements.iter().any(|&(s, e, _)| (s..e).contains(&at)));
            let sign = if gene.strand == Strand::Minus { -1 } else { 1 };
            let (r, x) = (reference.expression[0], pred.expression[j]);
            result.rows.push(
                [
                    gene.chrom.clone(),
                    p.v.pos.to_string(),
                    p.v.reference.clone(),
                    p.v.alt.clone(),
                    p.v.id.clone(),
                    gene.id.clone(),
                    gene.name.clone(),
                    gene.strand.to_string(),
                    (sign * (p.edit.start - tss)).to_string(),
                    r.to_string(),
                    x.to_string(),
                    (x - r).to_string(),
                    fmt_opt(mask_ref),
                    fmt_opt(mask_alt),
                    in_element.map_or("NA".into(), |b| b.to_string()),
                ]
                .join("\t"),
            );
        }
    }
    Ok(result)
}

/// `ref_mismatch` when the VCF REF disagrees with the stored window where they overlap (`N` in REF
/// matches any base).
fn ref_mismatch(p: &Placed, w: &RefWindow) -> Option<String> {
    let first = p.v.pos as i64 - 1;
    let end = w.start + w.dna.len() as i64;
    let bad = p.v.reference.bytes().enumerate().any(|(k, b)| {
        let at = first + k as i64;
        let code = seq2exp_store::dna_code(b.to_ascii_uppercase());
        (w.start..end).contains(&at) && code != 4 && w.dna[(at - w.start) as usize] != code
    });
    bad.then(|| "ref_mismatch".to_string())
}
