//! Link scores against ground truth, as CRISPR_comparison's R workflow computes it
//! (`mergePredictionsWithExperiment.R`, `crisprComparisonMergeFunctions.R`,
//! `crisprComparisonPlotFunctions.R`, `crisprComparisonBootstrapFunctions.R`):
//!
//! 1. Predictions with a missing (`NA`) score get the fill value (`fill_pred_na`).
//! 2. With a TSS universe, predicted elements (unique `chr start end name`) overlapping any TSS region
//!    are dropped, both read as 0-based BED (`starts.in.df.are.0based = TRUE`), so the overlap is the
//!    half-open one; prediction rows are then kept by element *name* (`filter_pred_tss`). CRISPR pairs
//!    whose gene is not named in the universe are dropped too (`filterExptGeneUniverse`).
//! 3. Prediction cell types go through the map (unmapped ones stay as they are: `map_cell_type`).
//! 4. CRISPR pairs are the rows with `ValidConnection == "TRUE"` and a non-`NA` `Regulated`.
//! 5. A pair matches the predictions of its cell type, chromosome (names normalised, `22` = `chr22`) and
//!    gene whose interval overlaps it as closed intervals: `IRanges(chromStart, chromEnd)` against
//!    `IRanges(start, end)`, the coordinates as written, so intervals that only touch do overlap.
//! 6. Matched scores are aggregated (sum, max or mean) per pair and prediction cell type
//!    (`collapseEnhancersOverlappingMultiplePredictions`); pairs with no match get the fill value.
//! 7. Inverse predictors are negated. The PR table is ROCR's: one row per unique score, descending,
//!    counting every pair scoring at or above it (ties included). AUPRC is `caTools::trapz(recall,
//!    precision)` over the yardstick PR table less its first (`Inf`) row and its last two rows (the two
//!    lowest thresholds: `calculate_performance_one_pred` drops one, `calculate_auprc` another).
//!    Precision at 70% recall: the threshold is the one of the smallest recall ≥ 0.7 with the highest
//!    precision (`computePerfGivenSensitivity`), and the precision is read from the yardstick table
//!    less its first and last rows at the lowest threshold ≥ that one
//!    (`calculate_performance_at_threshold`), which is the same row unless the threshold is the lowest.
//!
//! With planted truth instead of a screen (`--truth`), cell types are ignored, genes are compared without
//! version suffixes, the truth's pairs are the tested pairs and every predicted element–gene pair that
//! overlaps none of its gene's truth elements is one more (negative) pair, scored by the same
//! aggregation.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::crispr::{BedRow, CrisprPair, TruthPair};
use super::normalise_chrom;
use super::table::Prediction;

/// How the scores of several predictions overlapping one tested pair combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregate {
    #[default]
    Sum,
    Max,
    Mean,
}

impl Aggregate {
    fn apply(self, v: &[f64]) -> f64 {
        match self {
            Self::Sum => v.iter().sum(),
            Self::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Self::Mean => v.iter().sum::<f64>() / v.len() as f64,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    pub aggregate: Aggregate,
    /// Score of tested pairs no prediction overlaps, and of `NA` predictions.
    pub fill: f64,
    /// Lower scores are stronger (the config's `inverse_predictor`).
    pub inverse: bool,
    /// Prediction cell type → experiment cell type.
    pub cell_type_map: HashMap<String, String>,
    /// TSS regions (0-based BED) whose overlapping predicted elements are dropped.
    pub tss_universe: Option<Vec<BedRow>>,
}

/// One point of the PR table: pairs scoring at or above `threshold` (at or below, for inverse
/// predictors, in the file's own scale) are called.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrPoint {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
}

/// One evaluated pair: its score (after aggregation or fill, before negation) and label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluatedPair {
    pub chrom: String,
    pub start: i64,
    pub end: i64,
    pub gene: String,
    pub name: String,
    pub score: f64,
    pub positive: bool,
    /// How many predictions were aggregated (0: filled).
    pub n_predictions: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub auprc: Option<f64>,
    #[serde(rename = "precision_at_recall_0.7")]
    pub precision_at_recall_07: Option<f64>,
    #[serde(rename = "recall_at_recall_0.7")]
    pub recall_at_recall_07: Option<f64>,
    #[serde(rename = "threshold_at_recall_0.7")]
    pub threshold_at_recall_07: Option<f64>,
    /// Evaluated rows (tested pairs; a pair matched by predictions of two cell types mapping to its
    /// own counts twice, as in the workflow).
    pub pairs: usize,
    pub positives: usize,
    /// Pairs overlapping at least one prediction.
    pub matched_pairs: usize,
    /// Pairs with no overlapping prediction (filled).
    pub filled_pairs: usize,
    /// Screen rows left out: `ValidConnection` not TRUE, `Regulated` NA, gene not in the TSS universe.
    pub not_valid_connection: usize,
    pub regulated_na: usize,
    pub gene_not_in_universe: usize,
    pub predictions: usize,
    /// Predictions whose score was `NA` (given the fill value).
    pub predictions_na_filled: usize,
    /// Unique predicted elements overlapping a TSS region, and the prediction rows dropped with them.
    pub dropped_tss_elements: usize,
    pub dropped_tss_predictions: usize,
    /// Predictions whose (mapped) cell type is none of the screen's.
    pub predictions_other_cell_types: usize,
    #[serde(skip)]
    pub pr: Vec<PrPoint>,
    #[serde(skip)]
    pub evaluated: Vec<EvaluatedPair>,
}

