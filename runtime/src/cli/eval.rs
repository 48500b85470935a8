//! `runtime eval --predictions DIR/predictions.tsv --store S.h5 [--split test --fold 11] [--masks M.h5]
//! [--json]`: the same regression metrics as `trainer eval`, from a predictions file, and the mask ratio
//! (mean mask over every base of the evaluated genes, as `trainer eval` reports it) when the run wrote
//! `masks.h5` beside the predictions or `--masks` names one.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use seq2exp_models::metrics::{regression_metrics, MetricsTable};
use seq2exp_store::{Split, StoreReader};

use crate::output::masks::mask_ratio;
use crate::output::predictions::read_predictions;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  runtime eval --predictions pred/predictions.tsv --store store.h5 --split test --fold 11
  runtime eval --predictions pred/predictions.tsv --store store.h5 --json")]
pub struct EvalArgs {
    #[arg(long)]
    pub predictions: PathBuf,
    #[arg(long)]
    pub store: PathBuf,
    /// Only genes of this split (train | valid | test) of --fold; default: every gene in the file.
    #[arg(long)]
    pub split: Option<Split>,
    #[arg(long, default_value_t = 11)]
    pub fold: usize,
    /// Target column of the store.
    #[arg(long, default_value_t = 0)]
    pub target: usize,
    /// Masks written by `runtime predict --masks` (default: `masks.h5` beside --predictions, if any).
    #[arg(long)]
    pub masks: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: EvalArgs) -> anyhow::Result<()> {
    let rows = read_predictions(&a.predictions)?;
    let reader = StoreReader::open(&a.store)?;
    let nt = reader.meta().target_names.len();
    anyhow::ensure!(a.target < nt, "{}: no target column {} (the store has {nt})", a.store.display(), a.target);
    let index: HashMap<&str, usize> = reader.genes().iter().enumerate().map(|(i, g)| (g.id.as_str(), i)).collect();
    let (mut preds, mut targets, mut evaluated) = (Vec::new(), Vec::new(), Vec::new());
    for r in &rows {
        let &i = index.get(r.gene_id.as_str()).ok_or_else(|| {
            anyhow::anyhow!("{}: gene {} is not in {}", a.predictions.display(), r.gene_id, a.store.display())
        })?;
        if a.split.is_some_and(|s| reader.split(i, a.fold) != s) {
            continue;
        }
        let t = reader.targets(i)[a.target];
        if t.is_finite() {
            preds.push(r.prediction);
            targets.push(t as f64);
            evaluated.push(r.gene_id.as_str());
        }
    }
    let label = match a.split {
        Some(s) => format!("{s} (fold {})", a.fold),
        None => "all".to_string(),
    };
    anyhow::ensure!(
        !preds.is_empty(),
        "{}: no gene of {label} has both a prediction and a target in {}",
        a.predictions.display(),
        a.store.display()
    );
    let metrics = regression_metrics(&preds, &targets);
    let beside = a.predictions.with_file_name(crate::output::masks::MASKS_NAME);
    let masks = a.masks.clone().or_else(|| beside.exists().then_some(beside));
    let mask_ratio = masks.map(|m| mask_ratio(&m, &evaluated)).transpose()?;
    if a.json {
        let report = serde_json::json!({ "split": label, "metrics": metrics, "mask_ratio": mask_ratio });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mut t = MetricsTable::new();
        t.push(&label, metrics, &[]);
        print!("{t}");
        if let Some(r) = mask_ratio {
            println!("mask ratio {r:.4}");
        }
    }
    Ok(())
}
