//! `runtime eval-links --links L.tsv (--crispr EXPT.tsv.gz | --truth truth.bed) [--pred-col Score]
//! [--aggregate sum|max|mean] [--fill 0] [--cell-type-map MAP] [--tss-universe BED] [--inverse] [--json]
//! [--out DIR]`: enhancer–gene link scores against a CRISPRi screen (EPCrisprBenchmark format) or a
//! simulated genome's planted truth, as EngreitzLab's CRISPR_comparison benchmark evaluates them (see
//! [`crate::links::eval`]). Prints a summary (or JSON); `--out DIR` writes `DIR/pr_curve.tsv`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::links::crispr::{read_bed4, read_cell_type_map, read_crispr, read_truth};
use crate::links::eval::{evaluate_crispr, evaluate_truth, Aggregate, EvalOptions, EvalReport};
use crate::links::table::read_predictions;

pub const PR_CURVE_NAME: &str = "pr_curve.tsv";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AggregateArg {
    Sum,
    Max,
    Mean,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  runtime eval-links --links run/links.tsv --crispr EPCrisprBenchmark_Fulco2019_K562_GRCh38.tsv.gz --cell-type-map ABC_cell_type_mapping.txt --tss-universe CollapsedGeneBounds.hg38.TSS500bp.bed
  runtime eval-links --links ABC_K562.tsv.gz --crispr expt.tsv.gz --pred-col powerlaw.Score --aggregate sum --fill 0 --json
  runtime eval-links --links run/links.tsv --truth sim/truth.bed --out run/eval
  runtime eval-links --links dist.tsv --crispr expt.tsv.gz --pred-col DistanceToTSS --aggregate mean --fill Inf --inverse")]
#[command(group(clap::ArgGroup::new("truth_source").required(true).args(["crispr", "truth"])))]
pub struct EvalLinksArgs {
    /// Predicted links, ABC-shaped (`chr start end name TargetGene CellType` and the score column), plain
    /// or gzipped TSV; `runtime links` writes one.
    #[arg(long)]
    pub links: PathBuf,
    /// CRISPRi screen in the EPCrisprBenchmark format (plain or gzipped TSV).
    #[arg(long)]
    pub crispr: Option<PathBuf>,
    /// Planted truth of a simulated genome: data-prep's truth.bed (every row a causal pair) or
    /// elements.bed (`GENE:kind`, causal = positive).
    #[arg(long)]
    pub truth: Option<PathBuf>,
    /// Score column of --links.
    #[arg(long, default_value = "Score")]
    pub pred_col: String,
    /// How the scores of several predictions overlapping one tested pair combine.
    #[arg(long, value_enum, default_value_t = AggregateArg::Sum)]
    pub aggregate: AggregateArg,
    /// Score of tested pairs that no prediction overlaps, and of NA scores (`Inf` allowed).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub fill: f64,
    /// Two whitespace-separated columns `experiment predictions`: prediction cell type → screen's.
    #[arg(long)]
    pub cell_type_map: Option<PathBuf>,
    /// TSS regions (BED, e.g. CollapsedGeneBounds.hg38.TSS500bp.bed): predicted elements overlapping
    /// one are dropped, and screen pairs whose gene it does not name, as the workflow does by default.
    #[arg(long)]
    pub tss_universe: Option<PathBuf>,
    /// Lower scores are stronger (e.g. distance to the TSS).
    #[arg(long)]
    pub inverse: bool,
    #[arg(long)]
    pub json: bool,
    /// Directory for pr_curve.tsv (threshold, precision, recall), written atomically.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Reads the inputs and evaluates; no output written.
pub fn evaluate(a: &EvalLinksArgs) -> anyhow::Result<EvalReport> {
    let preds = read_predictions(&a.links, &a.pred_col)?;
    let opts = EvalOptions {
        aggregate: match a.aggregate {
            AggregateArg::Sum => Aggregate::Sum,
            AggregateArg::Max => Aggregate::Max,
            AggregateArg::Mean => Aggregate::Mean,
        },
        fill: a.fill,
        inverse: a.inverse,
        cell_type_map: a.cell_type_map.as_deref().map(read_cell_type_map).transpose()?.unwrap_or_default(),
        tss_universe: a.tss_universe.as_deref().map(read_bed4).transpose()?,
    };
    let report = match (&a.crispr, &a.truth) {
        (Some(c), _) => evaluate_crispr(preds, &read_crispr(c)?, &opts),
        (None, Some(t)) => evaluate_truth(preds, &read_truth(t)?, &opts),
        (None, None) => anyhow::bail!("give --crispr or --truth"),
    };
    anyhow::ensure!(
        report.pairs > 0,
        "{}: no tested pair left to evaluate",
        a.crispr.as_ref().or(a.truth.as_ref()).unwrap().display()
    );
    Ok(report)
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "NA".to_string(), |v| format!("{v:.4}"))
}

fn pr_curve_text(r: &EvalReport) -> String {
    let mut text = String::from("threshold\tprecision\trecall\n");
    for p in &r.pr {
        text.push_str(&format!("{}\t{}\t{}\n", p.threshold, p.precision, p.recall));
    }
    text
}

pub fn run(a: EvalLinksArgs) -> anyhow::Result<()> {
    let report = evaluate(&a)?;
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the directory", dir.display()))?;
        let path = dir.join(PR_CURVE_NAME);
        seq2exp_store::output::write_file(&path, pr_curve_text(&report))
            .map_err(|e| crate::output::OutputError::io(&path, e))?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "pairs {} (positives {}; {} overlap predictions, {} filled with {})",
            report.pairs, report.positives, report.matched_pairs, report.filled_pairs, a.fill
        );
        println!("AUPRC {}", fmt_opt(report.auprc));
        println!(
            "precision at recall >= 0.7: {} (recall {}, threshold {})",
            fmt_opt(report.precision_at_recall_07),
            fmt_opt(report.recall_at_recall_07),
            report.threshold_at_recall_07.map_or_else(|| "NA".to_string(), |t| format!("{t}"))
        );
        println!(
            "predictions {} ({} NA filled; {} elements / {} rows dropped at TSSs; {} of other cell types)",
            report.predictions,
            report.predictions_na_filled,
            report.dropped_tss_elements,
            report.dropped_tss_predictions,
            report.predictions_other_cell_types
        );
        if a.crispr.is_some() {
            println!(
                "screen rows left out: {} not ValidConnection, {} Regulated NA, {} gene not in the TSS universe",
                report.not_valid_connection, report.regulated_na, report.gene_not_in_universe
            );
        }
    }
    Ok(())
}