/// Sorted (start, end) intervals of one chromosome with running maximum ends, for "does anything
/// overlap [s, e)" queries.
struct Intervals {
    starts: Vec<i64>,
    max_end: Vec<i64>,
}

impl Intervals {
    fn new(mut v: Vec<(i64, i64)>) -> Self {
        v.sort_unstable();
        let mut m = i64::MIN;
        let max_end = v
            .iter()
            .map(|&(_, e)| {
                m = m.max(e);
                m
            })
            .collect();
        Self { starts: v.iter().map(|&(s, _)| s).collect(), max_end }
    }
    /// Whether a 0-based half-open [s, e) overlaps one of them (GRanges of 0-based starts, closed).
    fn overlaps_half_open(&self, s: i64, e: i64) -> bool {
        let k = self.starts.partition_point(|&t| t < e);
        k > 0 && self.max_end[k - 1] > s
    }
}

/// Step 2: predictions surviving the TSS filter, and (dropped elements, dropped rows).
fn filter_tss(preds: Vec<Prediction>, tss: &[BedRow]) -> (Vec<Prediction>, usize, usize) {
    let mut by_chrom: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    for t in tss {
        by_chrom.entry(normalise_chrom(&t.chrom)).or_default().push((t.start, t.end));
    }
    let index: HashMap<String, Intervals> = by_chrom.into_iter().map(|(c, v)| (c, Intervals::new(v))).collect();
    let mut elements: HashSet<(&str, i64, i64, &str)> = HashSet::new();
    let mut kept_elements = 0;
    let mut kept_names: HashSet<&str> = HashSet::new();
    for p in &preds {
        if elements.insert((&p.chr, p.start, p.end, &p.name)) {
            let hit = index.get(&normalise_chrom(&p.chr)).is_some_and(|iv| iv.overlaps_half_open(p.start, p.end));
            if !hit {
                kept_elements += 1;
                kept_names.insert(&p.name);
            }
        }
    }
    let dropped_elements = elements.len() - kept_elements;
    let kept_names: HashSet<String> = kept_names.into_iter().map(str::to_string).collect();
    let n = preds.len();
    let kept: Vec<Prediction> = preds.into_iter().filter(|p| kept_names.contains(&p.name)).collect();
    let dropped_rows = n - kept.len();
    (kept, dropped_elements, dropped_rows)
}

struct Prepared {
    preds: Vec<(Prediction, f64)>,
    report: EvalReport,
}

fn prepare(preds: Vec<Prediction>, opts: &EvalOptions) -> Prepared {
    let mut report = empty_report();
    report.predictions = preds.len();
    let preds = match &opts.tss_universe {
        Some(tss) => {
            let (kept, de, dr) = filter_tss(preds, tss);
            report.dropped_tss_elements = de;
            report.dropped_tss_predictions = dr;
            kept
        }
        None => preds,
    };
    let preds = preds
        .into_iter()
        .map(|p| {
            let s = p.score.unwrap_or_else(|| {
                report.predictions_na_filled += 1;
                opts.fill
            });
            (p, s)
        })
        .collect();
    Prepared { preds, report }
}

fn empty_report() -> EvalReport {
    EvalReport {
        auprc: None,
        precision_at_recall_07: None,
        recall_at_recall_07: None,
        threshold_at_recall_07: None,
        pairs: 0,
        positives: 0,
        matched_pairs: 0,
        filled_pairs: 0,
        not_valid_connection: 0,
        regulated_na: 0,
        gene_not_in_universe: 0,
        predictions: 0,
        predictions_na_filled: 0,
        dropped_tss_elements: 0,
        dropped_tss_predictions: 0,
        predictions_other_cell_types: 0,
        pr: Vec::new(),
        evaluated: Vec::new(),
    }
}

/// (experiment cell type, normalised chromosome, gene).
type MatchKey<'a> = (String, String, &'a str);
/// (start, end, prediction cell type, score).
type Candidate<'a> = (i64, i64, &'a str, f64);
/// (normalised chromosome, start, end, gene without version).
type ElementGene = (String, i64, i64, String);

fn closed_overlap(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Evaluates predictions against a CRISPRi screen.
pub fn evaluate_crispr(preds: Vec<Prediction>, screen: &[CrisprPair], opts: &EvalOptions) -> EvalReport {
    let Prepared { preds, mut report } = prepare(preds, opts);
    let universe: Option<HashSet<&str>> =
        opts.tss_universe.as_ref().map(|t| t.iter().map(|r| r.name.as_str()).collect());
    let screen_cell_types: HashSet<&str> = screen.iter().map(|p| p.cell_type.as_str()).collect();
    // (experiment cell type, chromosome, gene) → (start, end, prediction cell type, score)
    let mut index: HashMap<MatchKey, Vec<Candidate>> = HashMap::new();
    for (p, s) in &preds {
        let expt = opts.cell_type_map.get(&p.cell_type).map_or(p.cell_type.as_str(), String::as_str);
        if !screen_cell_types.contains(expt) {
            report.predictions_other_cell_types += 1;
            continue;
        }
        index.entry((expt.to_string(), normalise_chrom(&p.chr), &p.target_gene)).or_default().push((
            p.start,
            p.end,
            &p.cell_type,
            *s,
        ));
    }
    for pair in screen {
        if pair.regulated.is_none() {
            report.regulated_na += 1;
            continue;
        }
        if universe.as_ref().is_some_and(|u| !u.contains(pair.gene.as_str())) {
            report.gene_not_in_universe += 1;
            continue;
        }
        if !pair.valid {
            report.not_valid_connection += 1;
            continue;
        }
        let key = (pair.cell_type.clone(), normalise_chrom(&pair.chrom), pair.gene.as_str());
        // Matched scores per prediction cell type, in file order.
        let mut groups: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for &(s, e, ct, v) in index.get(&key).map_or(&[][..], Vec::as_slice) {
            if closed_overlap((pair.start, pair.end), (s, e)) {
                groups.entry(ct).or_default().push(v);
            }
        }
        let base = EvaluatedPair {
            chrom: pair.chrom.clone(),
            start: pair.start,
            end: pair.end,
            gene: pair.gene.clone(),
            name: pair.name.clone(),
            score: opts.fill,
            positive: pair.regulated == Some(true),
            n_predictions: 0,
        };
        if groups.is_empty() {
            report.filled_pairs += 1;
            report.evaluated.push(base);
        } else {
            report.matched_pairs += 1;
            for v in groups.values() {
                report.evaluated.push(EvaluatedPair {
                    score: opts.aggregate.apply(v),
                    n_predictions: v.len(),
                    ..base.clone()
                });
            }
        }
    }
    finish(report, opts.inverse)
}

/// Evaluates predictions against planted truth (data-prep's truth.bed or elements.bed).
pub fn evaluate_truth(preds: Vec<Prediction>, truth: &[TruthPair], opts: &EvalOptions) -> EvalReport {
    let Prepared { preds, mut report } = prepare(preds, opts);
    let mut by_gene: HashMap<(String, &str), Vec<usize>> = HashMap::new();
    for (i, t) in truth.iter().enumerate() {
        by_gene.entry((normalise_chrom(&t.chrom), t.gene.as_str())).or_default().push(i);
    }
    let mut matched: Vec<Vec<f64>> = vec![Vec::new(); truth.len()];
    // Predicted element–gene pairs overlapping no truth element of their gene, in first-seen order.
    let mut extra: Vec<(ElementGene, String, Vec<f64>)> = Vec::new();
    let mut extra_index: HashMap<ElementGene, usize> = HashMap::new();
    for (p, s) in &preds {
        // Truth names genes by id: the prediction's id column where it has one, else its gene column.
        let gene = super::strip_version(p.target_gene_id.as_deref().unwrap_or(&p.target_gene));
        let chrom = normalise_chrom(&p.chr);
        let mut hit = false;
        if let Some(ix) = by_gene.get(&(chrom.clone(), gene)) {
            for &i in ix {
                if closed_overlap((truth[i].start, truth[i].end), (p.start, p.end)) {
                    matched[i].push(*s);
                    hit = true;
                }
            }
        }
        if !hit {
            let key = (chrom, p.start, p.end, gene.to_string());
            let k = *extra_index.entry(key.clone()).or_insert_with(|| {
                extra.push((key, p.name.clone(), Vec::new()));
                extra.len() - 1
            });
            extra[k].2.push(*s);
        }
    }
    for (t, v) in truth.iter().zip(&matched) {
        let (score, n) = if v.is_empty() { (opts.fill, 0) } else { (opts.aggregate.apply(v), v.len()) };
        if n == 0 {
            report.filled_pairs += 1;
        } else {
            report.matched_pairs += 1;
        }
        report.evaluated.push(EvaluatedPair {
            chrom: t.chrom.clone(),
            start: t.start,
            end: t.end,
            gene: t.gene.clone(),
            name: t.name.clone(),
            score,
            positive: t.positive,
            n_predictions: n,
        });
    }
    for ((chrom, start, end, gene), name, v) in extra {
        report.matched_pairs += 1;
        report.evaluated.push(EvaluatedPair {
            chrom,
            start,
            end,
            gene,
            name,
            score: opts.aggregate.apply(&v),
            positive: false,
            n_predictions: v.len(),
        });
    }
    finish(report, opts.inverse)
}

fn finish(mut report: EvalReport, inverse: bool) -> EvalReport {
    let sign = if inverse { -1.0 } else { 1.0 };
    let scored: Vec<(f64, bool)> = report.evaluated.iter().map(|p| (sign * p.score, p.positive)).collect();
    report.pairs = scored.len();
    report.positives = scored.iter().filter(|p| p.1).count();
    let m = metrics(&scored);
    report.auprc = m.auprc;
    report.precision_at_recall_07 = m.precision_at_recall;
    report.recall_at_recall_07 = m.recall_at_recall;
    report.threshold_at_recall_07 = m.threshold.map(|t| sign * t);
    report.pr = m.table.iter().map(|p| PrPoint { threshold: sign * p.threshold, ..*p }).collect();
    report
}

/// The metrics of (score, positive) pairs, higher score = stronger.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// ROCR's PR table without its `Inf` row: one row per unique score, descending.
    pub table: Vec<PrPoint>,
    pub auprc: Option<f64>,
    pub threshold: Option<f64>,
    pub precision_at_recall: Option<f64>,
    pub recall_at_recall: Option<f64>,
}

/// PR table, AUPRC and precision at 70% recall (see the module docs). NaN scores are left out, as
/// yardstick's `na_rm` and ROCR do not rank them.
pub fn metrics(scored: &[(f64, bool)]) -> Metrics {
    let mut v: Vec<(f64, bool)> = scored.iter().copied().filter(|p| !p.0.is_nan()).collect();
    v.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n_pos = v.iter().filter(|p| p.1).count();
    let mut table = Vec::new();
    let (mut tp, mut fp) = (0usize, 0usize);
    for (i, &(s, pos)) in v.iter().enumerate() {
        if pos {
            tp += 1;
        } else {
            fp += 1;
        }
        if i + 1 == v.len() || v[i + 1].0 != s {
            table.push(PrPoint {
                threshold: s,
                precision: tp as f64 / (tp + fp) as f64,
                recall: tp as f64 / n_pos as f64,
            });
        }
    }
    let none = Metrics {
        table: table.clone(),
        auprc: None,
        threshold: None,
        precision_at_recall: None,
        recall_at_recall: None,
    };
    if n_pos == 0 || n_pos == v.len() {
        return none;
    }
    // AUPRC: trapezoids over all rows but the two lowest thresholds.
    let n = table.len();
    let auc_rows = &table[..n.saturating_sub(2)];
    let auprc = (!auc_rows.is_empty()).then(|| {
        auc_rows.windows(2).map(|w| (w[1].recall - w[0].recall) * (w[1].precision + w[0].precision)).sum::<f64>() / 2.0
    });
    // Threshold: smallest recall ≥ 0.7, the highest precision among rows of that recall (the first).
    let cutoff = table.iter().map(|p| p.recall).filter(|&r| r >= 0.7).fold(f64::INFINITY, f64::min);
    let chosen = table.iter().filter(|p| p.recall == cutoff).fold(None::<&PrPoint>, |best, p| match best {
        Some(b) if b.precision >= p.precision => Some(b),
        _ => Some(p),
    });
    let (mut precision_at_recall, mut recall_at_recall) = (None, None);
    if let Some(c) = chosen {
        // Read back from the table less its lowest threshold, at the lowest threshold ≥ the chosen one.
        let trimmed = &table[..n - 1];
        let idx = trimmed.iter().filter(|p| p.threshold >= c.threshold).count();
        if idx > 0 {
            precision_at_recall = Some(trimmed[idx - 1].precision);
            recall_at_recall = Some(trimmed[idx - 1].recall);
        }
    }
    Metrics { auprc, threshold: chosen.map(|c| c.threshold), precision_at_recall, recall_at_recall, ..none }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        // Scores 5 4 3 3 2 1 with labels + - + - + -: thresholds 5,4,3,2,1.
        let s = [(5.0, true), (4.0, false), (3.0, true), (3.0, false), (2.0, true), (1.0, false)];
        let m = metrics(&s);
        let t: Vec<(f64, f64, f64)> = m.table.iter().map(|p| (p.threshold, p.precision, p.recall)).collect();
        assert_eq!(
            t,
            vec![(5.0, 1.0, 1.0 / 3.0), (4.0, 0.5, 1.0 / 3.0), (3.0, 0.5, 2.0 / 3.0), (2.0, 0.6, 1.0), (1.0, 0.5, 1.0)]
        );
        // Rows used: thresholds 5, 4, 3: trapezoids (0)(1.5)/2 + (1/3)(1.0)/2 = 1/6.
        assert!((m.auprc.unwrap() - 1.0 / 6.0).abs() < 1e-15);
        // Smallest recall ≥ 0.7 is 1 (thresholds 2 and 1): best precision 0.6 at 2.
        assert_eq!(m.threshold, Some(2.0));
        assert_eq!(m.precision_at_recall, Some(0.6));
        // All one label: no metrics.
        assert_eq!(metrics(&[(1.0, true), (2.0, true)]).auprc, None);
    }

    #[test]
    fn tss_filter_is_half_open_and_keeps_by_name() {
        let p = |s, e, name: &str| Prediction {
            chr: "22".into(),
            start: s,
            end: e,
            name: name.into(),
            target_gene: "G".into(),
            target_gene_id: None,
            cell_type: "K".into(),
            score: Some(1.0),
        };
        let tss = vec![BedRow { chrom: "chr22".into(), start: 100, end: 200, name: "G".into(), line: 1 }];
        // [0,100) touches [100,200) only at the boundary: kept; [199,300) overlaps by one base: dropped.
        let (kept, de, dr) =
            filter_tss(vec![p(0, 100, "a"), p(199, 300, "b"), p(199, 300, "b"), p(300, 400, "c")], &tss);
        assert_eq!((kept.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), de, dr), (vec!["a", "c"], 1, 2));
    }
}
